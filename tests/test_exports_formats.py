"""Every export format against expected output written out by hand."""

import csv
import io
import json

import pytest

from annotations import conll, exports

from .export_data import make_golden, span
from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

IRI = "https://news.example.org/api/v1/"
REVIEWED = "2026-03-02T10:30:00.000000Z"


@pytest.fixture
def golden(alice, bob, rita):
    return make_golden(alice, bob, rita)


def run(params, user, **kwargs):
    export = exports.stream(params, user, **kwargs)
    return b"".join(export.chunks).decode(), export


EXPECTED_JSONL = (
    '{"article_id": 9001, "title": "Villebrune : le maire viendra", '
    '"language": "fr", "source_url": "https://example.org/villebrune/maire", '
    '"text": "Zoé dit 🚀 : « Le maire, \\"Léon\\", viendra\\ndemain. » '
    'Rendez-vous à Québec", '
    '"text_sha256": "43b8ac0e42d6d041f734575893957b5eeb1370f0225a75589e2eb0c03c156167", '
    '"spans": ['
    '{"id": 9101, "start": 0, "end": 3, "label": "entity", "text": "Zoé", '
    '"source_span": null, "entity_type": "PER", "annotator": "alice", '
    '"reviewer": "rita", "reviewed_at": "2026-03-02T10:30:00.000000Z", '
    '"status": "approved", "origin": "manual"}, '
    '{"id": 9102, "start": 12, "end": 49, "label": "quote", '
    '"text": "« Le maire, \\"Léon\\", viendra\\ndemain. »", "source_span": 9101, '
    '"entity_type": null, "annotator": "alice", "reviewer": "rita", '
    '"reviewed_at": "2026-03-02T10:30:00.000000Z", "status": "approved", "origin": "manual"}, '
    '{"id": 9103, "start": 25, "end": 29, "label": "entity", "text": "Léon", '
    '"source_span": null, "entity_type": "PER", "annotator": "alice", '
    '"reviewer": "rita", "reviewed_at": "2026-03-02T10:30:00.000000Z", '
    '"status": "approved", "origin": "manual"}, '
    '{"id": 9104, "start": 64, "end": 70, "label": "entity", "text": "Québec", '
    '"source_span": null, "entity_type": "LOC", "annotator": "alice", '
    '"reviewer": "rita", "reviewed_at": "2026-03-02T10:30:00.000000Z", '
    '"status": "approved", "origin": "manual"}]}\n'
)


def test_it_writes_the_design_jsonl_shape_of_approved_spans(golden, carl):
    content, export = run({}, carl)
    assert content == EXPECTED_JSONL
    assert export.content_type == "application/x-ndjson; charset=utf-8"
    assert export.stats.complete is True
    assert (export.stats.articles, export.stats.spans) == (1, 4)


def test_it_sorts_spans_by_start_end_and_label_with_every_status(golden, alice):
    content, _export = run({"status": "all"}, alice)
    spans = json.loads(content)["spans"]
    assert [(s["id"], s["start"], s["end"], s["label"]) for s in spans] == [
        (9101, 0, 3, "entity"),
        (9102, 12, 49, "quote"),
        (9103, 25, 29, "entity"),
        (9105, 32, 46, "claim"),
        (9106, 50, 70, "opinion"),
        (9104, 64, 70, "entity"),
    ]
    pending = spans[3]
    assert (pending["annotator"], pending["reviewer"], pending["reviewed_at"]) == (
        "bob",
        None,
        None,
    )


def test_it_breaks_ties_on_the_label_slug(alice, bob, rita):
    article = make_golden(alice, bob, rita)
    span(article, "opinion", 32, 46, pk=9107)
    content, _export = run({"status": "pending"}, alice)
    spans = json.loads(content)["spans"]
    assert [(s["start"], s["end"], s["label"]) for s in spans] == [
        (32, 46, "claim"),
        (32, 46, "opinion"),
    ]


