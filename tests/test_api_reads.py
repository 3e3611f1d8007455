"""One article with its spans in one response, and the spans list's rows."""

import json

import pytest
from django.utils import timezone

from annotations.models import Span
from annotations.serializers import SpanSerializer

from .export_data import make_golden
from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db


def url(article, include="spans"):
    return f"/api/v1/articles/{article.pk}/" + (
        f"?include={include}" if include else ""
    )


def serialized(spans):
    """What SpanSerializer writes, as JSON would carry it."""
    return json.loads(json.dumps(SpanSerializer(spans, many=True).data))


@pytest.fixture
def golden(alice, bob, rita):
    return make_golden(alice, bob, rita)


def test_it_returns_the_article_with_its_spans(as_user, alice, golden):
    data = as_user(alice).get(url(golden)).json()
    assert data["id"] == golden.pk
    assert data["text"] == golden.text
    expected = serialized(
        Span.objects.filter(article=golden).order_by("start", "end", "label_id", "id")
    )
    assert data["spans"] == expected
    assert len(data["spans"]) == 6


def test_it_gives_consumers_approved_spans_and_no_hidden_source(
    as_user, carl, golden, labels
):
    pending_entity = SpanFactory(
        article=golden, label=labels["entity"], start=4, end=7, text="dit"
    )
    quote = Span.objects.get(pk=9102)
    quote.source = pending_entity
    quote.save()
    data = as_user(carl).get(url(golden)).json()
    assert {s["status"] for s in data["spans"]} == {"approved"}
    assert [s["id"] for s in data["spans"]] == [9101, 9102, 9103, 9104]
    assert next(s for s in data["spans"] if s["id"] == 9102)["source"] is None
    listed = as_user(carl).get("/api/v1/spans/", {"article": golden.pk}).json()
    assert next(s for s in listed["results"] if s["id"] == 9102)["source"] is None


def test_it_leaves_spans_out_without_include(as_user, alice, golden):
    data = as_user(alice).get(url(golden, include=None)).json()
    assert "spans" not in data


def test_it_refuses_an_unknown_include(as_user, alice, golden):
    response = as_user(alice).get(url(golden, include="history"))
    assert response.status_code == 400
    assert "include" in response.json()["error"]["fields"]


@pytest.mark.parametrize("n", [1, 60])
def test_it_reads_an_article_and_its_spans_in_constant_queries(
    as_user, alice, labels, django_assert_num_queries, n
):
    article = ArticleFactory(uploaded_by=alice, text="x" * 500)
    for i in range(n):
        SpanFactory(article=article, start=i, end=i + 2, label=labels["claim"])
    client = as_user(alice)
    # article, its assigned annotators, spans
    with django_assert_num_queries(4):
        response = client.get(url(article))
    assert len(response.json()["spans"]) == n


@pytest.mark.parametrize(
    "persona, expected", [("alice", 200), ("rita", 200), ("carl", 200), ("ada", 200)]
)
def test_it_serves_every_role(request, as_user, golden, persona, expected):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(url(golden)).status_code == expected


def test_it_refuses_anonymous_callers_and_users_without_a_role(
    api, as_user, nemo, golden
):
    assert api.get(url(golden)).status_code == 401
    assert as_user(nemo).get(url(golden)).status_code == 403


def test_the_spans_list_writes_exactly_what_the_serializer_would(
    as_user, alice, golden, settings
):
    settings.TIME_ZONE = "America/Montreal"
    timezone.activate("America/Montreal")
    try:
        rows = as_user(alice).get("/api/v1/spans/", {"article": golden.pk}).json()
    finally:
        timezone.deactivate()
    expected = serialized(Span.objects.filter(article=golden).order_by("id"))
    assert rows["results"] == expected
    assert rows["results"][0]["reviewed_at"].endswith("-05:00")
