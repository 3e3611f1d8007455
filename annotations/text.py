"""Canonical article text: decoding, normalisation, hashing and context windows.

Offsets everywhere in the product are Unicode code points (Python ``str``
indices) into the canonical text, so the canonical form must be reached once,
on the way in, and never again.
"""

import hashlib
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_NEWLINES = re.compile(r"\r\n?")
# Code points PostgreSQL cannot store in text, or that no editor means to type.
_FORBIDDEN = re.compile(r"[\x00\ud800-\udfff]")


def decode_utf8(data: bytes) -> str:
    """Return ``data`` decoded as UTF-8 (a leading byte-order mark is dropped).

    Raise ValidationError naming the first offending byte otherwise.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise ValidationError(
            _(
                "The text is not valid UTF-8: byte 0x%(byte)s at position %(pos)d "
                "cannot be decoded. Save the file as UTF-8 and upload it again."
            )
            % {"byte": bad, "pos": exc.start},
            code="encoding",
        ) from None


def canonicalize(raw: str | bytes) -> str:
    """Return the canonical form of an article text.

    UTF-8 only; ``\\r\\n`` and lone ``\\r`` become ``\\n``; Unicode NFC; whitespace
    trimmed at both ends. Refuse NUL characters and unpaired surrogates.
    """
    text = decode_utf8(raw) if isinstance(raw, bytes) else raw
    match = _FORBIDDEN.search(text)
    if match:
        raise ValidationError(
            _(
                "The text contains the character U+%(code)04X at position %(pos)d, "
                "which cannot be stored. Remove it and try again."
            )
            % {"code": ord(match.group()), "pos": match.start()},
            code="invalid_character",
        )
    text = _NEWLINES.sub("\n", text)
    text = unicodedata.normalize("NFC", text)
    return text.strip()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def context_window(
    text: str, start: int, end: int, width: int = 80
) -> tuple[str, str, str]:
    """Return (before, span, after) with up to ``width`` code points either side."""
    return text[max(0, start - width) : start], text[start:end], text[end : end + width]
