"""Template helpers for the annotation pages.

The highlighted text and the panel rows are built in Python rather than as
template partials: the page repeats them for every span, and at 1,000 spans
the template engine alone took most of the page's budget. Every piece of HTML
comes from ``format_html``/``format_html_join``, which escape each value, so
no user text can reach the page unescaped.
"""

from collections import defaultdict
from functools import cache

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .. import forms, permissions
from ..models import Span, WorkStatus

register = template.Library()

# Constant markup, with nothing in it to escape.
_CLOSE_MARK = mark_safe("</mark>")
_NOTHING = mark_safe("")
_CHECKED = mark_safe(" checked")
_OPEN = mark_safe(" open")
_CONTINUED = mark_safe(" hl-cont")


def _join(pieces) -> SafeString:
    """Join pieces of HTML as ``format_html_join`` does: a piece that is not
    already safe is escaped. (No format call per piece: there are thousands.)
    """
    return mark_safe("".join(map(conditional_escape, pieces)))


class _Escaped(dict):
    """``escape(value)`` for values a page repeats (statuses, labels, words),
    worked out once per value; ``format_html`` passes them through as they are.
    """

    def __missing__(self, value):
        escaped = self[value] = escape(value)
        return escaped


@register.simple_tag(takes_context=True)
def can(context, action: str, obj=None) -> bool:
    """``{% can "add_article" as may_upload %}``: the permissions module's answer."""
    return permissions.can(context["request"].user, action, obj)


class _OpeningTags:
    """Build each span's ``<mark>`` tag once, translating each label/status once."""

    def __init__(self):
        self.captions = {}
        self.tags = {}
        self.escaped = _Escaped()

    def caption(self, span) -> SafeString:
        if span.status == Span.Status.SUGGESTED:
            # Who proposed it and how sure it was, rather than whom it was for.
            return escape(
                _("%(label)s · suggestion · %(origin)s · score %(score)s")
                % {
                    "label": span.label.name,
                    "origin": span.origin,
                    "score": number_format(span.score, 2),
                }
            )
        key = (span.label_id, span.status, span.created_by_id)
        caption = self.captions.get(key)
        if caption is None:
            caption = self.captions[key] = escape(
                _("%(label)s · %(status)s · %(user)s")
                % {
                    "label": span.label.name,
                    "status": Span.Status(span.status).label,
                    # Rows read as plain values carry the name; model instances
                    # don't.
                    "user": getattr(span, "username", None)
                    or span.created_by.get_username(),
                }
            )
        return caption

    def __call__(self, span, *, continued: bool) -> SafeString:
        key = (span.pk, continued)
        tag = self.tags.get(key)
        if tag is None:
            # In a blind article a reviewer sees each annotator in a colour.
            slot = getattr(span, "annotator_slot", None)
            escaped = self.escaped
            tag = self.tags[key] = format_html(
                '<mark class="hl{}" data-span-id="{}" data-label="{}" '
                'data-status="{}" title="{}" data-from="{}" data-to="{}" '
                'data-version="{}"{}{}>',
                _CONTINUED if continued else _NOTHING,
                int(span.pk),
                escaped[span.label.slug],
                escaped[span.status],
                self.caption(span),
                escaped[int(span.start)],
                escaped[int(span.end)],
                escaped[int(span.version)],
                self.suggestion(span),
                format_html(' data-annotator="{}"', int(slot)) if slot else _NOTHING,
            )
        return tag

    @staticmethod
    def suggestion(span) -> SafeString:
        """Return a suggestion's origin and score, for the page's keys."""
        if span.status != Span.Status.SUGGESTED:
            return _NOTHING
        return format_html(
            ' data-origin="{}" data-score="{}"',
            span.origin,
            f"{float(span.score or 0):.4f}",
        )


