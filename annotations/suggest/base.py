"""What every suggester shares: the Suggestion contract, proposals, word lists.

A suggester reads one parsed text and returns ``Proposal`` objects: offsets,
label, score, origin, and for quotes, claims and opinions the offsets of the
entity naming their source. ``engine`` turns proposals into ``Suggestion``
objects, where the source is an index into the same list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

LABELS = ("quote", "claim", "entity", "opinion")
ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")

# (name, entity type) pairs: the approved entities of the newsroom.
Gazetteer = Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Suggestion:
    """One proposed span of a text.

    ``start``/``end`` are code-point offsets into the text given, ``end``
    exclusive, with no surrounding whitespace (and no guillemets around a
    quote). ``source`` is the index, in the same list, of the entity suggestion
    naming who said or holds it (quotes, claims, opinions), or None. Sources
    always come before the spans citing them, so storing the list in order
    can resolve each one to a stored span id.
    """

    start: int
    end: int
    label: str
    text: str
    entity_type: str | None = None
    score: float = 0.0
    origin: str = ""
    source: int | None = None
    # Short reasons behind the score (the speech verb, the cues found), for
    # a tooltip and for reading evaluation errors.
    cues: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """Return the jsonl span shape, plus ``score``/``origin``/``source``."""
        return {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
            "entity_type": self.entity_type,
            "score": self.score,
            "origin": self.origin,
            "source": self.source,
            "cues": list(self.cues),
        }


@dataclass
class Proposal:
    """A span as a suggester proposes it; ``speaker`` is an entity's offsets."""

    start: int
    end: int
    label: str
    score: float
    origin: str
    entity_type: str | None = None
    speaker: tuple[int, int, str | None] | None = None
    cues: tuple[str, ...] = field(default_factory=tuple)


@functools.cache
def word_lines(name: str) -> tuple[tuple[str, ...], ...]:
    """Return the non-comment lines of data file ``name``, split on whitespace
    (on tabs when the file uses them)."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(tuple(line.split("\t") if "\t" in line else line.split()))
    return tuple(rows)


@functools.cache
def speech_verbs(language: str) -> frozenset[str]:
    """Return every inflected form of the language's verbs of speech."""
    forms = set()
    for row in word_lines(f"speech_verbs.{_lang(language)}.txt"):
        forms.update(word.lower() for word in row)
    return frozenset(forms)


@functools.cache
def titles(language: str) -> frozenset[str]:
    return frozenset(
        title for lang, title in word_lines("titles.txt") if lang == _lang(language)
    )


@dataclass(frozen=True)
class Cue:
    kind: str
    weight: float
    pattern: re.Pattern


@functools.cache
def cues(name: str, language: str) -> tuple[Cue, ...]:
    """Return the weighted cues of ``name`` (claim_cues.txt…) for a language."""
    return tuple(
        Cue(kind, float(weight), re.compile(pattern, re.IGNORECASE))
        for lang, kind, weight, pattern in word_lines(name)
        if lang == _lang(language)
    )


def doc_text(doc) -> str:
    """Return ``doc.text``, which spaCy rebuilds from every token on each read."""
    if "text" not in doc.user_data:
        doc.user_data["text"] = doc.text
    return doc.user_data["text"]


def doc_sentences(doc) -> list[tuple[int, int, int]]:
    """Return (start_char, end_char, first token) of each sentence, read once."""
    if "sentences" not in doc.user_data:
        doc.user_data["sentences"] = [
            (s.start_char, s.end_char, s.start) for s in doc.sents
        ]
    return doc.user_data["sentences"]


def noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


def _lang(language: str) -> str:
    """Return the word-list language for ``language`` ("fr-CA" reads French)."""
    return "en" if language.lower().startswith("en") else "fr"


def is_english(language: str) -> bool:
    return _lang(language) == "en"


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Return ``start``/``end`` moved inwards past whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:['’-]\w+)*", text))
