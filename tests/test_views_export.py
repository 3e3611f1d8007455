import json

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Dataset

pytestmark = pytest.mark.django_db

URL = reverse("annotations:export")
DATASETS = reverse("annotations:dataset_list")


@pytest.fixture
def story(alice, rita, labels):
    article = services.article_create(
        user=alice, title="Story", text="« Oui », dit Zoé 🚀."
    )
    zoe = services.span_create(
        user=alice, article=article, label=labels["entity"], start=13, end=16
    )
    services.span_create(
        user=alice, article=article, label=labels["quote"], start=0, end=7
    )
    services.span_approve(span=zoe, user=rita, version=1)
    return article


def test_it_redirects_anonymous_users(client):
    assert client.get(URL).status_code == 302
    assert client.get(DATASETS).status_code == 302


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("rita", 200), ("carl", 200), ("ada", 200), ("nemo", 403)],
)
def test_it_shows_the_export_form_to_every_role(client, request, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == expected
    if expected == 200:
        assert b'name="format"' in response.content
        assert b'href="/export/"' in response.content


def test_it_offers_consumers_approved_spans_only(client, carl):
    client.force_login(carl)
    body = client.get(URL).content.decode()
    assert 'value="approved"' in body
    assert 'value="pending"' not in body


def test_it_downloads_the_export(client, rita, story):
    client.force_login(rita)
    response = client.get(
        URL, {"download": "1", "format": "jsonl", "status": "approved"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in response["Content-Disposition"]
    record = json.loads(b"".join(response.streaming_content))
    assert [s["text"] for s in record["spans"]] == ["Zoé"]


def test_it_downloads_filtered_csv(client, alice, story):
    client.force_login(alice)
    response = client.get(
        URL, {"download": "1", "format": "csv", "status": "all", "label": ["quote"]}
    )
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 2
    assert "« Oui »" in rows[1]


def test_it_shows_form_errors_instead_of_a_file(client, carl, story):
    client.force_login(carl)
    response = client.get(URL, {"download": "1", "format": "xml", "status": "all"})
    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]
    assert b"error" in response.content


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 200), ("rita", 200), ("carl", 200), ("ada", 200), ("nemo", 403)],
)
def test_it_shows_the_dataset_page_to_every_role(client, request, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(DATASETS).status_code == expected


def test_it_freezes_a_snapshot_from_the_form(client, rita, story):
    client.force_login(rita)
    response = client.post(
        DATASETS,
        {
            "name": "Quotes v",
            "status": "approved",
            "train": 80,
            "dev": 10,
            "test": 10,
            "seed": 7,
        },
        follow=True,
    )
    assert response.status_code == 200
    dataset = Dataset.objects.get()
    assert (dataset.name, dataset.span_count, dataset.seed) == ("Quotes v", 1, 7)
    body = response.content.decode()
    assert "frozen" in body
    assert (
        f"/api/v1/datasets/{dataset.pk}/download/?format=conll&amp;split=train" in body
    )


def test_it_downloads_a_snapshot_with_the_session(client, rita, story):
    client.force_login(rita)
    client.post(
        DATASETS, {"name": "s", "status": "approved", "train": 100, "dev": 0, "test": 0}
    )
    dataset = Dataset.objects.get()
    response = client.get(
        f"/api/v1/datasets/{dataset.pk}/download/?format=jsonl&split=train"
    )
    assert response.status_code == 200
    assert b"Zo\xc3\xa9" in b"".join(response.streaming_content)


def test_it_shows_split_errors_on_the_form(client, rita, story):
    client.force_login(rita)
    response = client.post(
        DATASETS,
        {"name": "bad", "status": "approved", "train": 50, "dev": 10, "test": 10},
    )
    assert response.status_code == 200
    assert b"100" in response.content
    assert not Dataset.objects.exists()


def test_it_refuses_a_consumer_freezing_pending_spans(client, carl, story):
    client.force_login(carl)
    response = client.post(
        DATASETS, {"name": "x", "status": "all", "train": 80, "dev": 10, "test": 10}
    )
    assert response.status_code == 200
    assert not Dataset.objects.exists()


def test_it_hides_other_snapshots_from_consumers(client, alice, carl, story):
    client.force_login(alice)
    client.post(
        DATASETS,
        {"name": "everything", "status": "all", "train": 80, "dev": 10, "test": 10},
        follow=True,  # shows the confirmation, which would otherwise wait for carl
    )
    assert Dataset.objects.count() == 1
    client.force_login(carl)
    assert b"everything" not in client.get(DATASETS).content
