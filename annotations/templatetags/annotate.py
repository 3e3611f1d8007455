"""Template helpers for the annotation pages."""

from collections import defaultdict
from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .. import forms, permissions
from ..models import Span, WorkStatus

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str, obj=None) -> bool:
    """``{% can "add_article" as may_upload %}``: the permissions module's answer."""
    return permissions.can(context["request"].user, action, obj)


class _OpeningTags:
    """Build each span's ``<mark>`` tag once, translating each label/status once."""

    def __init__(self):
        self.captions = {}
        self.tags = {}

    def caption(self, span) -> str:
        key = (span.label_id, span.status, span.created_by_id)
        caption = self.captions.get(key)
        if caption is None:
            caption = self.captions[key] = _("%(label)s · %(status)s · %(user)s") % {
                "label": span.label.name,
                "status": Span.Status(span.status).label,
                # Rows read as plain values carry the name; model instances don't.
                "user": getattr(span, "username", None)
                or span.created_by.get_username(),
            }
        return caption

    def __call__(self, span, *, continued: bool) -> str:
        key = (span.pk, continued)
        tag = self.tags.get(key)
        if tag is None:
            tag = self.tags[key] = (
                f'<mark class="hl{" hl-cont" if continued else ""}" '
                f'data-span-id="{int(span.pk)}" data-label="{escape(span.label.slug)}" '
                f'data-status="{escape(span.status)}" title="{escape(self.caption(span))}" '
                f'data-from="{int(span.start)}" data-to="{int(span.end)}" '
                f'data-version="{int(span.version)}">'
            )
        return tag


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
            out.append("</mark>")
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
                f'<span data-start="{position}">'
                f"{escape(text[position:following], quote=False)}</span>"
            )
    # Safe: every piece of text and every attribute was escaped above.
    return mark_safe("".join(out))


@register.filter
def work_status_label(value: str) -> str:
    """Return the words for a ``with_work_status()`` value."""
    return WorkStatus(value).label if value in WorkStatus.values else value


def _csrf_input(context) -> str:
    return (
        '<input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{escape(str(context.get("csrf_token", "")))}">'
    )


def _row_parts(context) -> dict:
    """Return the escaped strings every row shares, built once per render."""
    parts = context.render_context.get("span_row_parts")
    if parts is None:
        ui = context["ui"]
        parts = {name: escape(str(text)) for name, text in ui.items()}
        parts["quoted"] = escape(_("“%(text)s”"))
        parts["spans_url"] = escape(context["spans_url"])
        parts["history_url"] = escape(context["history_url"])
        parts["csrf"] = _csrf_input(context)
        context.render_context["span_row_parts"] = parts
    return parts


def _review_parts(context) -> dict:
    """Return the escaped pieces of the approve and reject forms, once per render."""
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
            "hidden": _csrf_input(context)
            + (
                f'<input type="hidden" name="next" value="{escape(next_url)}">'
                if next_url
                else ""
            ),
        }
        context.render_context["review_parts"] = parts
    return parts


def _review_controls(parts, span, approve_url: str, reject_url: str, form=None) -> str:
    """Return the Approve button and the reject form (open, with its errors, when
    ``form`` is a refused rejection). Both carry the span's version.
    """
    pk = int(span.pk)
    hidden = (
        f'{parts["hidden"]}<input type="hidden" name="version" '
        f'value="{int(span.version)}">'
    )
    swap = 'hx-target="closest li" hx-swap="outerHTML"'
    chosen = form["preset"].value() if form is not None else None
    words = (form["reason"].value() or "") if form is not None else ""
    error = form.error_text() if form is not None else ""
    reasons = parts["reasons"].get(span.label.slug)
    if reasons is None:
        reasons = parts["reasons"][span.label.slug] = [
            (escape(value), escape(str(name)))
            for value, name in forms.RejectForm.reasons_for(span.label.slug)
        ]
    radios = "".join(
        f'<label class="reason-chip"><input type="radio" name="preset" '
        f'value="{value}"{" checked" if value == chosen else ""}> '
        f'<kbd class="chip-key">{number}</kbd> {name}</label>'
        for number, (value, name) in enumerate(reasons, start=1)
    )
    invalid = f' aria-invalid="true" aria-describedby="reject-{pk}-error"'
    return (
        '<div class="review-actions">'
        f'<form class="approve-form inline" method="post" action="{approve_url}" '
        f'hx-post="{approve_url}" {swap}>{hidden}'
        f'<button type="submit" class="approve">{parts["approve"]}</button></form>'
        f'<details class="reject"{" open" if form is not None else ""}>'
        f'<summary class="button">{parts["reject"]}</summary>'
        f'<form class="reject-form" method="post" action="{reject_url}" '
        f'hx-post="{reject_url}" {swap}>{hidden}'
        f'<fieldset class="reasons"><legend>{parts["legend"]}</legend>{radios}'
        "</fieldset>"
        f'<label for="reject-{pk}-reason">{parts["own_words"]}</label>'
        f'<input type="text" id="reject-{pk}-reason" name="reason" maxlength="500" '
        f'autocomplete="off" value="{escape(str(words))}"{invalid if error else ""}>'
        + (
            f'<p class="error" id="reject-{pk}-error" role="alert">{escape(error)}</p>'
            if error
            else ""
        )
        + f'<div class="form-actions"><button type="submit" class="danger">'
        f"{parts['reject_submit']}</button>"
        f'<span class="small muted">{parts["keys"]}</span></div>'
        "</form></details></div>"
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
            name: escape(reverse(f"annotations:review_{name}", args=[0])).replace(
                "/0/", "/{pk}/"
            )
            for name in ("approve", "reject")
        }
    pk = int(span.pk)
    # Safe: every value is escaped in _review_controls or an integer.
    return mark_safe(
        _review_controls(
            parts,
            span,
            urls["approve"].format(pk=pk),
            urls["reject"].format(pk=pk),
            form,
        )
    )


