"""Direct quotes and who said them.

A quote is the text between « », “ ” or " " (marks excluded, whitespace
trimmed) that something in the sentence attributes to a speaker:

- a verb of speech after it: « … », a déclaré X / explique-t-il / "…," said X,
  X said (``quote-verb-after``; a pronoun resolves to the person last
  spoken of, ``quote-verb-after-pronoun``);
- a verb of speech before it: X a prévenu : « … » / X said: "…", or a
  partial quote inside the clause (X a salué « un projet … »)
  (``quote-verb-before``, ``quote-partial``);
- selon X / d'après X / pour X, / according to X (``quote-according``);
- an incise inside one pair of marks: « A, a-t-il assuré. B » gives two
  quotes (``quote-incise``);
- a second quote with no attribution of its own right after an attributed
  one: same speaker (``quote-continued``).

One or two words in quotes with no verb of speech right after them are scare
quotes (« superintelligence », a « soirée calme ») and are never proposed.

The speaker is read from the dependency parse where there is one (the subject
of the verb, its apposition: « Le directeur, Pierre Sauvage, a déclaré ») and
from the words after the verb otherwise. A job title (« le ministre »)
resolves to the last person introduced with it; a pronoun to the last person
mentioned outside quotes, or the last speaker.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy
from spacy.attrs import DEP, POS
from spacy.tokens import Doc

from . import base, entities

SCORES = {
    "quote-verb-after": 0.9,
    "quote-verb-after-pronoun": 0.9,
    "quote-incise": 0.85,
    "quote-verb-before": 0.85,
    "quote-according": 0.85,
    "quote-colon": 0.75,
    "quote-continued": 0.75,
    "quote-partial": 0.6,
    "quote-short-answer": 0.6,
    "quote-bare": 0.4,
}
PAIRS = {"«": "»", "“": "”", "„": "“"}
_WORD = re.compile(r"[^\W\d_][\w'’.-]*(?<![.])|\d[\d.,]*|[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?…](?=[\s»”\"]|$)|\n")
_PRONOUNS = {
    "fr": {"il": "sg", "elle": "sg", "ils": "pl", "elles": "pl", "on": "on"},
    "en": {
        "he": "sg",
        "she": "sg",
        "his": "sg",
        "her": "sg",
        "they": "pl",
        "their": "pl",
        "we": "pl",
        "i": "sg",
    },  # fmt: skip
}
_AUX = {
    "fr": {"a", "avait", "ont", "avaient", "aura", "auront", "eut"},
    "en": {"has", "had", "have", "was", "were", "is"},
}
_DETERMINERS = {
    "fr": {"le", "la", "les", "l'", "l’", "un", "une", "son", "sa", "ses", "leur"},
    "en": {"the", "a", "an", "his", "her", "their", "its", "one"},
}
_ELIDED = re.compile(r"[ld]['’]")
# A job title introducing a name a few words later: « Le ministre de
# l'Économie, », « la présidente du groupe écologiste, », « son avocat, Me ».
_TITLE_BEFORE = re.compile(
    r"(?:^|(?<=[\s,(]))(?:[Ll]e|[Ll]a|[Ll]['’]|[Ss]on|[Ss]a|[Ll]eur)\s*"
    r"(?:(?:premier|première|nouveau|nouvelle|ancien|ancienne|jeune|futur|future)\s+)?"
    r"(?P<noun>[a-zàâçéèêëîïôûù-]+)\b[^,.;:!?«»“”()\n]{0,80},\s*"
    r"(?:(?:M\.|Mme|Me|Maître|Dr|Pr)\s+)?$"
)
# How a sentence opens before its subject: a determiner and a few lower-case
# words (« L'association », « Le collectif de riverains »).
_OPENING = re.compile(
    r"(?:Le|La|Les|L['’]|Son|Sa)\s*(?:[a-zàâçéèêëîïôûù'’-]+\s+){0,4}?(?=[A-ZÀ-Ý])"
    r"|(?=[A-ZÀ-Ý])"
)
# « Un cheminot syndiqué, qui a requis l'anonymat, s'inquiète… »
_UNNAMED = re.compile(r"(?:Un|Une)\s+[a-zàâçéèêëîïôûù-]+\b")
# « À Matignon, on assure… »
_ON_AT = re.compile(
    r"\s*(?:À|Chez|Du côté de|Du côté d['’]|Au sein de|Au sein d['’])\s*"
    r"(?:l['’]|la\s+|le\s+|les\s+)?(?P<name>[^,]{2,60}?)\s*,\s*$"
)
# The end of an incise: a few words after its verb (« lors du conseil »,
# « devant la presse »), then the stop or comma before the quote resumes.
_INCISE_END = re.compile(r"[^.,;:!?«»“”\"\n]{0,80}?[.,;]\s+")
_ASIDE_END = re.compile(r"[.;!?]\s+")
# Words that open a clause of the quote itself, not an aside about the speaker.
_CLAUSE_OPENERS = {
    "je", "j'", "j’", "tu", "nous", "vous", "il", "elle", "on", "ils", "elles",
    "c'", "c’", "ce", "ça", "cela", "le", "la", "les", "l'", "l’", "un", "une",
    "des", "mais", "et", "si", "i", "we", "you", "he", "she", "it", "they", "the",
}  # fmt: skip
# Prepositions that open a complement after a speaker's noun (« a expliqué
# le buteur au micro de Canal+ », « a indiqué le ministère dans un
# communiqué »): what follows them does not name the speaker.
_COMPLEMENTS = {
    "fr": {
        "à", "au", "aux", "en", "sur", "dans", "lors", "devant", "pendant",
        "après", "avant", "pour", "avec", "chez", "dès", "depuis", "par",
        "contre", "face",
    },
    "en": {"at", "in", "on", "to", "during", "after", "before", "with", "from"},
}  # fmt: skip
_LEADING_ADVERBIALS = {
    "fr": re.compile(
        r"(?:de son côté|de leur côté|pour sa part|pour leur part|quant à lui|"
        r"quant à elle|lui aussi|elle aussi|aussitôt|alors|encore|enfin|"
        r"ensuite|également|pourtant|toutefois)\b[\s,]*",
        re.IGNORECASE,
    ),
    "en": re.compile(r"(?:also|then|later|again)\b[\s,]*", re.IGNORECASE),
}
_DEFINITE = {"le", "la", "les", "l'", "l’", "son", "sa", "ses", "leur", "the"}
_PREPOSITIONS = {
    "de", "du", "des", "d'", "d’", "à", "au", "aux", "en", "pour", "chez", "sur",
    "of", "at", "for", "in", "from", "with", "on", "by",
}  # fmt: skip
_ROLE_WORDS_EN = frozenset(
    " ".join(row).lower() for row in base.word_lines("person_roles.en.txt")
)

Speaker = tuple[int, int, str | None]


@dataclass
class Region:
    """One pair of quote marks: their positions and the trimmed text between."""

    open: int
    close: int
    start: int
    end: int


@dataclass
class Attribution:
    rule: str
    speaker: Speaker | None
    verb: str = ""
    # Where the attributing words end (an incise's end).
    end: int = 0


@dataclass
class _Word:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()


def find_regions(text: str) -> list[Region]:
    """Return the outermost pairs of quote marks, each within one paragraph."""
    regions = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        close = -1
        if char in PAIRS:
            close = _matching(text, i, char, PAIRS[char])
        elif char == '"':
            line_end = text.find("\n", i)
            close = text.find('"', i + 1, n if line_end < 0 else line_end)
        if close > i:
            start, end = base.trimmed(text, i + 1, close)
            # English puts the attribution's comma inside the marks: "…," said X.
            while end > start and text[end - 1] in ",;":
                start, end = base.trimmed(text, start, end - 1)
            if start < end:
                regions.append(Region(i, close, start, end))
            i = close + 1
        else:
            i += 1
    return regions


def _matching(text: str, i: int, opener: str, closer: str) -> int:
    depth = 0
    line_end = text.find("\n", i)
    stop = len(text) if line_end < 0 else line_end
    for j in range(i, stop):
        if text[j] == opener and opener != closer:
            depth += 1
        elif text[j] == closer:
            depth -= 1
            if depth == 0:
                return j
    return -1


def suggest(
    doc: Doc, language: str, entities: list[base.Proposal]
) -> list[base.Proposal]:
    """Return quote proposals, each with its speaker's offsets when known."""
    return Reader(doc, language, entities).quotes()


