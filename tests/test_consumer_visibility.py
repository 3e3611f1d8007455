"""Data consumers see approved work only: history, work status and sources,
through every page and API that shows them.
"""

import json

import pytest
from django.urls import reverse

from annotations import datasets, services
from annotations.models import AuditEvent, Span

pytestmark = pytest.mark.django_db

TEXT = "« Nous tiendrons », promet Zoé Lefèvre à Montréal."
REASON = "wrong boundaries: secret reviewer note"


def tag(user, article, label, phrase, **fields):
    start = TEXT.index(phrase)
    return services.span_create(
        user=user,
        article=article,
        label=label,
        start=start,
        end=start + len(phrase),
        **fields,
    )


@pytest.fixture
def story(alice, rita, ada, labels):
    """A quote rejected, fixed, approved, edited by an admin and approved again;
    its source, Zoé, still pending; a claim rejected then approved as it was.
    """
    article = services.article_create(user=alice, title="Promesse", text=TEXT)
    zoe = tag(alice, article, labels["entity"], "Zoé Lefèvre")
    quote = tag(alice, article, labels["quote"], "« Nous tiendrons »")
    quote = services.span_reject(span=quote, user=rita, version=1, reason=REASON)
    quote = services.span_update(span=quote, user=alice, source=zoe)
    quote = services.span_approve(span=quote, user=rita, version=quote.version)
    quote = services.span_update(span=quote, user=ada, entity_type=None, source=zoe)
    quote = services.span_update(span=quote, user=ada, label=labels["claim"])
    quote = services.span_update(span=quote, user=ada, label=labels["quote"])
    quote = services.span_approve(span=quote, user=rita, version=quote.version)
    claim = tag(alice, article, labels["claim"], "Montréal")
    claim = services.span_reject(span=claim, user=rita, version=1, reason=REASON)
    claim = services.span_approve(span=claim, user=rita, version=claim.version)
    return article, quote, zoe, claim


def api_history(as_user, user, path):
    response = as_user(user).get(path)
    assert response.status_code == 200
    return response.json()


# History: AuditEvent.objects.visible_to(user)


def test_a_consumer_reads_only_the_approval_that_stands(as_user, carl, story):
    article, quote, zoe, claim = story
    events = api_history(as_user, carl, f"/api/v1/spans/{quote.pk}/history/")
    assert [event["action"] for event in events] == ["approve"]
    [approval] = events
    assert approval["actor"] == "rita"
    assert approval["before"] is None
    assert approval["after"] == {
        "label": "quote",
        "start": 0,
        "end": 18,
        "text": "« Nous tiendrons »",
        "entity_type": None,
        "source": None,
        "status": "approved",
        "reviewed_by": approval["after"]["reviewed_by"],
    }
    assert REASON not in json.dumps(events)


def test_a_consumer_reads_no_rejection_before_an_approval(as_user, carl, story):
    article, quote, zoe, claim = story
    events = api_history(as_user, carl, f"/api/v1/spans/{claim.pk}/history/")
    [approval] = events
    # The approval's own "before" held the rejection and its reason.
    assert approval["before"] is None
    assert "rejection_reason" not in approval["after"]
    assert "version" not in approval["after"]


def test_a_consumer_reads_the_article_and_its_approvals_only(as_user, carl, story):
    article, quote, zoe, claim = story
    events = api_history(as_user, carl, f"/api/v1/articles/{article.pk}/history/")
    assert [(e["object_type"], e["action"]) for e in events] == [
        ("article", "create"),
        ("span", "approve"),
        ("span", "approve"),
    ]
    assert {e["object_id"] for e in events[1:]} == {quote.pk, claim.pk}
    assert REASON not in json.dumps(events)
    assert ("span", zoe.pk) not in {(e["object_type"], e["object_id"]) for e in events}


@pytest.mark.parametrize("persona", ["alice", "rita", "ada"])
def test_the_team_reads_every_event(as_user, request, story, persona):
    article, quote, zoe, claim = story
    user = request.getfixturevalue(persona)
    events = api_history(as_user, user, f"/api/v1/spans/{quote.pk}/history/")
    assert [event["action"] for event in events] == [
        "create",
        "reject",
        "update",
        "approve",
        "update",
        "update",
        "approve",
    ]
    assert events[1]["after"]["rejection_reason"] == REASON
    events = api_history(as_user, user, f"/api/v1/articles/{article.pk}/history/")
    # The article's creation, Zoé's, the quote's seven events, the claim's three.
    assert len(events) == 1 + 1 + 7 + 3


def test_both_history_pages_show_a_consumer_only_the_approval(client, carl, story):
    article, quote, zoe, claim = story
    client.force_login(carl)
    for url in (
        reverse("annotations:span_history", args=[quote.pk]),
        reverse("annotations:article_history", args=[article.pk]),
    ):
        content = client.get(url).content.decode()
        assert "action-approve" in content
        assert "action-reject" not in content and "action-update" not in content
        assert "secret reviewer note" not in content
        assert f"#{zoe.pk}" not in content


def test_visible_to_is_empty_without_a_role(nemo, story):
    assert not AuditEvent.objects.visible_to(nemo).exists()


def test_visible_to_leaves_out_deleted_articles(alice, carl, rita, story):
    article, *_ = story
    services.article_delete(article=article, user=alice)
    for user in (alice, carl, rita):
        assert not AuditEvent.objects.visible_to(user).exists()