def _decided_line(parts, span) -> str:
    """Return who decided on the span and when, and why for a rejection."""
    if span.status == Span.Status.PENDING:
        return ""
    if span.reviewer and span.reviewed_at:
        when = date_format(
            timezone.localtime(span.reviewed_at), "SHORT_DATETIME_FORMAT"
        )
        template = parts[
            "approved_by" if span.status == Span.Status.APPROVED else "rejected_by"
        ]
        line = template.replace("%(user)s", escape(span.reviewer)).replace(
            "%(when)s", escape(when)
        )
    elif span.status == Span.Status.REJECTED:
        line = parts["rejected"]
    else:
        return ""
    if span.status == Span.Status.REJECTED:
        return f'<div class="reason">{line} {escape(span.rejection_reason)}</div>'
    return f'<div class="decided">{line}</div>'


@register.simple_tag(takes_context=True)
def span_row(context, span) -> SafeString:
    """Return a span's row in the annotate page's panel (not in edit mode).

    Built in Python rather than as a template partial: the panel repeats it for
    every span, and at 1,000 spans the template engine alone took ~85 ms of the
    page's budget; this takes a tenth of that.
    """
    parts = _row_parts(context)
    pk = int(span.pk)
    html = [
        f'<li id="span-row-{pk}" class="span-row status-{escape(span.status)}">'
        f'<button type="button" class="span-show" data-show-span="{pk}" '
        f'title="{parts["show"]}">'
        f"{parts['quoted'].replace('%(text)s', escape(span.excerpt))}</button>"
        f'<div class="span-meta small"><span class="status">'
        f"{escape(span.status_label)}</span> · {escape(span.details)}"
    ]
    if span.source_span is not None:
        html.append(
            f' · {parts["source"]} <button type="button" class="link" '
            f'data-show-span="{int(span.source_id)}">'
            f"{escape(span.source_span.excerpt)}</button>"
        )
    html.append(_decided_line(parts, span))
    html.append("</div>")
    if span.notice:
        html.append(
            f'<p class="flash error small" role="alert">{escape(span.notice)}</p>'
        )
    if span.editable or span.deletable:
        html.append('<div class="span-actions small">')
        if span.editable:
            edit = parts["edit_entity" if span.label.is_entity else "edit_statement"]
            html.append(
                f'<a href="?span={pk}&amp;edit=1#span-row-{pk}" '
                f'hx-get="?span={pk}&amp;edit=1" hx-target="closest li" '
                f'hx-swap="outerHTML">{edit}</a> '
            )
        if span.deletable:
            delete_url = f"{parts['spans_url']}{pk}/delete/"
            html.append(
                f'<form method="post" action="{delete_url}" hx-post="{delete_url}" '
                f'class="inline">{parts["csrf"]}<button type="submit" '
                f'class="link danger">{parts["delete"]}</button></form>'
            )
        html.append("</div>")
    if span.reviewable:
        html.append(
            _review_controls(
                _review_parts(context),
                span,
                f"{parts['spans_url']}{pk}/approve/",
                f"{parts['spans_url']}{pk}/reject/",
                span.reject_form,
            )
        )
    elif span.review_refusal:
        html.append(f'<p class="small muted refusal">{escape(span.review_refusal)}</p>')
    history_url = parts["history_url"].format(pk)
    html.append(
        f'<div class="span-links small"><a href="{history_url}" '
        f'hx-get="{history_url}" hx-target="#span-history-{pk}" '
        f'hx-swap="innerHTML">{parts["history"]}</a></div>'
        f'<div id="span-history-{pk}" class="span-history" aria-live="polite"></div>'
        "</li>"
    )
    # Safe: every value above is escaped or an integer.
    return mark_safe("".join(html))
