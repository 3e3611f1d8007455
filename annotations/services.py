"""Workflows that touch several models: every write goes through here.

Each function checks the caller's permission, validates, writes, and records an
audit event in the same transaction, so the HTML views, the API and the
management commands cannot drift apart.
"""

import logging
import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import bulk
from . import text as text_utils
from .choices import Role
from .models import (
    ENTITY_SLUG,
    MANUAL_ORIGIN,
    AnnotationMode,
    ApiToken,
    Article,
    Assignment,
    AuditEvent,
    Label,
    Profile,
    Span,
    attach_co_annotators,
    origin_validator,
)
from .permissions import ADMIN, can, is_admin, require
from .permissions import roles as user_roles

logger = logging.getLogger(__name__)

ARTICLE_EDITABLE = {
    "title",
    "text",
    "language",
    "source_url",
    "outlet",
    "byline",
    "published_on",
}
DUPLICATE = gettext_lazy(
    "This article already has a span with this label at these offsets."
)
DUPLICATE_IN_VERSION = gettext_lazy(
    "Your version already has a span with this label at these offsets."
)
SPAN_EDITABLE = {"label", "start", "end", "text", "entity_type", "source"}
# What a decision sets, and an edit resets.
SPAN_REVIEW_FIELDS = [
    "status",
    "reviewed_by",
    "reviewed_at",
    "rejection_reason",
    "updated_at",
]
ROLE_NAMES = frozenset({*Role.values, ADMIN})


