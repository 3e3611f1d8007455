"""The history pages' wording: audit events told as a person reads them.

Label slugs become names, statuses and entity types their words, a source
span its text (only when the reader may see it), and each edit the fields it
changed, before and after.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import AuditEvent, Label, Span
from .text import excerpt

_FIELD_NAMES = {
    "label": gettext_lazy("label"),
    "start": gettext_lazy("start"),
    "end": gettext_lazy("end"),
    "text": gettext_lazy("text"),
    "entity_type": gettext_lazy("entity type"),
    "source": gettext_lazy("source"),
    "status": gettext_lazy("status"),
    "rejection_reason": gettext_lazy("reason"),
    "title": gettext_lazy("title"),
    "language": gettext_lazy("language"),
    "source_url": gettext_lazy("source URL"),
    "outlet": gettext_lazy("outlet"),
    "byline": gettext_lazy("byline"),
    "published_on": gettext_lazy("published on"),
    "is_deleted": gettext_lazy("deleted"),
}
# The reviewer and the version follow from the status; the hash from the text.
_UNTOLD = {"reviewed_by", "version", "text_sha256"}


class _EventValues:
    """Turn the values a snapshot holds into words: label names, statuses, sources."""

    def __init__(self, user, events):
        self.labels = dict(Label.objects.values_list("slug", "name"))
        self.statuses = dict(Span.Status.choices)
        self.entity_types = dict(Span.EntityType.choices)
        sources = {
            snapshot.get("source")
            for event in events
            for snapshot in (event.before, event.after)
            if snapshot and event.object_type == "span" and snapshot.get("source")
        }
        # Only sources the user may read: a consumer never learns a pending
        # entity's words.
        self.sources = dict(
            Span.objects.visible_to(user)
            .filter(pk__in=sources)
            .values_list("pk", "text")
            if sources
            else ()
        )

    def __call__(self, field, value) -> str:
        if value in (None, ""):
            return "—"
        if field == "label":
            return self.labels.get(value, value)
        if field == "status":
            return str(self.statuses.get(value, value))
        if field == "entity_type":
            return str(self.entity_types.get(value, value))
        if field == "source":
            text = self.sources.get(value)
            if not text:
                return f"#{value}"
            return _("%(text)s (#%(id)s)") % {
                "text": _("“%(text)s”") % {"text": excerpt(text, 60)},
                "id": value,
            }
        if field == "is_deleted":
            return _("yes") if value else _("no")
        if field == "text":
            return _("“%(text)s”") % {"text": excerpt(str(value), 140)}
        return str(value)


def annotated_by(author: str, co_annotators: list[str]) -> str:
    """Name a span's author and whoever changed its label or offsets since."""
    if not co_annotators:
        return author
    return _("%(author)s, changed by %(others)s") % {
        "author": author,
        "others": ", ".join(co_annotators),
    }


# Assignment and adjudication tell their own story (DESIGN.md section 7).
_DOUBLE_ANNOTATION = {
    AuditEvent.Action.ASSIGN,
    AuditEvent.Action.ADJUDICATE,
    AuditEvent.Action.SUPERSEDE,
}


def _double_annotation(event) -> str:
    """Return the words the history pages add for assignment and adjudication."""
    after = event.after or {}
    if event.action == AuditEvent.Action.ASSIGN:
        names = ", ".join(after.get("annotators") or []) or _("nobody")
        if after.get("annotation_mode") == "blind":
            return _("blind, to %(names)s") % {"names": names}
        return _("shared, to %(names)s") % {"names": names}
    if event.action == AuditEvent.Action.SUPERSEDE:
        return _("this version gave way to the adjudicated spans")
    if event.object_type == "article":
        return _(
            "%(spans)d spans approved (%(merged)d identical in every version, "
            "%(edited)d edited); %(superseded)d versions' spans superseded"
        ) % {
            "spans": after.get("spans", 0),
            "merged": after.get("merged", 0),
            "edited": after.get("edited", 0),
            "superseded": after.get("superseded", 0),
        }
    provenance = after.get("provenance") or {}
    names = ", ".join(provenance.get("annotators") or [])
    if provenance.get("decision") == "merged":
        return _("approved; every annotator had it: %(names)s") % {"names": names}
    if provenance.get("decision") == "kept":
        return _("approved; kept from %(names)s's version") % {"names": names}
    return _("approved; written by the adjudicator")


def entries(user, events) -> list[dict]:
    """Return each event as the history pages show it, oldest first."""
    events = list(events)
    words = _EventValues(user, events)
    entries = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        snapshot = after or before
        entry = {
            "event": event,
            "action": event.get_action_display(),
            "is_span": event.object_type == "span",
            "changes": [],
            "reason": "",
        }
        if entry["is_span"]:
            entry["label"] = words("label", snapshot.get("label"))
            entry["text"] = excerpt(snapshot.get("text", ""), 80)
        if event.action in _DOUBLE_ANNOTATION:
            entry["details"] = _double_annotation(event)
        elif event.action == AuditEvent.Action.REJECT:
            entry["reason"] = after.get("rejection_reason", "")
        elif event.action == AuditEvent.Action.CREATE and entry["is_span"]:
            entry["details"] = _("characters %(start)d–%(end)d") % {
                "start": after.get("start", 0),
                "end": after.get("end", 0),
            }
        elif event.action == AuditEvent.Action.SUGGEST:
            entry["details"] = ngettext(
                "%(n)d suggestion in all: %(new)d new, %(gone)d removed.",
                "%(n)d suggestions in all: %(new)d new, %(gone)d removed.",
                after.get("suggestions", 0),
            ) % {
                "n": after.get("suggestions", 0),
                "new": after.get("created", 0),
                "gone": after.get("removed", 0),
            }
        elif event.action in (AuditEvent.Action.UPDATE, AuditEvent.Action.ACCEPT):
            # An accepted suggestion lists its corrections, and its new status.
            for field, name in _FIELD_NAMES.items():
                if field in _UNTOLD or before.get(field) == after.get(field):
                    continue
                if field == "text" and not entry["is_span"]:
                    entry["changes"].append((name, _("changed"), ""))
                    continue
                entry["changes"].append(
                    (
                        name,
                        words(field, before.get(field)),
                        words(field, after.get(field)),
                    )
                )
        entries.append(entry)
    return entries
