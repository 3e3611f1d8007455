"""Opinions: evaluative statements outside quotes, attributed to someone.

Cues (``opinion_cues.txt``): a verb of judgement with « que » (« estime que »,
« juge que », "thinks"), a holder put first (« Pour X, … », "In her view"),
the first person (« selon moi », "I think"), a modal of obligation (« il
faut », "should"), evaluative adjectives. They score lower than quotes: an
opinion is a reading of the sentence, not a mark on the page. The holder is
the subject of the verb of judgement, or the person after « pour »/« selon »,
resolved like a quote's speaker.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from . import base
from .claims import MIN_WORDS, sentences
from .quotes import Reader, Region, _Word

_APPOSITION = re.compile(r"\s*(?:[^,«»“”\"]{1,60},\s*)?")
_HOLDER_FIRST = {
    "fr": re.compile(r"(?:Pour|Selon|D['’]après)\s+(?P<np>[^,]{2,80}),"),
    "en": re.compile(r"In (?P<np>his|her|their) view\b|For (?P<np2>[^,]{2,80}),"),
}


def suggest(
    doc: Doc, language: str, regions: list[Region], reader: Reader
) -> list[base.Proposal]:
    text = base.doc_text(doc)
    lang = "en" if base.is_english(language) else "fr"
    proposals = []
    for start, end in sentences(doc, regions):
        sentence = text[start:end]
        if base.word_count(sentence) < MIN_WORDS:
            continue
        kinds: dict[str, float] = {}
        verb_at = None
        for cue in base.cues("opinion_cues.txt", language):
            match = cue.pattern.search(sentence)
            if not match:
                continue
            kinds[cue.kind] = max(kinds.get(cue.kind, 0.0), cue.weight)
            if cue.kind == "attributed" and verb_at is None:
                verb_at = start + match.start()
        if not kinds or _quote_after_holder(text, start, end, lang, kinds, regions):
            continue
        proposals.append(
            base.Proposal(
                start,
                end,
                "opinion",
                round(base.noisy_or(kinds.values()), 2),
                "rule:opinion-cues",
                speaker=_holder(text, start, end, lang, verb_at, reader),
                cues=tuple(sorted(kinds)),
            )
        )
    return proposals


def _quote_after_holder(text, start, end, lang, kinds, regions) -> bool:
    """Whether the sentence is « Pour X, [Y,] « … » »: a quote with its
    speaker put first, which the quote suggester proposes, not an opinion."""
    if set(kinds) != {"attributed"}:
        return False
    match = _HOLDER_FIRST[lang].match(text, start, end)
    if not match:
        return False
    # The quote must follow the holder (and an apposition) at once: « Pour
    # X, la mesure arrive « trop tard » » is an opinion with a quote in it.
    return any(
        match.end() <= r.open < end
        and r.close >= end - 3
        and _APPOSITION.fullmatch(text, match.end(), r.open)
        for r in regions
    )


def _holder(text, start, end, lang, verb_at, reader: Reader):
    match = _HOLDER_FIRST[lang].match(text, start, end)
    if match:
        group = "np" if match.group("np") else "np2"
        # Up to the sentence's end: « Pour la présidente du groupe, Aurore
        # Giraud, il faut… » names her in the apposition.
        return reader.noun_phrase(match.start(group), end)
    if verb_at is None:
        return None
    word = re.match(r"[\w'’-]+", text[verb_at:end])
    if word is None:
        return None
    return reader.subject(
        _Word(word.group(), verb_at, verb_at + word.end()), start, organisations=True
    )
