"""An article's status of work: four states, the same on the list page and the API."""

import pytest
from django.urls import reverse

from annotations.filters import ArticleFilter, ArticleListFilter
from annotations.models import Article, Span, WorkStatus

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

URL = reverse("annotations:article_list")


@pytest.fixture
def four(alice, labels):
    """One article in each state, plus the edge cases between them."""
    quote, entity = labels["quote"], labels["entity"]

    def article(title, *statuses):
        made = ArticleFactory(uploaded_by=alice, title=title)
        for index, status in enumerate(statuses):
            SpanFactory(
                article=made,
                label=quote if index % 2 else entity,
                start=index,
                end=index + 5,
                status=status,
                rejection_reason="no" if status == Span.Status.REJECTED else "",
            )
        return made

    return {
        "not_started": [article("Untouched")],
        "awaiting_review": [article("Two pending", "pending", "pending")],
        "in_progress": [
            article("Half approved", "pending", "approved"),
            article("Half rejected", "rejected", "pending"),
        ],
        "reviewed": [
            article("All approved", "approved"),
            article("Mixed verdicts", "approved", "rejected"),
            article("All rejected", "rejected"),
        ],
    }


def titles(articles):
    return sorted(article.title for article in articles)


def test_it_knows_four_states(four):
    statuses = dict(
        Article.objects.with_work_status().values_list("title", "work_status")
    )
    for status, articles in four.items():
        for article in articles:
            assert statuses[article.title] == status


@pytest.mark.parametrize("status", WorkStatus.values)
def test_it_filters_alike_on_the_model_the_list_page_and_the_api(
    client, as_user, alice, four, status
):
    expected = titles(four[status])
    assert titles(Article.objects.filter_work_status(status)) == expected
    client.force_login(alice)
    page = client.get(URL, {"status": status})
    assert titles(page.context["page"].object_list) == expected
    api = as_user(alice).get("/api/v1/articles/", {"status": status})
    assert sorted(row["title"] for row in api.json()["results"]) == expected


def test_it_offers_the_same_four_values_on_the_page_and_in_the_api(rf, alice):
    request = rf.get(URL)
    request.user = alice
    page_filter = ArticleListFilter(queryset=Article.objects.all(), request=request)
    page_values = [
        value for value, _name in page_filter.form.fields["status"].choices if value
    ]
    api_values = [
        value for value, _name in ArticleFilter().filters["status"].extra["choices"]
    ]
    assert page_values == api_values == WorkStatus.values


def test_it_shows_each_state_in_words_on_the_list(client, alice, four):
    client.force_login(alice)
    content = client.get(URL).content.decode()
    for label in ("Not started", "Awaiting review", "In progress", "Reviewed"):
        assert label in content
    assert 'class="work-status ws-in_progress">In progress</div>' in content