EXPECTED_CSV = (
    "article_id,span_id,label,start,end,text,entity_type,source_span,status,"
    "annotator,reviewer,reviewed_at,origin\r\n"
    "9001,9101,entity,0,3,Zoé,PER,,approved,alice,rita,2026-03-02T10:30:00.000000Z,"
    "manual\r\n"
    '9001,9102,quote,12,49,"« Le maire, ""Léon"", viendra\ndemain. »",,9101,'
    "approved,alice,rita,2026-03-02T10:30:00.000000Z,manual\r\n"
    "9001,9103,entity,25,29,Léon,PER,,approved,alice,rita,"
    "2026-03-02T10:30:00.000000Z,manual\r\n"
    '9001,9105,claim,32,46,"viendra\ndemain",,,pending,bob,,,manual\r\n'
    "9001,9106,opinion,50,70,Rendez-vous à Québec,,,rejected,alice,rita,"
    "2026-03-02T10:30:00.000000Z,manual\r\n"
    "9001,9104,entity,64,70,Québec,LOC,,approved,alice,rita,"
    "2026-03-02T10:30:00.000000Z,manual\r\n"
)


def test_it_writes_rfc_4180_csv_one_span_a_row(golden, alice):
    content, export = run({"format": "csv", "status": "all"}, alice)
    assert content == EXPECTED_CSV
    assert export.content_type == "text/csv; charset=utf-8; header=present"
    rows = list(csv.DictReader(io.StringIO(content, newline="")))
    assert rows[1]["text"] == '« Le maire, "Léon", viendra\ndemain. »'


def test_it_writes_only_the_header_when_nothing_matches(golden, alice):
    content, _export = run({"format": "csv", "label": "claim"}, alice)
    assert content == (
        "article_id,span_id,label,start,end,text,entity_type,source_span,status,"
        "annotator,reviewer,reviewed_at,origin\r\n"
    )


EXPECTED_CONLL = """\
-DOCSTART- -X- -X- O

Zoé B-PER
dit O
🚀 O
: O
« B-QUOTE
Le I-QUOTE
maire I-QUOTE
, I-QUOTE
" I-QUOTE
Léon I-QUOTE
" I-QUOTE
, I-QUOTE
viendra I-QUOTE
demain I-QUOTE
. I-QUOTE
» I-QUOTE

Rendez O
- O
vous O
à O
Québec B-LOC

"""


def test_it_writes_conll_keeping_the_longest_of_overlapping_spans(golden, carl):
    content, export = run({"format": "conll"}, carl)
    assert content == EXPECTED_CONLL
    assert export.content_type == "text/plain; charset=utf-8"
    # The entity nested in the quote is the one dropped.
    assert export.stats.dropped_overlapping == 1
    assert export.stats.counts() == {
        "articles": 1,
        "spans": 3,
        "labels": {"entity": 2, "quote": 1},
    }


EXPECTED_CONLL_ENTITIES = """\
-DOCSTART- -X- -X- O

Zoé B-PER
dit O
🚀 O
: O
« O
Le O
maire O
, O
" O
Léon B-PER
" O
, O
viendra O

demain O
. O
» O

Rendez O
- O
vous O
à O
Québec B-LOC

"""


def test_it_writes_conll_for_the_label_set_asked_for(golden, carl):
    content, export = run({"format": "conll", "label": "entity"}, carl)
    assert content == EXPECTED_CONLL_ENTITIES
    assert export.stats.spans == 3


@pytest.fixture
def widening(alice, rita):
    # "Montréal" ends inside the token "Montréalais"; the entity "Marie-Ève Roy"
    # lies inside the longer claim.
    article = ArticleFactory(
        pk=9002,
        title="Hiver",
        text="Les Montréalais l’adorent. Marie-Ève Roy aussi.",
        uploaded_by=alice,
    )
    for pk, slug, start, end in [
        (9201, "entity", 4, 12),
        (9202, "claim", 27, 46),
        (9203, "entity", 27, 40),
    ]:
        span(
            article,
            slug,
            start,
            end,
            pk=pk,
            status="approved",
            reviewed_by=rita,
            reviewed_at=article.created_at,
        )
    return article


