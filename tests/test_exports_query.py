"""Export parameters, filters, roles, streaming and the manifest."""

import csv
import hashlib
import io
import json
import math
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict

from annotations import conll, exports, services
from annotations.models import Article, Label, Span

from .export_data import make_golden, span
from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def golden(alice, bob, rita):
    return make_golden(alice, bob, rita)


def run(params, user, **kwargs):
    export = exports.stream(params, user, **kwargs)
    return b"".join(export.chunks).decode(), export


def span_ids(content):
    return [s["id"] for line in content.splitlines() for s in json.loads(line)["spans"]]


# Parameters


def test_it_defaults_to_approved_jsonl(golden):
    query = exports.ExportQuery.from_params(QueryDict(""))
    assert (query.format, query.status, query.labels) == ("jsonl", "approved", ())


def test_it_reads_repeated_and_comma_separated_values(golden):
    query = exports.ExportQuery.from_params(
        QueryDict("label=quote&label=entity,claim&article=3&article=1,2")
    )
    assert query.labels == ("claim", "entity", "quote")
    assert query.articles == (1, 2, 3)


@pytest.mark.parametrize(
    ("query", "key", "words"),
    [
        ("format=xml", "format", "'xml'; choose one of jsonl, csv, conll, w3c"),
        ("status=done", "status", "'done'; choose one of approved"),
        ("label=quote&label=rumour", "label", "'rumour'; the labels are claim"),
        ("article=seven", "article", "'seven'"),
        ("article=0", "article", "positive whole number"),
        ("language=French", "language", "'French'"),
        ("since=yesterday", "since", "ISO 8601"),
        ("since=2026-02-30", "since", "'2026-02-30'"),
        ("include_empty=maybe", "include_empty", "'maybe'"),
        ("format=csv&format=jsonl", "format", "Give format once"),
        ("lable=quote", "lable", "Unknown parameter 'lable'"),
    ],
)
def test_it_names_the_bad_key_and_value(seeded, query, key, words):
    with pytest.raises(ValidationError) as excinfo:
        exports.ExportQuery.from_params(QueryDict(query))
    assert list(excinfo.value.message_dict) == [key]
    assert words in excinfo.value.message_dict[key][0]


def test_it_reports_every_bad_key_at_once(seeded):
    with pytest.raises(ValidationError) as excinfo:
        exports.ExportQuery.from_params({"format": "pdf", "status": "new"})
    assert set(excinfo.value.message_dict) == {"format", "status"}


def test_it_reads_dates_and_date_times_for_since(seeded):
    day = exports.ExportQuery.from_params({"since": "2026-03-02"}).since
    moment = exports.ExportQuery.from_params({"since": "2026-03-02T10:30:00Z"}).since
    assert day.tzinfo is not None
    assert moment == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def test_it_round_trips_its_filters(seeded):
    query = exports.ExportQuery.from_params(
        {"label": "quote", "since": "2026-03-02T10:30:00Z", "include_empty": "1"}
    )
    filters = query.filters()
    assert filters == {
        "status": "approved",
        "label": ["quote"],
        "article": [],
        "language": None,
        "since": "2026-03-02T10:30:00.000000Z",
        "include_empty": True,
    }
    again = exports.ExportQuery.from_params(filters, keys=exports.FILTER_KEYS)
    assert again == query


# Roles


def test_it_never_gives_consumers_pending_or_rejected_spans(golden, carl):
    content, _export = run({}, carl)
    assert span_ids(content) == [9101, 9102, 9103, 9104]
    for status in ("pending", "rejected", "all"):
        with pytest.raises(PermissionDenied, match="approved spans only"):
            exports.stream({"status": status}, carl)


def test_it_filters_consumers_even_below_the_parameter_check(golden, carl):
    query = exports.ExportQuery(status="approved")
    Span.objects.filter(pk=9101).update(status="pending")
    records = list(exports.records(query, carl))
    assert [s["id"] for s in records[0]["spans"]] == [9102, 9103, 9104]


def test_it_refuses_users_without_a_role(golden, nemo):
    with pytest.raises(PermissionDenied):
        exports.stream({}, nemo)


@pytest.mark.parametrize("persona", ["alice", "rita", "ada"])
def test_it_gives_other_roles_every_status(golden, persona, request):
    user = request.getfixturevalue(persona)
    content, _export = run({"status": "pending"}, user)
    assert span_ids(content) == [9105]
    content, _export = run({"status": "rejected"}, user)
    assert span_ids(content) == [9106]
    content, _export = run({"status": "all"}, user)
    assert len(span_ids(content)) == 6


def test_it_leaves_out_deleted_articles(golden, alice, carl):
    services.article_delete(article=golden, user=alice)
    content, _export = run({}, carl)
    assert content == ""


# Filters


