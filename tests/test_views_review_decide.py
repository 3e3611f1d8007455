"""Approve and reject from the review queue: roles, rows in place, stale versions."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from annotations import services
from annotations.models import AuditEvent, Span

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TEXT = (
    "Le conseil municipal a voté jeudi. « Nous ne pouvons plus attendre », a "
    "déclaré la maire Claire Dumont devant une salle comble."
)
QUOTE = "« Nous ne pouvons plus attendre »"


def approve_url(span):
    return reverse("annotations:review_approve", args=[span.pk])


def reject_url(span):
    return reverse("annotations:review_reject", args=[span.pk])


def decisions(span):
    return AuditEvent.objects.for_object(span).filter(
        action__in=[AuditEvent.Action.APPROVE, AuditEvent.Action.REJECT]
    )


@pytest.fixture
def quote(alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    start = TEXT.index(QUOTE)
    return SpanFactory(
        article=article, label=labels["quote"], start=start, end=start + len(QUOTE)
    )


def test_it_requires_login(client, quote):
    for url in (approve_url(quote), reject_url(quote)):
        response = client.post(url, {"version": 1, "reason": "x"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 403), ("carl", 403), ("nemo", 403), ("rita", 200), ("ada", 200)],
)
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_it_lets_only_reviewers_and_admins_decide(
    client, request, quote, persona, status, action
):
    client.force_login(request.getfixturevalue(persona))
    url = approve_url(quote) if action == "approve" else reject_url(quote)
    response = client.post(url, {"version": 1, "preset": "wrong_label"}, headers=HTMX)
    assert response.status_code == status
    quote.refresh_from_db()
    decided = Span.Status.APPROVED if action == "approve" else Span.Status.REJECTED
    assert quote.status == (decided if status == 200 else Span.Status.PENDING)


def test_it_rejects_get(client, rita, quote):
    client.force_login(rita)
    assert client.get(approve_url(quote)).status_code == 405
    assert client.get(reject_url(quote)).status_code == 405


def test_it_returns_404_for_a_missing_span_or_a_deleted_article(client, rita, quote):
    client.force_login(rita)
    assert client.post("/review/spans/999999/approve/", {"version": 1}).status_code == (
        404
    )
    quote.article.soft_delete()
    assert client.post(approve_url(quote), {"version": 1}).status_code == 404


def test_it_approves_and_returns_the_row_in_its_new_state(client, rita, quote):
    client.force_login(rita)
    response = client.post(approve_url(quote), {"version": 1}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith(f'<li id="review-row-{quote.pk}"')
    assert "<html" not in content
    assert "Approved by you" in content
    assert "approve-form" not in content
    assert "data-review-next" in content
    quote.refresh_from_db()
    assert (quote.status, quote.reviewed_by, quote.version) == ("approved", rita, 2)
    assert decisions(quote).count() == 1


def test_it_rejects_with_a_one_click_reason_and_words(client, rita, quote):
    client.force_login(rita)
    response = client.post(
        reject_url(quote),
        {"version": 1, "preset": "wrong_boundaries", "reason": "keep the comma out"},
        headers=HTMX,
    )
    content = response.content.decode()
    assert "Rejected by you" in content
    assert "wrong boundaries: keep the comma out" in content
    quote.refresh_from_db()
    assert quote.status == Span.Status.REJECTED
    assert quote.rejection_reason == "wrong boundaries: keep the comma out"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"preset": "not_a_quote"}, "not a quote"),
        ({"reason": "  says who?  "}, "says who?"),
    ],
)
def test_it_takes_either_kind_of_reason_alone(client, rita, quote, data, reason):
    client.force_login(rita)
    client.post(reject_url(quote), {"version": 1, **data}, headers=HTMX)
    quote.refresh_from_db()
    assert quote.rejection_reason == reason


def test_it_asks_again_for_a_missing_reason(client, rita, quote):
    client.force_login(rita)
    response = client.post(reject_url(quote), {"version": 1}, headers=HTMX)
    content = response.content.decode()
    # 200, so htmx swaps the row: the reject form comes back open with the error.
    assert response.status_code == 200
    assert '<details class="reject" open>' in content
    assert "Pick a reason or write one." in content
    assert 'aria-invalid="true"' in content
    quote.refresh_from_db()
    assert quote.status == Span.Status.PENDING
    assert not decisions(quote).exists()


def test_it_keeps_a_refused_reason_choice_in_the_form(client, rita, quote):
    client.force_login(rita)
    response = client.post(
        reject_url(quote),
        {"version": 1, "preset": "not_a_quote", "reason": "x" * 501},
        headers=HTMX,
    )
    content = response.content.decode()
    assert 'value="not_a_quote" checked' in content
    assert "at most 500 characters" in content


def test_it_redirects_a_plain_form_back_to_the_queue_page_it_came_from(
    client, rita, quote
):
    client.force_login(rita)
    queue = reverse("annotations:review_queue") + "?label=quote"
    response = client.post(approve_url(quote), {"version": 1, "next": queue})
    assertRedirects(response, queue, fetch_redirect_response=False)
    page = client.get(queue).content.decode()
    assert "Approved “« Nous ne pouvons plus attendre »”." in page


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_it_never_redirects_elsewhere(client, rita, quote, unsafe):
    client.force_login(rita)
    response = client.post(
        reject_url(quote), {"version": 1, "reason": "no", "next": unsafe}
    )
    assert response["Location"] == reverse("annotations:review_queue")


def test_it_shows_a_stale_version_in_the_row_and_audits_one_decision(
    client, rita, ada, quote
):
    client.force_login(rita)
    client.post(approve_url(quote), {"version": 1}, headers=HTMX)
    # Ada's page still shows version 1.
    client.force_login(ada)
    response = client.post(
        reject_url(quote), {"version": 1, "reason": "too late"}, headers=HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith(f'<li id="review-row-{quote.pk}"')
    assert "This span was already approved by rita at" in content
    assert "Approved by rita" in content
    assert "approve-form" not in content
    quote.refresh_from_db()
    assert (quote.status, quote.reviewed_by_id) == ("approved", rita.pk)
    assert decisions(quote).count() == 1


def test_it_offers_the_current_version_after_an_edit_made_meanwhile(
    client, rita, alice, quote, labels
):
    services.span_update(span=quote, user=alice, label=labels["claim"])
    client.force_login(rita)
    response = client.post(approve_url(quote), {"version": 1}, headers=HTMX)
    content = response.content.decode()
    assert "This span changed since you loaded it" in content
    # The row is back with the fresh version, ready for a decision.
    assert 'name="version" value="2"' in content
    assert not decisions(quote).exists()


def test_it_shows_a_stale_plain_form_as_the_row_alone_not_an_error(
    client, rita, ada, quote
):
    services.span_approve(span=quote, user=ada, version=1)
    client.force_login(rita)
    response = client.post(approve_url(quote), {"version": 1})
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" in content and "Review a span" in content
    assert "This span was already approved by ada" in content


def test_it_refuses_a_reviewers_own_span_with_the_reason(client, rita, labels):
    rita.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(uploaded_by=rita, text=TEXT)
    own = SpanFactory(article=article, label=labels["claim"], start=0, end=10)
    client.force_login(rita)
    response = client.post(approve_url(own), {"version": 1}, headers=HTMX)
    assert response.status_code == 403
    assert "another reviewer must decide" in response.content.decode()
    own.refresh_from_db()
    assert own.status == Span.Status.PENDING


def test_it_lets_one_person_teams_review_their_own_spans(
    client, rita, labels, settings
):
    settings.ALLOW_SELF_REVIEW = True
    rita.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(uploaded_by=rita, text=TEXT)
    own = SpanFactory(article=article, label=labels["claim"], start=0, end=10)
    client.force_login(rita)
    response = client.post(approve_url(own), {"version": 1}, headers=HTMX)
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.status == Span.Status.APPROVED


def test_it_answers_like_the_api_to_a_decision_made_in_the_page(
    client, as_user, rita, ada, quote
):
    client.force_login(rita)
    client.post(approve_url(quote), {"version": 1}, headers=HTMX)
    response = as_user(ada).post(
        f"/api/v1/spans/{quote.pk}/approve/", {"version": 1}, format="json"
    )
    assert response.status_code == 409
    assert "already approved by rita" in response.json()["error"]["message"]


def test_it_checks_the_csrf_token_of_the_plain_form(rita, quote):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(rita)
    assert strict.post(approve_url(quote), {"version": 1}).status_code == 403
    page = strict.get(reverse("annotations:review_queue")).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = strict.post(
        approve_url(quote), {"version": 1, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_it_sends_the_queue_s_new_count_with_the_row(
    client, rita, alice, quote, labels
):
    SpanFactory(article=quote.article, label=labels["entity"], start=86, end=99)
    client.force_login(rita)
    queue = reverse("annotations:review_queue")
    response = client.post(
        approve_url(quote), {"version": 1, "next": queue}, headers=HTMX
    )
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="review-row-{quote.pk}"')
    assert '<p id="pending-count" class="muted result-count" role="status" ' in content
    assert 'hx-swap-oob="true"' in content
    assert "1 pending span" in content
    # Counted within the filters of the queue the decision came from.
    response = client.post(
        reject_url(Span.objects.get(label__slug="entity")),
        {"version": 1, "preset": "not_an_entity", "next": f"{queue}?label=quote"},
        headers=HTMX,
    )
    assert "0 pending spans" in response.content.decode()


def test_it_offers_reasons_that_fit_the_label(client, rita, quote, labels):
    client.force_login(rita)
    response = client.post(
        reject_url(quote), {"version": 1, "preset": "not_an_entity"}, headers=HTMX
    )
    assert "Select a valid choice" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == Span.Status.PENDING