EXPECTED_CONLL_WIDENED = """\
-DOCSTART- -X- -X- O

Les O
Montréalais B-ENTITY
l O
’ O
adorent O
. O

Marie B-CLAIM
- I-CLAIM
Ève I-CLAIM
Roy I-CLAIM
aussi I-CLAIM
. O

"""


def test_it_widens_spans_to_token_boundaries_and_counts_them(widening, carl):
    content, export = run({"format": "conll"}, carl)
    assert content == EXPECTED_CONLL_WIDENED
    assert (export.stats.widened, export.stats.dropped_overlapping) == (1, 1)


def test_it_keeps_both_entities_when_only_entities_are_asked_for(widening, carl):
    content, export = run({"format": "conll", "label": "entity"}, carl)
    assert "Montréalais B-ENTITY\n" in content
    assert "Marie B-ENTITY\n- I-ENTITY\nÈve I-ENTITY\nRoy I-ENTITY\naussi O\n" in (
        content
    )
    assert "#" not in content
    assert (export.stats.widened, export.stats.dropped_overlapping) == (1, 0)


EXPECTED_W3C_QUOTE = (
    '{"id": "https://news.example.org/api/v1/spans/9102/", "type": "Annotation", '
    '"motivation": "tagging", "creator": {"type": "Person", "nickname": "alice"}, '
    '"created": "2026-03-01T09:00:00.000000Z", '
    '"body": [{"type": "TextualBody", "purpose": "tagging", "value": "quote"}, '
    '{"id": "https://news.example.org/api/v1/spans/9101/", "purpose": "linking"}, '
    '{"type": "TextualBody", "purpose": "assessing", "value": "approved", '
    '"creator": {"type": "Person", "nickname": "rita"}, '
    '"created": "2026-03-02T10:30:00.000000Z"}], '
    '"target": {"source": "https://news.example.org/api/v1/articles/9001/", '
    '"selector": [{"type": "TextPositionSelector", "start": 12, "end": 49}, '
    '{"type": "TextQuoteSelector", '
    '"exact": "« Le maire, \\"Léon\\", viendra\\ndemain. »", '
    '"prefix": "Zoé dit 🚀 : ", "suffix": " Rendez-vous à Québec"}]}}'
)


def test_it_writes_a_w3c_annotation_collection(golden, carl):
    content, export = run({"format": "w3c", "label": "quote"}, carl, iri_base=IRI)
    assert content == (
        '{"@context": "http://www.w3.org/ns/anno.jsonld", '
        '"id": "https://news.example.org/api/v1/export/", '
        '"type": "AnnotationCollection", "label": "Newsroom export", '
        '"first": {"id": "https://news.example.org/api/v1/export/#page-1", '
        '"type": "AnnotationPage", "startIndex": 0, "items": [\n'
        + EXPECTED_W3C_QUOTE
        + '\n]}, "total": 1}\n'
    )
    assert export.content_type == (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    )


def test_it_writes_a_valid_empty_w3c_collection(golden, carl):
    content, _export = run({"format": "w3c", "label": "claim"}, carl)
    collection = json.loads(content)
    assert collection["first"]["items"] == []
    assert collection["total"] == 0


