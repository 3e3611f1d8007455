"""The article list at / : filters, search, pagination, htmx fragment."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Article, Span, WorkStatus

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

URL = reverse("annotations:article_list")


def titles(response):
    return [article.title for article in response.context["page"].object_list]


@pytest.fixture
def three(alice, bob, labels):
    """Articles in each state of work, uploaded a minute apart (newest last)."""
    now = timezone.now()
    fresh = ArticleFactory(
        title="Fresh untouched story",
        uploaded_by=alice,
        language="fr",
        created_at=now - datetime.timedelta(minutes=3),
    )
    busy = ArticleFactory(
        title="Harbour ferry saved",
        text="The ferry to Gull Island keeps running, said Priya Raman.",
        uploaded_by=bob,
        language="en",
        created_at=now - datetime.timedelta(minutes=2),
    )
    done = ArticleFactory(
        title="Budget vote delayed",
        uploaded_by=alice,
        language="fr",
        created_at=now - datetime.timedelta(minutes=1),
    )
    SpanFactory(article=busy, label=labels["entity"], start=46, end=57)
    SpanFactory(article=busy, label=labels["quote"], start=0, end=38)
    SpanFactory(article=done, label=labels["quote"], status=Span.Status.APPROVED)
    SpanFactory(
        article=done,
        label=labels["entity"],
        start=2,
        end=9,
        status=Span.Status.REJECTED,
        rejection_reason="Not an entity",
    )
    return fresh, busy, done


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_lists_newest_first_with_counts_and_progress(client, alice, three):
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    assert titles(response) == [
        "Budget vote delayed",
        "Harbour ferry saved",
        "Fresh untouched story",
    ]
    done = response.context["page"].object_list[0]
    assert (done.spans_pending, done.spans_approved, done.spans_rejected) == (0, 1, 1)
    assert done.spans_total == 2
    content = response.content.decode()
    assert 'max="2" value="1"' in content
    assert "1/2" in content
    assert "Awaiting review" in content


def test_it_filters_on_the_status_of_work_without_selecting_it(three):
    fresh, busy, done = three
    assert list(
        Article.objects.filter_work_status(WorkStatus.REVIEWED).values_list(
            "title", flat=True
        )
    ) == [done.title]


def test_it_annotates_the_status_of_work(three):
    fresh, busy, done = three
    statuses = dict(
        Article.objects.with_work_status().values_list("title", "work_status")
    )
    assert statuses == {
        fresh.title: WorkStatus.NOT_STARTED,
        busy.title: WorkStatus.AWAITING_REVIEW,
        done.title: WorkStatus.REVIEWED,
    }


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("not_started", ["Fresh untouched story"]),
        ("awaiting_review", ["Harbour ferry saved"]),
        ("reviewed", ["Budget vote delayed"]),
    ],
)
def test_it_filters_by_status_of_work(client, alice, three, status, expected):
    client.force_login(alice)
    assert titles(client.get(URL, {"status": status})) == expected


def test_it_filters_by_language_uploader_and_label(client, alice, three):
    client.force_login(alice)
    assert titles(client.get(URL, {"language": "en"})) == ["Harbour ferry saved"]
    assert titles(client.get(URL, {"uploader": "bob"})) == ["Harbour ferry saved"]
    assert titles(client.get(URL, {"label": "entity"})) == [
        "Budget vote delayed",
        "Harbour ferry saved",
    ]
    assert titles(client.get(URL, {"label": "opinion"})) == []
    assert titles(client.get(URL, {"language": "fr", "uploader": "alice"})) == [
        "Budget vote delayed",
        "Fresh untouched story",
    ]


def test_it_searches_titles_and_text(client, alice, three):
    client.force_login(alice)
    assert titles(client.get(URL, {"search": "budget"})) == ["Budget vote delayed"]
    # A word found only in the body of one article.
    assert titles(client.get(URL, {"search": "Gull"})) == ["Harbour ferry saved"]
    assert titles(client.get(URL, {"search": "nothing-like-this"})) == []


def test_it_searches_words_anywhere_in_the_text(client, alice, three):
    client.force_login(alice)
    # Several words, in another order than in the text, plus an excluded one.
    assert titles(client.get(URL, {"search": "Raman ferry"})) == ["Harbour ferry saved"]
    assert titles(client.get(URL, {"search": "Gull Raman -budget"})) == [
        "Harbour ferry saved"
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"Gull Island"', ["Harbour ferry saved"]),
        ('"Island Gull"', []),
        ('vote -"Gull Island"', ["Budget vote delayed"]),
        ("budget or ferry", ["Budget vote delayed", "Harbour ferry saved"]),
        ("-ferry", ["Budget vote delayed", "Fresh untouched story"]),
    ],
)
def test_it_reads_the_query_as_a_web_search(client, alice, three, query, expected):
    client.force_login(alice)
    assert titles(client.get(URL, {"search": query})) == expected


def test_it_counts_only_approved_spans_for_consumers(client, carl, three):
    client.force_login(carl)
    response = client.get(URL, {"label": "entity"})
    # The pending entity of the ferry story is invisible to a consumer.
    assert titles(response) == []
    response = client.get(URL)
    done = response.context["page"].object_list[0]
    assert (done.spans_pending, done.spans_approved, done.spans_rejected) == (0, 1, 0)
    assert b"1 approved" in response.content
    assert b"pending" not in response.content


def test_it_shows_nothing_for_a_stale_filter(client, alice, three):
    client.force_login(alice)
    response = client.get(URL, {"language": "xx"})
    assert response.status_code == 200
    assert titles(response) == []
    assert b"no longer valid" in response.content


def test_it_hides_deleted_articles(client, alice, three):
    three[0].soft_delete()
    client.force_login(alice)
    assert "Fresh untouched story" not in titles(client.get(URL))


def test_it_paginates_and_keeps_the_filters_in_the_links(client, alice):
    ArticleFactory.create_batch(30, uploaded_by=alice, language="en")
    client.force_login(alice)
    response = client.get(URL, {"language": "en"})
    page = response.context["page"]
    assert len(page.object_list) == 25
    assert page.paginator.num_pages == 2
    assert b'href="?language=en&amp;page=2"' in response.content
    second = client.get(URL, {"language": "en", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_it_returns_only_the_results_for_htmx(client, alice, three):
    client.force_login(alice)
    response = client.get(URL, {"search": "ferry"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="article-results"')
    assert "<html" not in content
    assert "Harbour ferry saved" in content
    assert "HX-Request" in response["Vary"]


def test_it_returns_the_full_page_for_a_history_restore(client, alice, three):
    client.force_login(alice)
    response = client.get(
        URL,
        {"search": "ferry"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert b"<html" in response.content
    assert b'value="ferry"' in response.content


def test_it_tells_a_user_without_a_role_to_ask_for_one(client, nemo):
    client.force_login(nemo)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"no role yet" in response.content


def test_it_rejects_post(client, alice):
    client.force_login(alice)
    assert client.post(URL).status_code == 405


def test_it_runs_a_constant_number_of_queries(
    client, alice, labels, django_assert_num_queries
):
    client.force_login(alice)
    for _ in range(30):
        article = ArticleFactory(uploaded_by=alice)
        SpanFactory(article=article, label=labels["quote"])
    # session, user, groups, labels, languages, uploaders, count, ids, rows,
    # the rows' assigned annotators
    with django_assert_num_queries(10):
        client.get(
            URL, {"status": "awaiting_review", "label": "quote", "search": "Zoé"}
        )
    ArticleFactory.create_batch(10, uploaded_by=alice)
    with django_assert_num_queries(10):
        client.get(URL)
