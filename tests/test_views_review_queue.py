"""The review queue at /review/: who sees it, order, rows, filters, pages, queries."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from annotations import services, views
from annotations.models import Span

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

URL = reverse("annotations:review_queue")
LEAD = "Le conseil municipal de Villebrune a voté jeudi soir un budget serré. "
QUOTE = "« Nous ne pouvons plus attendre »"
TAIL = (
    ", a déclaré la maire Claire Dumont devant une salle comble, tandis que "
    "l’opposition dénonçait un projet mal financé et réclamait une étude."
)
TEXT = LEAD * 2 + QUOTE + TAIL


def span_at(article, label, phrase, **kwargs):
    start = article.text.index(phrase)
    return SpanFactory(
        article=article, label=label, start=start, end=start + len(phrase), **kwargs
    )


def row_ids(response):
    return [row.pk for row in response.context["rows"]]


@pytest.fixture
def story(alice, labels):
    article = ArticleFactory(uploaded_by=alice, title="Budget vote", text=TEXT)
    entity = span_at(article, labels["entity"], "Claire Dumont")
    quote = span_at(article, labels["quote"], QUOTE, source=entity)
    return article, quote, entity


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 403), ("carl", 403), ("nemo", 403), ("rita", 200), ("ada", 200)],
)
def test_it_is_for_reviewers_and_admins_only(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == status
    if status == 403:
        assert "Only reviewers and admins" in response.content.decode()


def test_it_rejects_post(client, rita):
    client.force_login(rita)
    assert client.post(URL).status_code == 405


def test_it_links_review_and_stats_in_the_nav_by_role(client, alice, rita, carl):
    review = f'href="{URL}"'
    stats = f'href="{reverse("annotations:review_stats")}"'
    home = reverse("annotations:article_list")
    client.force_login(rita)
    content = client.get(home).content.decode()
    assert review in content and stats in content
    client.force_login(alice)
    content = client.get(home).content.decode()
    assert review not in content and stats in content
    client.force_login(carl)
    content = client.get(home).content.decode()
    assert review not in content and stats not in content


def test_it_lists_pending_spans_oldest_article_first_then_by_position(
    client, rita, alice, labels
):
    older = ArticleFactory(uploaded_by=alice, text=TEXT)
    newer = ArticleFactory(uploaded_by=alice, text=TEXT)
    late = span_at(older, labels["quote"], QUOTE)
    early = span_at(older, labels["entity"], "Villebrune")
    first_of_newer = span_at(newer, labels["entity"], "Villebrune")
    span_at(older, labels["claim"], "un budget serré", status=Span.Status.APPROVED)
    client.force_login(rita)
    response = client.get(URL)
    assert row_ids(response) == [early.pk, late.pk, first_of_newer.pk]
    assert response.context["count"] == 3
    assert "3 pending spans" in response.content.decode()


def test_it_shows_label_context_annotator_source_and_article(client, rita, story):
    article, quote, entity = story
    client.force_login(rita)
    content = client.get(URL).content.decode()
    start = content.index(f'id="review-row-{quote.pk}"')
    row = content[
        start : content.index("</li>", content.index("review-actions", start))
    ]
    assert 'class="label-chip" data-label-slug="quote">Quote</span>' in row
    assert "by alice" in row
    assert "source: “Claire Dumont”" in row
    assert f'href="/articles/{article.pk}/#span-row-{quote.pk}">Budget vote</a>' in row
    # About 80 characters either side, the span itself highlighted.
    before = TEXT[quote.start - 80 : quote.start]
    after = TEXT[quote.end : quote.end + 80]
    assert f'…{before}<mark class="hl" data-label="quote">{QUOTE}</mark>{after}…' in (
        row.replace("&#x27;", "'")
    )
    assert f'name="version" value="{quote.version}"' in row
    assert "Approve" in row and "Reject…" in row
    for reason in ("wrong boundaries", "wrong label", "not a quote", "wrong source"):
        assert reason in row
    # Reasons that fit another label are not offered for a quote.
    assert "not a claim" not in row and "not an entity" not in row


def test_it_escapes_the_text_the_title_and_the_source(client, rita, alice, labels):
    text = '<img src=x onerror="alert(1)"> dit <b>Zoé</b> & co'
    article = ArticleFactory(uploaded_by=alice, title="<script>t</script>", text=text)
    entity = span_at(article, labels["entity"], "<b>Zoé</b>")
    span_at(article, labels["quote"], "dit", source=entity)
    client.force_login(rita)
    content = client.get(URL).content.decode()
    assert "<img" not in content and "<b>" not in content
    assert "<script>t</script>" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in content
    assert "&lt;b&gt;Zoé&lt;/b&gt;" in content
    assert "&lt;script&gt;t&lt;/script&gt;" in content


def test_it_filters_by_label_annotator_language_and_article(
    client, rita, alice, bob, labels
):
    french = ArticleFactory(uploaded_by=alice, text=TEXT, language="fr")
    english = ArticleFactory(uploaded_by=bob, text=TEXT, language="en")
    quote = span_at(french, labels["quote"], QUOTE)
    entity = span_at(french, labels["entity"], "Claire Dumont")
    bobs = span_at(english, labels["entity"], "Villebrune", created_by=bob)
    client.force_login(rita)
    assert row_ids(client.get(URL, {"label": "quote"})) == [quote.pk]
    assert row_ids(client.get(URL, {"annotator": "bob"})) == [bobs.pk]
    assert row_ids(client.get(URL, {"language": "fr"})) == [quote.pk, entity.pk]
    assert row_ids(client.get(URL, {"article": english.pk})) == [bobs.pk]
    both = client.get(URL, {"label": "entity", "language": "fr"})
    assert row_ids(both) == [entity.pk]
    assert both.context["count"] == 1
    # The article filter names the article and offers the way back.
    content = client.get(URL, {"article": english.pk}).content.decode()
    assert english.title in content and "(all articles)" in content


def test_it_shows_nothing_for_a_stale_filter(client, rita, story):
    client.force_login(rita)
    response = client.get(URL, {"annotator": "somebody-gone"})
    assert response.status_code == 200
    assert row_ids(response) == []
    assert "no longer valid" in response.content.decode()


def test_it_hides_spans_of_deleted_articles(client, rita, story):
    article, quote, entity = story
    article.soft_delete()
    client.force_login(rita)
    assert row_ids(client.get(URL)) == []


def test_it_pages_by_position_so_decisions_never_shift_a_page(
    client, rita, alice, labels, monkeypatch
):
    monkeypatch.setattr(views, "REVIEW_PAGE_SIZE", 2)
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    words = ["conseil", "municipal", "Villebrune", "budget", "Claire"]
    spans = [span_at(article, labels["entity"], word) for word in words]
    spans.sort(key=lambda span: span.start)
    client.force_login(rita)
    first = client.get(URL)
    assert row_ids(first) == [spans[0].pk, spans[1].pk]
    after = first.context["next_position"]
    assert after == f"{article.pk}-{spans[1].start}-{spans[1].end}-{spans[1].label_id}"
    # Deciding the first page's rows does not move the second page.
    for span in spans[:2]:
        services.span_approve(span=span, user=rita, version=span.version)
    second = client.get(URL, {"after": after})
    assert row_ids(second) == [spans[2].pk, spans[3].pk]
    content = second.content.decode()
    assert "Back to the start" in content
    assert f'href="?after={second.context["next_position"]}"' in content
    third = client.get(URL, {"after": second.context["next_position"]})
    assert row_ids(third) == [spans[4].pk]
    assert third.context["next_position"] is None


def test_it_keeps_the_filters_in_the_page_links(
    client, rita, alice, labels, monkeypatch
):
    monkeypatch.setattr(views, "REVIEW_PAGE_SIZE", 1)
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    span_at(article, labels["entity"], "conseil")
    span_at(article, labels["entity"], "Villebrune")
    client.force_login(rita)
    content = client.get(URL, {"label": "entity"}).content.decode()
    assert 'href="?label=entity&amp;after=' in content


def test_it_refuses_a_broken_page_link(client, rita, story):
    client.force_login(rita)
    response = client.get(URL, {"after": "1-2-x"})
    assert response.status_code == 200
    assert row_ids(response) == []
    assert "This page link is broken" in response.content.decode()


def test_it_says_more_than_when_the_count_passes_its_cap(
    client, rita, story, monkeypatch
):
    monkeypatch.setattr(views, "REVIEW_COUNT_CAP", 1)
    client.force_login(rita)
    response = client.get(URL)
    assert "More than 1 pending spans" in response.content.decode()


def test_it_returns_only_the_results_for_htmx(client, rita, story):
    client.force_login(rita)
    response = client.get(URL, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="review-results"')
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_it_returns_the_full_page_for_a_history_restore(client, rita, story):
    client.force_login(rita)
    response = client.get(
        URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_it_shows_a_reviewers_own_spans_without_buttons_and_says_why(
    client, rita, labels
):
    rita.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(uploaded_by=rita, text=TEXT)
    own = span_at(article, labels["quote"], QUOTE, created_by=rita)
    client.force_login(rita)
    content = client.get(URL).content.decode()
    row = content[content.index(f'id="review-row-{own.pk}"') :]
    row = row[: row.index("</li>")]
    assert "another reviewer must decide on it" in row
    assert "approve-form" not in row and "reject-form" not in row


def test_it_offers_buttons_on_own_spans_when_self_review_is_allowed(
    client, rita, labels, settings
):
    settings.ALLOW_SELF_REVIEW = True
    rita.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(uploaded_by=rita, text=TEXT)
    own = span_at(article, labels["quote"], QUOTE, created_by=rita)
    client.force_login(rita)
    content = client.get(URL).content.decode()
    row = content[content.index(f'id="review-row-{own.pk}"') :]
    assert "approve-form" in row[: row.index("</li>")]


def test_it_says_when_there_is_nothing_to_review(client, rita):
    client.force_login(rita)
    content = client.get(URL).content.decode()
    assert "Nothing to review" in content


@pytest.mark.parametrize("size", [10, 200])
def test_it_runs_a_constant_number_of_queries(
    client, rita, alice, bob, labels, django_assert_num_queries, size
):
    articles = [ArticleFactory(uploaded_by=alice, text=TEXT) for _ in range(5)]
    entity = span_at(articles[0], labels["entity"], "Claire Dumont")
    span_at(articles[0], labels["quote"], QUOTE, source=entity)
    Span.objects.bulk_create(
        Span(
            article=articles[n % 5],
            label=labels["claim"],
            start=n // 5,
            end=n // 5 + 10,
            text=TEXT[n // 5 : n // 5 + 10],
            created_by=bob if n % 2 else alice,
        )
        for n in range(size - 2)
    )
    client.force_login(rita)
    # session, user, groups, labels, annotators, languages, count, rows,
    # co-annotators, texts
    with django_assert_num_queries(10):
        response = client.get(URL)
    assert len(response.context["rows"]) == min(size, views.REVIEW_PAGE_SIZE)
    assert response.context["count"] == size
    # Every filter at once, and a later page: one more query, for the title.
    after = response.context["next_position"] or "1-0-0-0"
    params = {
        "label": "claim",
        "annotator": "bob",
        "language": "fr",
        "article": articles[1].pk,
        "after": after,
    }
    with django_assert_num_queries(11):
        assert client.get(URL, params).status_code == 200
