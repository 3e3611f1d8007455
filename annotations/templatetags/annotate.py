"""Template helpers for the annotation pages."""

from collections import defaultdict
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .. import permissions
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
                f'data-status="{escape(span.status)}" title="{escape(self.caption(span))}">'
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


def _row_parts(context) -> dict:
    """Return the escaped strings every row shares, built once per render."""
    parts = context.render_context.get("span_row_parts")
    if parts is None:
        ui = context["ui"]
        parts = {name: escape(str(text)) for name, text in ui.items()}
        parts["spans_url"] = escape(context["spans_url"])
        parts["csrf"] = (
            '<input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{escape(str(context.get("csrf_token", "")))}">'
        )
        context.render_context["span_row_parts"] = parts
    return parts


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
        f'title="{parts["show"]}">“{escape(span.excerpt)}”</button>'
        f'<div class="span-meta small"><span class="status">'
        f"{escape(span.status_label)}</span> · {escape(span.details)}"
    ]
    if span.source_span is not None:
        html.append(
            f' · {parts["source"]} <button type="button" class="link" '
            f'data-show-span="{int(span.source_id)}">'
            f"{escape(span.source_span.excerpt)}</button>"
        )
    if span.rejection_reason:
        html.append(
            f'<div class="reason">{parts["rejected"]} '
            f"{escape(span.rejection_reason)}</div>"
        )
    html.append("</div>")
    if span.editable:
        edit = parts["edit_entity" if span.label.is_entity else "edit_statement"]
        delete_url = f"{parts['spans_url']}{pk}/delete/"
        html.append(
            f'<div class="span-actions small">'
            f'<a href="?span={pk}&amp;edit=1#span-row-{pk}" '
            f'hx-get="?span={pk}&amp;edit=1" hx-target="closest li">{edit}</a> '
            f'<form method="post" action="{delete_url}" hx-post="{delete_url}" '
            f'class="inline">{parts["csrf"]}<button type="submit" '
            f'class="link danger">{parts["delete"]}</button></form></div>'
        )
    html.append("</li>")
    # Safe: every value above is escaped or an integer.
    return mark_safe("".join(html))
