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
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import krippendorff
import numpy as np

ALL = "all"


@dataclass(frozen=True, slots=True)
class Mark:
    """A span as agreement reads it; ``source`` is the id of a mark in the
    same version."""

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
    while index < len(marks_by_start) and marks_by_start[index].start < mark.end:
        other = marks_by_start[index]
        if other.end > mark.start:
            yield other
        index += 1


def match(a: Sequence[Mark], b: Sequence[Mark]) -> Matching:
    """Pair the marks of two versions: exact first, then partial, closest first."""
    exact_keys = defaultdict(list)
    for mark in b:
        exact_keys[(mark.start, mark.end, mark.label)].append(mark)
    exact, rest_a = [], []
    used_b = set()
    for mark in sorted(a, key=lambda m: (m.start, m.end, m.label, m.id)):
        candidates = exact_keys.get((mark.start, mark.end, mark.label))
        if candidates:
            other = candidates.pop(0)
            used_b.add(other.id)
            exact.append((mark, other))
        else:
            rest_a.append(mark)
    rest_b = sorted(
        (mark for mark in b if mark.id not in used_b), key=lambda m: (m.start, m.id)
    )
    starts = [mark.start for mark in rest_b]
    longest = max((mark.length for mark in rest_b), default=0)
    candidates = []
    for mark in rest_a:
        for other in _overlapping(rest_b, starts, longest, mark):
            if partially_matches(mark, other):
                closeness = overlap(mark, other) / max(mark.length, other.length)
                candidates.append(
                    (
                        -closeness,
                        mark.start,
                        other.start,
                        mark.id,
                        other.id,
                        mark,
                        other,
                    )
                )
    candidates.sort(key=lambda candidate: candidate[:5])
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
    # Token values of each side, joined over the articles before α is computed.
    _values: list = field(default_factory=list, repr=False)

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


def _boundary_only(matching: Matching) -> tuple[int, int]:
    """Return (boundary-only disagreements, disagreements) of a strict comparison."""
    # Strict leftovers: every mark not exactly matched, partial pairs included.
    left_a = matching.only_a + [a for a, _b in matching.partial]
    left_b = matching.only_b + [b for _a, b in matching.partial]
    boundary = 0
    for side, other in ((left_a, left_b), (left_b, left_a)):
        by_start = sorted(other, key=lambda m: (m.start, m.id))
        starts = [mark.start for mark in by_start]
        longest = max((mark.length for mark in by_start), default=0)
        for mark in side:
            if any(
                candidate.label == mark.label
                for candidate in _overlapping(by_start, starts, longest, mark)
            ):
                boundary += 1
    return boundary, len(left_a) + len(left_b)


def _tally(
    figures: Figures, matching: Matching, entity: str, paired_entities: set
) -> None:
    """Add one article's comparison (already cut to one label, or not) to
    ``figures``; ``paired_entities`` holds the (A id, B id) entity pairs."""
    exact, pairs = len(matching.exact), len(matching.pairs)
    figures.strict.add(
        exact,
        len(matching.only_a) + len(matching.partial),
        len(matching.only_b) + len(matching.partial),
    )
    figures.partial.add(pairs, len(matching.only_a), len(matching.only_b))
    figures.entity_type.add(
        sum(
            1
            for a, b in matching.pairs
            if a.label == entity and a.entity_type == b.entity_type
        ),
        sum(1 for a, _b in matching.pairs if a.label == entity),
    )
    named = [
        (a, b)
        for a, b in matching.pairs
        if a.label != entity and (a.source is not None or b.source is not None)
    ]
    figures.source.add(
        sum(1 for a, b in named if (a.source, b.source) in paired_entities),
        len(named),
    )
    figures.boundary_only.add(*_boundary_only(matching))


def _restricted(matching: Matching, labels) -> Matching:
    """Return the part of ``matching`` with ``labels``: pairs share their label,
    so it is what matching only those marks would give."""
    return Matching(
        exact=[pair for pair in matching.exact if pair[0].label in labels],
        partial=[pair for pair in matching.partial if pair[0].label in labels],
        only_a=[mark for mark in matching.only_a if mark.label in labels],
        only_b=[mark for mark in matching.only_b if mark.label in labels],
    )


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


def _covered(bounds, marks: Iterable[Mark]) -> np.ndarray:
    """Return, per token, whether one of ``marks`` overlaps it."""
    starts, ends = bounds
    change = np.zeros(len(starts) + 1, dtype=np.int32)
    marks = list(marks)
    if marks:
        first = np.searchsorted(ends, [m.start for m in marks], side="right")
        last = np.searchsorted(starts, [m.end for m in marks], side="left")
        keep = first < last
        np.add.at(change, first[keep], 1)
        np.add.at(change, last[keep], -1)
    return np.cumsum(change[:-1]) > 0