class Reader:
    def __init__(self, doc: Doc, language: str, entities: list[base.Proposal]):
        self.doc = doc
        self.text = base.doc_text(doc)
        self.lang = "en" if base.is_english(language) else "fr"
        self.parsed = doc.has_annotation("DEP")
        self.verbs = base.speech_verbs(self.lang)
        self.entities = sorted(
            (e.start, e.end, e.entity_type)
            for e in entities
            if e.entity_type in ("PER", "ORG")
        )
        self.entity_starts = [e[0] for e in self.entities]
        self.regions = find_regions(self.text)
        self.region_opens = [r.open for r in self.regions]
        # (position, speaker) of each attributed quote, in text order.
        self.spoken: list[tuple[int, Speaker | None]] = []
        self.titles = self._title_mentions()
        self._subjects: list[tuple[int, Speaker | None, str]] | None = None

    # Driving

    def quotes(self) -> list[base.Proposal]:
        proposals: list[base.Proposal] = []
        previous: tuple[Region, Attribution] | None = None
        for region in self.regions:
            found = self._read(region, previous)
            for start, end, attribution in found:
                score = SCORES[attribution.rule]
                if attribution.rule == "quote-partial" and attribution.speaker:
                    score += 0.1
                proposals.append(
                    base.Proposal(
                        start,
                        end,
                        "quote",
                        round(score, 2),
                        f"rule:{attribution.rule}",
                        speaker=attribution.speaker,
                        cues=(attribution.verb,) if attribution.verb else (),
                    )
                )
                if attribution.rule != "quote-bare":
                    self.spoken.append((start, attribution.speaker))
            if found and found[-1][2].rule != "quote-bare":
                previous = (region, found[-1][2])
            elif not found:
                previous = previous if self._short(region) else None
        return proposals

    def _short(self, region: Region) -> bool:
        return base.word_count(self.text[region.start : region.end]) <= 2

    def _read(self, region, previous):
        """Return [(start, end, attribution)] for one pair of marks."""
        text = self.text
        words = base.word_count(text[region.start : region.end])
        incise = self._incise(region)
        if incise:
            return incise
        attribution = self._after(region.close + 1)
        if attribution is None:
            attribution = self._before(region)
        if words <= 2:
            # Scare quotes, unless a verb of speech answers them at once.
            if attribution and attribution.rule in (
                "quote-verb-after",
                "quote-verb-after-pronoun",
            ):
                attribution.rule = "quote-short-answer"
                return [(region.start, region.end, attribution)]
            return []
        if attribution is None:
            attribution = self._continued(region, previous)
        if attribution is None and words >= 6 and self._stands_alone(region):
            attribution = Attribution("quote-bare", None)
        if attribution is None:
            return []
        return [(region.start, region.end, attribution)]

    # Attribution after the closing mark

    def _words(self, start: int, stop: int) -> list[_Word]:
        return [
            _Word(m.group(), start + m.start(), start + m.end())
            for m in _WORD.finditer(self.text[start:stop])
        ]

    def _line_end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end

    def _sentence_end(self, pos: int) -> int:
        line_end = self._line_end(pos)
        for match in _SENTENCE_END.finditer(self.text, pos, line_end):
            if match.group() == "." and self._abbreviation(match.start()):
                continue
            return match.start()
        return line_end

    def _abbreviation(self, dot: int) -> bool:
        before = self.text[max(0, dot - 4) : dot].split()[-1:] or [""]
        return before[0] + "." in base.titles(self.lang) or (
            len(before[0]) == 1 and before[0].isupper()
        )

    def _after(self, pos: int) -> Attribution | None:
        stop = min(self._sentence_end(pos), pos + 300)
        next_open = bisect.bisect_left(self.region_opens, pos)
        if next_open < len(self.regions):
            stop = min(stop, self.regions[next_open].open)
        words = self._words(pos, stop)
        if words and words[0].text == ",":
            words = words[1:]
        if not words:
            return None
        if self.lang == "fr":
            return self._after_fr(words, stop)
        return self._after_en(words, stop)

    def _after_fr(self, words: list[_Word], stop: int) -> Attribution | None:
        first = words[0]
        if first.lower in ("selon", "d'après", "d’après") and len(words) > 1:
            speaker = self.noun_phrase(words[1].start, stop)
            return Attribution("quote-according", speaker, first.text, stop)
        head, _, rest = _strip_reflexive(first.lower).partition("-")
        if rest and re.fullmatch(r"(?:t-)?(?:il|elle|ils|elles|on)", rest):
            pronoun = rest.split("-")[-1]
            if head in _AUX["fr"] and len(words) > 1 and self._is_verb(words[1]):
                verb, end = words[1].text, words[1].end
            elif head in self.verbs:
                verb, end = first.text, first.end
            else:
                return None
            speaker = self._pronoun(first.start, pronoun)
            return Attribution("quote-verb-after-pronoun", speaker, verb, end)
        k = 0
        if words[k].lower in _AUX["fr"]:
            k += 1
        if k < len(words) and words[k].lower == "se":
            k += 1
        if k < len(words) and _strip_reflexive(words[k].lower) in (
            "est", "était", "sont", "étaient",
        ):  # fmt: skip
            k += 1
        if k >= len(words) or not self._is_verb(words[k]):
            return None
        verb = words[k]
        if k + 1 >= len(words):
            return Attribution("quote-verb-after", None, verb.text, verb.end)
        speaker = self.noun_phrase(words[k + 1].start, stop)
        return Attribution("quote-verb-after", speaker, verb.text, stop)

    def _after_en(self, words: list[_Word], stop: int) -> Attribution | None:
        first = words[0]
        if first.lower == "according" and len(words) > 2 and words[1].lower == "to":
            speaker = self.noun_phrase(words[2].start, stop)
            return Attribution("quote-according", speaker, "according to", stop)
        if self._is_verb(first) and len(words) > 1:
            speaker = self.noun_phrase(words[1].start, stop)
            return Attribution("quote-verb-after", speaker, first.text, stop)
        if first.lower in ("and", "but", "or", "as", "that", "which", "to", "then"):
            return None
        # "X said", "he told reporters", "one engineer in Seattle said"
        for k, word in enumerate(words[1:9], start=1):
            if word.text in ".;:!?":
                break
            if self._is_verb(word) and word.lower not in ("call", "post", "report"):
                subject = words[:k]
                if len(subject) == 1 and subject[0].lower in _PRONOUNS["en"]:
                    speaker = self._pronoun(subject[0].start, subject[0].lower)
                    return Attribution(
                        "quote-verb-after-pronoun", speaker, word.text, word.end
                    )
                speaker = self.noun_phrase(subject[0].start, word.start)
                return Attribution("quote-verb-after", speaker, word.text, stop)
        return None

    def _is_verb(self, word: _Word) -> bool:
        return _strip_reflexive(word.lower) in self.verbs

    # Attribution before the opening mark

    def _sentence_start(self, pos: int) -> int:
        line_start = self.text.rfind("\n", 0, pos) + 1
        start = line_start
        for match in _SENTENCE_END.finditer(self.text, line_start, pos):
            if match.group() == "." and self._abbreviation(match.start()):
                continue
            start = match.end()
        # A quote closed earlier in the sentence ends what attributes this one.
        k = bisect.bisect_left(self.region_opens, pos) - 1
        if k >= 0 and self.regions[k].close < pos and self.regions[k].close >= start:
            start = self.regions[k].close + 1
        return start

    def _before(self, region: Region) -> Attribution | None:
        start = self._sentence_start(region.open)
        clause = self.text[start : region.open]
        words = self._words(start, region.open)
        if not words:
            return None
        according = self._according(clause, start, words)
        verb = next(
            (w for w in reversed(words) if self._is_verb(w) and w.lower != "dit"
             or w.lower == "dit" and w is not words[-1]),
            None,
        )  # fmt: skip
        colon = clause.rstrip().endswith(":")
        if verb is not None:
            speaker = self.subject(verb, start)
            rule = "quote-verb-before" if colon else "quote-partial"
            return Attribution(rule, speaker, verb.text, region.open)
        if according is not None:
            return according
        if colon and len(words) > 2:
            return Attribution("quote-colon", self._clause_subject(words), "", 0)
        return None

    def _according(self, clause, start, words) -> Attribution | None:
        pattern = (
            r"(?:^|\W)(?P<cue>selon|d['’]après|pour)\s+(?P<np>[^,«»]{1,80}?),"
            if self.lang == "fr"
            else r"(?:^|\W)(?P<cue>according to)\s+(?P<np>[^,“”\"]{1,80}?),"
        )
        for match in re.finditer(pattern, clause, re.IGNORECASE):
            if match.group("cue").lower() == "pour" and match.start() > 1:
                continue
            # « Pour la présidente du groupe, Aurore Giraud, « … » »: the
            # apposition after the first comma names her.
            speaker = self.noun_phrase(
                start + match.start("np"), start + len(clause.rstrip())
            )
            return Attribution("quote-according", speaker, match.group("cue"), 0)
        return None

    def _clause_subject(self, words: list[_Word]) -> Speaker | None:
        found = self._entities_in(words[0].start, words[-1].end)
        return found[-1] if found else None

    # Incises and continued quotes

    def _incise(self, region: Region):
        text = self.text
        for comma in re.finditer(r",\s", text[region.start : region.end]):
            pos = region.start + comma.start()
            attribution = self._after(pos + 1)
            if attribution is None or attribution.rule not in (
                "quote-verb-after",
                "quote-verb-after-pronoun",
            ):
                continue
            # « A, a-t-il lancé lors du conseil. B »: the words after the
            # verb run to the end of the incise, then the quote resumes.
            resume = _INCISE_END.match(
                text, min(attribution.end, self._sentence_end(pos + 1))
            )
            if not resume or resume.end() >= region.end:
                continue
            resume_at = self._past_aside(resume, region)
            second = base.trimmed(text, resume_at, region.end)
            if base.word_count(text[second[0] : second[1]]) < 2:
                continue
            attribution.rule = "quote-incise"
            first = base.trimmed(text, region.start, pos)
            return [(*first, attribution), (*second, attribution)]
        return None

    def _past_aside(self, resume: re.Match, region: Region) -> int:
        """Return where the quote resumes after an incise: past a short
        aside after its comma (« a-t-il lancé devant les élus, visiblement
        agacé. B »), not past words of the quote (« a-t-il dit, nous ne
        céderons pas. »)."""
        if not resume.group().rstrip().endswith(","):
            return resume.end()
        stop = _ASIDE_END.search(self.text, resume.end(), region.end)
        if stop is None:
            return resume.end()
        aside = self._words(resume.end(), stop.start())
        if not aside or len(aside) > 4 or aside[0].lower in _CLAUSE_OPENERS:
            return resume.end()
        for word in aside:
            token = self._token_at(word.start)
            if (
                token is not None
                and token.pos_ in ("VERB", "AUX")
                and "Part" not in token.morph.get("VerbForm")
            ):
                return resume.end()
        return stop.end()

    def _continued(self, region: Region, previous) -> Attribution | None:
        if previous is None:
            return None
        earlier, attribution = previous
        gap = self.text[earlier.close + 1 : region.open]
        if len(gap) > 250 or gap.count("\n") > 2:
            return None
        # The earlier quote's own attribution may sit in the gap; any other
        # sentence there must not start a new story.
        if not self._stands_alone(region) and not re.search(r",\s*$", gap):
            return None
        return Attribution("quote-continued", attribution.speaker, "", 0)

    def _stands_alone(self, region: Region) -> bool:
        before = self.text[: region.open].rstrip(" \u00a0\u202f")
        return not before or before[-1] in '.!?:\n»”"'

    # Speakers

    def _entities_in(self, start: int, end: int) -> list[Speaker]:
        k = bisect.bisect_left(self.entity_starts, start)
        found = []
        while k < len(self.entities) and self.entities[k][0] < end:
            if self.entities[k][1] <= end:
                found.append(self.entities[k])
            k += 1
        return found

    def _entity_at(self, pos: int) -> Speaker | None:
        k = bisect.bisect_right(self.entity_starts, pos) - 1
        if k >= 0 and self.entities[k][0] <= pos < self.entities[k][1]:
            return self.entities[k]
        return None

    def noun_phrase(self, start: int, stop: int) -> Speaker | None:
        """Return who the words from ``start`` name: « Jean Roux », « le
        ministre », « son adjoint, Alain Dubreuil », "Mayor Jane Roe"."""
        end = min(stop, self._sentence_end(start))
        words = self._words(start, end)
        lead = _LEADING_ADVERBIALS[self.lang].match(self.text, start, end)
        if lead:
            words = [w for w in words if w.start >= lead.end()]
        if not words:
            return None
        start = words[0].start
        first = words[0]
        if first.lower in _PRONOUNS[self.lang]:
            return self._pronoun(first.start, first.lower)
        ents = self._entities_in(start, end)
        comma = next((w.start for w in words if w.text in ",("), end)
        k = 0
        while k < len(words) and (
            words[k].text in base.titles(self.lang)
            or words[k].lower in _ROLE_WORDS_EN
            and self.lang == "en"
            or words[k].lower in ("lead", "union", "chief")
        ):
            k += 1
        if ents and k < len(words) and ents[0][0] == words[k].start:
            return ents[0]
        if (
            k < len(words)
            and words[k].text[:1].isupper()
            and not ents
            # « Le ministre » opening a sentence is no proper name.
            and words[k].lower not in _DETERMINERS[self.lang]
        ):
            return self._proper_name(words[k:])
        elided = _ELIDED.match(first.lower)
        # « le buteur au micro de Canal+ »: Canal+ is where, not who.
        cut = next(
            (w.start for w in words[1:] if w.lower in _COMPLEMENTS[self.lang]), end
        )
        if first.lower in _DETERMINERS[self.lang] or elided or k > 0:
            for ent in ents:
                if ent[0] >= comma:
                    # Apposition: « son adjoint aux finances, Alain Dubreuil »,
                    # « son avocate, Maître Rosa Ferrer ».
                    gap = self.text[comma : ent[0]]
                    if re.fullmatch(r"[,(\s]*", gap) or (_title_gap(gap, self.lang)):
                        return ent
                    break
                if ent[0] < cut and self._after_title(start, ent[0]):
                    return ent
            # « la mère d'une élève », « un abonné du virage »: someone new.
            if re.search(r"\bd['’]une?\b|\bd['’]un\b", self.text[start:comma]):
                return None
            if elided:
                noun = first.lower[elided.end() :]
            elif len(words) > 1 and first.lower in _DEFINITE:
                noun = words[1].lower
            else:
                return None
            # « le ministre »: the person introduced with that title, else the
            # person the story is about (the latest named subject).
            return self._title(noun, start) or self._latest_person(start)
        return None

    def _after_title(self, start: int, at: int) -> bool:
        """Whether the name at ``at`` follows a job title (« le capitaine X »),
        not a complement (« le coureur de l'équipe X »)."""
        before = self.text[start:at].split()
        if not before or not before[-1].islower():
            return False
        if before[-1].lower() in _PREPOSITIONS:
            return False
        return not (len(before) > 1 and before[-2].lower() in _PREPOSITIONS)

    def _proper_name(self, words: list[_Word]) -> Speaker | None:
        run = []
        for word in words:
            if (
                word.text[:1].isupper()
                and word.text.isalpha()
                or (run and word.lower in ("de", "le", "van", "von") and len(run) < 3)
            ):
                run.append(word)
            else:
                break
        while run and not run[-1].text[:1].isupper():
            run.pop()
        if not run or run[0].lower in _DETERMINERS[self.lang]:
            return None
        return (run[0].start, run[-1].end, "PER")

    def subject(
        self, verb: _Word, clause_start: int, *, organisations: bool = False
    ) -> Speaker | None:
        """Return the speaker of ``verb``: its subject in the parse, else the
        last name or pronoun before it in the clause. With ``organisations``,
        a pronoun may stand for an organisation (« L'association juge la
        peine légère. Elle estime que… »)."""
        if self.parsed:
            token = self._token_at(verb.start)
            if token is not None:
                found = self._subject_in_parse(token, organisations)
                if found is not False:
                    return found
        words = self._words(clause_start, verb.start)
        for word in reversed(words):
            if word.lower in _PRONOUNS[self.lang]:
                return self._pronoun(word.start, word.lower, organisations)
            entity = self._entity_at(word.start)
            if entity is not None:
                return entity
        # « Le ministre juge que… », which the parser may read as a noun
        # and its adjective.
        if 1 < len(words) <= 3 and words[0].lower in _DEFINITE:
            return self.noun_phrase(words[0].start, verb.start)
        return None

    def _token_at(self, pos: int):
        span = self.doc.char_span(pos, pos + 1, alignment_mode="expand")
        return span[0] if span is not None and len(span) else None

    def _subject_in_parse(self, token, organisations: bool = False):
        """Return a speaker, None (an unnamed subject), or False (no subject)."""
        for candidate in (token, token.head):
            for child in candidate.children:
                if child.dep_ in ("nsubj", "nsubj:pass") or (
                    # The parser reads « Il estime » as an expletive « il ».
                    child.dep_ == "expl:subj" and child.lower_ in ("il", "elle")
                ):
                    return self._speaker_of_token(child, organisations)
        return False

    def _speaker_of_token(self, token, organisations: bool = False) -> Speaker | None:
        if token.pos_ == "PRON":
            return self._pronoun(token.idx, token.lower_.strip("-"), organisations)
        entity = self._entity_at(token.idx)
        if entity is not None:
            return entity
        for child in token.children:
            if child.dep_ in ("appos", "flat:name", "conj") and child.pos_ == "PROPN":
                entity = self._entity_at(child.idx)
                if entity is not None:
                    return entity
        if token.pos_ == "PROPN":
            tokens = [token, *(c for c in token.children if c.dep_ == "flat:name")]
            return (
                min(t.idx for t in tokens),
                max(t.idx + len(t) for t in tokens),
                "PER",
            )
        determiners = [c.lower_ for c in token.children if c.dep_ == "det"]
        if token.pos_ == "NOUN" and set(determiners) & _DEFINITE:
            return self._title(token.lower_, token.idx)
        return None

    # Titles and pronouns

    def _title_mentions(self) -> list[tuple[int, str, Speaker]]:
        """Return (position, title, entity) for each person introduced with a
        job title (« le ministre de l'Économie, X », « X, directeur du site »)
        and each organisation by the first word of its name."""
        mentions = []
        for ent in self.entities:
            start, end, entity_type = ent
            if entity_type == "ORG":
                first = self.text[start:end].split()[0].lower()
                if len(self.text[start:end].split()) > 1:
                    mentions.append((start, first, ent))
                # « le Quai d'Orsay … a indiqué le ministère »
                for noun in entities.standing_for(self.text[start:end], self.lang):
                    mentions.append((start, noun, ent))
                continue
            if not self.parsed:
                words = self.text[max(0, start - 40) : start].split()
                if words and words[-1].lower() in _ROLE_WORDS_EN:
                    mentions.append((start, words[-1].lower(), ent))
                continue
            token = self._token_at(start)
            if token is None:
                continue
            nouns = []
            if token.dep_ in ("appos", "conj") and token.head.pos_ == "NOUN":
                nouns.append(token.head)
            nouns += [c for c in token.children if c.dep_ in ("appos", "acl")]
            if token.i > 0 and token.nbor(-1).pos_ == "NOUN":
                nouns.append(token.nbor(-1))
            for noun in nouns:
                mentions.append((start, noun.lower_, ent))
            # « Le premier président de l'institution, Hervé Delmas », which
            # the parser may hang on « institution ».
            line_start = self.text.rfind("\n", 0, start) + 1
            title = _TITLE_BEFORE.search(self.text, max(line_start, start - 120), start)
            if title:
                mentions.append((start, title.group("noun").lower(), ent))
        mentions.sort(key=lambda m: m[0])
        return mentions

    def _title(self, noun: str, pos: int) -> Speaker | None:
        for at, title, ent in reversed(self.titles):
            if at < pos and title == noun:
                return ent
        return None

    def _pronoun(
        self, pos: int, pronoun: str, organisations: bool = False
    ) -> Speaker | None:
        number = _PRONOUNS[self.lang].get(pronoun.lower())
        if number == "on":
            return self._on_at(pos)
        if number != "sg":
            return None
        return self._latest_person(pos, organisations)

    def _on_at(self, pos: int) -> Speaker | None:
        """« À Matignon, on assure que… », « Chez Valmétal, on… »: the
        organisation the sentence opens with."""
        clause = self.text[self._sentence_start(pos) : pos]
        match = _ON_AT.match(clause)
        if not match:
            return None
        at = self._sentence_start(pos) + match.start("name")
        entity = self._entity_at(at)
        return entity if entity is not None and entity[2] == "ORG" else None

    def _latest_person(self, pos: int, organisations: bool = False) -> Speaker | None:
        """Return the latest speaker or person named as a subject outside
        quotes before ``pos`` (the latest person named at all, failing that).
        A subject of this sentence or the one before wins if it comes later:
        a titled one (« Le ministre a été catégorique. « … », a-t-il
        assuré »), an unnamed one (« Un cheminot s'inquiète. « … »,
        prévient-il »: no one), an organisation with ``organisations``."""
        latest: tuple[int, Speaker] | None = None
        named: tuple[int, Speaker] | None = None
        for start, end, entity_type in self.entities:
            if start >= pos:
                break
            if entity_type == "PER" and not self._inside_quote(start):
                named = (start, (start, end, entity_type))
                if self._is_subject(start):
                    latest = named
        for at, speaker in self.spoken:
            if at < pos and speaker is not None and (latest is None or at > latest[0]):
                latest = (at, speaker)
        # A person named in this sentence or the one before, after the latest
        # speaker, is who the pronoun is about (« Pour Annie Bessard, … ».
        # « … », regrette-t-elle).
        recent = self._previous_sentence_start(pos)
        if named and named[0] >= recent and (latest is None or named[0] > latest[0]):
            latest = named
        for at, speaker, kind in self._subject_mentions():
            if at >= pos:
                break
            if at < recent or (kind == "org" and not organisations):
                continue
            if latest is None or at > latest[0]:
                latest = (at, speaker)
        chosen = latest or named
        return chosen[1] if chosen else None

    def _subjects_not_pronouns(self):
        """Yield the tokens of the doc that are subjects and not pronouns,
        found in its arrays rather than by a Token object per word."""
        strings = self.doc.vocab.strings
        subjects = {strings.add("nsubj"), strings.add("nsubj:pass")}
        pronoun = strings.add("PRON")
        columns = self.doc.to_array([DEP, POS])
        wanted = numpy.isin(columns[:, 0], list(subjects)) & (columns[:, 1] != pronoun)
        for i in numpy.flatnonzero(wanted).tolist():
            yield self.doc[i]

    def _subject_mentions(self) -> list[tuple[int, Speaker | None, str]]:
        """Return (position, who, kind) for the subjects outside quotes that
        name someone: a person or organisation, a titled noun resolved
        (« le ministre »), or an unnamed person speaking (« un cheminot
        s'inquiète »). Kind is "person", "org" or "unnamed"."""
        if self._subjects is not None:
            return self._subjects
        found: list[tuple[int, Speaker | None, str]] = []
        for token in self._subjects_not_pronouns() if self.parsed else ():
            if self._inside_quote(token.idx):
                continue
            who = self._entity_at(token.idx) or next(
                (
                    self._entity_at(child.idx)
                    for child in token.children
                    if child.dep_ in ("appos", "flat:name")
                    and self._entity_at(child.idx)
                ),
                None,
            )
            if who is None and token.pos_ == "NOUN":
                determiners = {c.lower_ for c in token.children if c.dep_ == "det"}
                if determiners & _DEFINITE:
                    who = self._title(token.lower_, token.idx)
                elif determiners & {"un", "une"} and self._is_verb(
                    _Word(token.head.text, token.head.idx, token.head.idx)
                ):
                    found.append((token.idx, None, "unnamed"))
                    continue
            if who is not None:
                found.append((token.idx, who, "org" if who[2] == "ORG" else "person"))
        found += self._sentence_openings()
        found.sort(key=lambda f: f[0])
        self._subjects = found
        return found

    def _sentence_openings(self) -> list[tuple[int, Speaker | None, str]]:
        """Subjects the parser may miss, read from how a sentence opens: a
        name after at most a determiner and a few lower-case words
        (« L'association Droit au logement juge… »), or an unnamed person
        speaking (« Un cheminot syndiqué […] s'inquiète »)."""
        found = []
        for start, end, _ in base.doc_sentences(self.doc):
            # The parser may start a sentence at the closing mark before it.
            while start < end and not self.text[start].isalnum():
                start += 1
            if self._inside_quote(start):
                continue
            unnamed = _UNNAMED.match(self.text, start, end)
            if unnamed and any(
                self._is_verb(w) for w in self._words(unnamed.end(), end)
            ):
                found.append((start, None, "unnamed"))
                continue
            opening = _OPENING.match(self.text, start, end)
            if opening is None:
                continue
            entity = self._entity_at(opening.end())
            if entity is not None and self._stands_as_subject(entity, end):
                kind = "org" if entity[2] == "ORG" else "person"
                found.append((entity[0], entity, kind))
        return found

    def _stands_as_subject(self, entity: Speaker, end: int) -> bool:
        """Whether a verb follows the name before any comma or quote mark
        (« L'association X juge… », not « Pour X, … »)."""
        words = self._words(entity[1], end)
        for word in words[:3]:
            if word.text in ',;:«“"()':
                return False
            if word.lower in _AUX[self.lang] or self._is_verb(word):
                return True
            token = self._token_at(word.start)
            if token is not None and token.pos_ in ("VERB", "AUX"):
                return True
        return False

    def _previous_sentence_start(self, pos: int) -> int:
        window = max(0, pos - 1500)
        ends = [
            m.end()
            for m in _SENTENCE_END.finditer(self.text, window, pos)
            if not self._inside_quote(m.start())
            and not (m.group() == "." and self._abbreviation(m.start()))
        ]
        return ends[-2] if len(ends) > 1 else window

    def _is_subject(self, start: int) -> bool:
        if not self.parsed:
            return True
        token = self._token_at(start)
        if token is None:
            return False
        if token.dep_ in ("appos", "flat:name", "conj") and token.head.pos_ in (
            "NOUN",
            "PROPN",
        ):
            token = token.head
        return token.dep_ in ("nsubj", "nsubj:pass")

    def _inside_quote(self, pos: int) -> bool:
        k = bisect.bisect_right(self.region_opens, pos) - 1
        return k >= 0 and self.regions[k].open < pos < self.regions[k].close


def _title_gap(gap: str, lang: str) -> bool:
    words = gap.replace(",", " ").replace("(", " ").split()
    return len(words) == 1 and words[0] in base.titles(lang)


def _strip_reflexive(word: str) -> str:
    return word[2:] if word[:2] in ("s'", "s’") else word
