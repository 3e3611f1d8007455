"""Suggestions stay inside the team: exports, consumers' pages, the review queue,
the work status and the counts never show `suggested` or `dismissed` spans
unless a team member asks for suggestions by name."""

import csv
import io
import json

import pytest
from django.urls import reverse

from annotations import services, stats
from annotations.models import Article, Span, WorkStatus

from .suggestion_data import TEXT, by_text, suggested_article

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/export/"
CLAIM = "Le budget de Villebrune a augmenté de 8 % en un an."
QUOTE = "Nous doublerons les pistes cyclables"


@pytest.fixture
def story(alice, rita, labels):
    """Four suggestions: one accepted (with its speaker) and approved, one
    dismissed, one left suggested; plus a span made by hand, pending."""
    article, run = suggested_article(alice)
    spans = by_text(run)
    quote = services.span_accept(span=spans[QUOTE], user=alice)
    services.span_approve(span=quote, user=rita, version=quote.version)
    services.span_dismiss(span=spans["Villebrune"], user=alice)
    start = TEXT.index("pistes")
    services.span_create(
        user=alice, article=article, label=labels["claim"], start=start, end=start + 6
    )
    return article


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def exported(client, **params) -> list[tuple[str, str]]:
    """Return (text, stored status) of each exported span."""
    response = client.get(EXPORT, params)
    assert response.status_code == 200, response.content
    [line] = body(response).decode().splitlines()
    ids = [span["id"] for span in json.loads(line)["spans"]]
    assert len(ids) == len(set(ids))
    return sorted(Span.objects.filter(pk__in=ids).values_list("text", "status"))


# Exports


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "ada"])
def test_the_default_export_is_approved_spans_only(request, as_user, story, persona):
    client = as_user(request.getfixturevalue(persona))
    assert exported(client) == [(QUOTE, "approved")]


@pytest.mark.parametrize("persona", ["alice", "rita", "ada"])
def test_status_all_leaves_suggestions_out(request, as_user, story, persona):
    client = as_user(request.getfixturevalue(persona))
    assert exported(client, status="all") == [
        ("Claire Fontaine", "pending"),
        (QUOTE, "approved"),
        ("pistes", "pending"),
    ]


@pytest.mark.parametrize("persona", ["alice", "rita", "ada"])
def test_the_team_exports_suggestions_by_name(request, as_user, story, persona):
    client = as_user(request.getfixturevalue(persona))
    assert exported(client, status="suggested") == [(CLAIM, "suggested")]


@pytest.mark.parametrize("status", ["suggested", "all", "pending"])
def test_consumers_are_refused_anything_but_approved(as_user, carl, story, status):
    response = as_user(carl).get(EXPORT, {"status": status})
    assert response.status_code == 403
    assert "approved spans only" in response.json()["error"]["message"]