def alpha(values_a: np.ndarray, values_b: np.ndarray) -> float | None:
    """Krippendorff's α (nominal) of two coders over the same units, or None
    when every unit has the same value (α is undefined)."""
    if len(values_a) == 0:
        return None
    data = np.vstack([values_a, values_b]).astype(np.float64)
    if np.all(data == data[0, 0]):
        return None
    return float(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    )


# Pairs over articles


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
    wanted = set(labels)
    # Entities are matched even when not compared: sources point at them.
    read = wanted | {entity}
    full = match(
        [mark for mark in version_a if mark.label in read],
        [mark for mark in version_b if mark.label in read],
    )
    paired_entities = {(a.id, b.id) for a, b in full.pairs if a.label == entity}
    matching = _restricted(full, wanted)
    version_a = [mark for mark in version_a if mark.label in wanted]
    version_b = [mark for mark in version_b if mark.label in wanted]
    bounds = token_bounds(text) if bounds is None else bounds
    result = {}
    overall_a = np.zeros(len(bounds[0]), dtype=np.int64)
    overall_b = np.zeros(len(bounds[0]), dtype=np.int64)
    for bit, label in enumerate(labels):
        figures = result[label] = Figures()
        _tally(figures, _restricted(matching, {label}), entity, paired_entities)
        covered_a = _covered(bounds, (m for m in version_a if m.label == label))
        covered_b = _covered(bounds, (m for m in version_b if m.label == label))
        figures._values.append((covered_a, covered_b))
        overall_a |= covered_a.astype(np.int64) << bit
        overall_b |= covered_b.astype(np.int64) << bit
    overall = result[ALL] = Figures()
    _tally(overall, matching, entity, paired_entities)
    overall._values.append((overall_a, overall_b))
    return result


def combine(per_article: Iterable[dict[str, Figures]]) -> dict[str, Figures]:
    """Sum the counts of several articles and compute α over all their tokens."""
    total: dict[str, Figures] = {}
    for figures_by_label in per_article:
        for label, figures in figures_by_label.items():
            into = total.setdefault(label, Figures())
            for name in ("strict", "partial"):
                counts = getattr(figures, name)
                getattr(into, name).add(counts.both, counts.only_a, counts.only_b)
            for name in ("entity_type", "source", "boundary_only"):
                share = getattr(figures, name)
                getattr(into, name).add(share.agreed, share.units)
            into._values.extend(figures._values)
    for figures in total.values():
        if figures._values:
            values_a = np.concatenate([a for a, _b in figures._values])
            values_b = np.concatenate([b for _a, b in figures._values])
            figures.tokens = len(values_a)
            figures.alpha = alpha(values_a, values_b)
        figures._values = []
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


def build_report(
    articles: Iterable[ArticleVersions],
    labels: Sequence[str],
    *,
    annotator: str | None = None,
    entity: str = "entity",
    top: int = 20,
) -> Report:
    """Compare every pair of annotators on the articles both annotated."""
    by_pair = defaultdict(list)
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
            figures = compare_article(
                article.text,
                article.versions[a],
                article.versions[b],
                labels,
                entity=entity,
                bounds=bounds,
            )
            by_pair[(a, b)].append(figures)
            pair_articles[(a, b)].append(article.id)
            overall = figures[ALL]
            ranked.append(
                Disagreement(
                    article=article,
                    annotators=(a, b),
                    disagreements=overall.strict.only_a + overall.strict.only_b,
                    partial_f1=overall.partial.f1,
                )
            )
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
            PairReport(pair, pair_articles[pair], combine(by_pair[pair]))
            for pair in sorted(by_pair)
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
    labels: Sequence[str] | None = None,
) -> Report:
    """Return the agreement figures over the blind articles ``user`` may compare.

    Reviewers and admins compare every double-annotated article (but not one
    they annotate blind themselves before it is adjudicated); everyone else
    only adjudicated ones. ``labels`` (slugs in order) saves reading them.
    Three queries, however many articles.
    """
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
        labels = Label.objects.order_by("order", "name").values_list("slug", flat=True)
    labels = list(labels)
    if label_slugs:
        labels = [slug for slug in labels if slug in set(label_slugs)]
    spans = (
        Span.objects.filter(article_id__in=list(rows), blind=True)
        .order_by("article_id", "start", "end", "id")
        .values_list(
            "article_id",
            "created_by__username",
            "id",
            "start",
            "end",
            "label__slug",
            "entity_type",
            "source_id",
        )
    )
    for article_id, name, *values in spans.iterator(chunk_size=5000):
        rows[article_id].versions[name].append(Mark(*values))
    return build_report(rows.values(), labels, annotator=annotator, entity=ENTITY_SLUG)
