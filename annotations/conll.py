"""CoNLL-2003 export: tokens, sentences and BIO tags from article text and spans.

Layout
------
``-DOCSTART- -X- -X- O`` and a blank line before each article, then one
``token TAG`` line per token and a blank line after each sentence. Nothing
else: no comment lines, so every CoNLL-2003 reader takes the file as it is.

Tags
----
``B-<TAG>`` on a span's first token, ``I-<TAG>`` on the others, ``O`` outside
spans. An entity's tag is its type (``PER``, ``ORG``, ``LOC``, ``MISC``), which
is what NER training expects; an entity without a type is ``ENTITY``; any other
label is its slug in capitals (``QUOTE``, ``CLAIM``, ``OPINION``).

CoNLL tokenizer and sentence splitter
-------------------------------------
Tokens, tried in this order at each position (whitespace is never a token):

1. a flag: two regional-indicator symbols;
2. a number with inner separators: digits, then one or more groups of ``.``
   or ``,`` and digits (``4,2``, ``180,000``, ``3.5``);
3. a word: a run of Unicode word characters (letters, digits, underscore) and
   combining marks (``Zoé`` even when decomposed, ``12h30``);
4. any other character (punctuation, symbol, emoji) on its own, with the
   marks, skin-tone modifiers and tag characters that follow it, and joined
   to the next symbol by a zero-width joiner (so ``👩‍💻`` is one token).

So ``« Bonjour »`` is three tokens, ``l’équipe`` is ``l`` ``’`` ``équipe``, and
``Saint-Étienne`` is ``Saint`` ``-`` ``Étienne``: apostrophes and hyphens are
tokens of their own, which puts most entity boundaries on token boundaries.

A sentence ends at a line break, or after a token of end punctuation
(``.`` ``!`` ``?`` ``…`` and their full-width forms) and any closing quotes or
brackets that follow it, when the next token comes after whitespace and starts
with an upper-case letter, a digit or an opening quote, bracket or dash. A
sentence never ends inside a kept span: a quote of three sentences stays one
CoNLL sentence.

A span that does not start and end on token boundaries is widened to the tokens
it touches (counted as ``widened``). Overlapping spans cannot share a BIO
column: pick a label set with ``label=``; among the spans left, the longest
(then the earliest) is kept and any span sharing a token with a kept one is
dropped (counted as ``dropped_overlapping``). Both counts are only known at the
end of the stream: ``Export.stats``, the manifest and the ``export_dataset``
command's summary carry them.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator

from .models import ENTITY_SLUG


def tag_name(span: dict) -> str:
    """Return the BIO tag of a span without its B-/I- prefix."""
    if span["label"] == ENTITY_SLUG:
        return span["entity_type"] or "ENTITY"
    return span["label"].upper()


END_PUNCTUATION = frozenset(".!?…。！？‼⁇⁈⁉")
CLOSERS = frozenset("»”’\"')]}›")
OPENERS = frozenset("«“‘\"'([¿¡—–-‹„")


def _ranges(predicate, limits) -> str:
    parts = []
    for low, high in limits:
        start = None
        for code in range(low, high):
            if predicate(chr(code)):
                if start is None:
                    start = code
            elif start is not None:
                parts.append(f"\\U{start:08x}-\\U{code - 1:08x}")
                start = None
        if start is not None:
            parts.append(f"\\U{start:08x}-\\U{high - 1:08x}")
    return "".join(parts)


@functools.cache
def _token_pattern() -> re.Pattern:
    # Built on first use: scanning the Unicode tables takes a few tens of ms.
    marks = _ranges(
        lambda c: unicodedata.category(c).startswith("M"),
        [(0x300, 0x30000), (0xE0100, 0xE01F0)],
    )
    extend = f"[{marks}\\U0001f3fb-\\U0001f3ff\\U000e0020-\\U000e007f]"
    flag = "[\\U0001f1e6-\\U0001f1ff]"
    return re.compile(
        f"{flag}{flag}"
        r"|\d+(?:[.,]\d+)+"
        f"|(?:\\w|{extend})+"
        f"|[^\\s\\w]{extend}*(?:\u200d[^\\s\\w]{extend}*)*"
    )


def tokenize(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) code-point offsets of the tokens of ``text``."""
    return [match.span() for match in _token_pattern().finditer(text)]


def sentences(text: str, tokens: list[tuple[int, int]], keep_together=()) -> list:
    """Return lists of token indices, one per sentence (rules in the module doc).

    No sentence ends before a token index in ``keep_together``.
    """
    result, current = [], []
    after_end = False
    previous_end = 0
    for index, (start, end) in enumerate(tokens):
        token = text[start:end]
        if current:
            gap = text[previous_end:start]
            breaks = "\n" in gap or (
                after_end
                and gap
                and (token[0].isupper() or token[0].isdigit() or token[0] in OPENERS)
            )
            if breaks and index not in keep_together:
                result.append(current)
                current = []
                after_end = False
        current.append(index)
        if token in END_PUNCTUATION:
            after_end = True
        elif not (after_end and token in CLOSERS):
            after_end = False
        previous_end = end
    if current:
        result.append(current)
    return result


def conll_tags(
    text: str, tokens: list[tuple[int, int]], spans: list[dict]
) -> tuple[list[str], int, int, list[dict]]:
    """Return (BIO tags, widened, dropped_overlapping, kept spans) for one text."""
    starts = [start for start, _end in tokens]
    ends = [end for _start, end in tokens]
    placed = []
    for span in spans:
        first = bisect.bisect_right(ends, span["start"])
        last = bisect.bisect_left(starts, span["end"])
        if first < last:
            placed.append((span, first, last))
    placed.sort(
        key=lambda p: (p[0]["start"] - p[0]["end"], p[0]["start"], p[0]["label"])
    )
    taken = bytearray(len(tokens))
    tags = ["O"] * len(tokens)
    widened = dropped = 0
    kept = []
    for span, first, last in placed:
        if any(taken[first:last]):
            dropped += 1
            continue
        taken[first:last] = b"\x01" * (last - first)
        tag = tag_name(span)
        tags[first] = "B-" + tag
        for index in range(first + 1, last):
            tags[index] = "I-" + tag
        if starts[first] != span["start"] or ends[last - 1] != span["end"]:
            widened += 1
        kept.append(span)
    dropped += len(spans) - len(placed)
    kept.sort(key=lambda s: (s["start"], s["end"], s["label"]))
    return tags, widened, dropped, kept


def write_conll(records: Iterable[dict], stats) -> Iterator[str]:
    """Write ``records`` as CoNLL; count widened and dropped spans in ``stats``."""
    for record in records:
        text = record["text"]
        tokens = tokenize(text)
        tags, widened, dropped, kept = conll_tags(text, tokens, record["spans"])
        stats.widened += widened
        stats.dropped_overlapping += dropped
        stats.count(kept)
        inside = {index for index, tag in enumerate(tags) if tag[0] == "I"}
        lines = ["-DOCSTART- -X- -X- O\n\n"]
        for sentence in sentences(text, tokens, inside):
            lines.extend(
                f"{text[tokens[i][0] : tokens[i][1]]} {tags[i]}\n" for i in sentence
            )
            lines.append("\n")
        yield "".join(lines)