def test_it_filters_by_label(golden, carl):
    content, _export = run({"label": ["quote", "claim"]}, carl)
    assert span_ids(content) == [9102]


def test_it_filters_by_article_and_language(golden, alice, rita, carl):
    other = ArticleFactory(text="Vote à Northcliff.", language="en", uploaded_by=alice)
    SpanFactory(article=other, start=7, end=17, status="approved", reviewed_by=rita)
    content, _export = run({"article": [other.pk]}, carl)
    assert [json.loads(line)["article_id"] for line in content.splitlines()] == [
        other.pk
    ]
    content, _export = run({"language": "fr"}, carl)
    assert [json.loads(line)["article_id"] for line in content.splitlines()] == [9001]


def test_it_includes_articles_without_matching_spans_only_when_asked(golden, carl):
    empty = ArticleFactory(text="Rien à signaler.", uploaded_by=golden.uploaded_by)
    content, _export = run({}, carl)
    assert len(content.splitlines()) == 1
    content, export = run({"include_empty": "1"}, carl)
    lines = [json.loads(line) for line in content.splitlines()]
    assert {(line["article_id"], len(line["spans"])) for line in lines} == {
        (empty.pk, 0),
        (9001, 4),
    }
    assert export.stats.articles == 2


def test_it_exports_articles_changed_since_with_all_their_matching_spans(
    golden, alice, bob, rita, carl
):
    old = ArticleFactory(text="Ancien texte.", uploaded_by=alice)
    span(old, "claim", 0, 6, pk=9301, status="approved", reviewed_by=rita)
    Span.objects.filter(pk=9301).update(
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        reviewed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    Article.objects.filter(pk__in=[old.pk, 9001]).update(
        updated_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    # The golden spans were reviewed on 2 March; the old article in January.
    content, _export = run({"since": "2026-03-02T10:00:00Z"}, carl)
    assert span_ids(content) == [9101, 9102, 9103, 9104]
    content, _export = run({"since": "2026-03-02T11:00:00Z"}, carl)
    assert content == ""
    content, _export = run({"since": "2025-12-31"}, carl)
    assert sorted(span_ids(content)) == [9101, 9102, 9103, 9104, 9301]


def test_it_counts_a_span_deletion_as_a_change_since(golden, bob, carl):
    Article.objects.filter(pk=9001).update(updated_at=datetime(2026, 3, 1, tzinfo=UTC))
    content, _export = run({"since": "2026-06-01"}, carl)
    assert content == ""
    services.span_delete(span=Span.objects.get(pk=9105), user=bob)
    content, _export = run({"since": "2026-06-01"}, carl)
    assert span_ids(content) == [9101, 9102, 9103, 9104]


# Streaming


def make_articles(count, author, reviewer):
    quote = Label.objects.get(slug="quote")
    entity = Label.objects.get(slug="entity")
    for _ in range(count):
        article = ArticleFactory(uploaded_by=author)
        text = article.text
        SpanFactory(
            article=article, label=quote, status="approved", reviewed_by=reviewer
        )
        start = text.index("Zoé")
        SpanFactory(
            article=article,
            label=entity,
            start=start,
            end=start + 3,
            entity_type="PER",
            status="approved",
            reviewed_by=reviewer,
        )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "conll", "w3c"])
@pytest.mark.parametrize("count", [3, 40])
def test_it_runs_the_same_few_queries_whatever_the_number_of_articles(
    alice, rita, carl, django_assert_max_num_queries, fmt, count
):
    make_articles(count, alice, rita)
    carl.refresh_from_db()
    # The consumer's roles, then one query for articles and one for spans.
    with django_assert_max_num_queries(3):
        content, export = run({"format": fmt, "label": []}, carl)
    assert export.stats.articles == count


def test_it_adds_two_queries_per_chunk_of_articles(
    alice, rita, carl, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 10)
    make_articles(35, alice, rita)
    carl.refresh_from_db()
    with django_assert_max_num_queries(1 + 2 * math.ceil(35 / 10)):
        content, export = run({}, carl)
    assert export.stats.articles == 35
    assert len(content.splitlines()) == 35


def test_it_yields_large_blocks_not_a_write_per_line():
    blocks = list(exports.encode(["é" * 3000] * 5, block_size=4096))
    assert [len(block) for block in blocks] == [12000, 12000, 6000]


def test_it_does_nothing_until_the_stream_is_read(
    golden, carl, django_assert_max_num_queries
):
    carl.refresh_from_db()
    with django_assert_max_num_queries(1):
        export = exports.stream({}, carl)
    assert export.stats.complete is False


# Offsets in every format


