"""JSON request bodies, read with a bound on how deeply they nest.

No request of this API nests more than four levels (a list of articles, their
spans, a span's fields). A body nested thousands deep makes the JSON decoder
give up with a RecursionError (a 500), and one just shallow enough to decode
makes any later recursive walk (a repr, a validation message) fail the same
way; both are refused here, on the way in.
"""

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32


class TooDeep(ValueError):
    """A JSON document nested more than ``MAX_DEPTH`` levels."""


def loads(text: str | bytes, **options):
    """Return the decoded JSON ``text``; raise ValueError if invalid or too deep."""
    try:
        data = json.loads(text, **options)
    except RecursionError:
        raise _too_deep() from None
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        pending.extend((child, depth + 1) for child in children)
    return data


def _too_deep() -> TooDeep:
    return TooDeep(
        _("The JSON is nested more than %(max)d levels deep; no request needs that.")
        % {"max": MAX_DEPTH}
    )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``MAX_DEPTH``."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        parse_constant = strict_constant if self.strict else None
        try:
            text = codecs.getreader(encoding)(stream).read()
            return loads(text, parse_constant=parse_constant)
        except TooDeep as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
