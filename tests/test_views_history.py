"""The audit trail: /spans/<id>/history/ and /articles/<id>/history/."""

import re

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Span

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TEXT = "« Bonjour », dit Zoé 🚀 à l’équipe de Montréal."


def span_url(span):
    return reverse("annotations:span_history", args=[span.pk])


def article_url(article):
    return reverse("annotations:article_history", args=[article.pk])


def actions(content):
    """Return the actions listed, in page order."""
    return re.findall(r'<li class="event action-(\w+)">', content)


@pytest.fixture
def story(alice, rita, labels):
    """A quote approved then edited, an entity rejected, a claim left pending."""
    article = services.article_create(user=alice, title="Bonjour", text=TEXT)

    def tag(slug, phrase):
        start = TEXT.index(phrase)
        return services.span_create(
            user=alice,
            article=article,
            label=labels[slug],
            start=start,
            end=start + len(phrase),
        )

    quote = tag("quote", "« Bonjour »")
    zoe = tag("entity", "Zoé")
    claim = tag("claim", "Montréal")
    services.span_approve(span=quote, user=rita, version=1)
    services.span_reject(span=zoe, user=rita, version=1, reason="<b>not</b> a person")
    return article, quote, zoe, claim


def test_it_requires_login(client, story):
    article, quote, *_ = story
    for url in (span_url(quote), article_url(article)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 200), ("bob", 200), ("rita", 200), ("ada", 200), ("nemo", 404)],
)
def test_it_shows_the_history_to_everyone_who_reads_the_article(
    client, request, story, persona, status
):
    article, quote, zoe, claim = story
    client.force_login(request.getfixturevalue(persona))
    for span in (quote, zoe, claim):
        assert client.get(span_url(span)).status_code == status
    assert client.get(article_url(article)).status_code == status


def test_it_rejects_post(client, alice, story):
    article, quote, *_ = story
    client.force_login(alice)
    assert client.post(span_url(quote)).status_code == 405
    assert client.post(article_url(article)).status_code == 405


def test_it_returns_404_for_a_deleted_article(client, alice, story):
    article, quote, *_ = story
    services.article_delete(article=article, user=alice)
    client.force_login(alice)
    assert client.get(span_url(quote)).status_code == 404
    assert client.get(article_url(article)).status_code == 404


def test_it_shows_an_edit_after_approval_and_its_return_to_pending(
    client, alice, rita, story, labels
):
    article, quote, *_ = story
    services.span_update(span=quote, user=alice, label=labels["claim"])
    quote.refresh_from_db()
    assert quote.status == Span.Status.PENDING
    services.span_reject(span=quote, user=rita, version=3, reason="not a claim")
    client.force_login(alice)
    content = client.get(span_url(quote)).content.decode()
    assert actions(content) == ["create", "approve", "update", "reject"]
    created, approved, edited, rejected = content.split('<li class="event')[1:]
    assert "Created" in created and "by alice" in created
    assert "characters 0–11" in created
    assert "Approved" in approved and "by rita" in approved
    assert "Edited" in edited and "by alice" in edited
    assert "label: <del>Quote</del> → <ins>Claim</ins>" in edited
    assert "status: <del>Approved</del> → <ins>Pending</ins>" in edited
    assert "Rejected" in rejected and "Reason: not a claim" in rejected


def test_it_lists_every_event_of_the_article_oldest_first(client, alice, story):
    article, quote, zoe, claim = story
    services.article_update(article=article, user=alice, title="Bonjour à tous")
    client.force_login(alice)
    content = client.get(article_url(article)).content.decode()
    assert actions(content) == [
        "create",  # the article
        "create",
        "create",
        "create",
        "approve",
        "reject",
        "update",  # the article's title
    ]
    assert "title: <del>Bonjour</del> → <ins>Bonjour à tous</ins>" in content
    # Each span event names the span and links to its own history.
    assert f'<a href="{span_url(zoe)}">Entity “Zoé”</a>' in content
    # Escaped: a reason is user text.
    assert "&lt;b&gt;not&lt;/b&gt; a person" in content
    assert "<b>not</b>" not in content


def test_it_keeps_the_events_of_a_deleted_span_in_the_article_history(
    client, alice, story
):
    article, quote, zoe, claim = story
    services.span_delete(span=claim, user=alice)
    client.force_login(alice)
    content = client.get(article_url(article)).content.decode()
    assert actions(content)[-1] == "delete"
    assert "Claim “Montréal”" in content
    assert span_url(claim) not in content


def test_it_shows_consumers_only_the_events_of_approved_spans(client, carl, story):
    article, quote, zoe, claim = story
    client.force_login(carl)
    assert client.get(span_url(quote)).status_code == 200
    assert client.get(span_url(zoe)).status_code == 404
    assert client.get(span_url(claim)).status_code == 404
    content = client.get(article_url(article)).content.decode()
    # The article's creation and the quote's approval: nothing else.
    assert actions(content) == ["create", "approve"]
    assert "Zoé" not in content.split("<main>")[1].split("« Bonjour »", 1)[1]
    assert "not</b> a person" not in content and "Montréal”" not in content


def test_it_names_a_source_only_if_the_reader_may_see_it(
    client, alice, carl, rita, story
):
    article, quote, zoe, claim = story
    services.span_update(span=quote, user=alice, source=zoe)
    quote.refresh_from_db()
    services.span_approve(span=quote, user=rita, version=quote.version)
    client.force_login(alice)
    content = client.get(span_url(quote)).content.decode()
    assert f"<ins>“Zoé” (#{zoe.pk})</ins>" in content
    # Zoé was rejected: a consumer learns neither her words nor her id.
    client.force_login(carl)
    content = client.get(span_url(quote)).content.decode()
    assert actions(content) == ["approve"]
    assert f"#{zoe.pk}" not in content
    assert "“Zoé”" not in content


def test_it_returns_only_the_events_for_htmx(client, alice, story):
    article, quote, *_ = story
    client.force_login(alice)
    response = client.get(span_url(quote), headers=HTMX)
    content = response.content.decode()
    assert content.lstrip().startswith('<ol class="events">')
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_it_reads_the_history_in_a_constant_number_of_queries(
    client, alice, rita, story, labels, django_assert_num_queries
):
    article, quote, zoe, claim = story
    client.force_login(alice)
    # session, user, groups, article, events, labels, live spans (no sources)
    with django_assert_num_queries(7):
        client.get(article_url(article))
    city = TEXT.index("Montréal")
    for start in range(city, city + 8):
        span = services.span_create(
            user=alice,
            article=article,
            label=labels["entity"],
            start=start,
            end=city + 8,
        )
        services.span_approve(span=span, user=rita, version=1)
    with django_assert_num_queries(7):
        client.get(article_url(article))
