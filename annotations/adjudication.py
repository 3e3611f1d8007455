"""Adjudication of a blind article: from each annotator's version to one set of
approved spans (DESIGN.md section 7).

``propose`` lines the versions up: spans identical in every version (start,
end, label and entity type) are merged without asking; the others are grouped
into items, each span with its counterparts in the other versions (a span of
another annotator overlapping it with the same label, or covering at least
half of the longer of the two with another label: "claim" against "opinion"
on one sentence). ``plan`` turns one decision per item (keep some annotators'
spans, none, or spans written anew) into the spans to create, with where each
came from; ``services.article_adjudicate`` writes them.

Decisions are keyed by item: the ids of the item's spans joined with "-", so a
script can read them from ``GET /api/v1/articles/<id>/adjudicate/``. The
proposal's ``state`` (a hash of every version span's id and version) tells a
stale page from a current one.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .agreement import Mark, overlap
from .models import ENTITY_SLUG, Span

KEEP = "keep"
EDIT = "edit"


@dataclass(frozen=True)
class Merged:
    """A span every annotator marked identically."""

    mark: Mark
    ids: tuple[int, ...]
    sources: tuple[int | None, ...]


@dataclass
class Item:
    """Spans of several versions that answer each other, to decide on together."""

    key: str
    start: int
    end: int
    marks: dict[str, list[Mark]]

    @property
    def annotators_with_marks(self) -> list[str]:
        return [name for name, marks in self.marks.items() if marks]

    @property
    def keeps_all_clash(self) -> bool:
        """True if keeping every version would repeat a (start, end, label)."""
        keys = Counter(
            (mark.start, mark.end, mark.label)
            for marks in self.marks.values()
            for mark in marks
        )
        return any(n > 1 for n in keys.values())


@dataclass
class Proposal:
    annotators: list[str]
    merged: list[Merged]
    items: list[Item]
    state: str
    owner: dict[int, str] = field(default_factory=dict)

    def item(self, key: str) -> Item | None:
        return next((item for item in self.items if item.key == key), None)

    def as_dict(self, text: str) -> dict:
        """Return the proposal as the API gives it."""

        def mark_data(mark):
            return {
                "id": mark.id,
                "start": mark.start,
                "end": mark.end,
                "label": mark.label,
                "entity_type": mark.entity_type,
                "source": mark.source,
                "text": text[mark.start : mark.end],
            }

        return {
            "state": self.state,
            "annotators": self.annotators,
            "merged": [
                {
                    "start": merged.mark.start,
                    "end": merged.mark.end,
                    "label": merged.mark.label,
                    "entity_type": merged.mark.entity_type,
                    "text": text[merged.mark.start : merged.mark.end],
                    "versions": list(merged.ids),
                }
                for merged in self.merged
            ],
            "items": [
                {
                    "item": item.key,
                    "start": item.start,
                    "end": item.end,
                    "versions": {
                        name: [mark_data(mark) for mark in marks]
                        for name, marks in item.marks.items()
                    },
                }
                for item in self.items
            ],
        }


def state_of(rows) -> str:
    """Return the hash of (id, version) pairs: any edit of a version changes it."""
    digest = hashlib.sha256()
    for pk, version in sorted(rows):
        digest.update(f"{pk}:{version};".encode())
    return digest.hexdigest()[:32]


def _counterparts(a: Mark, b: Mark) -> bool:
    common = overlap(a, b)
    if not common:
        return False
    return a.label == b.label or 2 * common >= max(a.length, b.length)


def propose(versions: dict[str, list[Mark]], state: str = "") -> Proposal:
    """Line up the versions (annotator name → marks) as merged spans and items."""
    annotators = sorted(versions)
    owner = {mark.id: name for name, marks in versions.items() for mark in marks}
    by_key = defaultdict(dict)
    for name in annotators:
        for mark in versions[name]:
            key = (mark.start, mark.end, mark.label, mark.entity_type)
            by_key[key][name] = mark
    merged, rest = [], []
    for key in sorted(by_key, key=lambda k: (k[0], k[1], k[2], k[3] or "")):
        marks = by_key[key]
        if len(annotators) > 1 and len(marks) == len(annotators):
            ordered = [marks[name] for name in annotators]
            merged.append(
                Merged(
                    mark=ordered[0],
                    ids=tuple(mark.id for mark in ordered),
                    sources=tuple(mark.source for mark in ordered),
                )
            )
        else:
            rest.extend(marks.values())
    # Connected groups of counterparts, swept in order of start.
    rest.sort(key=lambda mark: (mark.start, mark.end, mark.id))
    parent = {mark.id: mark.id for mark in rest}

    def find(pk):
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    open_marks = []
    for mark in rest:
        open_marks = [other for other in open_marks if other.end > mark.start]
        for other in open_marks:
            if owner[other.id] != owner[mark.id] and _counterparts(mark, other):
                parent[find(mark.id)] = find(other.id)
        open_marks.append(mark)
    groups = defaultdict(list)
    for mark in rest:
        groups[find(mark.id)].append(mark)
    items = []
    for marks in groups.values():
        per_annotator = {name: [] for name in annotators}
        for mark in marks:
            per_annotator[owner[mark.id]].append(mark)
        items.append(
            Item(
                key="-".join(str(pk) for pk in sorted(mark.id for mark in marks)),
                start=min(mark.start for mark in marks),
                end=max(mark.end for mark in marks),
                marks=per_annotator,
            )
        )
    items.sort(key=lambda item: (item.start, item.end, item.key))
    return Proposal(annotators, merged, items, state, owner)


@dataclass
class Decision:
    """Keep the spans of ``keep`` (annotator names), or, when ``spans`` is not
    None, create those instead (an edit)."""

    keep: tuple[str, ...] = ()
    spans: list[dict] | None = None


@dataclass
class Planned:
    """A span the adjudication creates, and where it came from."""

    start: int
    end: int
    label: str
    entity_type: str | None
    how: str  # "merged", "kept" or "edited"
    annotators: list[str]
    version_ids: list[int]
    source_refs: list[int | None]
    item: str | None = None
    source: int | None = None  # index into the plan, once resolved


def plan(proposal: Proposal, decisions: dict[str, Decision]) -> list[Planned]:
    """Return the spans to create; raise ValidationError naming every item
    left undecided, unknown, or decided in a way that cannot stand."""
    errors = []
    known = {item.key for item in proposal.items}
    unknown = sorted(set(decisions) - known)
    if unknown:
        errors.append(
            _("No such item: %(keys)s. Reload the proposal: the versions changed.")
            % {"keys": ", ".join(unknown)}
        )
    missing = [item.key for item in proposal.items if item.key not in decisions]
    if missing:
        errors.append(
            _("Decide on every item; %(n)d left: %(keys)s.")
            % {"n": len(missing), "keys": ", ".join(missing)}
        )
    planned = [
        Planned(
            start=merged.mark.start,
            end=merged.mark.end,
            label=merged.mark.label,
            entity_type=merged.mark.entity_type,
            how="merged",
            annotators=list(proposal.annotators),
            version_ids=list(merged.ids),
            source_refs=list(merged.sources),
        )
        for merged in proposal.merged
    ]
    for item in proposal.items:
        decision = decisions.get(item.key)
        if decision is None:
            continue
        if decision.spans is not None:
            for values in decision.spans:
                source = values.get("source")
                if source is not None and source not in proposal.owner:
                    errors.append(
                        _(
                            "Item %(key)s: the source %(source)s is not a span of "
                            "these versions."
                        )
                        % {"key": item.key, "source": source}
                    )
                planned.append(
                    Planned(
                        start=values["start"],
                        end=values["end"],
                        label=values["label"],
                        entity_type=values.get("entity_type") or None,
                        how="edited",
                        annotators=[],
                        version_ids=[],
                        source_refs=[values.get("source")],
                        item=item.key,
                    )
                )
            continue
        strangers = [name for name in decision.keep if name not in item.marks]
        if strangers:
            errors.append(
                _("Item %(key)s: %(names)s annotated nothing here.")
                % {"key": item.key, "names": ", ".join(strangers)}
            )
            continue
        for name in decision.keep:
            for mark in item.marks[name]:
                planned.append(
                    Planned(
                        start=mark.start,
                        end=mark.end,
                        label=mark.label,
                        entity_type=mark.entity_type,
                        how="kept",
                        annotators=[name],
                        version_ids=[mark.id],
                        source_refs=[mark.source],
                        item=item.key,
                    )
                )
    seen = {}
    for entry in planned:
        key = (entry.start, entry.end, entry.label)
        if key in seen:
            errors.append(
                _(
                    "Item %(key)s: two spans would be %(label)s at %(start)d–%(end)d; "
                    "keep one of them, or edit."
                )
                % {
                    "key": entry.item or seen[key].item,
                    "label": entry.label,
                    "start": entry.start,
                    "end": entry.end,
                }
            )
        seen[key] = entry
    if errors:
        raise ValidationError({"decisions": errors})
    _resolve_sources(proposal, planned)
    return planned


def _resolve_sources(proposal: Proposal, planned: list[Planned]) -> None:
    """Point each planned span at the planned entity its source became.

    A version span that was kept or merged became that planned span; one that
    was dropped or edited became the single entity its item kept, if there is
    exactly one. A merged span whose versions name different sources takes
    the one most of them name (the first annotator's on a tie).
    """
    became = {}
    for index, entry in enumerate(planned):
        for pk in entry.version_ids:
            became[pk] = index
    entities_of_item = defaultdict(list)
    for index, entry in enumerate(planned):
        if entry.item is not None and entry.label == ENTITY_SLUG:
            entities_of_item[entry.item].append(index)
    item_of = {
        mark.id: item.key
        for item in proposal.items
        for marks in item.marks.values()
        for mark in marks
    }
    for pk, key in item_of.items():
        if pk not in became and len(entities_of_item[key]) == 1:
            became[pk] = entities_of_item[key][0]
    for entry in planned:
        if entry.label == ENTITY_SLUG:
            continue
        targets = [
            became[ref]
            for ref in entry.source_refs
            if ref is not None and ref in became
        ]
        targets = [index for index in targets if planned[index].label == ENTITY_SLUG]
        if targets:
            counts = Counter(targets)
            best = max(counts.values())
            entry.source = next(index for index in targets if counts[index] == best)


def proposal_for(article) -> Proposal:
    """Return the proposal for the article's pending versions (one query)."""
    rows = list(
        Span.objects.filter(article=article, blind=True, status=Span.Status.PENDING)
        .order_by("start", "end", "id")
        .values_list(
            "id",
            "version",
            "created_by__username",
            "start",
            "end",
            "label__slug",
            "entity_type",
            "source_id",
        )
    )
    versions = defaultdict(list)
    for pk, _version, name, start, end, label, entity_type, source in rows:
        versions[name].append(Mark(pk, start, end, label, entity_type, source))
    return propose(dict(versions), state_of((row[0], row[1]) for row in rows))