def test_a_consumer_reads_history_in_a_constant_number_of_queries(
    as_user, carl, rita, alice, story, labels, django_assert_num_queries
):
    article, *_ = story
    url = f"/api/v1/articles/{article.pk}/history/"
    client = as_user(carl)
    client.get(url)  # the roles are then cached on the user
    # article, events (which spans are visible and which sources, in subqueries)
    with django_assert_num_queries(2):
        client.get(url)
    for phrase in ("Nous", "tiendrons", "promet", "Lefèvre"):
        span = tag(alice, article, labels["entity"], phrase)
        services.span_approve(span=span, user=rita, version=1)
    with django_assert_num_queries(2):
        assert len(client.get(url).json()) == 1 + 2 + 4


# Work status


def test_the_list_shows_consumers_no_work_status(client, carl, alice, story):
    client.force_login(alice)
    assert "ws-in_progress" in client.get("/").content.decode()
    client.force_login(carl)
    content = client.get("/").content.decode()
    assert "work-status" not in content
    assert 'name="status"' not in content


def test_the_list_refuses_a_consumer_the_work_status_filter(client, carl, story):
    client.force_login(carl)
    response = client.get("/", {"status": "awaiting_review"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "not theirs to filter on" in content
    assert response.context["page"].paginator.count == 0


def test_the_list_filters_the_team_by_work_status(client, alice, story):
    article, *_ = story
    client.force_login(alice)
    response = client.get("/", {"status": "in_progress"})
    assert [a.pk for a in response.context["page"]] == [article.pk]


def test_the_api_refuses_a_consumer_the_work_status_filter(as_user, carl, story):
    response = as_user(carl).get("/api/v1/articles/", {"status": "awaiting_review"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "not theirs to filter on" in error["fields"]["status"][0]


def test_the_api_filters_the_team_by_work_status(as_user, alice, rita, story):
    article, *_ = story
    for user in (alice, rita):
        response = as_user(user).get("/api/v1/articles/", {"status": "in_progress"})
        assert [a["id"] for a in response.json()["results"]] == [article.pk]


# Sources


def test_the_api_hides_a_source_a_consumer_may_not_see(as_user, carl, alice, story):
    article, quote, zoe, claim = story
    response = as_user(carl).get(f"/api/v1/spans/{quote.pk}/")
    assert response.json()["source"] is None
    listed = as_user(carl).get("/api/v1/spans/", {"article": article.pk}).json()
    assert {span["id"]: span["source"] for span in listed["results"]} == {
        quote.pk: None,
        claim.pk: None,
    }
    assert as_user(alice).get(f"/api/v1/spans/{quote.pk}/").json()["source"] == zoe.pk


def test_the_api_shows_a_consumer_an_approved_source(as_user, carl, rita, story):
    article, quote, zoe, claim = story
    services.span_approve(span=zoe, user=rita, version=zoe.version)
    assert as_user(carl).get(f"/api/v1/spans/{quote.pk}/").json()["source"] == zoe.pk


@pytest.mark.parametrize("approved", [False, True], ids=["pending", "approved"])
def test_a_span_names_the_same_source_listed_alone_or_with_its_article(
    as_user, carl, alice, rita, story, approved
):
    article, quote, zoe, claim = story
    if approved:
        services.span_approve(span=zoe, user=rita, version=zoe.version)
    for user, expected in ((carl, zoe.pk if approved else None), (alice, zoe.pk)):
        client = as_user(user)
        alone = client.get(f"/api/v1/spans/{quote.pk}/").json()
        listed = client.get("/api/v1/spans/", {"article": article.pk}).json()
        included = client.get(f"/api/v1/articles/{article.pk}/?include=spans").json()
        sources = [
            alone["source"],
            *(span["source"] for span in listed["results"] if span["id"] == quote.pk),
            *(span["source"] for span in included["spans"] if span["id"] == quote.pk),
        ]
        assert sources == [expected] * 3, user


def jsonl_spans(response) -> dict:
    lines = b"".join(response.streaming_content).decode().splitlines()
    return {span["id"]: span for line in lines for span in json.loads(line)["spans"]}


def test_exports_of_approved_spans_name_approved_sources_only(
    as_user, carl, alice, story
):
    article, quote, zoe, claim = story
    for user in (carl, alice):
        spans = jsonl_spans(as_user(user).get("/api/v1/export/"))
        assert spans[quote.pk]["source_span"] is None
    spans = jsonl_spans(as_user(alice).get("/api/v1/export/", {"status": "all"}))
    assert spans[quote.pk]["source_span"] == zoe.pk


def test_a_snapshot_consumers_download_names_no_pending_source(
    as_user, carl, alice, story
):
    article, quote, zoe, claim = story
    dataset = datasets.dataset_create(
        user=alice, name="promesses", filters={"status": "approved"}
    )
    response = as_user(carl).get(f"/api/v1/datasets/{dataset.pk}/download/")
    assert response.status_code == 200
    assert jsonl_spans(response)[quote.pk]["source_span"] is None


def test_the_annotate_page_names_no_hidden_source(client, carl, story):
    article, quote, zoe, claim = story
    client.force_login(carl)
    content = client.get(reverse("annotations:article_detail", args=[article.pk]))
    assert f'data-show-span="{zoe.pk}"' not in content.content.decode()
    assert Span.objects.get(pk=quote.pk).source_id == zoe.pk