EXPECTED_W3C_ZOE = (
    '{"@context": "http://www.w3.org/ns/anno.jsonld", '
    '"id": "urn:newsroom:span:9101", "type": "Annotation", "motivation": "tagging", '
    '"creator": {"type": "Person", "nickname": "alice"}, '
    '"created": "2026-03-01T09:00:00.000000Z", '
    '"body": [{"type": "TextualBody", "purpose": "tagging", "value": "entity"}, '
    '{"type": "TextualBody", "purpose": "classifying", "value": "PER"}, '
    '{"type": "TextualBody", "purpose": "assessing", "value": "approved", '
    '"creator": {"type": "Person", "nickname": "rita"}, '
    '"created": "2026-03-02T10:30:00.000000Z"}], '
    '"target": {"source": "urn:newsroom:article:9001", '
    '"selector": [{"type": "TextPositionSelector", "start": 0, "end": 3}, '
    '{"type": "TextQuoteSelector", "exact": "Zoé", '
    '"suffix": " dit 🚀 : « Le maire, \\"Léon\\", vie"}]}}\n'
)
EXPECTED_W3C_PENDING = (
    '{"@context": "http://www.w3.org/ns/anno.jsonld", '
    '"id": "urn:newsroom:span:9105", "type": "Annotation", "motivation": "tagging", '
    '"creator": {"type": "Person", "nickname": "bob"}, '
    '"created": "2026-03-01T09:00:00.000000Z", '
    '"body": [{"type": "TextualBody", "purpose": "tagging", "value": "claim"}, '
    '{"type": "TextualBody", "purpose": "assessing", "value": "pending"}], '
    '"target": {"source": "urn:newsroom:article:9001", '
    '"selector": [{"type": "TextPositionSelector", "start": 32, "end": 46}, '
    '{"type": "TextQuoteSelector", "exact": "viendra\\ndemain", '
    '"prefix": "Zoé dit 🚀 : « Le maire, \\"Léon\\", ", '
    '"suffix": ". » Rendez-vous à Québec"}]}}\n'
)
EXPECTED_W3C_QUEBEC_SELECTORS = [
    {"type": "TextPositionSelector", "start": 64, "end": 70},
    {
        "type": "TextQuoteSelector",
        "exact": "Québec",
        # 32 code points, the line break and the guillemet included.
        "prefix": "viendra\ndemain. » Rendez-vous à ",
    },
]


def test_it_writes_w3c_annotations_one_a_line(golden, alice):
    content, export = run({"format": "w3c", "lines": "1", "status": "all"}, alice)
    lines = content.splitlines(keepends=True)
    assert len(lines) == 6
    assert lines[0] == EXPECTED_W3C_ZOE
    assert lines[3] == EXPECTED_W3C_PENDING
    assert json.loads(lines[5])["target"]["selector"] == EXPECTED_W3C_QUEBEC_SELECTORS
    assert export.filename.endswith(".w3c.jsonl")
    assert export.content_type == "application/x-ndjson; charset=utf-8"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("« Bonjour », dit-elle.", ["«", "Bonjour", "»", ",", "dit", "-", "elle", "."]),
        ("l’équipe d'Anne", ["l", "’", "équipe", "d", "'", "Anne"]),
        ("4,2 millions, 180,000 £ ou 3.5 %", ["4,2", "millions", ",", "180,000"]),
        ("Zoe\u0301 à 12h30", ["Zoé", "à", "12h30"]),
        ("🚀👩\u200d💻 🇫🇷 1️⃣!", ["🚀", "👩\u200d💻", "🇫🇷", "1️⃣", "!"]),
        ("👍🏽 ok", ["👍🏽", "ok"]),
    ],
)
def test_it_tokenizes_words_numbers_punctuation_and_emoji(text, tokens):
    found = [text[start:end] for start, end in conll.tokenize(text)]
    assert found[: len(tokens)] == [
        # Decomposed input stays decomposed: offsets index the given text.
        token.replace("Zoé", "Zoe\u0301")
        for token in tokens
    ]


def test_it_splits_sentences_on_end_punctuation_and_line_breaks():
    text = "Il dit « Oui. » puis part. Elle reste…\nFin. 3 jours. Voir Example.org ici"
    tokens = conll.tokenize(text)
    found = [
        " ".join(text[slice(*tokens[i])] for i in sentence)
        for sentence in conll.sentences(text, tokens)
    ]
    assert found == [
        "Il dit « Oui . » puis part .",
        "Elle reste …",
        "Fin .",
        "3 jours .",
        "Voir Example . org ici",
    ]


def test_it_never_ends_a_sentence_inside_a_kept_span():
    text = "Elle a dit. Puis rien."
    tokens = conll.tokenize(text)
    assert len(conll.sentences(text, tokens)) == 2
    assert len(conll.sentences(text, tokens, keep_together={4})) == 1