@register.simple_tag
def highlighted_text(text: str, spans) -> SafeString:
    """Return ``text`` as HTML with a ``<mark>`` for every span.

    Every run of text between two span boundaries is a ``<span data-start=N>``
    holding the characters from code point N, so the browser can turn a
    selection into code-point offsets whatever the nesting. Marks nest when spans
    nest; a span that crosses another's end is closed and reopened around it
    (each piece keeps ``data-span-id``). Sorting the boundaries once makes this
    O(n log n) in the number of spans.
    """
    length = len(text)
    starting = defaultdict(list)
    ending = defaultdict(int)
    for span in spans:
        if 0 <= span.start < span.end <= length:
            starting[span.start].append(span)
            ending[span.end] += 1
    boundaries = sorted({0, length, *starting, *ending})
    opening_tag = _OpeningTags()
    out = []
    stack = []
    for index, position in enumerate(boundaries):
        reopened = []
        to_close = ending.get(position, 0)
        while to_close:
            span = stack.pop()
            out.append(_CLOSE_MARK)
            if span.end == position:
                to_close -= 1
            else:
                reopened.append(span)
        fresh = starting.get(position)
        if reopened or fresh:
            # The longest span goes outermost so it is split as little as possible.
            for span in sorted(
                reopened + (fresh or []),
                key=lambda s: (-s.end, s.label.order, s.pk),
            ):
                out.append(opening_tag(span, continued=span.start != position))
                stack.append(span)
        if index + 1 < len(boundaries):
            following = boundaries[index + 1]
            out.append(
                format_html(
                    '<span data-start="{}">{}</span>',
                    # Boundaries are the marks' data-from and data-to too.
                    opening_tag.escaped[position],
                    text[position:following],
                )
            )
    return _join(out)


@register.filter
def work_status_label(value: str) -> str:
    """Return the words for a ``with_work_status()`` value."""
    return WorkStatus(value).label if value in WorkStatus.values else value


def _csrf_input(context) -> SafeString:
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
        context.get("csrf_token", ""),
    )


def _row_parts(context) -> dict:
    """Return what every row shares, worked out once per render."""
    parts = context.render_context.get("span_row_parts")
    if parts is None:
        ui = context["ui"]
        # Words go in escaped once; templates stay text until filled in.
        parts = {name: escape(text) for name, text in ui.items()}
        parts["templates"] = {
            "quoted": _("“%(text)s”"),
            "approved_by": str(ui["approved_by"]),
            "rejected_by": str(ui["rejected_by"]),
        }
        parts["spans_url"] = escape(context["spans_url"])
        # "/spans/{}/history/": the two halves, escaped once, around each id.
        parts["history_url"] = [
            escape(half) for half in context["history_url"].split("{}", 1)
        ]
        parts["csrf"] = _csrf_input(context)
        parts["escaped"] = _Escaped()
        context.render_context["span_row_parts"] = parts
    return parts


def _review_parts(context) -> dict:
    """Return the pieces of the approve and reject forms, once per render."""
    parts = context.render_context.get("review_parts")
    if parts is None:
        next_url = context.get("next_url")
        parts = {
            "approve": escape(_("Approve")),
            "reject": escape(_("Reject…")),
            "reject_submit": escape(_("Reject")),
            "legend": escape(_("Why reject it?")),
            "own_words": escape(_("Another reason, or more detail")),
            "keys": escape(_("1–9 pick · Enter rejects · Esc cancels")),
            # Filled per label by _review_controls.
            "reasons": {},
            "hidden": format_html(
                "{}{}",
                _csrf_input(context),
                format_html('<input type="hidden" name="next" value="{}">', next_url)
                if next_url
                else _NOTHING,
            ),
        }
        context.render_context["review_parts"] = parts
    return parts


