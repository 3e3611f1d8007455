"""Measure the suggesters against gold articles in the jsonl export shape.

Scores come from nervaluate (Segura-Bedmar et al.'s SemEval-2013 scheme):
``strict`` needs the exact offsets (and, for entities, the type); ``partial``
counts an overlapping span as half right, whatever its type. Each label is
scored on its own, so a quote overlapping a claim never counts against either;
entities are scored over their four types together and per type.

Quotes are also matched the way the issue sets the target: a suggested quote
matches a gold quote when it covers at least half of the gold quote's
characters (nervaluate's ``min_overlap_percentage=50``, measured on the gold
span). On matched quotes (and claims and opinions), the source is right when
both are absent, or when the two entity spans overlap or name the same person
(equal names, or one is the other's last words: « Dubois » for « Marie
Dubois »).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from nervaluate import Evaluator

from . import base
from .engine import suggest_texts

ATTRIBUTED = ("quote", "claim", "opinion")
MAIN_TYPES = ("PER", "ORG", "LOC")
MAIN_ROW = "PER+ORG+LOC"
MATCH_OVERLAP = 50


@dataclass
class Scores:
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    correct: int = 0
    partial: int = 0
    incorrect: int = 0
    missed: int = 0
    spurious: int = 0
    gold: int = 0
    suggested: int = 0


@dataclass
class Attribution:
    matched: int = 0
    right: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.matched if self.matched else 0.0


@dataclass
class Report:
    name: str
    articles: int
    languages: list[str]
    strict: dict[str, Scores] = field(default_factory=dict)
    partial: dict[str, Scores] = field(default_factory=dict)
    matched: dict[str, Scores] = field(default_factory=dict)
    sources: dict[str, Attribution] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        for name, value in self.sources.items():
            data["sources"][name]["accuracy"] = round(value.accuracy, 4)
        return data


def read_gold(lines: Iterable[str]) -> list[dict]:
    """Return the gold articles of jsonl ``lines`` (blank lines skipped)."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            record["text"], record["spans"]  # noqa: B018
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: not a gold article ({exc}).") from None
        records.append(record)
    return records


def evaluate(
    records: list[dict],
    *,
    name: str = "",
    gazetteer: base.Gazetteer = (),
    min_scores: Mapping[str, float] | None = None,
) -> Report:
    """Run the suggesters on each record's text and score them against its spans."""
    predictions = list(
        suggest_texts(
            ((r["text"], r.get("language") or "fr") for r in records),
            gazetteer=gazetteer,
            min_scores=min_scores,
        )
    )
    report = Report(
        name=name,
        articles=len(records),
        languages=sorted({r.get("language") or "fr" for r in records}),
    )
    for label in ATTRIBUTED:
        true = [_spans(r["spans"], label) for r in records]
        pred = [_spans([s.as_dict() for s in p], label) for p in predictions]
        results = Evaluator(true, pred, tags=[label], loader="dict").evaluate()
        report.strict[label] = _scores(results["overall"]["strict"])
        report.partial[label] = _scores(results["overall"]["partial"])
        report.matched[label], report.sources[label] = _matched(
            records, predictions, label, report.errors
        )
    true = [_entities(r["spans"]) for r in records]
    pred = [_entities([s.as_dict() for s in p]) for p in predictions]
    results = Evaluator(true, pred, tags=list(base.ENTITY_TYPES), loader="dict")
    results = results.evaluate()
    report.strict["entity"] = _scores(results["overall"]["strict"])
    report.partial["entity"] = _scores(results["overall"]["partial"])
    # The entity target, read as one figure over the three main types.
    main = Evaluator(
        [[e for e in doc if e["label"] in MAIN_TYPES] for doc in true],
        [[e for e in doc if e["label"] in MAIN_TYPES] for doc in pred],
        tags=list(MAIN_TYPES),
        loader="dict",
    ).evaluate()
    report.strict[MAIN_ROW] = _scores(main["overall"]["strict"])
    report.partial[MAIN_ROW] = _scores(main["overall"]["partial"])
    for entity_type in base.ENTITY_TYPES:
        per_type = results["entities"].get(entity_type)
        if per_type:
            report.strict[entity_type] = _scores(per_type["strict"])
            report.partial[entity_type] = _scores(per_type["partial"])
    return report


