import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import exports, imports
from annotations.models import Article, AuditEvent, Span

from .export_data import make_golden

pytestmark = pytest.mark.django_db

TEXT = "« Nous tiendrons », promet Zoé Lefèvre 🚀 à Montréal."


def line(**fields):
    data = {"title": "Promesse", "language": "fr", "text": TEXT} | fields
    return json.dumps(data, ensure_ascii=False)


def at(words, label, **fields):
    start = TEXT.index(words)
    return {"start": start, "end": start + len(words), "label": label} | fields


QUOTE = at(
    "« Nous tiendrons »", "quote", id=2, source_span=1, text="« Nous tiendrons »"
)
ZOE = at("Zoé Lefèvre", "entity", id=1, entity_type="PER")


def test_it_imports_articles_and_spans_as_pending(alice, labels):
    result = imports.import_articles(
        lines=[line(source_url="https://example.org/p", spans=[QUOTE, ZOE])],
        user=alice,
    )
    assert result.ok is True
    assert (result.articles_created, result.spans_created) == (1, 2)
    article = Article.objects.get()
    assert (article.title, article.source_url, article.uploaded_by) == (
        "Promesse",
        "https://example.org/p",
        alice,
    )
    quote = article.spans.get(label__slug="quote")
    zoe = article.spans.get(label__slug="entity")
    assert quote.source == zoe
    assert quote.text == "« Nous tiendrons »"
    assert {quote.status, zoe.status} == {Span.Status.PENDING}
    assert {quote.created_by, zoe.created_by} == {alice}
    assert zoe.entity_type == "PER"


def test_it_writes_an_audit_event_per_created_row(alice, labels):
    imports.import_articles(lines=[line(spans=[QUOTE, ZOE])], user=alice)
    events = AuditEvent.objects.filter(action="create")
    assert sorted(events.values_list("object_type", flat=True)) == [
        "article",
        "span",
        "span",
    ]
    span_event = events.get(object_type="span", after__label="quote")
    assert span_event.actor == alice
    assert span_event.after["status"] == "pending"


def test_it_imports_approved_spans_for_an_admin_who_becomes_the_reviewer(ada, labels):
    result = imports.import_articles(
        lines=[line(spans=[ZOE])], user=ada, status="approved"
    )
    assert result.ok is True
    span = Span.objects.get()
    assert span.status == Span.Status.APPROVED
    assert span.reviewed_by == ada
    assert span.reviewed_at is not None
    event = AuditEvent.objects.get(object_type="span")
    assert (event.after["status"], event.after["reviewed_by"]) == ("approved", ada.pk)


@pytest.mark.parametrize("persona", ["alice", "rita", "carl"])
def test_it_lets_only_admins_import_approved_spans(persona, request, labels):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        imports.import_articles(lines=[line()], user=user, status="approved")
    assert Article.objects.count() == 0


@pytest.mark.parametrize("persona", ["rita", "carl", "nemo"])
def test_it_lets_only_editors_and_admins_import(persona, request, labels):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        imports.import_articles(lines=[line()], user=user)


def test_it_refuses_an_unknown_status(alice):
    with pytest.raises(ValidationError):
        imports.import_articles(lines=[], user=alice, status="rejected")


def test_it_reports_bad_lines_by_number_and_stores_the_good_ones(alice, labels):
    lines = [
        line(title="Bon", spans=[ZOE]),
        "{not json",
        "",
        line(title="Décalé", spans=[ZOE, at("Montréal", "entity") | {"end": 999}]),
        line(title="Faux texte", spans=[ZOE | {"text": "Zoe Lefevre"}]),
        line(title="Étiquette", spans=[at("Montréal", "place")]),
        json.dumps(["a list"]),
        line(title="", text="Sans titre."),
        line(title="Source", spans=[QUOTE]),
        line(title="Bon aussi", text="Autre texte, sans span."),
    ]
    result = imports.import_articles(lines=lines, user=alice)
    assert [error.line for error in result.errors] == [2, 4, 5, 6, 7, 8, 9]
    messages = {error.line: str(error) for error in result.errors}
    assert messages[2].startswith("line 2: Not valid JSON")
    assert "past the end of the article text" in messages[4]
    assert "line 4: span 2 (entity 43–999): end (999) is past" in messages[4]
    assert "'Zoe Lefevre' does not match" in messages[5]
    assert "unknown label 'place'" in messages[6]
    assert "JSON object" in messages[7]
    assert "title is missing" in messages[8]
    assert "source_span 1 is not the id of a span on this line" in messages[9]
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        "Bon",
        "Bon aussi",
    ]
    assert Span.objects.count() == 1
    assert (result.articles_created, result.spans_created) == (2, 1)
    assert (result.articles_existing, result.spans_existing) == (0, 0)


def test_it_reports_every_problem_of_a_line(alice, labels):
    bad = line(
        color="red",
        spans=[{"start": "0", "end": 3, "label": "entity"}, ZOE, ZOE],
    )
    result = imports.import_articles(lines=[bad], user=alice)
    (error,) = result.errors
    assert len(error.messages) == 4
    assert "Unknown keys color" in error.messages[0]
    assert "span 1: start must be a whole number" in error.messages[1]
    assert "span 3: id 1 is also used by span 2" in error.messages[2]
    assert "span 3 repeats span 2" in error.messages[3]