class Conflict(Exception):
    """A write based on a stale version of a span; ``span`` is the current state
    (None when the stale thing is not one span, e.g. an adjudication page)."""

    def __init__(self, message: str, span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.span = span


class DuplicateArticle(Exception):
    """The text is the same as that of an article the uploader can open.

    ``existing`` is that article (the oldest, if there are several).
    """

    def __init__(self, existing: Article):
        self.existing = existing
        self.message = _(
            "This text is identical to article %(id)d, “%(title)s”, uploaded by "
            "%(user)s on %(date)s."
        ) % {
            "id": existing.pk,
            "title": existing.title,
            "user": existing.uploaded_by.get_username(),
            "date": date_format(timezone.localtime(existing.created_at)),
        }
        super().__init__(self.message)


def _audit(user, action: str, obj, *, before=None, after=None) -> AuditEvent:
    """Record ``action`` on ``obj`` by ``user``, filed under its article if any."""
    if isinstance(obj, Article):
        article_id = obj.pk
    else:
        article_id = getattr(obj, "article_id", None)
    return AuditEvent.record(
        actor=user,
        action=action,
        obj=obj,
        before=before,
        after=after,
        article_id=article_id,
    )


def _known_fields(given, allowed) -> None:
    # A programming error, not bad input: callers pass what their forms hold.
    unknown = set(given) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")


def _save_new(obj, user) -> None:
    """Validate, save and audit a new ``obj``."""
    obj.full_clean()
    obj.save()
    _audit(user, AuditEvent.Action.CREATE, obj, after=obj.snapshot())


def _save_changes(obj, user, before: dict) -> None:
    """Validate ``obj``; save and audit it if it differs from ``before``."""
    obj.full_clean()
    after = obj.snapshot()
    if after != before:
        obj.save()
        _audit(user, AuditEvent.Action.UPDATE, obj, before=before, after=after)


def _validation_error(**errors):
    return ValidationError(errors)


# Articles


def _same_text(user, hashes):
    """Return the articles ``user`` can open whose text has one of ``hashes``."""
    return (
        Article.objects.visible_to(user)
        .filter(text_sha256__in=hashes)
        .select_related("uploaded_by")
        .order_by("pk")
    )


def article_repeats(*, user, text_hashes: list[str]) -> dict[int, str]:
    """Say, by index, which of a list of new texts repeat one ``user`` can open,
    or an earlier text of the same list (the API's bulk create).
    """
    stored = {}
    for article in _same_text(user, set(text_hashes)):
        stored.setdefault(article.text_sha256, article)  # the oldest
    repeats, first = {}, {}
    for index, digest in enumerate(text_hashes):
        if digest in stored:
            repeats[index] = DuplicateArticle(stored[digest]).message
        elif digest in first:
            repeats[index] = _("This text is the same as that of item %(index)d.") % {
                "index": first[digest]
            }
        else:
            first[digest] = index
    return repeats


def article_duplicates(*, user, texts, limit: int = 5) -> list[Article]:
    """Return the articles ``user`` can open whose text is one of ``texts``.

    Oldest first, at most ``limit``: the check ``article_create`` makes, for
    a page that warns before saving (the upload preview asks about the whole
    text and the paragraphs kept). Raise ValidationError if a text cannot be
    stored at all.
    """
    hashes = {
        text_utils.sha256_hex(text_utils.canonicalize(text)) for text in texts if text
    }
    return list(_same_text(user, hashes)[:limit]) if hashes else []


def article_duplicate_of(*, user, text: str | bytes) -> Article | None:
    """Return the oldest article ``user`` can open with ``text``, or None."""
    found = article_duplicates(user=user, texts=[text], limit=1)
    return found[0] if found else None


@transaction.atomic
def article_create(
    *,
    user,
    title: str,
    text: str | bytes,
    allow_duplicate: bool = False,
    **fields,
) -> Article:
    """Store a new article.

    Raise DuplicateArticle if ``user`` can already open an article with the
    same canonical text, unless ``allow_duplicate``: uploading a story twice is
    usually a mistake, and two copies split its annotations.
    """
    require(user, "add_article")
    _known_fields(fields, ARTICLE_EDITABLE)
    article = Article(title=title, uploaded_by=user, **fields)
    article.set_text(text)
    if not allow_duplicate:
        existing = _same_text(user, [article.text_sha256]).first()
        if existing is not None:
            raise DuplicateArticle(existing)
    _save_new(article, user)
    return article


@transaction.atomic
def article_update(*, article: Article, user, **changes) -> Article:
    """Apply ``changes``; the text may change only while the article has no spans."""
    require(user, "change_article", article)
    _known_fields(changes, ARTICLE_EDITABLE)
    # The lock orders this edit against a span being created at the same moment.
    article = Article.objects.select_for_update().get(pk=article.pk)
    before = article.snapshot()
    if "text" in changes:
        article.set_text(changes.pop("text"))
    for name, value in changes.items():
        setattr(article, name, value)
    _save_changes(article, user, before)
    return article


@transaction.atomic
def article_delete(*, article: Article, user) -> None:
    """Soft-delete the article; an admin's delete removes it and its spans for good."""
    require(user, "delete_article", article)
    before = article.snapshot()
    if is_admin(user):
        _audit(user, AuditEvent.Action.DELETE, article, before=before)
        article.delete()
        return
    article.soft_delete()
    _audit(
        user, AuditEvent.Action.DELETE, article, before=before, after=article.snapshot()
    )


@transaction.atomic
def article_restore(*, article: Article, user) -> Article:
    """Bring back a soft-deleted article; restoring a live one changes nothing."""
    require(user, "restore_article", article)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not article.is_deleted:
        return article
    before = article.snapshot()
    article.is_deleted = False
    article.deleted_at = None
    article.save(update_fields=["is_deleted", "deleted_at", "updated_at"])
    _audit(
        user, AuditEvent.Action.UPDATE, article, before=before, after=article.snapshot()
    )
    return article


# Spans


def _save_span(span: Span, expected_version: int, fields: list[str]) -> None:
    """Write ``fields`` only if nobody changed the span since ``expected_version``."""
    attnames = [span._meta.get_field(name).attname for name in fields]
    values = {attname: getattr(span, attname) for attname in attnames}
    values["version"] = span.version
    try:
        with transaction.atomic():
            updated = Span.objects.filter(pk=span.pk, version=expected_version).update(
                **values
            )
    except IntegrityError:
        raise _validation_error(
            __all__=DUPLICATE_IN_VERSION if span.blind else DUPLICATE
        ) from None
    if not updated:
        current = Span.objects.select_related("reviewed_by").get(pk=span.pk)
        raise Conflict(_stale_message(current, expected_version), current)


def _stale_message(current: Span, expected_version: int) -> str:
    if current.status != Span.Status.PENDING and current.reviewed_by:
        return _(
            "This span was already %(status)s by %(user)s at %(when)s "
            "(version %(current)d; you sent %(sent)d)."
        ) % {
            "status": current.get_status_display().lower(),
            "user": current.reviewed_by.get_username(),
            "when": date_format(
                timezone.localtime(current.reviewed_at), "DATETIME_FORMAT"
            ),
            "current": current.version,
            "sent": expected_version,
        }
    return _(
        "This span changed since you loaded it (version %(current)d; you sent "
        "%(sent)d). Reload it and try again."
    ) % {"current": current.version, "sent": expected_version}


def _validate_span(span: Span) -> None:
    """Run the span's field checks, its rules and the duplicate check.

    Not ``full_clean``: its relation lookups and one query per check constraint
    would re-check what ``clean`` and the database already hold.
    """
    errors = {}
    relations_and_text = [
        "article",
        "label",
        "source",
        "created_by",
        "reviewed_by",
        "text",
    ]
    for check in (lambda: span.clean_fields(exclude=relations_and_text), span.clean):
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if not errors:
        duplicate = (
            Span.objects.filter(
                article_id=span.article_id,
                start=span.start,
                end=span.end,
                label_id=span.label_id,
                blind=span.blind,
            )
            .accepted()
            .exclude(pk=span.pk)
        )
        if span.blind:
            # In a blind article each annotator's version is a set of its own.
            duplicate = duplicate.filter(created_by_id=span.created_by_id)
        if duplicate.exists():
            errors["__all__"] = [DUPLICATE_IN_VERSION if span.blind else DUPLICATE]
    if errors:
        raise ValidationError(errors)


def _lock_span(span: Span) -> Span:
    # No join on reviewed_by: after waiting for a lock, PostgreSQL re-reads the
    # locked row but not the joined ones, so the reviewer would come back stale.
    return (
        Span.objects.select_for_update(of=("self",))
        .select_related("article", "label")
        .get(pk=span.pk)
    )


@transaction.atomic
def span_create(
    *,
    user,
    article: Article,
    label: Label,
    start: int,
    end: int,
    text: str = "",
    entity_type: str | None = None,
    source: Span | None = None,
) -> Span:
    """Create a span by hand; where a suggestion already marks exactly these
    offsets with this label, accept it instead (with the type and source given).
    """
    require(user, "add_span")
    # The lock orders this span against an edit of the text or a delete; the
    # article's state is checked once it is held.
    article = Article.objects.select_for_update().get(pk=article.pk)
    require(user, "add_span", article)
    blind = article.in_blind_round
    twins = Span.objects.suggested().filter(
        article=article, start=start, end=end, label=label, blind=blind
    )
    if blind:
        # One's own suggestion only: another annotator's version is apart.
        twins = twins.filter(created_by=user)
    twin = twins.first()
    if twin is not None:
        twin = _lock_span(twin)
        require(user, "accept_suggestion", twin)
        # What the person gave overrides the suggestion; what they left out
        # (no type, no source) keeps what was suggested.
        given = {"entity_type": entity_type or None, "source": source, "text": text}
        return _accept(twin, user, {k: v for k, v in given.items() if v})
    span = Span(
        article=article,
        label=label,
        start=start,
        end=end,
        text=text or "",
        entity_type=entity_type or None,
        source=source,
        created_by=user,
        # In a blind article, until adjudication, the span joins the
        # annotator's own version.
        blind=blind,
    )
    _accept_source(span, user)
    _validate_span(span)
    try:
        with transaction.atomic():
            span.save()
    except IntegrityError:
        raise _validation_error(
            __all__=DUPLICATE_IN_VERSION if span.blind else DUPLICATE
        ) from None
    _absorb_suggestions_at(span)
    # The page offers to undo this very event.
    span.audit_event = _audit(
        user, AuditEvent.Action.CREATE, span, after=span.snapshot()
    )
    return span


def _relabel(span: Span, changes: dict) -> None:
    """Drop what the span's new label cannot carry, unless ``changes`` sets it.

    An entity type belongs to entities and a source to the other labels, so a
    relabelled span loses the one that no longer fits (the audit event keeps
    it); a value sent with the new label is checked like any other. An entity
    that other spans cite as their source must stay an entity.
    """
    if span.label.is_entity:
        if "source" not in changes:
            span.source = None
        return
    if "entity_type" not in changes:
        span.entity_type = None
    cited_by = span.attributed_spans.accepted().count()
    if cited_by:
        raise _validation_error(
            label=_(
                "This entity is the source of %(n)d other spans; it must stay an "
                "entity. Change their source first."
            )
            % {"n": cited_by}
        )
    # Suggestions that named it simply stop naming it.
    _forget_source(span)


@transaction.atomic
def span_update(*, span: Span, user, version: int | None = None, **changes) -> Span:
    """Edit a span; an edit of a decided span sends it back to pending.

    ``version``, when given, must be the span's current version (else Conflict).
    """
    _known_fields(changes, SPAN_EDITABLE)
    span = _lock_span(span)
    require(user, "change_span", span)
    if version is not None and version != span.version:
        raise Conflict(_stale_message(span, version), span)
    before = span.snapshot()
    expected_version = span.version
    for name, value in changes.items():
        setattr(span, name, value)
    if "label" in changes:
        _relabel(span, changes)
    if ("start" in changes or "end" in changes) and "text" not in changes:
        span.text = ""
    span.entity_type = span.entity_type or None
    _accept_source(span, user)
    _validate_span(span)
    span.audit_event = None
    if span.snapshot() == before:
        return span
    if span.status != Span.Status.PENDING:
        span.status = Span.Status.PENDING
        span.reviewed_by = None
        span.reviewed_at = None
        span.rejection_reason = ""
    if span.origin != MANUAL_ORIGIN and _suggestion_changed(span, before):
        # A suggestion fixed after it was accepted was not right either.
        span.corrected = True
    span.version += 1
    span.updated_at = timezone.now()
    _save_span(
        span, expected_version, [*SPAN_EDITABLE, *SPAN_REVIEW_FIELDS, "corrected"]
    )
    _absorb_suggestions_at(span)
    after = span.snapshot()
    if _reshaped(before, after) and user.pk != span.created_by_id:
        # What a reviewer decides on is now partly theirs (four-eyes).
        span.co_annotators.add(user)
    span.audit_event = _audit(
        user, AuditEvent.Action.UPDATE, span, before=before, after=after
    )
    return span


@transaction.atomic
def span_delete(*, span: Span, user) -> AuditEvent:
    """Delete the span; return the audit event, which ``span_undo`` can revert."""
    span = _lock_span(span)
    require(user, "delete_span", span)
    cited_by = span.attributed_spans.accepted().count()
    if cited_by:
        raise _validation_error(
            __all__=_(
                "This entity is the source of %(n)d other spans; change their source "
                "before deleting it."
            )
            % {"n": cited_by}
        )
    _forget_source(span)
    event = _audit(user, AuditEvent.Action.DELETE, span, before=span.snapshot())
    span.delete()
    return event


def _decided_at(span_id: int):
    """Return when the span's last approval or rejection was recorded, or None."""
    decision = (
        AuditEvent.objects.filter(
            object_type="span",
            object_id=span_id,
            action__in=[AuditEvent.Action.APPROVE, AuditEvent.Action.REJECT],
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return decision.created_at if decision else None


def _put_back(span: Span, snapshot: dict) -> None:
    """Set the span's fields to those of an audit ``snapshot``.

    A source deleted since is left out rather than pointing at nothing.
    """
    span.label = Label.objects.get(slug=snapshot["label"])
    span.start = snapshot["start"]
    span.end = snapshot["end"]
    span.text = snapshot["text"]
    span.entity_type = snapshot.get("entity_type") or None
    source_id = snapshot.get("source")
    span.source = (
        Span.objects.filter(pk=source_id, article_id=span.article_id).first()
        if source_id
        else None
    )
    span.status = snapshot.get("status") or Span.Status.PENDING
    if "origin" in snapshot:
        span.origin = snapshot["origin"]
        span.score = snapshot.get("score")
        span.corrected = snapshot.get("corrected", False)
    span.rejection_reason = snapshot.get("rejection_reason") or ""
    span.reviewed_by_id = snapshot.get("reviewed_by")
    span.reviewed_at = (
        _decided_at(span.pk) if span.status != Span.Status.PENDING else None
    )


def _reshaped(before: dict | None, after: dict | None) -> bool:
    """Return whether an edit changed the label or the offsets (four-eyes)."""
    before, after = before or {}, after or {}
    return any(before.get(key) != after.get(key) for key in ("label", "start", "end"))


def _reshapers(span: Span) -> set[int]:
    """Return who, besides its author, changed the span's label or offsets."""
    edits = AuditEvent.objects.for_object(span).filter(
        action=AuditEvent.Action.UPDATE, actor__isnull=False
    )
    return {
        event.actor_id
        for event in edits
        if event.actor_id != span.created_by_id and _reshaped(event.before, event.after)
    }


def _gone():
    return _validation_error(
        __all__=_("This span no longer exists, so there is nothing to undo.")
    )


@transaction.atomic
def span_undo(*, user, event: AuditEvent) -> tuple[Span | None, AuditEvent]:
    """Undo ``event``, the creation, edit or deletion of a span by ``user``.

    A created span is deleted, an edited one put back as it was before the
    edit (its review decision included), a deleted one restored with its id,
    label, type, source, status and author. Nothing changed since the event may
    be lost: a span edited since is a Conflict. The undo is itself recorded.
    Return the span as it now is (None once deleted) and the new event.
    """
    require(user, "undo_span_change", event)
    if event.action == AuditEvent.Action.CREATE:
        span = Span.objects.filter(pk=event.object_id).first()
        if span is None:
            raise _gone()
        expected = event.after["version"]
        if span.version != expected:
            raise Conflict(_stale_message(span, expected), span)
        return None, span_delete(span=span, user=user)
    if event.action == AuditEvent.Action.UPDATE:
        current = Span.objects.filter(pk=event.object_id).first()
        if current is None:
            raise _gone()
        span = _lock_span(current)
        # An adjusted suggestion is still a suggestion: its rule is accepting.
        require(
            user,
            "accept_suggestion" if span.is_suggestion else "change_span",
            span,
        )
        expected = event.after["version"]
        if span.version != expected:
            raise Conflict(_stale_message(span, expected), span)
        before = span.snapshot()
        _put_back(span, event.before)
        _validate_span(span)
        span.version += 1
        span.updated_at = timezone.now()
        _save_span(span, expected, [*SPAN_EDITABLE, *SPAN_REVIEW_FIELDS, "corrected"])
        return span, _audit(
            user, AuditEvent.Action.UPDATE, span, before=before, after=span.snapshot()
        )
    if event.action in (AuditEvent.Action.ACCEPT, AuditEvent.Action.DISMISS):
        return _suggestion_back(user=user, event=event)
    return _span_restore(user=user, event=event)


def _suggestion_back(*, user, event: AuditEvent) -> tuple[Span, AuditEvent]:
    """Make an accepted or dismissed span the suggestion it was before ``event``."""
    current = Span.objects.filter(pk=event.object_id).first()
    if current is None:
        raise _gone()
    span = _lock_span(current)
    require(user, "accept_suggestion", span)
    expected = event.after["version"]
    if span.version != expected:
        raise Conflict(_stale_message(span, expected), span)
    cited_by = span.attributed_spans.accepted().count()
    if cited_by:
        raise _validation_error(
            __all__=_(
                "This entity is the source of %(n)d spans people made; it stays "
                "accepted."
            )
            % {"n": cited_by}
        )
    before = span.snapshot()
    _put_back(span, event.before)
    span.corrected = False
    span.created_by = user
    _validate_span(span)
    span.version += 1
    span.updated_at = timezone.now()
    _save_span(
        span,
        expected,
        [*SPAN_EDITABLE, *SPAN_REVIEW_FIELDS, "corrected", "created_by"],
    )
    return span, _audit(
        user, AuditEvent.Action.UPDATE, span, before=before, after=span.snapshot()
    )


def _span_restore(*, user, event: AuditEvent) -> tuple[Span, AuditEvent]:
    if Span.objects.filter(pk=event.object_id).exists():
        raise _validation_error(__all__=_("This span was already restored."))
    article = (
        Article.objects.select_for_update().filter(pk=event.article_id).first()
        if event.article_id
        else None
    )
    if article is None:
        raise _validation_error(__all__=_("The span's article no longer exists."))
    require(user, "add_span", article)
    created = (
        AuditEvent.objects.filter(
            object_type="span",
            object_id=event.object_id,
            action=AuditEvent.Action.CREATE,
        )
        .order_by("created_at", "id")
        .first()
    )
    span = Span(
        pk=event.object_id,
        article=article,
        created_by_id=created.actor_id if created and created.actor_id else user.pk,
        created_at=created.created_at if created else timezone.now(),
        version=event.before["version"] + 1,
    )
    _put_back(span, event.before)
    require(user, "change_span", span)
    _validate_span(span)
    try:
        with transaction.atomic():
            span.save(force_insert=True)
    except IntegrityError:
        raise _validation_error(__all__=DUPLICATE) from None
    # Deleting the span dropped its co-annotators; the trail still names them.
    span.co_annotators.set(_reshapers(span))
    return span, _audit(user, AuditEvent.Action.CREATE, span, after=span.snapshot())


def _span_decide(*, span: Span, user, version, status: str, reason: str = "") -> Span:
    if version is None:
        raise _validation_error(
            version=_("Send the span's current version to decide on it.")
        )
    span = _lock_span(span)
    require(user, "review_span", span)
    if version != span.version or span.status == status:
        raise Conflict(_stale_message(span, version), span)
    before = span.snapshot()
    span.status = status
    span.rejection_reason = reason
    span.reviewed_by = user
    span.reviewed_at = timezone.now()
    span.updated_at = span.reviewed_at
    span.version += 1
    _save_span(span, version, SPAN_REVIEW_FIELDS)
    approved = status == Span.Status.APPROVED
    action = AuditEvent.Action.APPROVE if approved else AuditEvent.Action.REJECT
    _audit(user, action, span, before=before, after=span.snapshot())
    return span


@transaction.atomic
def span_approve(*, span: Span, user, version: int | None) -> Span:
    """Approve the span if ``version`` is current; raise Conflict otherwise."""
    return _span_decide(
        span=span, user=user, version=version, status=Span.Status.APPROVED
    )


@transaction.atomic
def span_reject(*, span: Span, user, version: int | None, reason: str) -> Span:
    """Reject the span with a reason if ``version`` is current."""
    reason = (reason or "").strip()
    if not reason:
        raise _validation_error(reason=_("Give a reason for rejecting the span."))
    return _span_decide(
        span=span,
        user=user,
        version=version,
        status=Span.Status.REJECTED,
        reason=reason,
    )


# Suggestions (DESIGN.md section 7)


@dataclass
class SuggestionRun:
    """What one run of the suggesters left on an article."""

    article: Article
    # The article's suggestions after the run, in text order.
    suggestions: list[Span] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    removed: int = 0
    # Proposals left out because a span exists there in some status.
    existing: int = 0
    # Proposals the checks refused (logged: a suggester's bug).
    invalid: int = 0


def _forget_source(span: Span) -> None:
    """Suggestions naming ``span`` as their source stop naming it."""
    Span.objects.suggested().filter(source=span).update(
        source=None, version=F("version") + 1, updated_at=timezone.now()
    )


def _accept_source(span: Span, user) -> None:
    """Accept ``span``'s source too while it is still a suggestion: people's
    spans only ever name people's entities."""
    source = span.source
    if source is None or source.status != Span.Status.SUGGESTED:
        return
    source = _lock_span(source)
    if source.status == Span.Status.SUGGESTED:
        require(user, "accept_suggestion", source)
        source = _accept(source, user, {})
    span.source = source


def _absorb_suggestions_at(span: Span) -> None:
    """Remove the suggestions ``span`` now stands on (same offsets and label);
    whatever named them as its source names ``span`` instead."""
    twins = (
        Span.objects.suggested()
        .filter(
            article_id=span.article_id,
            start=span.start,
            end=span.end,
            label_id=span.label_id,
            blind=span.blind,
        )
        .exclude(pk=span.pk)
    )
    if span.blind:
        # Only the annotator's own suggestions: another version is apart.
        twins = twins.filter(created_by_id=span.created_by_id)
    twins = list(twins.values_list("pk", flat=True))
    if twins:
        Span.objects.filter(source_id__in=twins).update(
            source=span, version=F("version") + 1, updated_at=timezone.now()
        )
        Span.objects.filter(pk__in=twins).delete()


def _suggestion_changed(span: Span, before: dict) -> bool:
    return (
        span.label.slug,
        span.start,
        span.end,
        span.entity_type,
        span.source_id,
    ) != (
        before["label"],
        before["start"],
        before["end"],
        before["entity_type"],
        before["source"],
    )


def _check_still_suggested(span: Span, version: int | None) -> None:
    """Raise Conflict unless ``span`` is a suggestion at ``version`` (if given)."""
    sent = span.version if version is None else version
    if span.status == Span.Status.DISMISSED:
        raise Conflict(
            _(
                "This suggestion was already dismissed (version %(current)d; you "
                "sent %(sent)d)."
            )
            % {"current": span.version, "sent": sent},
            span,
        )
    if span.status != Span.Status.SUGGESTED:
        raise Conflict(
            _(
                "This suggestion was already accepted by %(user)s (version "
                "%(current)d; you sent %(sent)d)."
            )
            % {
                "user": span.created_by.get_username(),
                "current": span.version,
                "sent": sent,
            },
            span,
        )
    if sent != span.version:
        raise Conflict(_stale_message(span, sent), span)


def _accept(span: Span, user, corrections: dict) -> Span:
    """Make the locked suggestion ``span`` a pending span created by ``user``."""
    before = span.snapshot()
    for name, value in corrections.items():
        setattr(span, name, value)
    if "label" in corrections:
        if not span.label.is_entity:
            if "entity_type" not in corrections:
                span.entity_type = None
            _forget_source(span)
        elif "source" not in corrections:
            span.source = None
    if ("start" in corrections or "end" in corrections) and "text" not in corrections:
        span.text = ""
    span.entity_type = span.entity_type or None
    _accept_source(span, user)
    _validate_span(span)
    # Adjusted while still a suggestion, or corrected now.
    span.corrected = span.corrected or _suggestion_changed(span, before)
    expected_version = span.version
    span.status = Span.Status.PENDING
    span.created_by = user
    span.created_at = span.updated_at = timezone.now()
    span.version += 1
    _save_span(
        span,
        expected_version,
        [
            "label",
            "start",
            "end",
            "text",
            "entity_type",
            "source",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "corrected",
        ],
    )
    _absorb_suggestions_at(span)
    # The page offers to undo this very event.
    span.audit_event = _audit(
        user,
        AuditEvent.Action.ACCEPT,
        span,
        before=before,
        after=span.snapshot(),
    )
    return span


@transaction.atomic
def span_accept(*, span: Span, user, version: int | None = None, **corrections) -> Span:
    """Accept a suggestion: it becomes an ordinary pending span created by
    ``user`` and keeps its origin.

    ``corrections`` (label, start, end, text, entity_type, source) apply in
    the same step and mark it corrected. A suggested entity named as its
    source is accepted too. A span that is no longer a suggestion, or a stale
    ``version``, raises Conflict.
    """
    unknown = set(corrections) - SPAN_EDITABLE
    if unknown:
        raise TypeError(f"Unknown span fields: {sorted(unknown)}")
    span = _lock_span(span)
    require(user, "accept_suggestion", span)
    _check_still_suggested(span, version)
    return _accept(span, user, corrections)


@transaction.atomic
def suggestion_adjust(*, span: Span, user, version: int, start: int, end: int) -> Span:
    """Move a suggestion's boundaries before accepting it (the page's nudge keys).

    It stays a suggestion, now corrected: a later run keeps it as it is.
    """
    span = _lock_span(span)
    require(user, "accept_suggestion", span)
    _check_still_suggested(span, version)
    before = span.snapshot()
    span.start, span.end, span.text = start, end, ""
    _validate_span(span)
    if (span.start, span.end) == (before["start"], before["end"]):
        span.audit_event = None
        return span
    span.corrected = True
    span.version += 1
    span.updated_at = timezone.now()
    _save_span(span, version, ["start", "end", "text", "corrected", "updated_at"])
    span.audit_event = _audit(
        user, AuditEvent.Action.UPDATE, span, before=before, after=span.snapshot()
    )
    return span


@transaction.atomic
def span_dismiss(*, span: Span, user, version: int | None = None) -> Span:
    """Dismiss a suggestion: kept for the figures, shown nowhere."""
    span = _lock_span(span)
    require(user, "dismiss_suggestion", span)
    _check_still_suggested(span, version)
    before = span.snapshot()
    expected_version = span.version
    span.status = Span.Status.DISMISSED
    # Neither a dismissed quote's speaker nor a dismissed speaker stays linked:
    # nothing then holds back the next run from replacing either.
    span.source = None
    span.version += 1
    span.updated_at = timezone.now()
    _forget_source(span)
    _save_span(span, expected_version, ["status", "source", "updated_at"])
    span.audit_event = _audit(
        user,
        AuditEvent.Action.DISMISS,
        span,
        before=before,
        after=span.snapshot(),
    )
    return span


@transaction.atomic
def suggestions_accept_all(
    *, article: Article, user, spans: list[int], label: Label, min_score: float
) -> list[Span]:
    """Accept, among the suggestions ``spans`` of the article, those labelled
    ``label`` scoring ``min_score`` or more; the others are left alone.

    The page sends what it shows, so nothing it did not show is accepted.
    """
    require(user, "accept_suggestion")
    chosen = (
        Span.objects.suggested()
        .filter(article=article, pk__in=spans, label=label, score__gte=min_score)
        .order_by("start", "end", "pk")
    )
    accepted = []
    for span in chosen:
        span = _lock_span(span)
        require(user, "accept_suggestion", span)
        # Accepting a quote may have accepted its speaker, listed later.
        if span.status == Span.Status.SUGGESTED:
            accepted.append(_accept(span, user, {}))
    return accepted


def suggestion_gazetteer() -> list[tuple[str, str]]:
    """Return the newsroom's approved, typed entities as (name, type) pairs:
    a name approved once is proposed everywhere."""
    return list(
        Span.objects.alive()
        .approved()
        .filter(label__slug=ENTITY_SLUG, entity_type__isnull=False)
        .order_by()
        .values_list("text", "entity_type")
        .distinct()
    )


def article_suggest(*, article: Article, user, gazetteer=None) -> SuggestionRun:
    """Run the suggesters on the article and store what they propose.

    The suggesters run outside any transaction (they take a moment); only the
    storing locks the article.
    """
    from .suggest import suggest_text

    require(user, "suggest", article)
    if gazetteer is None:
        gazetteer = suggestion_gazetteer()
    found = suggest_text(article.text, article.language, gazetteer=gazetteer)
    return suggestions_store(
        article=article, user=user, found=found, text_sha256=article.text_sha256
    )


def _standing_over(spans: list[Span], start: int, end: int) -> Span | None:
    """Return the span among ``spans`` that a proposal at start–end repeats:
    each covers at least half of the other (a corrected boundary, say)."""
    for span in spans:
        overlap = min(end, span.end) - max(start, span.start)
        if overlap * 2 >= end - start and overlap * 2 >= span.end - span.start:
            return span
    return None


def _valid_suggestion(span: Span) -> bool:
    """Check a proposal as a span (offsets, text, type, source) and its origin.

    Not ``clean_fields``: at 80 proposals an article its field-by-field checks
    cost more than writing them.
    """
    try:
        span.clean()
        origin_validator(span.origin)
        if span.entity_type not in (None, *Span.EntityType.values):
            raise ValidationError(f"Unknown entity type {span.entity_type!r}.")
        if not 0 <= span.score <= 1:
            raise ValidationError(f"Score {span.score} is not in [0, 1].")
    except ValidationError as error:
        logger.warning(
            "Suggestion %s %d-%d refused on article %d: %s",
            span.label.slug,
            span.start,
            span.end,
            span.article_id,
            error.messages,
        )
        return False
    return True


@transaction.atomic
def suggestions_store(
    *, article: Article, user, found: list, text_sha256: str | None = None
) -> SuggestionRun:
    """Store the suggesters' ``found`` (``Suggestion``s of the article's text).

    Suggestions nobody touched are replaced: those proposed again keep their
    id (score, origin, type and source refreshed), the others go. A proposal
    where a span exists in any status (accepted, decided, dismissed) is never
    stored again; an entity there still serves as the source it names. Each
    ``source`` index becomes the stored span's id.
    """
    require(user, "suggest", article)
    article = Article.objects.select_for_update().get(pk=article.pk)
    require(user, "suggest", article)
    if text_sha256 is not None and text_sha256 != article.text_sha256:
        raise _validation_error(
            text=_(
                "The article's text changed while suggestions were made; ask for "
                "suggestions again."
            )
        )
    run = SuggestionRun(article=article)
    labels = {label.slug: label for label in Label.objects.all()}
    # In a blind article the suggestions are the annotator's own, among the
    # spans of their version only; otherwise the article's own spans (never
    # the superseded versions of an adjudicated one).
    blind = article.in_blind_round
    spans = Span.objects.filter(article=article, blind=blind)
    if blind:
        spans = spans.filter(created_by=user)
    # Untouched suggestions may be replaced; everything else (spans people
    # made or accepted, dismissed or adjusted suggestions) stands.
    taken, open_, current = {}, {}, []
    for span in spans.select_related("label"):
        key = (span.start, span.end, span.label_id)
        if span.is_suggestion and not span.corrected:
            open_[key] = span
            continue
        if span.is_suggestion:
            current.append(span)
        if key not in taken or taken[key].status == Span.Status.DISMISSED:
            # A span people made outranks a dismissed one at the same place.
            taken[key] = span
    by_label = defaultdict(list)
    for span in taken.values():
        by_label[span.label_id].append(span)
    now = timezone.now()
    stored: list[Span | None] = [None] * len(found)
    to_update = []
    # Entities first: the other suggestions name them as their source, so they
    # need their ids (the list holds entities first).
    for phase in ("entities", "others"):
        to_create = []
        for index, suggestion in enumerate(found):
            label = labels.get(suggestion.label)
            if label is None or (label.is_entity != (phase == "entities")):
                continue
            source = (
                stored[suggestion.source] if suggestion.source is not None else None
            )
            key = (suggestion.start, suggestion.end, label.pk)
            existing = taken.get(key) or _standing_over(
                by_label[label.pk], suggestion.start, suggestion.end
            )
            if existing is not None:
                run.existing += 1
                if existing.status != Span.Status.DISMISSED:
                    stored[index] = existing
                continue
            span = open_.pop(key, None)
            if span is None:
                span = Span(
                    article=article,
                    label=label,
                    start=suggestion.start,
                    end=suggestion.end,
                    text=suggestion.text,
                    status=Span.Status.SUGGESTED,
                    blind=blind,
                    created_by=user,
                    created_at=now,
                    updated_at=now,
                )
                fresh = True
            else:
                before = (span.entity_type, span.source_id, span.score, span.origin)
                fresh = False
            span.entity_type = suggestion.entity_type if label.is_entity else None
            span.source = source
            span.score = round(float(suggestion.score), 4)
            span.origin = suggestion.origin
            if not _valid_suggestion(span):
                run.invalid += 1
                if not fresh:
                    open_[key] = span
                continue
            stored[index] = span
            current.append(span)
            if fresh:
                to_create.append(span)
            elif before != (span.entity_type, span.source_id, span.score, span.origin):
                span.version += 1
                span.updated_at = now
                to_update.append(span)
        Span.objects.bulk_create(to_create)
        run.created += len(to_create)
    Span.objects.bulk_update(
        to_update, ["entity_type", "source", "score", "origin", "version", "updated_at"]
    )
    run.updated = len(to_update)
    gone = {span.pk for span in open_.values()}
    if gone:
        # Spans outside the run naming one of them keep it (they should not).
        kept = set(
            Span.objects.filter(source_id__in=gone)
            .exclude(pk__in=gone)
            .values_list("source_id", flat=True)
        )
        for span in open_.values():
            if span.pk in kept:
                current.append(span)
        gone -= kept
        Span.objects.filter(pk__in=gone).delete()
        run.removed = len(gone)
    current.sort(key=lambda s: (s.start, s.end, s.label.order, s.label.slug))
    run.suggestions = current
    if run.created or run.updated or run.removed:
        after = {
            "suggestions": len(current),
            "created": run.created,
            "updated": run.updated,
            "removed": run.removed,
        }
        if blind:
            # Told only to those who may see the version (``AuditEvent``'s
            # ``without_hidden_versions``).
            after["blind"] = True
        _audit(user, AuditEvent.Action.SUGGEST, article, after=after)
    return run


def article_upload(*, user, title: str, text: str | bytes, **fields) -> Article:
    """Create an article as an editor uploads it, then run the suggesters on
    it when ``SUGGEST_ON_UPLOAD`` is on.

    The article is stored whatever becomes of the suggestions:
    ``article.suggestion_run`` holds them, ``article.suggestion_error`` why
    there are none.
    """
    article = article_create(user=user, title=title, text=text, **fields)
    article.suggestion_run = None
    article.suggestion_error = ""
    if settings.SUGGEST_ON_UPLOAD:
        try:
            article.suggestion_run = article_suggest(article=article, user=user)
        except Exception:
            # The upload is done; suggestions can be asked for again later.
            logger.exception("Suggestions failed for article %d", article.pk)
            article.suggestion_error = _(
                "The article is saved, but no suggestions could be made for it."
            )
    return article


# Labels


@transaction.atomic
def label_create(*, user, **fields) -> Label:
    require(user, "manage")
    _known_fields(fields, Label.editable_fields())
    label = Label(**fields)
    _save_new(label, user)
    return label


@transaction.atomic
def label_update(*, label: Label, user, **changes) -> Label:
    """Apply ``changes``; the slug of a label in use never changes."""
    require(user, "manage")
    _known_fields(changes, Label.editable_fields())
    label = Label.objects.select_for_update().get(pk=label.pk)
    before = label.snapshot()
    for name, value in changes.items():
        setattr(label, name, value)
    if label.slug != before["slug"] and label.spans.exists():
        # Exports, imports, API filters and the audit trail name labels by slug.
        raise _validation_error(
            slug=_(
                "The label %(name)s is used by spans, so its slug stays "
                "%(slug)s: exports, imports and the history refer to it."
            )
            % {"name": before["name"], "slug": before["slug"]}
        )
    _save_changes(label, user, before)
    return label


@transaction.atomic
def label_delete(*, label: Label, user) -> None:
    """Delete a label no span uses."""
    require(user, "manage")
    label = Label.objects.select_for_update().get(pk=label.pk)
    used = label.spans.count()
    if used:
        raise _validation_error(
            __all__=_(
                "The label %(name)s is used by %(n)d spans and cannot be deleted."
            )
            % {"name": label.name, "n": used}
        )
    _audit(user, AuditEvent.Action.DELETE, label, before=label.snapshot())
    label.delete()


# Users and roles


def _apply_roles(target, roles) -> None:
    """Give ``target`` exactly ``roles``: groups, and staff rights for "admin"."""
    target.groups.set(Group.objects.filter(name__in=set(roles) & set(Role.values)))
    admin = ADMIN in roles
    if target.is_staff != admin or target.is_superuser != admin:
        target.is_staff = target.is_superuser = admin
        target.save(update_fields=["is_staff", "is_superuser"])
    # permissions.roles() caches the answer on the user object.
    target._newsroom_roles = None


def _check_roles(roles) -> list[str]:
    unknown = set(roles) - ROLE_NAMES
    if unknown:
        raise _validation_error(
            roles=_("Unknown roles: %(roles)s. Choose from %(known)s.")
            % {
                "roles": ", ".join(sorted(unknown)),
                "known": ", ".join(sorted(ROLE_NAMES)),
            }
        )
    return sorted(set(roles))


@transaction.atomic
def user_set_roles(*, target, user, roles) -> list[str]:
    """Give ``target`` exactly ``roles`` (editor, reviewer, consumer, admin).

    Return the roles now held. An admin may not drop their own admin role:
    another admin must, so there is always someone left to manage users.
    """
    require(user, "manage")
    roles = _check_roles(roles)
    before = sorted(user_roles(target))
    if target.pk == user.pk and ADMIN in before and ADMIN not in roles:
        raise _validation_error(
            roles=_("You cannot drop your own admin role; ask another admin.")
        )
    if roles != before:
        _apply_roles(target, roles)
        _audit(
            user,
            AuditEvent.Action.UPDATE,
            target,
            before={"roles": before},
            after={"roles": roles},
        )
    return roles


def _user_creation_form(username: str, password: str | None):
    # The admin's own form: the same username rules (characters, length, taken
    # regardless of case) and password rules, with the same messages, whichever
    # way an account is made.
    data = {"username": username, "usable_password": "false"}
    if password is not None:
        data.update(password1=password, password2=password, usable_password="true")
    form = AdminUserCreationForm(data=data)
    form.is_valid()
    return form


def user_check_username(*, username: str) -> None:
    """Raise ValidationError (on ``username``) if no new user may take the name."""
    errors = _user_creation_form(username, None).errors
    if "username" in errors:
        raise _validation_error(username=list(errors["username"]))


@transaction.atomic
def user_create(*, username: str, roles, password: str, email: str = ""):
    """Create a user with ``roles``, from the command line (no acting user).

    Raise ValidationError, on ``username``, ``password`` or ``roles``, for a
    name or a password the admin's user form refuses, or an unknown role.
    """
    roles = _check_roles(roles)
    form = _user_creation_form(username, password)
    if form.errors:
        problems = {name: list(errors) for name, errors in form.errors.items()}
        refused = {"username": problems.pop("username", [])}
        # password1, password2 or the whole form: all about the password.
        refused["password"] = [
            message for each in problems.values() for message in each
        ]
        raise _validation_error(
            **{key: value for key, value in refused.items() if value}
        )
    target = form.save(commit=False)
    target.email = email
    target.full_clean()
    target.save()
    _apply_roles(target, roles)
    # No acting user: whoever runs manage.py.
    _audit(
        None,
        AuditEvent.Action.CREATE,
        target,
        after={"username": target.get_username(), "roles": roles},
    )
    return target


# API tokens


@transaction.atomic
def api_token_create(
    *, user, name: str, scope: str = ApiToken.Scope.READ, expires_at=None
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its key, which is never stored."""
    require(user, "use_api_tokens")
    if scope == ApiToken.Scope.WRITE:
        require(user, "hold_write_token")
    name = (name or "").strip()
    if not name:
        raise _validation_error(
            name=_("Give the token a name, e.g. the script using it.")
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise _validation_error(expires_at=_("The expiry date must be in the future."))
    key = ApiToken.KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        expires_at=expires_at,
        key_start=key[:10],
        key_hash=ApiToken.hash_key(key),
    )
    token.full_clean()
    token.save()
    return token, key


class PendingApproval(NamedTuple):
    approved: list
    left_own: int
    left_untyped: int


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user) -> ApiToken:
    """Revoke one of ``user``'s own tokens; revoking twice changes nothing."""
    if token.user_id != user.pk:
        raise PermissionDenied(_("This token belongs to someone else."))
    token.revoke()
    return token


@transaction.atomic
def article_approve_pending(*, article: Article, user) -> PendingApproval:
    """Approve every pending span of the article that ``user`` may decide.

    One transaction, one audit event per span. The user's own spans (created,
    or relabelled or moved by them) are left pending for another reviewer
    (four-eyes), and so are entities without a type (an untyped entity is
    unfinished work); both are counted.
    """
    require(user, "review_span")
    spans = list(
        Span.objects.select_for_update(of=("self",))
        .select_related("label", "article")
        # Versions of a blind article are decided by adjudication.
        .filter(article=article, status=Span.Status.PENDING, blind=False)
        .order_by("start", "end", "id")
    )
    attach_co_annotators(spans)
    decidable = [span for span in spans if can(user, "review_span", span)]
    typed = [
        span
        for span in decidable
        if not (span.label.is_entity and not span.entity_type)
    ]
    now = timezone.now()
    events = []
    for span in typed:
        before = span.snapshot()
        span.status = Span.Status.APPROVED
        span.reviewed_by = user
        span.reviewed_at = span.updated_at = now
        span.version += 1
        events.append(
            AuditEvent(
                **AuditEvent.build(
                    actor=user,
                    action=AuditEvent.Action.APPROVE,
                    obj=span,
                    article_id=article.pk,
                    before=before,
                    after=span.snapshot(),
                    created_at=now,
                )
            )
        )
    # The rows are locked, so a plain bulk update cannot lose a concurrent edit.
    Span.objects.bulk_update(
        typed, ["status", "reviewed_by", "reviewed_at", "updated_at", "version"]
    )
    AuditEvent.objects.bulk_create(events)
    return PendingApproval(
        typed, len(spans) - len(decidable), len(decidable) - len(typed)
    )


@transaction.atomic
def profile_update(*, user, language: str) -> Profile:
    """Save ``user``'s language ("" follows the browser); anyone logged in may."""
    require(user, "change_own_profile")
    if language and language not in dict(settings.LANGUAGES):
        raise _validation_error(
            language=_("Choose one of: %(codes)s.")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)}
        )
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return profile


# Bulk import


@dataclass
class ImportSpan:
    """A span of an imported article, already checked against its text."""

    start: int
    end: int
    label: Label
    text: str
    entity_type: str | None = None
    status: str = Span.Status.PENDING
    origin: str = MANUAL_ORIGIN
    # The id the source file gives the span, and that of its source span.
    ref: object = None
    source_ref: object = None


@dataclass
class ImportArticle:
    """An article to import, its fields checked and its text canonical."""

    fields: dict
    spans: list[ImportSpan]

    @property
    def key(self) -> tuple[str, str]:
        # The same text from the same address is the same article.
        return self.fields["text_sha256"], self.fields.get("source_url", "")


@dataclass
class ImportOutcome:
    article_id: int
    created: bool
    spans_created: int
    spans_existing: int


_ARTICLE_COLUMNS = (
    "id",
    "title",
    "text",
    "text_sha256",
    "language",
    "source_url",
    "outlet",
    "byline",
    "published_on",
    "uploaded_by_id",
    "created_at",
    "updated_at",
    "is_deleted",
)
_SPAN_COLUMNS = (
    "id",
    "article_id",
    "label_id",
    "start",
    "end",
    "text",
    "entity_type",
    "source_id",
    "status",
    "rejection_reason",
    "created_by_id",
    "reviewed_by_id",
    "reviewed_at",
    "version",
    "created_at",
    "updated_at",
    "origin",
    "score",
    "corrected",
)
_EVENT_COLUMNS = tuple(
    AuditEvent.build(actor=None, action=AuditEvent.Action.CREATE, created_at=0)
)


@transaction.atomic
def articles_import(
    *,
    user,
    items: list[ImportArticle],
    status: str = Span.Status.PENDING,
    create_always: bool = False,
) -> list[ImportOutcome]:
    """Store checked articles and spans in one transaction, with their audit rows.

    An article with the same text sha256 and source URL as a live one (or as
    an earlier item) is not created again; its spans that exist already (same
    start, end and label) are skipped. ``status`` approved (admins only) makes
    the importing admin the reviewer of the spans marked approved. Spans are
    validated by the caller with the same pure checks as ``span_create``
    (``span_problems``); this adds what needs the database, a few queries per
    call whatever the number of items. ``create_always`` creates every item
    (the API's bulk create), matching none.
    """
    require(user, "add_article")
    if status == Span.Status.APPROVED and not is_admin(user):
        raise PermissionDenied(_("Only admins may import spans as approved."))
    now = timezone.now()
    keys = [
        ("new", index) if create_always else item.key
        for index, item in enumerate(items)
    ]
    targets = {} if create_always else _import_targets(user, items)
    new_keys = {key for key in keys if key not in targets}
    article_ids = iter(bulk.allocate_ids(Article, len(new_keys)))
    plans, article_rows, events = [], [], []
    for key, item in zip(keys, items, strict=True):
        target = targets.get(key)
        if target is None:
            target = targets[key] = (next(article_ids), {}, True)
            article_rows.append(_article_row(item, target[0], user, now))
            events.append(_article_event(item, target[0], user, now))
        plans.append((item, target))
    span_count = sum(
        1
        for item, (_pk, existing, _new) in plans
        for span in item.spans
        if (span.start, span.end, span.label.pk) not in existing
    )
    span_ids = iter(bulk.allocate_ids(Span, span_count))
    span_rows, outcomes, seen_articles = [], [], set()
    for item, (article_id, existing, new) in plans:
        by_ref, created = {}, 0
        # Sources first, so that a quote can point at its entity.
        for span in sorted(item.spans, key=lambda s: s.source_ref is not None):
            key = (span.start, span.end, span.label.pk)
            if key in existing:
                by_ref[span.ref] = existing[key]
                continue
            pk = existing[key] = next(span_ids)
            by_ref[span.ref] = pk
            source_id = None
            if span.source_ref is not None:
                source_id = by_ref.get(span.source_ref)
            row = _span_row(span, pk, article_id, source_id, user, status, now)
            span_rows.append(row)
            events.append(_span_event(span, row, user, now))
            created += 1
        outcomes.append(
            ImportOutcome(
                article_id=article_id,
                created=new and article_id not in seen_articles,
                spans_created=created,
                spans_existing=len(item.spans) - created,
            )
        )
        seen_articles.add(article_id)
    bulk.insert(Article, _ARTICLE_COLUMNS, article_rows)
    bulk.insert(Span, _SPAN_COLUMNS, span_rows)
    bulk.insert(AuditEvent, _EVENT_COLUMNS, events)
    return outcomes


def _import_targets(user, items) -> dict:
    """Return {key: (article id, {(start, end, label id): span id}, False)} for
    the live articles that items match, locked and checked for ``user``.
    """
    shas = {item.key[0] for item in items}
    found = {}
    matches = (
        Article.objects.alive()
        .filter(text_sha256__in=shas)
        .order_by("pk")
        .values_list("pk", "text_sha256", "source_url")
    )
    for pk, sha, url in matches:
        found.setdefault((sha, url), pk)
    wanted = {key: pk for key, pk in found.items() if key in {i.key for i in items}}
    if not wanted:
        return {}
    # The lock orders this import against a span created in the page meanwhile.
    articles = Article.objects.select_for_update().filter(pk__in=wanted.values())
    fields = ("pk", "is_deleted", "uploaded_by_id", "annotation_mode", "adjudicated_at")
    for article in articles.only(*fields):
        require(user, "import_spans", article)
    spans = defaultdict(dict)
    # The article's own spans: annotators' versions are no match for an
    # import, and suggestions stand beside imported spans, never in their place.
    rows = (
        Span.objects.filter(article_id__in=wanted.values(), blind=False)
        .accepted()
        .values_list("article_id", "start", "end", "label_id", "pk")
    )
    for article_id, start, end, label_id, pk in rows:
        spans[article_id][(start, end, label_id)] = pk
    return {key: (pk, spans[pk], False) for key, pk in wanted.items()}


def _article_row(item, pk, user, now) -> tuple:
    fields = item.fields
    return (
        pk,
        fields["title"],
        fields["text"],
        fields["text_sha256"],
        fields.get("language") or "fr",
        fields.get("source_url", ""),
        fields.get("outlet", ""),
        fields.get("byline", ""),
        fields.get("published_on"),
        user.pk,
        now,
        now,
        False,
    )


def _article_event(item, pk, user, now) -> tuple:
    fields = item.fields
    published_on = fields.get("published_on")
    # Article.snapshot(with_text=False): the text itself is in the row.
    after = {
        "title": fields["title"],
        "text_length": len(fields["text"]),
        "text_sha256": fields["text_sha256"],
        "language": fields.get("language") or "fr",
        "source_url": fields.get("source_url", ""),
        "outlet": fields.get("outlet", ""),
        "byline": fields.get("byline", ""),
        "published_on": published_on.isoformat() if published_on else None,
        "is_deleted": False,
    }
    event = AuditEvent.build(
        actor=user,
        action=AuditEvent.Action.CREATE,
        object_type="article",
        object_id=pk,
        object_repr=fields["title"],
        article_id=pk,
        after=after,
        created_at=now,
    )
    return tuple(event.values())


def _span_row(span, pk, article_id, source_id, user, status, now) -> tuple:
    approved = status == Span.Status.APPROVED and span.status == Span.Status.APPROVED
    return (
        pk,
        article_id,
        span.label.pk,
        span.start,
        span.end,
        span.text,
        span.entity_type,
        source_id,
        Span.Status.APPROVED if approved else Span.Status.PENDING,
        "",
        user.pk,
        user.pk if approved else None,
        now if approved else None,
        1,
        now,
        now,
        span.origin,
        None,
        False,
    )


def _span_event(span, row, user, now) -> tuple:
    pk, article_id, _label, start, end, text, entity_type, source_id = row[:8]
    status, reviewed_by = row[8], row[11]
    # Span.snapshot() of the stored row, and str(span) as its repr.
    after = {
        "label": span.label.slug,
        "start": start,
        "end": end,
        "text": text,
        "entity_type": entity_type,
        "source": source_id,
        "status": status,
        "rejection_reason": "",
        "reviewed_by": reviewed_by,
        "version": 1,
        "origin": span.origin,
        "score": None,
        "corrected": False,
        # Imports never write into an annotator's version.
        "blind": False,
    }
    event = AuditEvent.build(
        actor=user,
        action=AuditEvent.Action.CREATE,
        object_type="span",
        object_id=pk,
        object_repr=f"{span.label} {start}–{end}",
        article_id=article_id,
        after=after,
        created_at=now,
    )
    return tuple(event.values())


# Assignment: shared or blind annotation (DESIGN.md section 7)


def _annotator_problems(annotators) -> list[str]:
    problems = []
    for person in annotators:
        if not can(person, "add_span"):
            problems.append(
                _("%(name)s may not annotate (editors and admins may).")
                % {"name": person.get_username()}
            )
    if len({person.pk for person in annotators}) != len(annotators):
        problems.append(_("Name each annotator once."))
    return problems


def _assign(*, article: Article, user, annotators: list, blind: bool) -> bool:
    """Assign ``annotators`` to the locked ``article``; return whether it changed."""
    require(user, "assign", article)
    problems = _annotator_problems(annotators)
    if blind and len(annotators) < 2:
        problems.append(_("Blind annotation needs at least two annotators."))
    if problems:
        raise _validation_error(annotators=problems)
    mode = AnnotationMode.BLIND if blind else AnnotationMode.SHARED
    before = {
        "annotation_mode": article.annotation_mode,
        "annotators": sorted(
            article.assignments.values_list("annotator__username", flat=True)
        ),
    }
    after = {
        "annotation_mode": mode,
        "annotators": sorted(person.get_username() for person in annotators),
    }
    if before == after:
        return False
    # A version is people's work: suggestions alone are none.
    with_versions = set(
        article.spans.filter(blind=True)
        .accepted()
        .values_list("created_by__username", flat=True)
        .distinct()
    )
    if with_versions and not blind:
        raise _validation_error(
            blind=_(
                "%(names)s already annotated their own versions; the article stays "
                "blind until it is adjudicated."
            )
            % {"names": ", ".join(sorted(with_versions))}
        )
    dropped = with_versions - set(after["annotators"])
    if dropped:
        raise _validation_error(
            annotators=_(
                "%(names)s already annotated a version of this article; keep them "
                "assigned."
            )
            % {"names": ", ".join(sorted(dropped))}
        )
    if (
        blind
        and not article.is_blind
        # Untouched suggestions are no one's work: they become each
        # annotator's own (``_suggestions_follow``); an adjusted one is.
        and article.spans.exclude(status=Span.Status.DISMISSED)
        .exclude(status=Span.Status.SUGGESTED, corrected=False)
        .exists()
    ):
        raise _validation_error(
            blind=_(
                "This article already has spans everyone sees; blind annotation "
                "starts from an article without spans."
            )
        )
    wanted = {person.pk: person for person in annotators}
    current = set(article.assignments.values_list("annotator_id", flat=True))
    article.assignments.exclude(annotator_id__in=wanted).delete()
    Assignment.objects.bulk_create(
        Assignment(article=article, annotator=person, assigned_by=user)
        for pk, person in wanted.items()
        if pk not in current
    )
    article._assigned_ids = set(wanted)
    was_blind = article.is_blind
    if article.annotation_mode != mode:
        article.annotation_mode = mode
        article.save(update_fields=["annotation_mode", "updated_at"])
    _suggestions_follow(
        article=article, user=user, annotators=annotators, was_blind=was_blind
    )
    AuditEvent.record(
        actor=user,
        action=AuditEvent.Action.ASSIGN,
        obj=article,
        before=before,
        after=after,
        article_id=article.pk,
    )
    return True


def _suggestions_follow(*, article: Article, user, annotators: list, was_blind: bool):
    """Keep the article's suggestions where its annotators see them.

    An article made blind gives each annotator their own copy of every
    untouched shared suggestion (a quote's speaker copied with it), and the
    shared ones go: in a blind article suggestions are one annotator's, like
    spans. Suggestions of people no longer annotating it blind (unassigned, or
    the article shared again) go too; dismissed ones stay for the figures.
    """
    blind_now = article.is_blind
    owners = list(annotators) if blind_now else []
    Span.objects.filter(article=article, blind=True).suggested().exclude(
        created_by__in=owners
    ).delete()
    if not blind_now or was_blind:
        return
    shared = list(
        Span.objects.filter(article=article, blind=False)
        .suggested()
        .select_related("label")
        .order_by("start", "end", "pk")
    )
    if not shared:
        return
    now = timezone.now()
    copies = 0
    for person in owners:
        ids = {}
        # Entities first: the others name them as their source.
        for entities in (True, False):
            batch = [span for span in shared if span.label.is_entity == entities]
            made = Span.objects.bulk_create(
                Span(
                    article=article,
                    label=span.label,
                    start=span.start,
                    end=span.end,
                    text=span.text,
                    entity_type=span.entity_type,
                    source_id=ids.get(span.source_id),
                    status=Span.Status.SUGGESTED,
                    origin=span.origin,
                    score=span.score,
                    blind=True,
                    created_by=person,
                    created_at=now,
                    updated_at=now,
                )
                for span in batch
            )
            ids.update(
                (span.pk, copy.pk) for span, copy in zip(batch, made, strict=True)
            )
            copies += len(made)
    Span.objects.filter(pk__in=[span.pk for span in shared]).delete()
    _audit(
        user,
        AuditEvent.Action.SUGGEST,
        article,
        after={
            "suggestions": copies,
            "created": copies,
            "updated": 0,
            "removed": len(shared),
            "blind": True,
        },
    )


@transaction.atomic
def article_assign(*, article: Article, user, annotators: list, blind: bool) -> Article:
    """Assign ``annotators`` (users) to the article, blind or shared.

    In a blind article each annotator annotates their own version until a
    reviewer adjudicates. Refused: making an article with spans blind, making
    a blind article with versions shared, or unassigning someone who has a
    version.
    """
    require(user, "assign", article)
    article = Article.objects.select_for_update().get(pk=article.pk)
    _assign(article=article, user=user, annotators=annotators, blind=blind)
    return article


@transaction.atomic
def articles_assign(
    *,
    articles: list[Article],
    user,
    blind: bool,
    annotators: list | None = None,
    pool: list | None = None,
    count: int = 2,
    rng: random.Random | None = None,
) -> tuple[list[Article], dict[int, str]]:
    """Assign the same ``annotators``, or ``count`` at random among ``pool``, to
    each article; return the articles assigned and the reasons for the others.

    Picks from the pool spread the work: each article goes to the people given
    the fewest articles so far in this batch, ties drawn at random.
    """
    require(user, "assign")
    if (annotators is None) == (pool is None):
        raise TypeError("Pass either annotators or pool.")
    if pool is not None:
        problems = _annotator_problems(pool)
        if not 1 <= count <= len(pool):
            problems.append(
                _("Pick between 1 and %(n)d annotators at random; got %(count)d.")
                % {"n": len(pool), "count": count}
            )
        if problems:
            raise _validation_error(pool=problems)
    rng = rng or random.Random()
    load = Counter()
    assigned, refused = [], {}
    locked = Article.objects.select_for_update().in_bulk(
        [article.pk for article in articles]
    )
    for article in sorted(articles, key=lambda a: a.pk):
        article = locked[article.pk]
        chosen = annotators
        if pool is not None:
            order = sorted(pool, key=lambda person: (load[person.pk], rng.random()))
            chosen = order[:count]
        try:
            with transaction.atomic():
                _assign(article=article, user=user, annotators=chosen, blind=blind)
        except ValidationError as error:
            refused[article.pk] = " ".join(error.messages)
            continue
        except PermissionDenied as refusal:
            refused[article.pk] = str(refusal)
            continue
        load.update(person.pk for person in chosen)
        assigned.append(article)
    return assigned, refused


# Adjudication (DESIGN.md section 7)


@transaction.atomic
def article_adjudicate(
    *, article: Article, user, decisions: dict, state: str | None = None
) -> list[Span]:
    """Turn the annotators' versions into the article's approved spans.

    ``decisions`` maps each item of ``adjudication.proposal_for(article)`` to an
    ``adjudication.Decision``; ``state``, when given, must be the proposal's
    (else Conflict: a version changed since the page was drawn). Spans every
    annotator marked alike are merged. Each created span is approved by
    ``user`` and its history says which annotators had it; the versions
    become ``superseded``.
    """
    from . import adjudication

    require(user, "adjudicate")
    article = Article.objects.select_for_update().get(pk=article.pk)
    require(user, "adjudicate", article)
    versions = list(
        Span.objects.select_for_update()
        .filter(article=article, blind=True, status=Span.Status.PENDING)
        .select_related("label", "created_by")
    )
    if not versions:
        raise _validation_error(
            decisions=_("Nobody has annotated a version of this article yet.")
        )
    proposal = adjudication.proposal_for(article)
    if state and state != proposal.state:
        raise Conflict(
            _(
                "An annotator changed their version since this page was drawn. "
                "Reload it and decide again."
            )
        )
    planned = adjudication.plan(proposal, decisions)
    labels = {label.slug: label for label in Label.objects.all()}
    people = {span.created_by.get_username(): span.created_by for span in versions}
    now = timezone.now()
    created, errors = [], {}
    for index, entry in enumerate(planned):
        label = labels.get(entry.label)
        span = Span(
            article=article,
            label=label,
            start=entry.start,
            end=entry.end,
            entity_type=entry.entity_type,
            status=Span.Status.APPROVED,
            reviewed_by=user,
            reviewed_at=now,
            created_at=now,
            updated_at=now,
            # Kept and merged spans stay their annotator's; an edit is the
            # adjudicator's own.
            created_by=people[entry.annotators[0]] if entry.annotators else user,
        )
        if label is None:
            errors[f"{entry.item}"] = [
                _("Unknown label %(label)s.") % {"label": repr(entry.label)}
            ]
            continue
        try:
            span.clean()
            span.clean_fields(
                exclude=["article", "label", "source", "created_by", "reviewed_by"]
            )
        except ValidationError as error:
            errors[entry.item or str(index)] = error.messages
        created.append(span)
    if errors:
        raise ValidationError(
            {"decisions": [f"{key}: {' '.join(m)}" for key, m in errors.items()]}
        )
    Span.objects.bulk_create(created)
    for span, entry in zip(created, planned, strict=True):
        if entry.source is not None:
            span.source = created[entry.source]
    Span.objects.bulk_update([s for s in created if s.source_id], ["source"])
    events = []
    for span, entry in zip(created, planned, strict=True):
        events.append(
            AuditEvent(
                actor=user,
                actor_username=user.get_username(),
                action=AuditEvent.Action.ADJUDICATE,
                object_type="span",
                object_id=span.pk,
                object_repr=str(span)[:200],
                article_id=article.pk,
                after={
                    **span.snapshot(),
                    "provenance": {
                        "decision": entry.how,
                        "annotators": entry.annotators,
                        "versions": entry.version_ids,
                    },
                },
                created_at=now,
            )
        )
    for span in versions:
        before = span.snapshot()
        span.status = Span.Status.SUPERSEDED
        span.version += 1
        span.updated_at = now
        events.append(
            AuditEvent(
                actor=user,
                actor_username=user.get_username(),
                action=AuditEvent.Action.SUPERSEDE,
                object_type="span",
                object_id=span.pk,
                object_repr=str(span)[:200],
                article_id=article.pk,
                before=before,
                after=span.snapshot(),
                created_at=now,
            )
        )
    # The versions are locked, so a plain bulk update cannot lose an edit.
    Span.objects.bulk_update(versions, ["status", "version", "updated_at"])
    # The annotators' suggestions nobody took up end with the round: nothing
    # is added to a version once it is superseded.
    Span.objects.filter(article=article, blind=True).suggested().delete()
    article.adjudicated_by = user
    article.adjudicated_at = now
    article.save(update_fields=["adjudicated_by", "adjudicated_at", "updated_at"])
    kept_from = Counter(name for entry in planned for name in entry.annotators)
    events.append(
        AuditEvent(
            actor=user,
            actor_username=user.get_username(),
            action=AuditEvent.Action.ADJUDICATE,
            object_type="article",
            object_id=article.pk,
            object_repr=str(article)[:200],
            article_id=article.pk,
            after={
                "annotators": proposal.annotators,
                "spans": len(created),
                "merged": sum(1 for entry in planned if entry.how == "merged"),
                "edited": sum(1 for entry in planned if entry.how == "edited"),
                "kept_from": dict(sorted(kept_from.items())),
                "superseded": len(versions),
                "versions_digest": proposal.state,
            },
            created_at=now,
        )
    )
    AuditEvent.objects.bulk_create(events)
    return created