def _spans(spans: list[dict], label: str) -> list[dict]:
    # nervaluate's offsets are inclusive at both ends.
    return [
        {"label": label, "start": s["start"], "end": s["end"] - 1}
        for s in spans
        if s["label"] == label
    ]


def _entities(spans: list[dict]) -> list[dict]:
    return [
        {"label": s["entity_type"], "start": s["start"], "end": s["end"] - 1}
        for s in spans
        if s["label"] == "entity" and s.get("entity_type") in base.ENTITY_TYPES
    ]


def _scores(result) -> Scores:
    return Scores(
        precision=round(result.precision, 4),
        recall=round(result.recall, 4),
        f1=round(result.f1, 4),
        correct=result.correct,
        partial=result.partial,
        incorrect=result.incorrect,
        missed=result.missed,
        spurious=result.spurious,
        gold=result.possible,
        suggested=result.actual,
    )


def _matched(records, predictions, label, errors) -> tuple[Scores, Attribution]:
    """Score ``label`` at half-overlap and check the sources of matched spans."""
    true = [_spans(r["spans"], label) for r in records]
    pred = [_spans([s.as_dict() for s in p], label) for p in predictions]
    evaluator = Evaluator(
        true, pred, tags=[label], loader="dict", min_overlap_percentage=MATCH_OVERLAP
    )
    results = evaluator.evaluate()
    result = results["overall"]["partial"]
    indices = results["overall_indices"]["partial"]
    matched = result.correct + result.partial
    precision = matched / result.actual if result.actual else 0.0
    recall = matched / result.possible if result.possible else 0.0
    f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
    scores = Scores(
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        correct=result.correct,
        partial=result.partial,
        missed=result.missed,
        spurious=result.spurious,
        gold=result.possible,
        suggested=result.actual,
    )
    attribution = Attribution()
    for doc, pred_index in indices.correct_indices + indices.partial_indices:
        record, suggestions = records[doc], predictions[doc]
        chosen = [s for s in suggestions if s.label == label][pred_index]
        gold = _best_gold(record["spans"], label, chosen)
        if gold is None:
            continue
        attribution.matched += 1
        gold_source = _gold_source(record, gold)
        pred_source = (
            None if chosen.source is None else suggestions[chosen.source].as_dict()
        )
        if _same_source(gold_source, pred_source):
            attribution.right += 1
        else:
            errors.append(
                {
                    "article_id": record.get("article_id"),
                    "label": label,
                    "text": gold["text"][:80],
                    "gold_source": gold_source and gold_source["text"],
                    "suggested_source": pred_source and pred_source["text"],
                    "origin": chosen.origin,
                }
            )
    return scores, attribution


def _best_gold(spans, label, chosen):
    best, best_overlap = None, 0
    for span in spans:
        if span["label"] != label:
            continue
        overlap = min(span["end"], chosen.end) - max(span["start"], chosen.start)
        if overlap > best_overlap:
            best, best_overlap = span, overlap
    return best


def _gold_source(record, span):
    if span.get("source_span") is None:
        return None
    return next(
        (s for s in record["spans"] if s.get("id") == span["source_span"]), None
    )


def _same_source(gold, pred) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    if gold["start"] < pred["end"] and pred["start"] < gold["end"]:
        return True
    a, b = gold["text"].casefold().split(), pred["text"].casefold().split()
    shorter, longer = sorted((a, b), key=len)
    return bool(shorter) and longer[-len(shorter) :] == shorter


def missed_and_spurious(records, predictions, label):
    """Yield ("missed"|"spurious", article_id, text) at half-overlap, for reading."""
    for record, suggestions in zip(records, predictions, strict=True):
        gold = [s for s in record["spans"] if s["label"] == label]
        pred = [s for s in suggestions if s.label == label]
        for g in gold:
            if not any(_covers(p.start, p.end, g["start"], g["end"]) for p in pred):
                yield "missed", record.get("article_id"), g["text"]
        for p in pred:
            if not any(_covers(p.start, p.end, g["start"], g["end"]) for g in gold):
                yield "spurious", record.get("article_id"), p.text


def _covers(start, end, gold_start, gold_end) -> bool:
    overlap = min(end, gold_end) - max(start, gold_start)
    return overlap * 100 >= MATCH_OVERLAP * (gold_end - gold_start)
