"""Numbers as a reader of the page's language writes them.

``{{ n|figure }}`` gives "12 345" in French and "12,345" in English, and from a
million on "4,2 millions" / "4.2 million"; ``{{ n|percent }}`` gives "42 %"
(narrow no-break space) / "42%". Both localise even inside ``{% localize off %}``,
which the pages keep for ids and offsets. ``{{ text|quoted }}`` puts a text
between the language's quotation marks.
"""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma, intword
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def figure(value):
    if value is None or value == "":
        return value
    if abs(int(value)) >= 1_000_000:
        return intword(value)
    return intcomma(value)


@register.filter
def percent(value):
    if value is None or value == "":
        return value
    # Translators: a percentage; French puts a narrow no-break space before %.
    return _("%(number)s%%") % {"number": figure(value)}


@register.filter
def quoted(value):
    """Return ``value`` in the language's quotation marks: “…” or « … »."""
    # Translators: quotation marks around a quoted text; French « %(text)s »
    # with narrow no-break spaces inside.
    return _("“%(text)s”") % {"text": value}