def _review_controls(parts, span, approve_url: str, reject_url: str, form=None):
    """Return the Approve button and the reject form (open, with its errors, when
    ``form`` is a refused rejection). Both carry the span's version.
    """
    hidden = format_html(
        '{}<input type="hidden" name="version" value="{}">',
        parts["hidden"],
        int(span.version),
    )
    chosen = form["preset"].value() if form is not None else None
    words = (form["reason"].value() or "") if form is not None else ""
    error = form.error_text() if form is not None else ""
    reasons = parts["reasons"].get(span.label.slug)
    if reasons is None:
        reasons = parts["reasons"][span.label.slug] = [
            (escape(value), escape(name))
            for value, name in forms.RejectForm.reasons_for(span.label.slug)
        ]
    radios = format_html_join(
        "",
        '<label class="reason-chip"><input type="radio" name="preset" '
        'value="{}"{}> <kbd class="chip-key">{}</kbd> {}</label>',
        (
            (value, _CHECKED if value == chosen else _NOTHING, number, name)
            for number, (value, name) in enumerate(reasons, start=1)
        ),
    )
    pk = int(span.pk)
    return format_html(
        '<div class="review-actions">'
        '<form class="approve-form inline" method="post" action="{approve_url}" '
        'hx-post="{approve_url}" hx-target="closest li" hx-swap="outerHTML">'
        '{hidden}<button type="submit" class="approve">{approve}</button></form>'
        '<details class="reject"{open}><summary class="button">{reject}</summary>'
        '<form class="reject-form" method="post" action="{reject_url}" '
        'hx-post="{reject_url}" hx-target="closest li" hx-swap="outerHTML">{hidden}'
        '<fieldset class="reasons"><legend>{legend}</legend>{radios}</fieldset>'
        '<label for="reject-{pk}-reason">{own_words}</label>'
        '<input type="text" id="reject-{pk}-reason" name="reason" maxlength="500" '
        'autocomplete="off" value="{words}"{invalid}>{error}'
        '<div class="form-actions"><button type="submit" class="danger">'
        '{reject_submit}</button><span class="small muted">{keys}</span></div>'
        "</form></details></div>",
        approve_url=approve_url,
        reject_url=reject_url,
        hidden=hidden,
        approve=parts["approve"],
        open=_OPEN if form is not None else _NOTHING,
        reject=parts["reject"],
        legend=parts["legend"],
        radios=radios,
        pk=pk,
        own_words=parts["own_words"],
        words=words,
        invalid=format_html(
            ' aria-invalid="true" aria-describedby="reject-{}-error"', pk
        )
        if error
        else _NOTHING,
        error=format_html(
            '<p class="error" id="reject-{}-error" role="alert">{}</p>', pk, error
        )
        if error
        else _NOTHING,
        reject_submit=parts["reject_submit"],
        keys=parts["keys"],
    )


@register.simple_tag(takes_context=True)
def review_controls(context, span, form=None) -> SafeString:
    """Return the review queue row's Approve button and reject form."""
    # A row without a refused rejection passes the template's empty string.
    form = form or None
    parts = _review_parts(context)
    urls = context.render_context.get("review_urls")
    if urls is None:
        # One reverse per render; the ids are filled in per row.
        urls = context.render_context["review_urls"] = {
            name: reverse(f"annotations:review_{name}", args=[0]).replace(
                "/0/", "/{pk}/"
            )
            for name in ("approve", "reject")
        }
    pk = int(span.pk)
    return _review_controls(
        parts,
        span,
        urls["approve"].format(pk=pk),
        urls["reject"].format(pk=pk),
        form,
    )


# A panel row is one format_html call: its format string is put together from
# these constant pieces (no value of the span in them), as the row needs them,
# and every value goes in as an argument, escaped.
_ROW_HEAD = (
    '<li id="span-row-{pk}" class="span-row status-{status}">'
    '<button type="button" class="span-show" data-show-span="{pk}" '
    'title="{show}">{excerpt}</button>'
    '<div class="span-meta small"><span class="status">{status_label}</span>'
    " · {details}"
)
_ROW_SOURCE = (
    ' · {source_words} <button type="button" class="link" '
    'data-show-span="{source_id}">{source_excerpt}</button>'
)
_ROW_DECIDED = '<div class="decided">{decided}</div>'
_ROW_REJECTED = '<div class="reason">{decided} {reason}</div>'
_ROW_NOTICE = '<p class="flash error small" role="alert">{notice}</p>'
_ROW_EDIT = (
    '<a href="?span={pk}&amp;edit=1#span-row-{pk}" '
    'hx-get="?span={pk}&amp;edit=1" hx-target="closest li" '
    'hx-swap="outerHTML">{edit_words}</a> '
)
_ROW_DELETE = (
    '<form method="post" action="{spans_url}{pk}/delete/" '
    'hx-post="{spans_url}{pk}/delete/" class="inline">{csrf}'
    '<button type="submit" class="link danger">{delete_words}</button></form>'
)
_ROW_REFUSAL = '<p class="small muted refusal">{refusal}</p>'
# A suggestion's Accept and Dismiss buttons: the page's y and x keys.
_ROW_SUGGESTION = (
    '<div class="suggestion-actions small">'
    '<form method="post" action="{spans_url}{pk}/accept/" '
    'hx-post="{spans_url}{pk}/accept/" class="inline">{csrf}'
    '<input type="hidden" name="version" value="{version}">'
    '<button type="submit" class="approve">{accept_words} <kbd>y</kbd></button>'
    "</form> "
    '<form method="post" action="{spans_url}{pk}/dismiss/" '
    'hx-post="{spans_url}{pk}/dismiss/" class="inline">{csrf}'
    '<input type="hidden" name="version" value="{version}">'
    '<button type="submit" class="link">{dismiss_words} <kbd>x</kbd></button>'
    "</form></div>"
)
_ROW_TAIL = (
    "{review}"
    '<div class="span-links small"><a href="{history_url}{pk}{history_url_end}" '
    'hx-get="{history_url}{pk}{history_url_end}" hx-target="#span-history-{pk}" '
    'hx-swap="innerHTML">{history_words}</a></div>'
    '<div id="span-history-{pk}" class="span-history" aria-live="polite"></div>'
    "</li>"
)


