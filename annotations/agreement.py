"""Inter-annotator agreement over span sets (DESIGN.md section 7).

Pure functions on plain values (``Mark``), then one loader that reads what a
user may compare from the database. No HTTP here: the API and the page call
``report``.

For every pair of annotators, over the blind articles both annotated, per
label and over every label:

- **strict** span F1: same start, end and label; **partial**: same label and
  an overlap of at least half the shorter span. Spans are paired one to one:
  exact pairs first, then partial ones, closest first (the larger share of
  the longer span), then by position and id, so the same data always gives
  the same pairs. F1 = 2·both / (spans of A + spans of B), with the counts
  (both, only A, only B).
- **Krippendorff's α** (nominal) over tokens, computed by the ``krippendorff``
  package: per label, each token is that label or not; over every label, each
  token's value is the set of labels covering it ("none" included). A token
  is a run of word characters (letters, digits, underscore, combining marks)
  or any other non-space character on its own; a span covers the tokens it
  overlaps. α is undefined (None) when every token has the same value.
- **entity type** agreement: the share of paired entities (strict or partial)
  with the same type (no type on both sides agrees).
- **source** agreement: of the paired spans that may name a source (every
  label but entity) where at least one side names one, the share whose two
  sources are themselves a pair of entities.
- **boundary-only** disagreements: of the spans left without an exact
  counterpart, the share overlapping a span of the other annotator with the
  same label that has no exact counterpart either (same label, overlapping,
  different ends).
"""

from __future__ import annotations

import bisect
import functools
import operator
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import krippendorff
import numpy as np

ALL = "all"


class Mark(NamedTuple):
    """A span as agreement reads it; ``source`` is the id of a mark in the
    same version. A tuple: thousands are built per request."""

    id: int
    start: int
    end: int
    label: str
    entity_type: str | None = None
    source: int | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


def overlap(a: Mark, b: Mark) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def partially_matches(a: Mark, b: Mark) -> bool:
    """Same label and at least half of the shorter span in common."""
    return a.label == b.label and 2 * overlap(a, b) >= min(a.length, b.length) > 0


@dataclass
class Matching:
    """One-to-one pairs between two versions of one text."""

    exact: list[tuple[Mark, Mark]]
    partial: list[tuple[Mark, Mark]]
    only_a: list[Mark]
    only_b: list[Mark]

    @property
    def pairs(self) -> list[tuple[Mark, Mark]]:
        return self.exact + self.partial


def _overlapping(marks_by_start: list[Mark], starts: list[int], longest: int, mark):
    """Yield the marks (sorted by start) that overlap ``mark``."""
    index = bisect.bisect_left(starts, mark.start - longest)
    end = mark.end
    while index < len(marks_by_start) and starts[index] < end:
        other = marks_by_start[index]
        if other.end > mark.start:
            yield other
        index += 1


def _by_label(marks) -> dict[str, list[Mark]]:
    grouped = defaultdict(list)
    for mark in marks:
        grouped[mark.label].append(mark)
    return grouped


_POSITION = operator.attrgetter("start", "end", "label", "id")
_START = operator.attrgetter("start", "id")


def match(a: Sequence[Mark], b: Sequence[Mark]) -> Matching:
    """Pair the marks of two versions: exact first, then partial, closest first."""
    exact_keys = defaultdict(list)
    for mark in sorted(b, key=_POSITION):
        exact_keys[(mark.start, mark.end, mark.label)].append(mark)
    exact, rest_a = [], []
    used_b = set()
    for mark in sorted(a, key=_POSITION):
        candidates = exact_keys.get((mark.start, mark.end, mark.label))
        if candidates:
            other = candidates.pop(0)
            used_b.add(other.id)
            exact.append((mark, other))
        else:
            rest_a.append(mark)
    rest_b = sorted((mark for mark in b if mark.id not in used_b), key=_START)
    # Partial pairs share their label: sweep each label's marks apart.
    candidates = []
    others_by_label = _by_label(rest_b)
    for label, marks in _by_label(rest_a).items():
        others = others_by_label.get(label)
        if not others:
            continue
        starts = [other.start for other in others]
        longest = max(other.end - other.start for other in others)
        for mark in marks:
            length = mark.end - mark.start
            for other in _overlapping(others, starts, longest, mark):
                common = min(mark.end, other.end) - max(mark.start, other.start)
                other_length = other.end - other.start
                if 2 * common >= min(length, other_length):
                    candidates.append(
                        (
                            -common / max(length, other_length),
                            mark.start,
                            other.start,
                            mark.id,
                            other.id,
                            mark,
                            other,
                        )
                    )
    candidates.sort(key=operator.itemgetter(0, 1, 2, 3, 4))
    partial, paired_a, paired_b = [], set(), set()
    for *_key, mark, other in candidates:
        if mark.id in paired_a or other.id in paired_b:
            continue
        paired_a.add(mark.id)
        paired_b.add(other.id)
        partial.append((mark, other))
    return Matching(
        exact=exact,
        partial=partial,
        only_a=[mark for mark in rest_a if mark.id not in paired_a],
        only_b=[mark for mark in rest_b if mark.id not in paired_b],
    )


