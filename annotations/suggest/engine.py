"""Run every suggester over texts and return their suggestions in one list each.

Order of work for one text: entities (model and gazetteer), then quotes (whose
speakers are entities, created when the NER missed them), then claims and
opinions outside the quotes. Suggestions under the label's minimum score
(``SUGGEST_MIN_SCORES``) are left out, except an entity cited as a source.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping

from spacy.tokens import Doc

from . import base, claims, entities, opinions, pipeline, quotes

DEFAULT_MIN_SCORES = {"quote": 0.5, "claim": 0.5, "entity": 0.5, "opinion": 0.5}
SPEAKER_SCORE = 0.7
BATCH_SIZE = 16


def min_scores_from_settings() -> dict[str, float]:
    from django.conf import settings

    if not settings.configured:
        return dict(DEFAULT_MIN_SCORES)
    return {**DEFAULT_MIN_SCORES, **getattr(settings, "SUGGEST_MIN_SCORES", {})}


def suggest_text(
    text: str,
    language: str,
    *,
    gazetteer: base.Gazetteer = (),
    min_scores: Mapping[str, float] | None = None,
) -> list[base.Suggestion]:
    """Return the suggestions for one canonical text (see ``Suggestion``)."""
    return next(
        suggest_texts([(text, language)], gazetteer=gazetteer, min_scores=min_scores)
    )


def suggest_texts(
    items: Iterable[tuple[str, str]],
    *,
    gazetteer: base.Gazetteer = (),
    min_scores: Mapping[str, float] | None = None,
    n_process: int = 1,
    batch_size: int = BATCH_SIZE,
) -> Iterator[list[base.Suggestion]]:
    """Yield the suggestions of each (text, language), in the order given.

    Texts go through spaCy in batches (``nlp.pipe``), ``n_process`` processes
    at a time; consecutive texts of one language share a batch.
    """
    gazetteer = tuple(gazetteer)
    thresholds = {**min_scores_from_settings(), **(min_scores or {})}

    def pipeline_of(item):
        return "en" if base.is_english(item[1]) else "fr"

    for lang, run in itertools.groupby(items, key=pipeline_of):
        run = list(run)
        nlp = pipeline.get(lang, gazetteer)
        model = pipeline.model_origin(nlp) if lang == "fr" else ""
        docs = nlp.pipe(
            (text for text, _ in run), n_process=n_process, batch_size=batch_size
        )
        for (_, language), doc in zip(run, docs, strict=True):
            yield suggest_doc(
                doc, language, model=model, min_scores=thresholds, gazetteer=gazetteer
            )


def suggest_doc(
    doc: Doc,
    language: str,
    *,
    model: str,
    min_scores: Mapping[str, float],
    gazetteer: base.Gazetteer = (),
) -> list[base.Suggestion]:
    found = entities.suggest(doc, language, model=model, gazetteer=gazetteer)
    reader = quotes.Reader(doc, language, found)
    spans = reader.quotes()
    spans += claims.suggest(doc, language, reader.regions, found)
    spans += opinions.suggest(doc, language, reader.regions, reader)
    return assemble(base.doc_text(doc), found, spans, min_scores)


def assemble(
    text: str,
    entity_proposals: list[base.Proposal],
    proposals: list[base.Proposal],
    min_scores: Mapping[str, float],
) -> list[base.Suggestion]:
    """Return the suggestions: entities first (sorted), then the rest (sorted),
    each source an index into the list."""
    entities_at: dict[tuple[int, int], base.Proposal] = {}
    for proposal in entity_proposals:
        _keep_best(entities_at, (proposal.start, proposal.end), proposal)
    kept: dict[tuple[int, int, str], base.Proposal] = {}
    for proposal in proposals:
        if proposal.score < min_scores.get(proposal.label, 0.0):
            continue
        _keep_best(kept, (proposal.start, proposal.end, proposal.label), proposal)
    cited = set()
    for proposal in kept.values():
        if proposal.speaker is None:
            continue
        start, end, entity_type = proposal.speaker
        cited.add((start, end))
        if (start, end) not in entities_at:
            entities_at[start, end] = base.Proposal(
                start,
                end,
                "entity",
                SPEAKER_SCORE,
                "rule:quote-speaker"
                if proposal.label == "quote"
                else f"rule:{proposal.label}-source",
                entity_type=entity_type or "PER",
            )
    shown_entities = sorted(
        (
            p
            for key, p in entities_at.items()
            if key in cited or p.score >= min_scores.get("entity", 0.0)
        ),
        key=lambda p: (p.start, p.end),
    )
    suggestions = [_suggestion(text, p, None) for p in shown_entities]
    index = {(s.start, s.end): i for i, s in enumerate(suggestions)}
    for proposal in sorted(kept.values(), key=lambda p: (p.start, p.end, p.label)):
        source = None
        if proposal.speaker is not None:
            source = index[proposal.speaker[0], proposal.speaker[1]]
        suggestions.append(_suggestion(text, proposal, source))
    return suggestions


def _keep_best(found: dict, key, proposal: base.Proposal) -> None:
    if key not in found or found[key].score < proposal.score:
        found[key] = proposal


def _suggestion(text: str, p: base.Proposal, source: int | None) -> base.Suggestion:
    return base.Suggestion(
        start=p.start,
        end=p.end,
        label=p.label,
        text=text[p.start : p.end],
        entity_type=p.entity_type if p.label == "entity" else None,
        score=p.score,
        origin=p.origin,
        source=source,
        cues=p.cues,
    )
