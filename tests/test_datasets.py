import base64
import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from annotations import datasets, exports, services
from annotations.models import Article, AuditEvent, Dataset, Label, Span

from .export_data import make_golden
from .factories import ArticleFactory, SpanFactory
from .test_exports_formats import EXPECTED_CONLL, EXPECTED_JSONL

pytestmark = pytest.mark.django_db
FORMATS = [
    ({"format": "jsonl"}, ".jsonl"),
    ({"format": "csv"}, ".csv"),
    ({"format": "conll"}, ".conll"),
    ({"format": "w3c"}, ".w3c.jsonld"),
    ({"format": "w3c", "lines": "1"}, ".w3c.jsonl"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def golden(alice, bob, rita):
    return make_golden(alice, bob, rita)


@pytest.fixture
def many(alice, rita):
    """Sixty articles with an approved quote each."""
    quote = Label.objects.get(slug="quote")
    articles = []
    for _ in range(60):
        article = ArticleFactory(uploaded_by=alice)
        SpanFactory(article=article, label=quote, status="approved", reviewed_by=rita)
        articles.append(article)
    return articles


def download(dataset, user, **params):
    return b"".join(datasets.stream(dataset, params, user).chunks)


def article_ids(content):
    return {json.loads(line)["article_id"] for line in content.splitlines()}


def test_it_freezes_an_export_with_counts_and_a_hash(golden, alice):
    dataset = datasets.dataset_create(user=alice, name="Villebrune", seed=7)
    assert (dataset.name, dataset.version, dataset.created_by) == (
        "Villebrune",
        1,
        alice,
    )
    assert dataset.filters["status"] == "approved"
    assert dataset.split == {"train": 80, "dev": 10, "test": 10}
    assert dataset.seed == 7
    assert (dataset.article_count, dataset.span_count) == (1, 4)
    assert dataset.label_counts == {"entity": 3, "quote": 1}
    assert default_storage.exists(dataset.content.name)
    assert dataset.content.name.startswith("datasets/villebrune-v1")
    jsonl = download(dataset, alice)
    assert jsonl == EXPECTED_JSONL.encode()
    assert dataset.split_counts["all"]["jsonl_sha256"] == (
        hashlib.sha256(jsonl).hexdigest()
    )


def test_it_renders_a_snapshot_exactly_like_the_live_export(golden, alice, carl):
    dataset = datasets.dataset_create(user=alice, name="Same")
    assert download(dataset, carl, format="conll") == EXPECTED_CONLL.encode()
    for params, _extension in FORMATS:
        live = b"".join(exports.stream(params, carl).chunks)
        if params["format"] != "w3c":
            assert download(dataset, carl, **params) == live


def test_it_numbers_versions_of_one_name(golden, alice, bob):
    first = datasets.dataset_create(user=alice, name="Quotes")
    second = datasets.dataset_create(user=bob, name="Quotes", description="Again.")
    other = datasets.dataset_create(user=alice, name="Claims")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert second.content.name != first.content.name


def test_it_records_an_audit_event(golden, alice):
    dataset = datasets.dataset_create(user=alice, name="Audited")
    event = AuditEvent.objects.get(object_type="dataset")
    assert (event.actor, event.object_id, event.action) == (alice, dataset.pk, "create")
    assert event.after["content_sha256"] == dataset.content_sha256


def test_it_refuses_to_change_a_saved_snapshot(golden, alice):
    dataset = datasets.dataset_create(user=alice, name="Fixed")
    dataset.description = "Edited"
    with pytest.raises(TypeError):
        dataset.save()


def test_it_never_changes_after_edits_rejections_and_deletions(
    golden, alice, bob, rita, ada, carl
):
    dataset = datasets.dataset_create(user=alice, name="Frozen", seed=3)
    before = {
        (str(params), split): download(dataset, carl, split=split, **params)
        for params, _extension in FORMATS
        for split in ("all", "train", "dev", "test")
    }
    quote = Span.objects.get(pk=9102)
    services.span_reject(span=quote, user=rita, version=quote.version, reason="No.")
    zoe = Span.objects.get(pk=9101)
    services.span_update(span=zoe, user=ada, entity_type="ORG")
    services.article_update(article=golden, user=alice, title="Nouveau titre")
    services.article_delete(article=golden, user=ada)
    assert Article.objects.count() == 0
    assert b"".join(exports.stream({}, carl).chunks) == b""
    after = {
        (str(params), split): download(dataset, carl, split=split, **params)
        for params, _extension in FORMATS
        for split in ("all", "train", "dev", "test")
    }
    assert after == before
    assert before[(str({"format": "jsonl"}), "all")] == EXPECTED_JSONL.encode()


@pytest.mark.parametrize(("params", "extension"), FORMATS)
def test_it_gives_identical_bytes_and_manifest_twice(
    many, golden, alice, params, extension
):
    dataset = datasets.dataset_create(user=alice, name="Twice", seed=11)
    for split in ("all", "train", "dev", "test"):
        first = download(dataset, alice, split=split, **params)
        second = download(dataset, alice, split=split, **params)
        assert first == second
        manifest = datasets.manifest(dataset, {"split": split, **params}, alice)
        assert manifest == datasets.manifest(dataset, {"split": split, **params}, alice)
        assert manifest["sha256"] == hashlib.sha256(first).hexdigest()
        assert manifest["bytes"] == len(first)
        assert manifest["generated_at"] == exports.iso(dataset.created_at)
        assert manifest["dataset"]["split"] == split
        assert manifest["dataset"]["seed"] == 11
        assert manifest["dataset"]["content_sha256"] == dataset.content_sha256
        assert manifest["filename"].endswith(extension)


def test_it_splits_by_article_without_overlap(many, alice):
    dataset = datasets.dataset_create(user=alice, name="Split", seed=5)
    ids = {
        split: article_ids(download(dataset, alice, split=split).decode())
        for split in ("all", "train", "dev", "test")
    }
    assert ids["train"] | ids["dev"] | ids["test"] == ids["all"]
    assert len(ids["all"]) == 60
    assert not ids["train"] & ids["dev"]
    assert not ids["train"] & ids["test"]
    assert not ids["dev"] & ids["test"]
    # 80/10/10 of sixty articles, give or take the hash.
    assert 38 <= len(ids["train"]) <= 58
    counts = dataset.split_counts
    assert sum(counts[name]["articles"] for name in ("train", "dev", "test")) == 60
    assert counts["train"]["articles"] == len(ids["train"])


def test_it_keeps_an_articles_split_across_snapshots_with_one_seed(many, alice):
    first = datasets.dataset_create(user=alice, name="A", seed=42)
    Article.objects.filter(pk__in=[a.pk for a in many[:20]]).delete()
    second = datasets.dataset_create(user=alice, name="B", seed=42)
    other_seed = datasets.dataset_create(user=alice, name="C", seed=43)

    def assignment(dataset):
        return {
            article_id: split
            for split in ("train", "dev", "test")
            for article_id in article_ids(
                download(dataset, alice, split=split).decode()
            )
        }

    a, b, c = assignment(first), assignment(second), assignment(other_seed)
    assert len(a) == 60 and len(b) == 40
    assert all(a[article_id] == split for article_id, split in b.items())
    assert any(b[article_id] != split for article_id, split in c.items())


def test_it_follows_configured_percentages(many, alice):
    dataset = datasets.dataset_create(
        user=alice, name="All train", split={"train": 100}
    )
    assert dataset.split == {"train": 100, "dev": 0, "test": 0}
    assert download(dataset, alice, split="dev") == b""
    assert dataset.split_counts["train"]["articles"] == 60


def test_it_freezes_the_filters(golden, alice):
    dataset = datasets.dataset_create(
        user=alice,
        name="Pending claims",
        filters={"status": "pending", "label": ["claim"]},
    )
    assert dataset.filters["label"] == ["claim"]
    assert (dataset.span_count, dataset.label_counts) == (1, {"claim": 1})


@pytest.mark.parametrize(
    ("kwargs", "key", "words"),
    [
        ({"name": " "}, "name", "Give the snapshot a name"),
        ({"split": {"train": 90, "dev": 20}}, "split", "add up to 100"),
        ({"split": {"train": 80, "valid": 20}}, "split", "'valid'"),
        ({"split": {"train": -10, "test": 110}}, "split", "from 0 to 100"),
        ({"split": [80, 10, 10]}, "split", "must be an object"),
        ({"seed": "abc"}, "seed", "'abc'"),
        ({"seed": -1}, "seed", "from 0 to"),
        ({"filters": {"format": "csv"}}, "filters", "format: Unknown parameter"),
        ({"filters": {"label": "rumour"}}, "filters", "label: Unknown label 'rumour'"),
        ({"filters": "status=all"}, "filters", "must be an object"),
    ],
)
def test_it_names_bad_input(golden, alice, kwargs, key, words):
    with pytest.raises(ValidationError) as excinfo:
        datasets.dataset_create(user=alice, **({"name": "X"} | kwargs))
    assert words in " ".join(excinfo.value.message_dict[key])
    assert Dataset.objects.count() == 0


def test_it_lets_consumers_freeze_approved_spans_only(golden, carl):
    with pytest.raises(PermissionDenied):
        datasets.dataset_create(user=carl, name="X", filters={"status": "all"})
    dataset = datasets.dataset_create(user=carl, name="Mine")
    assert dataset.span_count == 4


def test_it_hides_snapshots_of_unreviewed_spans_from_consumers(golden, alice, carl):
    everything = datasets.dataset_create(
        user=alice, name="All", filters={"status": "all"}
    )
    approved = datasets.dataset_create(user=alice, name="Approved")
    assert list(Dataset.objects.visible_to(carl)) == [approved]
    assert set(Dataset.objects.visible_to(alice)) == {everything, approved}
    with pytest.raises(PermissionDenied):
        datasets.stream(everything, {}, carl)
    assert download(approved, carl)


def test_it_refuses_users_without_a_role(golden, alice, nemo):
    dataset = datasets.dataset_create(user=alice, name="X")
    assert not Dataset.objects.visible_to(nemo).exists()
    with pytest.raises(PermissionDenied):
        datasets.stream(dataset, {}, nemo)
    with pytest.raises(PermissionDenied):
        datasets.dataset_create(user=nemo, name="Y")


def test_it_names_bad_download_parameters(golden, alice):
    dataset = datasets.dataset_create(user=alice, name="X")
    with pytest.raises(ValidationError) as excinfo:
        datasets.stream(dataset, {"split": "validation", "format": "xml"}, alice)
    assert set(excinfo.value.message_dict) == {"split", "format"}
    with pytest.raises(ValidationError) as excinfo:
        datasets.stream(dataset, {"status": "all"}, alice)
    assert "Unknown parameter 'status'" in excinfo.value.message_dict["status"][0]


def test_it_names_downloads_and_gives_the_jsonl_digest(golden, alice):
    dataset = datasets.dataset_create(user=alice, name="Élections 2026")
    dataset = datasets.dataset_create(user=alice, name="Élections 2026")
    export = datasets.stream(dataset, {"split": "train"}, alice)
    assert export.filename == "elections-2026-v2-train.jsonl"
    body = b"".join(export.chunks)
    digest = hashlib.sha256(body).digest()
    assert export.headers()["Repr-Digest"] == (
        f"sha-256=:{base64.b64encode(digest).decode()}:"
    )
    conll = datasets.stream(dataset, {"format": "conll"}, alice)
    assert conll.filename == "elections-2026-v2.conll"
    assert "Repr-Digest" not in conll.headers()


def test_it_removes_the_stored_file_when_saving_fails(
    golden, alice, media, monkeypatch
):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditEvent, "record", fail)
    with pytest.raises(RuntimeError):
        datasets.dataset_create(user=alice, name="Broken")
    assert not list((media / "datasets").iterdir())


def test_it_assigns_splits_from_the_seed_and_id_alone():
    weights = {"train": 80, "dev": 10, "test": 10}
    splits = [datasets.split_of(n, seed=1, weights=weights) for n in range(1, 2001)]
    assert splits == [
        datasets.split_of(n, seed=1, weights=weights) for n in range(1, 2001)
    ]
    assert 1500 < splits.count("train") < 1700
    assert 120 < splits.count("dev") < 280
    assert datasets.split_of(
        5, seed=1, weights={"train": 0, "dev": 0, "test": 100}
    ) == ("test")


@pytest.mark.django_db(transaction=True)
def test_it_freezes_in_its_own_transaction(alice, bob, rita):
    # Outside a test transaction, PostgreSQL switches to REPEATABLE READ first.
    make_golden(alice, bob, rita)
    dataset = datasets.dataset_create(user=alice, name="Own transaction")
    assert dataset.span_count == 4
    assert download(dataset, alice) == EXPECTED_JSONL.encode()