# Figures


@dataclass
class Counts:
    both: int = 0
    only_a: int = 0
    only_b: int = 0

    @property
    def units(self) -> int:
        return self.both + self.only_a + self.only_b

    @property
    def f1(self) -> float | None:
        marks = 2 * self.both + self.only_a + self.only_b
        return 2 * self.both / marks if marks else None

    def add(self, both: int, only_a: int, only_b: int) -> None:
        self.both += both
        self.only_a += only_a
        self.only_b += only_b

    def as_dict(self) -> dict:
        return {
            "f1": self.f1,
            "both": self.both,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "units": self.units,
        }


@dataclass
class Share:
    agreed: int = 0
    units: int = 0

    @property
    def value(self) -> float | None:
        return self.agreed / self.units if self.units else None

    def add(self, agreed: int, units: int) -> None:
        self.agreed += agreed
        self.units += units


@dataclass
class Figures:
    """Every figure of one pair of annotators for one label (or all)."""

    strict: Counts = field(default_factory=Counts)
    partial: Counts = field(default_factory=Counts)
    entity_type: Share = field(default_factory=Share)
    source: Share = field(default_factory=Share)
    boundary_only: Share = field(default_factory=Share)
    alpha: float | None = None
    tokens: int = 0
    # How many tokens had each (value of A, value of B): all α needs.
    token_pairs: Counter = field(default_factory=Counter, repr=False)

    def add(self, other: Figures) -> None:
        for name in ("strict", "partial"):
            counts = getattr(other, name)
            getattr(self, name).add(counts.both, counts.only_a, counts.only_b)
        for name in ("entity_type", "source", "boundary_only"):
            share = getattr(other, name)
            getattr(self, name).add(share.agreed, share.units)
        self.token_pairs.update(other.token_pairs)

    def finish(self) -> None:
        """Compute α over every token counted so far."""
        self.tokens = sum(self.token_pairs.values())
        self.alpha = alpha_of_pairs(self.token_pairs)

    def as_dict(self) -> dict:
        return {
            "strict": self.strict.as_dict(),
            "partial": self.partial.as_dict(),
            "alpha": {"value": self.alpha, "units": self.tokens},
            "entity_type": {
                "agreement": self.entity_type.value,
                "agreed": self.entity_type.agreed,
                "units": self.entity_type.units,
            },
            "source": {
                "agreement": self.source.value,
                "agreed": self.source.agreed,
                "units": self.source.units,
            },
            "boundary_only": {
                "share": self.boundary_only.value,
                "count": self.boundary_only.agreed,
                "units": self.boundary_only.units,
            },
        }


def _boundary_only(matching: Matching) -> list[tuple[Mark, bool]]:
    """Return each mark without an exact counterpart, and whether it overlaps
    one of the other side's with the same label (a boundary-only disagreement)."""
    # Strict leftovers: every mark not exactly matched, partial pairs included.
    left_a = matching.only_a + [a for a, _b in matching.partial]
    left_b = matching.only_b + [b for _a, b in matching.partial]
    result = []
    for side, other in ((left_a, left_b), (left_b, left_a)):
        others_by_label = {
            label: sorted(marks, key=_START)
            for label, marks in _by_label(other).items()
        }
        for label, marks in _by_label(side).items():
            others = others_by_label.get(label)
            if not others:
                result.extend((mark, False) for mark in marks)
                continue
            starts = [mark.start for mark in others]
            longest = max(mark.end - mark.start for mark in others)
            for mark in marks:
                found = next(_overlapping(others, starts, longest, mark), None)
                result.append((mark, found is not None))
    return result


