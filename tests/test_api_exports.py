import json

import pytest

from annotations import services
from annotations.models import Article, Dataset, Span

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/export/"
DATASETS = "/api/v1/datasets/"
ARTICLES = "/api/v1/articles/"
TEXT = "« Oui », dit Zoé 🚀 à Montréal."


@pytest.fixture
def story(alice, rita, labels):
    article = services.article_create(user=alice, title="Story", text=TEXT)
    zoe = services.span_create(
        user=alice, article=article, label=labels["entity"], start=13, end=16
    )
    quote = services.span_create(
        user=alice, article=article, label=labels["quote"], start=0, end=7, source=zoe
    )
    services.span_create(
        user=alice, article=article, label=labels["claim"], start=21, end=29
    )
    services.span_approve(span=zoe, user=rita, version=1)
    services.span_approve(span=quote, user=rita, version=1)
    return article


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_requires_authentication(api, story):
    assert api.get(EXPORT).status_code == 401
    assert api.get(DATASETS).status_code == 401


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("rita", 200), ("carl", 200), ("ada", 200), ("nemo", 403)],
)
def test_it_lets_every_role_export(request, as_user, story, persona, expected):
    assert as_user(request.getfixturevalue(persona)).get(EXPORT).status_code == expected


def test_it_streams_approved_spans_as_jsonl_by_default(as_user, carl, story):
    response = as_user(carl).get(EXPORT)
    assert response.streaming is True
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert 'filename="newsroom-approved-' in response["Content-Disposition"]
    assert "manifest=1" in response["Link"]
    [line] = body(response).decode().splitlines()
    record = json.loads(line)
    assert record["text"] == TEXT
    assert [(s["label"], s["text"]) for s in record["spans"]] == [
        ("quote", "« Oui »"),
        ("entity", "Zoé"),
    ]
    for span in record["spans"]:
        assert record["text"][span["start"] : span["end"]] == span["text"]


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("csv", "text/csv"),
        ("conll", "text/plain"),
        ("w3c", "application/ld+json"),
    ],
)
def test_it_streams_each_format_with_its_content_type(
    as_user, rita, story, fmt, content_type
):
    response = as_user(rita).get(EXPORT, {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "Zoé".encode() in body(response)


def test_it_refuses_pending_spans_to_a_consumer(as_user, carl, story):
    response = as_user(carl).get(EXPORT, {"status": "all"})
    assert response.status_code == 403
    assert response.json()["error"]["message"]


def test_it_gives_editors_every_status(as_user, alice, story):
    response = as_user(alice).get(EXPORT, {"status": "all", "format": "csv"})
    assert body(response).decode().count("\r\n") == 4


def test_it_refuses_an_unknown_parameter_and_format(as_user, alice, story):
    response = as_user(alice).get(EXPORT, {"fromat": "csv"})
    assert response.status_code == 400
    response = as_user(alice).get(EXPORT, {"format": "xml"})
    assert "format" in response.json()["error"]["fields"]


def test_it_answers_the_manifest(as_user, rita, story):
    response = as_user(rita).get(EXPORT, {"format": "jsonl", "manifest": "1"})
    manifest = response.json()
    assert manifest["offset_unit"] == "codepoint"
    assert manifest["normalisation"] == {"unicode": "NFC", "newlines": "LF"}
    assert manifest["counts"]["labels"] == {"entity": 1, "quote": 1}
    download = body(as_user(rita).get(EXPORT, {"format": "jsonl"}))
    import hashlib

    assert manifest["sha256"] == hashlib.sha256(download).hexdigest()


def test_it_ignores_the_accept_header_for_streams(as_user, rita, story):
    response = as_user(rita).get(EXPORT, {"format": "csv"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200


def test_it_runs_a_bounded_number_of_queries(
    as_user, alice, rita, labels, django_assert_max_num_queries
):
    for i in range(30):
        article = services.article_create(
            user=alice, title=f"A{i}", text=f"Texte {i} ici."
        )
        span = services.span_create(
            user=alice, article=article, label=labels["claim"], start=0, end=5
        )
        services.span_approve(span=span, user=rita, version=1)
    client = as_user(rita)
    with django_assert_max_num_queries(4):
        content = body(client.get(EXPORT))
    assert content.count(b"\n") == 30


def test_it_freezes_and_downloads_a_snapshot(as_user, rita, alice, story):
    client = as_user(rita)
    response = client.post(
        DATASETS, {"name": "quotes", "split": {"train": 100}}, format="json"
    )
    assert response.status_code == 201
    dataset = response.json()
    assert (dataset["name"], dataset["version"], dataset["span_count"]) == (
        "quotes",
        1,
        2,
    )
    url = f"{DATASETS}{dataset['id']}/download/"
    first = body(client.get(url, {"format": "jsonl", "split": "train"}))
    # Later edits change the live data, never the snapshot.
    services.span_update(
        span=Span.objects.get(text="Zoé"), user=alice, entity_type="PER"
    )
    second = body(client.get(url, {"format": "jsonl", "split": "train"}))
    assert first == second
    assert json.loads(first)["spans"][1]["entity_type"] is None
    again = client.post(DATASETS, {"name": "quotes"}, format="json").json()
    assert again["version"] == 2


def test_it_lets_read_tokens_freeze_snapshots(api, carl, story):
    _, key = services.api_token_create(user=carl, name="ml", scope="read")
    response = api.post(
        DATASETS,
        {"name": "consumer set"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 201


def test_it_hides_non_approved_snapshots_from_consumers(as_user, alice, carl, story):
    created = as_user(alice).post(
        DATASETS, {"name": "everything", "filters": {"status": "all"}}, format="json"
    )
    assert created.status_code == 201
    assert as_user(carl).get(DATASETS).json()["results"] == []
    assert (
        as_user(carl).get(f"{DATASETS}{created.json()['id']}/download/").status_code
        == 404
    )


def test_it_refuses_a_bad_split(as_user, rita, story):
    response = as_user(rita).post(
        DATASETS, {"name": "x", "split": {"train": 70, "dev": 10}}, format="json"
    )
    assert response.status_code == 400
    assert "split" in response.json()["error"]["fields"]
    assert not Dataset.objects.exists()


def test_it_imports_the_jsonl_shape_all_or_nothing(as_user, alice, ada, story):
    exported = body(as_user(ada).get(EXPORT, {"status": "all"})).decode().splitlines()
    Article.objects.all().delete()
    items = [json.loads(line) for line in exported]
    broken = json.loads(json.dumps(items[0]))
    broken["source_url"] = "https://example.org/other"
    broken["spans"][0]["end"] = 999
    response = as_user(alice).post(ARTICLES, [items[0], broken], format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["1"]
    assert not Article.objects.exists()
    response = as_user(alice).post(ARTICLES, items, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "articles_created": 1,
        "articles_existing": 0,
        "spans_created": 3,
        "spans_existing": 0,
    }
    again = as_user(alice).post(ARTICLES, items, format="json")
    assert again.status_code == 200
    assert again.json()["articles_existing"] == 1


def test_it_imports_an_ndjson_body(as_user, alice, ada, story):
    exported = body(as_user(ada).get(EXPORT, {"status": "all"}))
    Article.objects.all().delete()
    response = as_user(alice).generic(
        "POST", ARTICLES, exported, content_type="application/x-ndjson"
    )
    assert response.status_code == 201
    assert Span.objects.filter(status="pending").count() == 3


def test_it_reports_ndjson_errors_by_line(as_user, alice, story):
    response = as_user(alice).generic(
        "POST",
        ARTICLES,
        b'{"title": "ok", "text": "x"}\n{not json\n',
        content_type="application/x-ndjson",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["line 2"]


def test_it_imports_approved_only_for_admins(as_user, alice, ada, story):
    exported = body(as_user(ada).get(EXPORT)).decode().splitlines()
    items = [
        dict(json.loads(line), source_url="https://example.org/copy")
        for line in exported
    ]
    response = as_user(alice).post(f"{ARTICLES}?status=approved", items, format="json")
    assert response.status_code == 403
    response = as_user(ada).post(f"{ARTICLES}?status=approved", items, format="json")
    assert response.status_code == 201
    copy = Article.objects.get(source_url="https://example.org/copy")
    assert set(copy.spans.values_list("status", flat=True)) == {"approved"}
