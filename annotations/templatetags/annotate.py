"""Template helpers for the annotation pages."""

from collections import defaultdict
from html import escape

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .. import permissions
from ..models import WorkStatus

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str, obj=None) -> bool:
    """``{% can "add_article" as may_upload %}``: the permissions module's answer."""
    return permissions.can(context["request"].user, action, obj)


def _opening_tag(span, *, continued: bool) -> str:
    title = _("%(label)s · %(status)s · %(user)s") % {
        "label": span.label.name,
        "status": span.get_status_display(),
        "user": span.created_by.get_username(),
    }
    return format_html(
        '<mark class="hl{}" data-span-id="{}" data-label="{}" data-status="{}" '
        'title="{}">',
        " hl-cont" if continued else "",
        span.pk,
        span.label.slug,
        span.status,
        title,
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
    opening = {}
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
                if span.start == position:
                    tag = _opening_tag(span, continued=False)
                else:
                    tag = opening.get(span.pk)
                    if tag is None:
                        tag = opening[span.pk] = _opening_tag(span, continued=True)
                out.append(tag)
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