def test_dismissed_suggestions_are_never_exported(as_user, ada, story):
    response = as_user(ada).get(EXPORT, {"status": "dismissed"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_no_other_format_carries_suggestions_in_status_all(as_user, ada, story):
    client = as_user(ada)
    data = body(client.get(EXPORT, {"status": "all", "format": "csv"})).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert sorted((row["text"], row["status"]) for row in rows) == [
        ("Claire Fontaine", "pending"),
        (QUOTE, "approved"),
        ("pistes", "pending"),
    ]
    data = body(client.get(EXPORT, {"status": "all", "format": "w3c"})).decode()
    exact = [
        selector["exact"]
        for item in json.loads(data)["first"]["items"]
        for selector in item["target"]["selector"]
        if selector["type"] == "TextQuoteSelector"
    ]
    assert sorted(exact) == ["Claire Fontaine", QUOTE, "pistes"]
    data = body(client.get(EXPORT, {"status": "all", "format": "conll"})).decode()
    tagged = [line.split()[0] for line in data.splitlines() if " B-" in line]
    # The quote and its speaker; not the suggested claim ("Le budget…") nor the
    # dismissed "Villebrune" (the hand-made claim overlaps the quote).
    assert tagged == ["Nous", "Claire"]


def test_jsonl_spans_carry_their_origin(as_user, ada, story):
    response = as_user(ada).get(EXPORT, {"status": "all"})
    [line] = body(response).decode().splitlines()
    origins = {s["text"]: s["origin"] for s in json.loads(line)["spans"]}
    assert origins == {
        "Claire Fontaine": "model:fr_core_news_md@3.8.0",
        QUOTE: "rule:quote-verb-after",
        "pistes": "manual",
    }
    assert list(json.loads(line)["spans"][0])[-1] == "origin"
    response = as_user(ada).get(EXPORT, {"status": "suggested"})
    [line] = body(response).decode().splitlines()
    assert [s["origin"] for s in json.loads(line)["spans"]] == ["rule:claim-cues"]


def test_the_export_page_offers_suggestions_to_the_team_only(client, alice, carl):
    client.force_login(alice)
    page = client.get(reverse("annotations:export")).content.decode()
    assert 'value="suggested"' in page
    client.force_login(carl)
    page = client.get(reverse("annotations:export")).content.decode()
    assert 'value="suggested"' not in page


def test_a_dataset_of_suggestions_is_not_for_consumers(as_user, alice, carl, story):
    response = as_user(carl).post(
        "/api/v1/datasets/",
        {"name": "s", "filters": {"status": "suggested"}},
        format="json",
    )
    assert response.status_code == 403
    response = as_user(alice).post(
        "/api/v1/datasets/",
        {"name": "s", "filters": {"status": "suggested"}},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["span_count"] == 1
    listed = as_user(carl).get("/api/v1/datasets/").json()["results"]
    assert listed == []


# Consumers' pages


def test_the_consumers_annotate_page_shows_no_suggestion(client, carl, story):
    client.force_login(carl)
    page = client.get(reverse("annotations:article_detail", args=[story.pk]))
    html = page.content.decode()
    assert 'data-status="approved"' in html
    assert 'data-status="suggested"' not in html
    assert "rule:claim-cues" not in html
    assert [span.text for span in page.context["spans"]] == [QUOTE]


def test_the_teams_annotate_page_never_shows_a_dismissed_suggestion(
    client, alice, story
):
    client.force_login(alice)
    page = client.get(reverse("annotations:article_detail", args=[story.pk]))
    statuses = sorted(span.status for span in page.context["spans"])
    assert statuses == ["approved", "pending", "pending", "suggested"]


def test_the_consumers_history_page_tells_nothing_of_suggestions(
    client, carl, alice, story
):
    client.force_login(carl)
    url = reverse("annotations:article_history", args=[story.pk])
    actions = [entry["event"].action for entry in client.get(url).context["entries"]]
    assert "suggest" not in actions
    assert "dismiss" not in actions
    client.force_login(alice)
    actions = [entry["event"].action for entry in client.get(url).context["entries"]]
    assert actions[:1] == ["suggest"]


# Review queue, work status, counts


def test_the_review_queue_ignores_suggestions(client, rita, alice, labels):
    article, run = suggested_article(alice)
    client.force_login(rita)
    response = client.get(reverse("annotations:review_queue"))
    assert response.context["rows"] == []
    assert response.context["count"] == 0
    services.span_accept(span=by_text(run)[CLAIM], user=alice)
    response = client.get(reverse("annotations:review_queue"))
    assert [row.text for row in response.context["rows"]] == [CLAIM]


def test_approve_all_pending_leaves_suggestions_alone(as_user, rita, alice, labels):
    article, run = suggested_article(alice)
    response = as_user(rita).post(f"/api/v1/articles/{article.pk}/approve-pending/")
    assert response.json()["approved"] == []
    assert response.json()["left_for_another_reviewer"] == 0
    assert article.spans.filter(status="suggested").count() == 4


def test_an_article_with_only_suggestions_is_not_started(alice, labels):
    article, run = suggested_article(alice)
    found = Article.objects.with_work_status().get(pk=article.pk)
    assert found.work_status == WorkStatus.NOT_STARTED
    assert (found.spans_pending, found.spans_total) == (0, 0)
    assert Article.objects.filter_work_status(WorkStatus.NOT_STARTED).exists()
    services.span_accept(span=by_text(run)[CLAIM], user=alice)
    found = Article.objects.with_work_status().get(pk=article.pk)
    assert found.work_status == WorkStatus.AWAITING_REVIEW
    assert (found.spans_pending, found.spans_total) == (1, 1)


def test_the_article_api_counts_ignore_suggestions(as_user, alice, labels):
    article, _run = suggested_article(alice)
    data = as_user(alice).get(f"/api/v1/articles/{article.pk}/").json()
    assert data["span_counts"] == {"pending": 0, "approved": 0, "rejected": 0}
    listed = as_user(alice).get("/api/v1/articles/", {"status": "not_started"})
    assert [a["id"] for a in listed.json()["results"]] == [article.pk]


def test_the_dashboard_figures_by_label_and_annotator_ignore_suggestions(
    alice, rita, story
):
    assert {rate.name: rate.pending for rate in stats.by_label()} == {
        "quote": 0,
        "claim": 1,
        "entity": 1,
        "opinion": 0,
    }
    assert [(r.name, r.pending, r.approved) for r in stats.by_annotator()] == [
        ("alice", 2, 1)
    ]
    assert stats.oldest_pending_age() is not None
    Span.objects.exclude(status="suggested").delete()
    assert stats.oldest_pending_age() is None


def test_the_history_tells_the_run_and_what_accepting_changed(client, alice, story):
    client.force_login(alice)
    url = reverse("annotations:article_history", args=[story.pk])
    html = client.get(url).content.decode()
    assert "Suggestions made" in html
    assert "4 suggestions in all: 4 new, 0 removed." in html
    assert "Suggestion accepted" in html
    assert "<del>Suggested</del> → <ins>Pending</ins>" in html
    assert "Suggestion dismissed" in html


def test_the_article_list_and_queue_filters_ignore_suggestions(client, alice, rita):
    article, _run = suggested_article(alice)
    client.force_login(rita)
    listed = client.get(reverse("annotations:article_list"), {"label": "quote"})
    assert list(listed.context["page"].object_list) == []
    queue = client.get(reverse("annotations:review_queue"))
    form = queue.context["filter"].form
    annotators = [value for value, _name in form.fields["annotator"].choices]
    assert "alice" not in annotators


def test_csv_and_w3c_carry_the_origin_too(as_user, ada, story):
    client = as_user(ada)
    data = body(client.get(EXPORT, {"status": "all", "format": "csv"})).decode()
    rows = {row["text"]: row["origin"] for row in csv.DictReader(io.StringIO(data))}
    assert rows["Claire Fontaine"] == "model:fr_core_news_md@3.8.0"
    assert rows["pistes"] == "manual"
    data = body(client.get(EXPORT, {"status": "all", "format": "w3c"})).decode()
    generators = {
        item["target"]["selector"][1]["exact"]: item.get("generator")
        for item in json.loads(data)["first"]["items"]
    }
    assert generators[QUOTE] == {"type": "Software", "name": "rule:quote-verb-after"}
    assert generators["pistes"] is None


def test_an_import_keeps_the_origin_and_checks_it(as_user, ada, alice, story):
    exported = body(as_user(ada).get(EXPORT, {"status": "all"})).decode()
    record = json.loads(exported)
    Article.objects.all().delete()
    response = as_user(alice).post("/api/v1/articles/", [record], format="json")
    assert response.status_code == 201, response.content
    origins = dict(Span.objects.values_list("text", "origin"))
    assert origins[QUOTE] == "rule:quote-verb-after"
    assert origins["pistes"] == "manual"
    assert Span.objects.filter(status__in=["suggested", "dismissed"]).count() == 0
    Article.objects.all().delete()
    record["spans"][0]["origin"] = "a guess"
    response = as_user(alice).post("/api/v1/articles/", [record], format="json")
    assert response.status_code == 400
    assert "An origin is" in str(response.json()["error"]["fields"])