def test_it_maps_offsets_through_the_canonical_text(alice, labels):
    decomposed = "  " + TEXT.replace("é", "e\u0301").replace(" à", "\r\nà") + "\n"
    start = decomposed.index("Zoe")
    zoe = {"start": start, "end": start + len("Zoe\u0301 Lefèvre"), "label": "entity"}
    start = decomposed.index("Montr")
    city = {"start": start, "end": start + len("Montre\u0301al"), "label": "entity"}
    result = imports.import_articles(
        lines=[line(text=decomposed, spans=[zoe, city])], user=alice
    )
    assert result.ok is True
    article = Article.objects.get()
    assert article.text == TEXT.replace(" à", "\nà")
    assert sorted(article.spans.values_list("text", flat=True)) == [
        "Montréal",
        "Zoé Lefèvre",
    ]


def test_it_refuses_a_boundary_inside_a_rewritten_sequence(alice, labels):
    decomposed = TEXT.replace("é", "e\u0301").replace(" à", "\r\nà")
    inside_accent = decomposed.index("Zoe") + 3
    inside_newline = decomposed.index("\r") + 1
    result = imports.import_articles(
        lines=[
            line(
                text=decomposed,
                spans=[{"start": 0, "end": inside_accent, "label": "quote"}],
            ),
            line(
                title="B",
                text=decomposed,
                spans=[
                    {
                        "start": inside_newline,
                        "end": inside_newline + 1,
                        "label": "quote",
                    }
                ],
            ),
        ],
        user=alice,
    )
    first, second = result.errors
    assert "falls inside “e + U+0301”" in str(first)
    assert "writes as “é”" in str(first)
    assert "falls inside “U+000D + U+000A”" in str(second)
    assert Article.objects.count() == 0


def test_it_checks_the_text_sha256_when_given(alice, labels):
    result = imports.import_articles(lines=[line(text_sha256="0" * 64)], user=alice)
    assert "text_sha256" in str(result.errors[0])


def test_it_refuses_a_span_over_whitespace_or_a_wrong_entity_type(alice, labels):
    result = imports.import_articles(
        lines=[
            line(
                spans=[at("Zoé Lefèvre", "entity") | {"start": TEXT.index("Zoé") - 1}]
            ),
            line(spans=[at("Montréal", "quote", entity_type="LOC")]),
            line(spans=[at("Montréal", "entity", entity_type="CITY")]),
        ],
        user=alice,
    )
    assert [len(error.messages) for error in result.errors] == [1, 1, 1]
    assert "whitespace" in str(result.errors[0])
    assert "Only entity spans have an entity type" in str(result.errors[1])
    assert "'CITY' is not a valid choice" in str(result.errors[2])
    assert Article.objects.count() == 0


def test_it_is_idempotent(alice, labels):
    lines = [
        line(source_url="https://example.org/p", spans=[QUOTE, ZOE]),
        line(title="Autre", text="Un autre texte."),
    ]
    first = imports.import_articles(lines=lines, user=alice)
    events = AuditEvent.objects.count()
    second = imports.import_articles(lines=lines, user=alice)
    assert (first.articles_created, first.spans_created) == (2, 2)
    assert (second.articles_created, second.articles_existing) == (0, 2)
    assert (second.spans_created, second.spans_existing) == (0, 2)
    assert Article.objects.count() == 2
    assert Span.objects.count() == 2
    assert AuditEvent.objects.count() == events


def test_it_matches_on_the_source_url_as_well_as_the_text(alice, labels):
    imports.import_articles(
        lines=[line(source_url="https://example.org/a")], user=alice
    )
    result = imports.import_articles(
        lines=[line(source_url="https://example.org/b")], user=alice
    )
    assert result.articles_created == 1
    assert Article.objects.count() == 2


def test_it_adds_new_spans_to_an_existing_article(alice, labels):
    imports.import_articles(lines=[line(spans=[ZOE])], user=alice)
    result = imports.import_articles(lines=[line(spans=[ZOE, QUOTE])], user=alice)
    assert (result.articles_existing, result.spans_created, result.spans_existing) == (
        1,
        1,
        1,
    )
    quote = Span.objects.get(label__slug="quote")
    assert quote.source == Span.objects.get(label__slug="entity")


def test_it_accepts_parsed_objects(alice, labels):
    result = imports.import_articles(
        lines=[{"title": "Objet", "text": TEXT, "spans": [ZOE]}], user=alice
    )
    assert (result.articles_created, result.spans_created) == (1, 1)


def normalised(content):
    """Drop what a round trip may change: ids, people and review times."""
    lines = []
    for text in content.splitlines():
        record = json.loads(text)
        record.pop("article_id")
        positions = {s["id"]: (s["start"], s["end"]) for s in record["spans"]}
        for item in record["spans"]:
            item["source_span"] = positions.get(item.pop("source_span"))
            for key in ("id", "annotator", "reviewer", "reviewed_at"):
                item.pop(key)
        lines.append(record)
    return lines


def test_it_round_trips_an_export(alice, bob, rita, ada):
    make_golden(alice, bob, rita)
    before = b"".join(exports.stream({}, ada).chunks).decode()
    Article.objects.all().delete()

    result = imports.import_articles(
        lines=before.splitlines(), user=ada, status="approved"
    )
    after = b"".join(exports.stream({}, ada).chunks).decode()

    assert result.ok is True
    assert result.spans_created == 4
    assert normalised(after) == normalised(before)
    assert len(normalised(after)[0]["spans"]) == 4
    record = json.loads(after)
    assert record["text_sha256"] == json.loads(before)["text_sha256"]
    assert {s["annotator"] for s in record["spans"]} == {"ada"}


def test_it_skips_a_byte_order_mark_at_the_start_of_the_file(alice, labels):
    result = imports.import_articles(
        lines=[b"\xef\xbb\xbf" + line().encode(), ("\ufeff" + line(title="B"))],
        user=alice,
    )
    assert [error.line for error in result.errors] == [2]
    assert result.articles_created == 1