@cache
def _row_format(source, decided, notice, edit, delete, refusal, suggestion) -> str:
    """Return the format string of a row with these parts (``decided``: "",
    "decided" or "rejected")."""
    pieces = [_ROW_HEAD]
    if source:
        pieces.append(_ROW_SOURCE)
    if decided:
        pieces.append(_ROW_REJECTED if decided == "rejected" else _ROW_DECIDED)
    pieces.append("</div>")
    if notice:
        pieces.append(_ROW_NOTICE)
    if suggestion:
        pieces.append(_ROW_SUGGESTION)
    if edit or delete:
        pieces.append('<div class="span-actions small">')
        pieces.extend(
            piece
            for piece, wanted in ((_ROW_EDIT, edit), (_ROW_DELETE, delete))
            if wanted
        )
        pieces.append("</div>")
    if refusal:
        pieces.append(_ROW_REFUSAL)
    pieces.append(_ROW_TAIL)
    return "".join(pieces)


def _decided_words(parts, span) -> tuple[str, str]:
    """Return ("decided" or "rejected" or "", the words saying who and when)."""
    if span.status == Span.Status.PENDING:
        return "", ""
    rejected = span.status == Span.Status.REJECTED
    if span.reviewer and span.reviewed_at:
        when = date_format(
            timezone.localtime(span.reviewed_at), "SHORT_DATETIME_FORMAT"
        )
        template = parts["templates"]["rejected_by" if rejected else "approved_by"]
        return ("rejected" if rejected else "decided"), template % {
            "user": span.reviewer,
            "when": when,
        }
    if rejected:
        return "rejected", parts["rejected"]
    return "", ""


@register.simple_tag(takes_context=True)
def span_row(context, span) -> SafeString:
    """Return a span's row in the annotate page's panel (not in edit mode)."""
    parts = _row_parts(context)
    pk = int(span.pk)
    escaped = parts["escaped"]
    values = {
        "pk": pk,
        "status": escaped[span.status],
        "show": parts["show"],
        "excerpt": parts["templates"]["quoted"] % {"text": span.excerpt},
        "status_label": escaped[span.status_label],
        "details": escaped[span.details],
        "history_url": parts["history_url"][0],
        "history_url_end": parts["history_url"][1],
        "history_words": parts["history"],
        "review": _NOTHING,
    }
    source = span.source_span is not None
    if source:
        values.update(
            source_words=parts["source"],
            source_id=int(span.source_id),
            source_excerpt=span.source_span.excerpt,
        )
    decided, values["decided"] = _decided_words(parts, span)
    if decided == "rejected":
        values["reason"] = span.rejection_reason
    if span.notice:
        values["notice"] = span.notice
    if span.editable:
        values["edit_words"] = parts[
            "edit_entity" if span.label.is_entity else "edit_statement"
        ]
    if span.deletable:
        values.update(
            spans_url=parts["spans_url"],
            csrf=parts["csrf"],
            delete_words=parts["delete"],
        )
    suggestion = span.is_suggestion and bool(context.get("may_accept"))
    if suggestion:
        values.update(
            spans_url=parts["spans_url"],
            csrf=parts["csrf"],
            version=int(span.version),
            accept_words=parts["accept"],
            dismiss_words=parts["dismiss"],
        )
    refusal = False
    if span.reviewable:
        values["review"] = _review_controls(
            _review_parts(context),
            span,
            f"{parts['spans_url']}{pk}/approve/",
            f"{parts['spans_url']}{pk}/reject/",
            span.reject_form,
        )
    elif span.review_refusal:
        refusal = True
        values["refusal"] = span.review_refusal
    row_format = _row_format(
        source,
        decided,
        bool(span.notice),
        bool(span.editable),
        bool(span.deletable),
        refusal,
        suggestion,
    )
    return format_html(row_format, **values)
