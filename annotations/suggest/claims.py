"""Check-worthy claims: sentences outside quotes that state something a fact
checker could verify — figures, percentages, money, dates, comparisons,
superlatives, changes (« a augmenté », « a doublé », "rose", "fell").

Each kind of cue found in a sentence adds to its score (``claim_cues.txt``);
a sentence that only shows a date, or a single bare number, stays low.
"Selon X" / "according to X" in the sentence names its source.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from . import base
from .quotes import Region

MIN_WORDS = 5
_ACCORDING = {
    "fr": re.compile(r"\b(?:selon|d['’]après)\s+(?P<np>[^,.]{2,80})", re.IGNORECASE),
    "en": re.compile(r"\baccording to\s+(?P<np>[^,.]{2,80})", re.IGNORECASE),
}


# A quote that ends a sentence ends it, whatever the parser thought; a
# sentence that ends before a quote opens ends there (« … de montée. « Il
# reste douze matchs », a-t-il tempéré. »).
_AFTER_QUOTE = re.compile(
    r"[.!?…]\s*[»”\"](?=\s+[«“\"A-ZÀ-ÖØ-Þ])|[.!?…](?=\s+[«“](?!\s*[a-zà-ÿ]))"
)


def sentences(doc: Doc, regions: list[Region]) -> list[tuple[int, int]]:
    """Return trimmed sentences, leaving out those mostly quoted."""
    text = base.doc_text(doc)
    out = []
    for sent_start, sent_end in _merged(doc):
        for start, end in _split(text, sent_start, sent_end):
            quoted = sum(
                max(0, min(end, r.close + 1) - max(start, r.open)) for r in regions
            )
            # A partial quote inside a sentence (« a salué « un projet … » »)
            # leaves it a sentence of the writer's.
            opens = any(r.open == start and _long(text, r) for r in regions)
            if quoted * 2 < end - start and not opens:
                out.append((start, end))
    return out


def _merged(doc: Doc):
    """Yield the parser's sentences, rejoining those it cut mid-sentence
    (inside « Paris-Sorbonne », before a lower-case word)."""
    text = base.doc_text(doc)
    start = end = None
    for sent_start, sent_end, _ in base.doc_sentences(doc):
        if start is None:
            start, end = sent_start, sent_end
            continue
        previous = text[start:end].rstrip()
        if (
            previous
            and previous[-1] not in '.!?…:;»”"'
            and "\n" not in text[end - 1 : sent_start + 1]
        ):
            end = sent_end
            continue
        yield start, end
        start, end = sent_start, sent_end
    if start is not None:
        yield start, end


def _long(text: str, region: Region) -> bool:
    return base.word_count(text[region.start : region.end]) > 2


def _split(text: str, start: int, end: int):
    position = start
    for part in text[start:end].split("\n"):
        cuts = [m.end() for m in _AFTER_QUOTE.finditer(part)]
        for a, b in zip([0, *cuts], [*cuts, len(part)], strict=True):
            s, e = base.trimmed(text, position + a, position + b)
            # The closing mark of a quote the parser put in this sentence.
            while s < e and text[s] in "»”":
                s, e = base.trimmed(text, s + 1, e)
            # …and the opening mark of the next one.
            while e - s > 1 and (
                text[e - 1] in "«“" or text[e - 1] == '"' and text[e - 2].isspace()
            ):
                s, e = base.trimmed(text, s, e - 1)
            if s < e:
                yield s, e
        position += len(part) + 1


def suggest(
    doc: Doc,
    language: str,
    regions: list[Region],
    entities: list[base.Proposal],
) -> list[base.Proposal]:
    text = base.doc_text(doc)
    lang = "en" if base.is_english(language) else "fr"
    proposals = []
    for start, end in sentences(doc, regions):
        sentence = text[start:end]
        if base.word_count(sentence) < MIN_WORDS:
            continue
        kinds: dict[str, float] = {}
        for cue in base.cues("claim_cues.txt", language):
            if cue.kind not in kinds and cue.pattern.search(sentence):
                kinds[cue.kind] = cue.weight
            elif cue.kind in kinds and cue.pattern.search(sentence):
                kinds[cue.kind] = max(kinds[cue.kind], cue.weight)
        if not kinds or set(kinds) == {"date"}:
            continue
        score = round(base.noisy_or(kinds.values()), 2)
        proposals.append(
            base.Proposal(
                start,
                end,
                "claim",
                score,
                "rule:claim-cues",
                speaker=_according(text, start, end, lang, entities),
                cues=tuple(sorted(kinds)),
            )
        )
    return proposals


def _according(text, start, end, lang, entities):
    match = _ACCORDING[lang].search(text, start, end)
    if not match:
        return None
    np_start, np_end = match.start("np"), match.end("np")
    for entity in entities:
        if np_start <= entity.start < np_end and entity.entity_type in ("PER", "ORG"):
            return (entity.start, entity.end, entity.entity_type)
    return None
