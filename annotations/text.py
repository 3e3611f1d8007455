"""Canonical article text: decoding, normalisation, hashing and context windows.

Offsets everywhere in the product are Unicode code points (Python ``str``
indices) into the canonical text, so the canonical form must be reached once,
on the way in, and never again.
"""

import bisect
import functools
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
    check_storable(text, name=_("The text"))
    text = _NEWLINES.sub("\n", text)
    text = unicodedata.normalize("NFC", text)
    return text.strip()


def check_storable(value: str, *, name: str) -> None:
    """Refuse NUL characters and unpaired surrogates, which no database stores.

    ``name`` says what ``value`` is (a field's name, "The text") in the message.
    """
    match = _FORBIDDEN.search(value)
    if match:
        raise ValidationError(
            _(
                "%(name)s contains the character U+%(code)04X at position %(pos)d, "
                "which cannot be stored. Remove it and try again."
            )
            % {"name": name, "code": ord(match.group()), "pos": match.start()},
            code="invalid_character",
        )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def context_window(
    text: str, start: int, end: int, width: int = 80
) -> tuple[str, str, str]:
    """Return (before, span, after) with up to ``width`` code points either side."""
    return text[max(0, start - width) : start], text[start:end], text[end : end + width]


class OffsetError(ValueError):
    """An offset that has no place in the canonical text; the message says why."""


# A line break, or a character with the combining marks that follow it: NFC
# composes within such a run (and, rarely, across runs: see OffsetMap).
@functools.cache
def _runs() -> re.Pattern:
    # Built on first use: scanning the Unicode tables takes tens of ms.
    marks = "".join(
        f"\\U{code:08x}"
        for code in range(0x300, 0x110000)
        if unicodedata.combining(chr(code))
    )
    return re.compile(f"\r\n?|.[{marks}]+", re.DOTALL)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class OffsetMap:
    """Map offsets into a source text to offsets into its canonical form.

    The source may differ from ``canonicalize(source)`` by CRLF or CR line
    ends, decomposed accents (NFD) or whitespace around it. A boundary between
    two characters that survive unchanged maps exactly; a boundary inside a
    sequence that normalisation rewrites (between ``\\r`` and ``\\n``, between a
    letter and its combining accent) or inside the trimmed whitespace has no
    place in the canonical text and raises OffsetError, never a guess. With
    ``utf16``, offsets count UTF-16 code units (as JavaScript does), so an emoji
    counts two and an offset between its two halves is refused.
    """

    def __init__(self, source: str, *, utf16: bool = False):
        self.source = source
        self.canonical = canonicalize(source)
        self.utf16 = utf16
        self._unit_ends = []
        if utf16:
            # The UTF-16 offset just after each astral character.
            self._unit_ends = [
                match.start() + index + 2
                for index, match in enumerate(_ASTRAL.finditer(source))
            ]
        self._changes = []
        self._lead = 0
        if self.canonical != source:
            self._map_changes()

    def _map_changes(self) -> None:
        source = self.source
        parts, position, written = [], 0, 0
        for match in _runs().finditer(source):
            start, end = match.span()
            parts.append(source[position:start])
            written += start - position
            run = match.group()
            out = "\n" if run[0] == "\r" else unicodedata.normalize("NFC", run)
            parts.append(out)
            if out != run:
                self._changes.append((start, end, written, written + len(out)))
            written += len(out)
            position = end
        parts.append(source[position:])
        joined = "".join(parts)
        stripped = joined.strip()
        if stripped != self.canonical:
            # Composition across runs (Hangul jamo, a few Indic vowel signs):
            # only the two ends of the text keep a known place.
            self._changes = [(0, len(source), 0, len(joined))]
        self._lead = len(joined) - len(joined.lstrip())
        self._starts = [change[0] for change in self._changes]

    @property
    def identity(self) -> bool:
        """True when every offset maps to itself."""
        return not self._unit_ends and self.canonical == self.source

    def suggests_utf16(self, start: int, end: int, given: str) -> bool:
        """Return whether ``given`` is at ``start``-``end`` read as UTF-16 offsets."""
        if self.utf16 or not given or not _ASTRAL.search(self.source):
            return False
        try:
            other = OffsetMap(self.source, utf16=True)
            return self.canonical[other(start) : other(end)] == given
        except OffsetError:
            return False

    def __call__(self, offset: int) -> int:
        """Return the canonical offset of ``offset``, or raise OffsetError."""
        if self._unit_ends:
            offset = self._code_point(offset)
        if offset > len(self.source):
            # Past the end: keep it past the end, for the span check to report.
            return len(self.canonical) + offset - len(self.source)
        if not self._changes and not self._lead:
            return offset if offset <= len(self.canonical) else self._trimmed(offset)
        index = bisect.bisect_right(self._starts, offset) - 1
        mapped = offset
        if index >= 0:
            start, end, out_start, out_end = self._changes[index]
            if start < offset < end:
                raise OffsetError(
                    _(
                        "offset %(offset)d falls inside %(run)s, which the canonical "
                        "text (NFC, \\n line ends) writes as %(out)s; a span cannot "
                        "start or end there."
                    )
                    % {
                        "offset": offset,
                        "run": _describe(self.source[start:end]),
                        "out": _describe(
                            unicodedata.normalize(
                                "NFC", _NEWLINES.sub("\n", self.source[start:end])
                            )
                        ),
                    }
                )
            mapped = out_start if offset == start else out_end + offset - end
        mapped -= self._lead
        if not 0 <= mapped <= len(self.canonical):
            return self._trimmed(offset)
        return mapped

    def _trimmed(self, offset):
        raise OffsetError(
            _(
                "offset %(offset)d is in the whitespace around the text, which the "
                "canonical text leaves out."
            )
            % {"offset": offset}
        )

    def _code_point(self, offset: int) -> int:
        before = bisect.bisect_right(self._unit_ends, offset)
        if before < len(self._unit_ends) and self._unit_ends[before] - 1 == offset:
            char = self.source[offset - before - 1 : offset - before]
            raise OffsetError(
                _("UTF-16 offset %(offset)d falls between the two halves of %(char)s.")
                % {"offset": offset, "char": char}
            )
        return offset - before


def _describe(run: str) -> str:
    names = " + ".join(
        char
        if not unicodedata.combining(char) and char.isprintable()
        else f"U+{ord(char):04X}"
        for char in run
    )
    return f"“{names}”"


# Combining marks (accents) once letters are decomposed.
_COMBINING = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
# Letters no decomposition takes apart; PostgreSQL's unaccent rules spell them so.
_UNACCENTED_LETTERS = str.maketrans(
    {
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ß": "ss",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
        "Ħ": "H",
        "ħ": "h",
        "ı": "i",
    }
)


def fold_accents(text: str) -> str:
    """Return ``text`` without accents, as PostgreSQL's ``unaccent`` does.

    "Développement" → "Developpement", "œuvre" → "oeuvre". Search folds both
    the query and the stored text, so "developpement" finds "développement".
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", decomposed).translate(_UNACCENTED_LETTERS)


def excerpt(text: str, length: int) -> str:
    """Return ``text`` cut to ``length`` code points, ending in "…" when cut."""
    return text if len(text) <= length else text[: length - 1] + "…"
