"""Review inside the article: the panel's buttons and "approve all pending"."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from annotations import services
from annotations.models import AuditEvent, Span

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TEXT = "« Bonjour », dit Zoé 🚀 à l’équipe de Montréal."


def approve_url(span):
    return reverse("annotations:span_approve", args=[span.article_id, span.pk])


def reject_url(span):
    return reverse("annotations:span_reject", args=[span.article_id, span.pk])


def approve_all_url(article):
    return reverse("annotations:article_approve_pending", args=[article.pk])


def detail_url(article):
    return reverse("annotations:article_detail", args=[article.pk])


@pytest.fixture
def story(alice, labels):
    article = services.article_create(user=alice, title="Bonjour", text=TEXT)
    spans = [
        services.span_create(
            user=alice,
            article=article,
            label=labels[slug],
            start=TEXT.index(phrase),
            end=TEXT.index(phrase) + len(phrase),
            entity_type=entity_type,
        )
        for slug, phrase, entity_type in [
            ("quote", "« Bonjour »", None),
            ("entity", "Zoé", "PER"),
            ("entity", "Montréal", "LOC"),
        ]
    ]
    return article, spans


def test_it_requires_login(client, story):
    article, (quote, *_) = story
    for url in (approve_url(quote), reject_url(quote), approve_all_url(article)):
        response = client.post(url, {"version": 1, "reason": "x"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 403), ("carl", 403), ("nemo", 404), ("rita", 200), ("ada", 200)],
)
def test_it_lets_only_reviewers_and_admins_decide(
    client, request, story, persona, status
):
    article, (quote, zoe, city) = story
    client.force_login(request.getfixturevalue(persona))
    assert client.post(
        approve_url(quote), {"version": 1}, headers=HTMX
    ).status_code == (status)
    response = client.post(
        reject_url(zoe), {"version": 1, "preset": "wrong_label"}, headers=HTMX
    )
    assert response.status_code == status
    response = client.post(approve_all_url(article), headers=HTMX)
    assert response.status_code == status
    statuses = set(article.spans.values_list("status", flat=True))
    if status == 200:
        assert statuses == {"approved", "rejected"}
    else:
        assert statuses == {"pending"}


def test_it_rejects_get(client, rita, story):
    article, (quote, *_) = story
    client.force_login(rita)
    for url in (approve_url(quote), reject_url(quote), approve_all_url(article)):
        assert client.get(url).status_code == 405


def test_it_returns_404_for_a_span_of_another_article(client, rita, alice, story):
    article, (quote, *_) = story
    other = ArticleFactory(uploaded_by=alice)
    client.force_login(rita)
    url = reverse("annotations:span_approve", args=[other.pk, quote.pk])
    assert client.post(url, {"version": 1}).status_code == 404


def test_it_returns_the_row_the_text_and_the_counts_for_htmx(client, rita, story):
    article, (quote, *_) = story
    client.force_login(rita)
    response = client.post(approve_url(quote), {"version": 1}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith(f'<li id="span-row-{quote.pk}"')
    assert "Approved by rita, " in content
    assert "approve-form" not in content.split("</li>")[0]
    # Out of band: the mark's status in the text, and the panel's counts.
    assert 'id="article-text"' in content and 'hx-swap-oob="true"' in content
    assert f'data-span-id="{quote.pk}" data-label="quote" data-status="approved"' in (
        content
    )
    assert "2 pending · 1 approved · 0 rejected" in content
    quote.refresh_from_db()
    assert quote.status == Span.Status.APPROVED


def test_it_rejects_with_a_reason_the_author_then_reads(client, rita, alice, story):
    article, (quote, *_) = story
    client.force_login(rita)
    client.post(
        reject_url(quote),
        {"version": 1, "preset": "wrong_boundaries", "reason": "add the verb"},
        headers=HTMX,
    )
    client.force_login(alice)
    content = client.get(detail_url(article)).content.decode()
    assert "Rejected by rita, " in content
    assert "wrong boundaries: add the verb" in content


def test_it_sends_an_edited_rejected_span_back_to_pending(
    client, rita, alice, story, labels
):
    article, (quote, *_) = story
    services.span_reject(span=quote, user=rita, version=1, reason="wrong label")
    client.force_login(alice)
    url = reverse("annotations:span_update", args=[article.pk, quote.pk])
    response = client.post(url, {"version": 2, "label": labels["claim"].pk})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.rejection_reason, quote.label.slug) == (
        "pending",
        "",
        "claim",
    )


def test_it_re_renders_a_refused_rejection_open_in_the_row(client, rita, story):
    article, (quote, *_) = story
    client.force_login(rita)
    response = client.post(reject_url(quote), {"version": 1}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert '<details class="reject" open>' in content
    assert "Pick a reason or write one." in content
    quote.refresh_from_db()
    assert quote.status == Span.Status.PENDING


def test_it_shows_a_stale_version_in_the_row(client, rita, ada, story):
    article, (quote, *_) = story
    services.span_approve(span=quote, user=ada, version=1)
    client.force_login(rita)
    response = client.post(
        reject_url(quote), {"version": 1, "reason": "no"}, headers=HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "This span was already approved by ada at" in content
    assert AuditEvent.objects.for_object(quote).filter(action="approve").count() == 1
    assert not AuditEvent.objects.for_object(quote).filter(action="reject").exists()


def test_it_redirects_a_plain_form_to_the_article_with_a_message(
    client, rita, ada, story
):
    article, (quote, zoe, _city) = story
    client.force_login(rita)
    response = client.post(approve_url(quote), {"version": 1})
    assertRedirects(response, detail_url(article), fetch_redirect_response=False)
    assert "Approved “« Bonjour »”." in client.get(detail_url(article)).content.decode()
    # A stale version is a message, not an error page.
    services.span_approve(span=zoe, user=ada, version=1)
    response = client.post(approve_url(zoe), {"version": 1})
    assertRedirects(response, detail_url(article), fetch_redirect_response=False)
    assert "already approved by ada" in client.get(detail_url(article)).content.decode()


def test_it_refuses_a_reviewers_own_span(client, rita, story, labels):
    article, _spans = story
    rita.groups.add(Group.objects.get(name="editor"))
    own = services.span_create(
        user=rita, article=article, label=labels["claim"], start=13, end=16
    )
    client.force_login(rita)
    response = client.post(approve_url(own), {"version": 1}, headers=HTMX)
    assert response.status_code == 403
    assert "another reviewer must decide" in response.content.decode()


# Approve all pending


def test_it_approves_every_pending_span_in_one_go(client, rita, story):
    article, spans = story
    client.force_login(rita)
    response = client.post(approve_all_url(article), headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="workspace"')
    assert "Approved 3 spans." in content
    assert set(article.spans.values_list("status", flat=True)) == {"approved"}
    assert (
        AuditEvent.objects.filter(article_id=article.pk, action="approve").count() == 3
    )


def test_it_leaves_the_reviewers_own_spans_and_says_how_many(
    client, rita, story, labels
):
    article, spans = story
    rita.groups.add(Group.objects.get(name="editor"))
    own = services.span_create(
        user=rita, article=article, label=labels["claim"], start=13, end=16
    )
    client.force_login(rita)
    response = client.post(approve_all_url(article))
    assertRedirects(response, detail_url(article), fetch_redirect_response=False)
    content = client.get(detail_url(article)).content.decode()
    assert "Approved 3 spans. 1 of your own was left for another reviewer." in content
    own.refresh_from_db()
    assert own.status == Span.Status.PENDING


def test_it_leaves_untyped_entities_pending_and_says_how_many(
    client, rita, story, labels
):
    article, spans = story
    untyped = services.span_create(
        user=spans[0].created_by,
        article=article,
        label=labels["entity"],
        start=TEXT.index("Bonjour"),
        end=TEXT.index("Bonjour") + len("Bonjour"),
    )
    client.force_login(rita)
    response = client.post(approve_all_url(article), headers=HTMX)
    content = response.content.decode()
    assert "Approved 3 spans." in content
    assert "1 entity without a type was left pending: give it a type first." in content
    untyped.refresh_from_db()
    assert untyped.status == Span.Status.PENDING
    assert set(
        article.spans.exclude(pk=untyped.pk).values_list("status", flat=True)
    ) == {"approved"}


def test_it_approves_nothing_when_one_write_fails(client, rita, story, monkeypatch):
    article, spans = story

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditEvent.objects, "bulk_create", fail)
    client.raise_request_exception = False
    client.force_login(rita)
    response = client.post(approve_all_url(article), headers=HTMX)
    assert response.status_code == 500
    assert set(article.spans.values_list("status", flat=True)) == {"pending"}
    assert not AuditEvent.objects.filter(action="approve").exists()


def test_it_says_when_there_is_nothing_to_approve(client, rita, story):
    article, spans = story
    services.article_approve_pending(article=article, user=rita)
    client.force_login(rita)
    response = client.post(approve_all_url(article), headers=HTMX)
    assert "Nothing to approve" in response.content.decode()
