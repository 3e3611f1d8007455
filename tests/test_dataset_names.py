"""A snapshot's name and version are said once: "presse-fr v1", never "v1 v1"."""

import re

import pytest
from django.urls import reverse

from annotations import datasets, services
from annotations.models import Dataset

pytestmark = pytest.mark.django_db

DATASETS = reverse("annotations:dataset_list")


@pytest.fixture
def story(alice, rita, labels):
    article = services.article_create(
        user=alice, title="Story", text="« Oui », dit Zoé."
    )
    zoe = services.span_create(
        user=alice, article=article, label=labels["entity"], start=13, end=16
    )
    services.span_approve(span=zoe, user=rita, version=1)
    return article


def freeze(client, name):
    return client.post(
        DATASETS,
        {"name": name, "status": "approved", "train": 80, "dev": 10, "test": 10},
        follow=True,
    )


def heading(body, dataset):
    """Return the snapshot's heading on the page, tags removed."""
    match = re.search(
        r"<h2>(.*?)</h2>", body[body.index(f"{dataset.pk}/download") - 2000 :], re.S
    )
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize(
    ("name", "version", "said"),
    [
        ("presse-fr v1", 1, "presse-fr v1"),
        ("presse-fr V1", 1, "presse-fr V1"),
        ("presse-fr-v1", 1, "presse-fr-v1"),
        ("presse-fr", 1, "presse-fr v1"),
        ("presse-fr v1", 2, "presse-fr v1 v2"),
        ("presse-fr v10", 1, "presse-fr v10 v1"),
        ("v1", 1, "v1"),
    ],
)
def test_it_says_the_version_once(name, version, said):
    assert str(Dataset(name=name, version=version)) == said


def test_the_page_shows_the_name_once(client, rita, story):
    client.force_login(rita)
    response = freeze(client, "presse-fr v1")
    body = response.content.decode()
    dataset = Dataset.objects.get()
    assert "Snapshot presse-fr v1 frozen" in body
    assert "v1 v1" not in body
    assert heading(body, dataset) == "presse-fr v1"


def test_the_page_adds_the_version_to_a_plain_name(client, rita, story):
    client.force_login(rita)
    body = freeze(client, "presse-fr").content.decode()
    assert heading(body, Dataset.objects.get()) == "presse-fr v1"


def test_the_file_names_the_version_once(rita, story):
    dataset = datasets.dataset_create(user=rita, name="presse-fr v1")
    assert datasets.stream(dataset, {}, rita).filename == "presse-fr-v1.jsonl"
    again = datasets.dataset_create(user=rita, name="presse-fr v1")
    export = datasets.stream(again, {"split": "dev", "format": "csv"}, rita)
    assert export.filename == "presse-fr-v1-v2-dev.csv"
