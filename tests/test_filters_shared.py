"""The article list and the review queue filter with the API's FilterSets.

The same query string gives the same rows on the page and in the API, and a
value the page no longer offers is an error it shows.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Span

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

LIST = reverse("annotations:article_list")
QUEUE = reverse("annotations:review_queue")


@pytest.fixture
def newsroom(alice, bob, labels):
    now = timezone.now()
    port = ArticleFactory(
        title="Le port rouvre",
        text="Le port de Kerbrat rouvre ses quais, dit Anne Le Goff.",
        uploaded_by=alice,
        language="fr",
        outlet="La Vigie",
        created_at=now - datetime.timedelta(minutes=3),
    )
    ferry = ArticleFactory(
        title="Ferry saved",
        text="The ferry to Gull Island keeps running, said Priya Raman.",
        uploaded_by=bob,
        language="en",
        created_at=now - datetime.timedelta(minutes=2),
    )
    budget = ArticleFactory(
        title="Budget du port",
        text="Le budget du port est voté.",
        uploaded_by=alice,
        language="fr",
        created_at=now - datetime.timedelta(minutes=1),
    )
    SpanFactory(article=port, label=labels["entity"], start=15, end=22)
    SpanFactory(article=ferry, label=labels["quote"], start=0, end=38, created_by=bob)
    SpanFactory(
        article=budget, label=labels["claim"], start=0, end=9, status="approved"
    )
    return port, ferry, budget


QUERIES = [
    {},
    {"search": "port"},
    {"search": "port -budget"},
    {"language": "fr"},
    {"uploader": "bob"},
    {"label": "entity"},
    {"label": "claim", "language": "fr"},
    {"status": "reviewed"},
    {"status": "awaiting_review", "search": "ferry"},
    {"outlet": "la vigie"},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(q) or "none")
@pytest.mark.parametrize("persona", ["alice", "carl"])
def test_the_list_page_and_the_api_find_the_same_articles(
    client, api, request, newsroom, query, persona
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(LIST, query)
    on_page = [article.title for article in page.context["page"].object_list]
    api.force_authenticate(user)
    response = api.get("/api/v1/articles/", query)
    if persona == "carl" and "status" in query:
        # The status of work counts every span: both refuse it to a consumer.
        assert response.status_code == 400
        assert on_page == []
        assert "not theirs to filter on" in page.content.decode()
        return
    found = response.json()["results"]
    assert on_page == [article["title"] for article in found]


def test_a_consumer_finds_articles_by_approved_labels_only(client, carl, newsroom):
    client.force_login(carl)
    page = client.get(LIST, {"label": "entity"})
    assert page.context["page"].object_list == []


def test_the_list_page_renders_the_filter_form(client, alice, newsroom):
    client.force_login(alice)
    content = client.get(LIST, {"search": "port"}).content.decode()
    assert 'name="search" value="port"' in content
    assert '<option value="en">en</option>' in content
    assert '<option value="bob">bob</option>' in content
    assert '<option value="entity">Entity</option>' in content


@pytest.mark.parametrize(
    ("query", "field"),
    [({"language": "xx"}, "Language"), ({"label": "fact"}, "Has label")],
)
def test_the_list_page_says_when_a_filter_is_stale(
    client, alice, newsroom, query, field
):
    client.force_login(alice)
    response = client.get(LIST, query)
    assert response.context["page"].object_list == []
    content = response.content.decode()
    assert "Some filters are no longer valid:" in content
    assert f"{field}: Select a valid choice." in content


def test_the_api_refuses_an_unknown_label(api, alice, newsroom):
    api.force_authenticate(alice)
    response = api.get("/api/v1/articles/", {"label": "fact"})
    assert response.status_code == 400
    assert "label" in response.json()["error"]["fields"]


SPAN_QUERIES = [
    {},
    {"label": "entity"},
    {"annotator": "bob"},
    {"language": "en"},
    {"language": "fr", "label": "entity"},
]


@pytest.mark.parametrize("query", SPAN_QUERIES, ids=lambda q: "&".join(q) or "none")
def test_the_review_queue_and_the_api_find_the_same_pending_spans(
    client, api, rita, newsroom, query
):
    client.force_login(rita)
    page = client.get(QUEUE, query)
    in_queue = sorted(row.pk for row in page.context["rows"])
    api.force_authenticate(rita)
    found = api.get("/api/v1/spans/", {**query, "status": "pending"}).json()
    assert in_queue == sorted(span["id"] for span in found["results"])


def test_the_review_queue_filters_by_article(client, api, rita, newsroom):
    port, _ferry, _budget = newsroom
    client.force_login(rita)
    page = client.get(QUEUE, {"article": port.pk})
    assert [row.article_id for row in page.context["rows"]] == [port.pk]
    assert page.context["count"] == Span.objects.filter(article=port).count()