# Tokens


@functools.cache
def _character_classes() -> tuple[np.ndarray, np.ndarray]:
    """Return (word, space) lookup tables over the Basic Multilingual Plane.

    Characters beyond it (emoji, mostly) are tokens of their own.
    """
    chars = [chr(code) for code in range(0x10000)]
    word = np.fromiter(
        (
            char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"
            for char in chars
        ),
        dtype=bool,
        count=len(chars),
    )
    space = np.fromiter(
        (char.isspace() for char in chars), dtype=bool, count=len(chars)
    )
    return word, space


def token_bounds(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the start and end offsets (code points) of the tokens of ``text``."""
    if not text:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    word_table, space_table = _character_classes()
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    in_plane = codes < 0x10000
    index = np.where(in_plane, codes, 0)
    word = in_plane & word_table[index]
    space = in_plane & space_table[index]
    other = ~word & ~space
    before = np.concatenate(([False], word[:-1]))
    after = np.concatenate((word[1:], [False]))
    starts = np.flatnonzero(other | (word & ~before))
    ends = np.flatnonzero(other | (word & ~after)) + 1
    return starts, ends


def _coverage(bounds, starts, ends, columns, width: int) -> np.ndarray:
    """Return a (tokens × labels) table: whether a mark (``starts``, ``ends``,
    label ``columns``) of each label overlaps each token."""
    token_starts, token_ends = bounds
    change = np.zeros((len(token_starts) + 1, width), dtype=np.int32)
    if len(starts):
        first = np.searchsorted(token_ends, starts, side="right")
        last = np.searchsorted(token_starts, ends, side="left")
        columns = np.asarray(columns)
        keep = first < last
        np.add.at(change, (first[keep], columns[keep]), 1)
        np.add.at(change, (last[keep], columns[keep]), -1)
    return np.cumsum(change[:-1], axis=0) > 0


def _token_pairs(bounds, version_a, version_b, labels) -> dict[str, Counter]:
    """Return, per label and over all (``ALL``), how many tokens had each
    (value of A, value of B). Per label a token is 1 (covered) or 0; over all
    labels its value is the set of labels covering it, as a bit mask."""
    columns = {label: index for index, label in enumerate(labels)}

    def arrays(version):
        marks = [mark for mark in version if mark.label in columns]
        return (
            [mark.start for mark in marks],
            [mark.end for mark in marks],
            [columns[mark.label] for mark in marks],
        )

    return _counted_pairs(bounds, arrays(version_a), arrays(version_b), labels)


def _counted_pairs(bounds, marks_a, marks_b, labels) -> dict[str, Counter]:
    """``_token_pairs`` on marks given as (starts, ends, label columns)."""
    covered_a = _coverage(bounds, *marks_a, len(labels))
    covered_b = _coverage(bounds, *marks_b, len(labels))
    tokens = len(bounds[0])
    both = (covered_a & covered_b).sum(axis=0).tolist()
    only_a = (covered_a & ~covered_b).sum(axis=0).tolist()
    only_b = (~covered_a & covered_b).sum(axis=0).tolist()
    result = {
        label: Counter(
            {
                (1, 1): both[index],
                (1, 0): only_a[index],
                (0, 1): only_b[index],
                (0, 0): tokens - both[index] - only_a[index] - only_b[index],
            }
        )
        for index, label in enumerate(labels)
    }
    overall = result[ALL] = Counter()
    if tokens:
        weights = np.left_shift(1, np.arange(len(labels), dtype=np.int64))
        keys = (covered_a @ weights) << len(labels) | (covered_b @ weights)
        found, counts = np.unique(keys, return_counts=True)
        mask = (1 << len(labels)) - 1
        for key, count in zip(found.tolist(), counts.tolist(), strict=True):
            overall[(key >> len(labels), key & mask)] = count
    return result


def alpha_of_pairs(pairs: Counter) -> float | None:
    """Krippendorff's α (nominal) of two coders, from how many units had each
    (value of A, value of B); None when every unit has the same value.

    The ``krippendorff`` package computes it from value counts per unit, at a
    cost of units × values². Two coders giving one value to k units add 2k to
    its coincidence, exactly as one unit where 2k coders all give it, so the
    agreeing units of each value go in as one such unit; each disagreeing unit
    goes in as itself. The coincidence matrix, and so α, is unchanged.
    """
    pairs = {pair: count for pair, count in pairs.items() if count}
    values = sorted({value for pair in pairs for value in pair})
    if len(values) < 2:
        return None
    column = {value: index for index, value in enumerate(values)}
    agreeing = np.zeros(len(values))
    disagreeing = []
    for (a, b), count in pairs.items():
        if a == b:
            agreeing[column[a]] += 2 * count
        else:
            disagreeing.append((column[a], column[b], count))
    rows = [np.diag(agreeing)[agreeing > 0]]
    if disagreeing:
        counts = np.array([count for _a, _b, count in disagreeing])
        units = np.zeros((int(counts.sum()), len(values)))
        unit = np.arange(len(units))
        units[unit, np.repeat([a for a, _b, _n in disagreeing], counts)] += 1
        units[unit, np.repeat([b for _a, b, _n in disagreeing], counts)] += 1
        rows.append(units)
    return float(
        krippendorff.alpha(value_counts=np.vstack(rows), level_of_measurement="nominal")
    )


def token_pairs(values_a, values_b) -> Counter:
    """Return how many units had each (value of A, value of B)."""
    return Counter(
        zip(np.asarray(values_a).tolist(), np.asarray(values_b).tolist(), strict=True)
    )


# Pairs over articles


# A tally: the counts behind one label's figures in one article, as a list so
# that summing thousands of them costs little.
(
    STRICT_BOTH,
    STRICT_A,
    STRICT_B,
    PARTIAL_BOTH,
    PARTIAL_A,
    PARTIAL_B,
    TYPE_AGREED,
    TYPE_UNITS,
    SOURCE_AGREED,
    SOURCE_UNITS,
    BOUNDARY_ONLY,
    BOUNDARY_UNITS,
) = range(12)


def _span_tallies(
    version_a: Sequence[Mark],
    version_b: Sequence[Mark],
    labels: Sequence[str],
    entity: str,
) -> dict[str, list[int]]:
    """Return the span counts of one article per label (no tokens)."""
    wanted = set(labels)
    # Entities are matched even when not compared: sources point at them.
    read = wanted | {entity}
    matching = match(
        [mark for mark in version_a if mark.label in read],
        [mark for mark in version_b if mark.label in read],
    )
    paired_entities = {(a.id, b.id) for a, b in matching.pairs if a.label == entity}
    tallies = {label: [0] * 12 for label in labels}
    for a, _b in matching.exact:
        if a.label in wanted:
            tally = tallies[a.label]
            tally[STRICT_BOTH] += 1
            tally[PARTIAL_BOTH] += 1
    for a, _b in matching.partial:
        if a.label in wanted:
            tally = tallies[a.label]
            tally[STRICT_A] += 1
            tally[STRICT_B] += 1
            tally[PARTIAL_BOTH] += 1
    for strict, partial, marks in (
        (STRICT_A, PARTIAL_A, matching.only_a),
        (STRICT_B, PARTIAL_B, matching.only_b),
    ):
        for mark in marks:
            if mark.label in wanted:
                tallies[mark.label][strict] += 1
                tallies[mark.label][partial] += 1
    for a, b in matching.pairs:
        if a.label not in wanted:
            continue
        tally = tallies[a.label]
        if a.label == entity:
            tally[TYPE_AGREED] += a.entity_type == b.entity_type
            tally[TYPE_UNITS] += 1
        elif a.source is not None or b.source is not None:
            tally[SOURCE_AGREED] += (a.source, b.source) in paired_entities
            tally[SOURCE_UNITS] += 1
    for mark, boundary in _boundary_only(matching):
        if mark.label in wanted:
            tallies[mark.label][BOUNDARY_ONLY] += boundary
            tallies[mark.label][BOUNDARY_UNITS] += 1
    return tallies


def _figures(tally: list[int]) -> Figures:
    return Figures(
        strict=Counts(*tally[STRICT_BOTH : STRICT_B + 1]),
        partial=Counts(*tally[PARTIAL_BOTH : PARTIAL_B + 1]),
        entity_type=Share(tally[TYPE_AGREED], tally[TYPE_UNITS]),
        source=Share(tally[SOURCE_AGREED], tally[SOURCE_UNITS]),
        boundary_only=Share(tally[BOUNDARY_ONLY], tally[BOUNDARY_UNITS]),
    )


def _summed(tallies) -> list[int]:
    return [sum(column) for column in zip(*tallies, strict=True)] or [0] * 12


def _span_figures(version_a, version_b, labels, entity) -> dict[str, Figures]:
    """Return the span figures of one article (no tokens), per label and ALL."""
    tallies = _span_tallies(version_a, version_b, labels, entity)
    result = {label: _figures(tally) for label, tally in tallies.items()}
    result[ALL] = _figures(_summed(tallies.values()))
    return result


def compare_article(
    text: str,
    version_a: Sequence[Mark],
    version_b: Sequence[Mark],
    labels: Sequence[str],
    *,
    entity: str = "entity",
    bounds=None,
) -> dict[str, Figures]:
    """Return the figures of one article, per label of ``labels`` and over all
    of them (key ``ALL``); α is left to ``combine``."""
    result = _span_figures(version_a, version_b, labels, entity)
    bounds = token_bounds(text) if bounds is None else bounds
    for label, pairs in _token_pairs(bounds, version_a, version_b, labels).items():
        result[label].token_pairs = pairs
    return result


def combine(per_article: Iterable[dict[str, Figures]]) -> dict[str, Figures]:
    """Sum the counts of several articles and compute α over all their tokens."""
    total: dict[str, Figures] = {}
    for figures_by_label in per_article:
        for label, figures in figures_by_label.items():
            total.setdefault(label, Figures()).add(figures)
    for figures in total.values():
        figures.finish()
    return total


@dataclass
class ArticleVersions:
    """One blind article: its text and each annotator's version."""

    id: int
    title: str
    text: str
    versions: dict[str, list[Mark]]
    adjudicated: bool = False


@dataclass
class PairReport:
    annotators: tuple[str, str]
    articles: list[int]
    figures: dict[str, Figures]


@dataclass
class Disagreement:
    article: ArticleVersions
    annotators: tuple[str, str]
    disagreements: int
    partial_f1: float | None


@dataclass
class Report:
    labels: list[str]
    pairs: list[PairReport]
    most_disagreement: list[Disagreement]
    articles: int

    def as_dict(self) -> dict:
        """Return the report as the API gives it (without URLs)."""
        return {
            "labels": self.labels,
            "articles": self.articles,
            "pairs": [
                {
                    "annotators": list(pair.annotators),
                    "articles": len(pair.articles),
                    "labels": {
                        label: figures.as_dict()
                        for label, figures in pair.figures.items()
                    },
                }
                for pair in self.pairs
            ],
            "most_disagreement": [
                {
                    "article": row.article.id,
                    "title": row.article.title,
                    "annotators": list(row.annotators),
                    "disagreements": row.disagreements,
                    "partial_f1": row.partial_f1,
                    "adjudicated": row.article.adjudicated,
                }
                for row in self.most_disagreement
            ],
        }


@dataclass
class _PairTokens:
    """A pair's articles laid end to end: token bounds and marks shifted by
    each article's place, so α's counts come from one pass over them all."""

    starts: list = field(default_factory=list)
    ends: list = field(default_factory=list)
    marks: tuple = field(default_factory=lambda: ([], [], [], [], [], []))
    offset: int = 0

    def add(self, text: str, bounds, version_a, version_b, columns) -> None:
        shift = self.offset
        self.starts.append(bounds[0] + shift)
        self.ends.append(bounds[1] + shift)
        for side, version in enumerate((version_a, version_b)):
            kept = [mark for mark in version if mark.label in columns]
            starts, ends, labels = self.marks[3 * side : 3 * side + 3]
            starts.extend([mark.start + shift for mark in kept])
            ends.extend([mark.end + shift for mark in kept])
            labels.extend([columns[mark.label] for mark in kept])
        # One character more: no token spans two articles.
        self.offset += len(text) + 1

    def pairs(self, labels) -> dict[str, Counter]:
        bounds = (
            np.concatenate(self.starts) if self.starts else np.zeros(0, np.int64),
            np.concatenate(self.ends) if self.ends else np.zeros(0, np.int64),
        )
        return _counted_pairs(bounds, self.marks[:3], self.marks[3:], labels)


def build_report(
    articles: Iterable[ArticleVersions],
    labels: Sequence[str],
    *,
    annotator: str | None = None,
    entity: str = "entity",
    top: int = 20,
) -> Report:
    """Compare every pair of annotators on the articles both annotated."""
    totals = defaultdict(dict)
    tokens = defaultdict(_PairTokens)
    columns = {label: index for index, label in enumerate(labels)}
    pair_articles = defaultdict(list)
    ranked = []
    count = 0
    for article in articles:
        names = sorted(article.versions)
        pairs = [
            (a, b)
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if annotator is None or annotator in (a, b)
        ]
        if not pairs:
            continue
        count += 1
        bounds = token_bounds(article.text)
        for a, b in pairs:
            version_a, version_b = article.versions[a], article.versions[b]
            tallies = _span_tallies(version_a, version_b, labels, entity)
            total = totals[(a, b)]
            for label, tally in tallies.items():
                into = total.setdefault(label, [0] * 12)
                for index, value in enumerate(tally):
                    into[index] += value
            tokens[(a, b)].add(article.text, bounds, version_a, version_b, columns)
            pair_articles[(a, b)].append(article.id)
            overall = _figures(_summed(tallies.values()))
            ranked.append(
                Disagreement(
                    article=article,
                    annotators=(a, b),
                    disagreements=overall.strict.only_a + overall.strict.only_b,
                    partial_f1=overall.partial.f1,
                )
            )
    for pair, tallies in totals.items():
        figures_by_label = {label: _figures(tally) for label, tally in tallies.items()}
        figures_by_label[ALL] = _figures(_summed(tallies.values()))
        for label, pairs in tokens[pair].pairs(labels).items():
            figures_by_label[label].token_pairs = pairs
            figures_by_label[label].finish()
        totals[pair] = figures_by_label
    ranked.sort(
        key=lambda d: (
            -d.disagreements,
            d.partial_f1 if d.partial_f1 is not None else 1.0,
            d.article.id,
            d.annotators,
        )
    )
    return Report(
        labels=list(labels),
        pairs=[
            PairReport(pair, pair_articles[pair], totals[pair])
            for pair in sorted(totals)
        ],
        most_disagreement=[d for d in ranked if d.disagreements][:top],
        articles=count,
    )


# Reading what a user may compare


def report(
    *,
    user,
    article_ids: Sequence[int] = (),
    label_slugs: Sequence[str] = (),
    annotator: str | None = None,
    labels=None,
) -> Report:
    """Return the agreement figures over the blind articles ``user`` may compare.

    Reviewers and admins compare every double-annotated article (but not one
    they annotate blind themselves before it is adjudicated); everyone else
    only adjudicated ones. ``labels`` (Label rows in order) saves reading
    them. Four queries, however many articles.
    """
    from django.contrib.auth import get_user_model

    from .models import ENTITY_SLUG, Article, Label, Span

    articles = Article.objects.compared_for(user)
    if article_ids:
        articles = articles.filter(pk__in=article_ids)
    if annotator:
        articles = articles.filter(
            spans__blind=True, spans__created_by__username=annotator
        ).distinct()
    rows = {
        pk: ArticleVersions(pk, title, text, defaultdict(list), adjudicated is not None)
        for pk, title, text, adjudicated in articles.order_by("pk").values_list(
            "pk", "title", "text", "adjudicated_at"
        )
    }
    if labels is None:
        labels = Label.objects.order_by("order", "name")
    slugs = {label.pk: label.slug for label in labels}
    compared = [
        slug for slug in slugs.values() if not label_slugs or slug in set(label_slugs)
    ]
    # Ids, not joins: the rows are many and the names few. The order does not
    # matter: every comparison sorts by position.
    spans = list(
        # People's versions: their suggestions are not (yet) annotations.
        Span.objects.filter(article_id__in=list(rows), blind=True)
        .accepted()
        .order_by()
        .values_list(
            "article_id",
            "created_by_id",
            "id",
            "start",
            "end",
            "label_id",
            "entity_type",
            "source_id",
        )
    )
    names = dict(
        get_user_model()
        .objects.filter(pk__in={row[1] for row in spans})
        .values_list("pk", "username")
    )
    for article_id, person, pk, start, end, label, entity_type, source in spans:
        rows[article_id].versions[names[person]].append(
            Mark(pk, start, end, slugs[label], entity_type, source)
        )
    return build_report(
        rows.values(), compared, annotator=annotator, entity=ENTITY_SLUG
    )
