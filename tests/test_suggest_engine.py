"""The output contract of suggest_text / suggest_texts, which storage relies on."""

import json
import re
from pathlib import Path

import pytest

from annotations.suggest import Suggestion, suggest_text, suggest_texts
from annotations.suggest.base import Proposal
from annotations.suggest.engine import assemble

DATA = Path(__file__).parent / "data"
ORIGIN = re.compile(r"^(rule:[a-z]+(-[a-z]+)*|model:[a-z_]+@\d+\.\d+\.\d+)$")


def gold_texts():
    for name in ("suggest_fr_dev.jsonl", "suggest_en_dev.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            yield record["text"], record["language"]


def check_contract(text, found):
    entity_seen_last = -1
    for index, s in enumerate(found):
        assert isinstance(s, Suggestion)
        assert 0 <= s.start < s.end <= len(text)
        assert s.text == text[s.start : s.end] == s.text.strip()
        assert s.label in ("quote", "claim", "entity", "opinion")
        assert (s.entity_type in ("PER", "ORG", "LOC", "MISC")) == (s.label == "entity")
        assert 0.0 <= s.score <= 1.0
        assert ORIGIN.match(s.origin), s.origin
        if s.label == "entity":
            assert s.source is None
            assert entity_seen_last == index - 1, "entities come first"
            entity_seen_last = index
        elif s.source is not None:
            assert 0 <= s.source < index
            assert found[s.source].label == "entity"
        if s.label == "quote":
            assert s.text[0] not in '«“"' and s.text[-1] not in '»”"'
    keys = [(s.start, s.end, s.label) for s in found]
    assert len(keys) == len(set(keys)), "no duplicate span"


def test_every_suggestion_of_the_development_sets_keeps_the_contract():
    items = list(gold_texts())
    for (text, _), found in zip(items, suggest_texts(items), strict=True):
        assert found
        check_contract(text, found)


def test_suggest_texts_keeps_the_order_across_languages():
    items = [
        ("« Nous tiendrons », a déclaré Jeanne Morel à Lyon.", "fr"),
        ('"We will deliver," said Mayor Jane Roe in London.', "en"),
        ("« Le chantier avance », assure Paul Girard.", "fr"),
    ]
    batched = list(suggest_texts(items, batch_size=2))
    assert batched == [suggest_text(text, language) for text, language in items]
    assert [s.text for s in batched[1] if s.label == "quote"] == ["We will deliver"]


def test_as_dict_is_the_jsonl_span_shape_plus_provenance():
    [entity, quote] = suggest_text(
        "« Nous tiendrons bon », a déclaré Jeanne Morel.", "fr"
    )
    assert quote.as_dict() == {
        "start": 2,
        "end": 20,
        "label": "quote",
        "text": "Nous tiendrons bon",
        "entity_type": None,
        "score": 0.9,
        "origin": "rule:quote-verb-after",
        "source": 0,
        "cues": ["déclaré"],
    }
    assert entity.as_dict()["entity_type"] == "PER"


def test_a_speaker_the_model_missed_becomes_an_entity_suggestion():
    text = "« Nous tiendrons », a dit Zorblax."
    quote = Proposal(
        2, 16, "quote", 0.9, "rule:quote-verb-after", speaker=(26, 33, "PER")
    )
    [entity, suggested] = assemble(text, [], [quote], {"quote": 0.5, "entity": 0.5})
    assert (entity.text, entity.entity_type, entity.origin) == (
        "Zorblax",
        "PER",
        "rule:quote-speaker",
    )
    assert suggested.source == 0


def test_an_entity_cited_as_a_source_is_kept_under_the_minimum_score():
    text = "« Nous tiendrons », a dit Zorblax."
    weak = Proposal(26, 33, "entity", 0.2, "rule:en-name", entity_type="PER")
    quote = Proposal(
        2, 16, "quote", 0.9, "rule:quote-verb-after", speaker=(26, 33, "PER")
    )
    lonely = Proposal(0, 1, "entity", 0.2, "rule:en-name", entity_type="PER")
    found = assemble(text, [weak, lonely], [quote], {"quote": 0.5, "entity": 0.5})
    assert [(s.label, s.text, s.score) for s in found] == [
        ("entity", "Zorblax", 0.2),
        ("quote", "Nous tiendrons", 0.9),
    ]


def test_an_empty_text_or_one_without_anything_gives_no_suggestion():
    assert suggest_text("rien à signaler ici", "fr") == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr-CA", "« Nous tiendrons bon », a déclaré Jeanne Morel."),
        ("en-GB", '"We will hold firm," said Mayor Jane Roe.'),
    ],
)
def test_it_reads_a_regional_language_code_as_its_language(language, text):
    found = suggest_text(text, language)
    assert found == suggest_text(text, language[:2])
    assert any(s.label == "quote" for s in found)