@pytest.fixture
def tricky(alice, rita):
    """Articles whose spans sit after emoji, combining sequences and newlines."""
    texts = [
        "👩‍💻 Zoé 🇫🇷 dit : « C’est “fini” »,\nrépète-t-elle. 🚀",
        "Ligne 1\n\nLigne 2 — « Ça, c’est 4,2 M€ »",
        "😀😀😀 Ωmega ẞ straße Ǆemal",
    ]
    labels = list(Label.objects.all())
    for number, text in enumerate(texts):
        article = services.article_create(user=alice, title=f"T{number}", text=text)
        words = [
            (start, end) for start, end in conll.tokenize(article.text) if end > start
        ]
        for index, (start, end) in enumerate(words[::2]):
            SpanFactory(
                article=article,
                label=labels[index % len(labels)],
                start=start,
                end=min(end + 3, len(article.text)) if index % 3 == 0 else end,
                text=article.text[start : min(end + 3, len(article.text))]
                if index % 3 == 0
                else article.text[start:end],
                status="approved",
                reviewed_by=rita,
            )
    return texts


def test_it_keeps_text_start_end_exact_in_jsonl_csv_and_w3c(tricky, golden, carl):
    texts = dict(Article.objects.values_list("pk", "text"))
    content, export = run({}, carl)
    count = 0
    for line in content.splitlines():
        record = json.loads(line)
        for item in record["spans"]:
            assert record["text"][item["start"] : item["end"]] == item["text"]
            count += 1
    assert count == export.stats.spans > 20

    content, _export = run({"format": "csv"}, carl)
    rows = list(csv.DictReader(io.StringIO(content, newline="")))
    assert len(rows) == count
    for row in rows:
        text = texts[int(row["article_id"])]
        assert text[int(row["start"]) : int(row["end"])] == row["text"]

    content, _export = run({"format": "w3c"}, carl)
    items = json.loads(content)["first"]["items"]
    assert len(items) == count
    for item in items:
        position, quote = item["target"]["selector"]
        text = texts[int(item["target"]["source"].rsplit(":", 1)[1])]
        assert text[position["start"] : position["end"]] == quote["exact"]
        assert text[: position["start"]].endswith(quote.get("prefix", ""))
        assert text[position["end"] :].startswith(quote.get("suffix", ""))


# Headers and manifest


def test_it_names_the_file_after_the_filters(golden, carl):
    export = exports.stream({"format": "csv", "label": ["quote", "entity"]}, carl)
    assert export.filename.startswith("newsroom-approved-entity-quote-20")
    assert export.filename.endswith(".csv")
    headers = export.headers()
    assert headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert headers["Content-Disposition"] == (
        f'attachment; filename="{export.filename}"'
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "conll", "w3c"])
def test_it_describes_an_export_in_its_manifest(golden, carl, fmt):
    content, _export = run({"format": fmt}, carl)
    manifest = exports.manifest({"format": fmt}, carl)
    assert manifest["sha256"] == hashlib.sha256(content.encode()).hexdigest()
    assert manifest["bytes"] == len(content.encode())
    assert manifest["offset_unit"] == "codepoint"
    assert manifest["normalisation"] == {"unicode": "NFC", "newlines": "LF"}
    assert manifest["filters"]["status"] == "approved"
    assert manifest["generated_at"].endswith("Z")
    assert manifest["format"] == fmt
    if fmt == "conll":
        assert manifest["counts"]["labels"] == {"entity": 2, "quote": 1}
        assert manifest["conll"] == {"widened": 0, "dropped_overlapping": 1}
    else:
        assert manifest["counts"] == {
            "articles": 1,
            "spans": 4,
            "labels": {"entity": 3, "quote": 1},
        }
        assert "conll" not in manifest


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 2, 10, 30, 5, 123456, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 30, 5, 120000, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
        datetime(2026, 7, 1, 1, 2, 3, tzinfo=UTC),
    ],
)
def test_it_formats_timestamps_in_sql_as_in_python(golden, alice, moment):
    Span.objects.filter(pk=9101).update(reviewed_at=moment, created_at=moment)
    (record,) = exports.records(exports.ExportQuery(labels=("entity",)), alice)
    zoe = record["spans"][0]
    assert zoe["reviewed_at"] == zoe["created_at"] == exports.iso(moment)
    assert exports.iso(moment).endswith(f".{moment.microsecond:06d}Z")


def test_it_reads_offsets_postgresql_would_refuse_in_utc(golden, carl):
    query = exports.ExportQuery.from_params({"since": "2178-06-28T20:05:29.2+18:16"})
    assert query.since.isoformat() == "2178-06-28T01:49:29.200000+00:00"
    assert b"".join(exports.stream(query, carl).chunks) == b""


def test_it_refuses_a_since_out_of_range_in_utc(golden, carl):
    with pytest.raises(ValidationError) as refused:
        exports.ExportQuery.from_params({"since": "9999-12-31T23:59:59-23:59"})
    assert "out of range" in refused.value.message_dict["since"][0]
