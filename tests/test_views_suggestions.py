"""Suggestions on the annotate page: how they are drawn and listed, and the page's
accept, dismiss, adjust, accept-all and suggest answers."""

import re

import pytest
from django.urls import reverse

from annotations.models import AuditEvent, Span

from .suggestion_data import TEXT, by_text, proposals, suggested_article

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUOTE = "Nous doublerons les pistes cyclables"
CLAIM = "Le budget de Villebrune a augmenté de 8 % en un an."


@pytest.fixture
def run(alice, labels):
    _article, run = suggested_article(alice)
    return run


def page_url(article):
    return reverse("annotations:article_detail", args=[article.pk])


def url(name, span):
    return reverse(f"annotations:suggestion_{name}", args=[span.article_id, span.pk])


def marks(html) -> dict:
    """Return {span id: attributes} of the first mark of each span."""
    found = {}
    for tag in re.findall(r"<mark [^>]*>", html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        found.setdefault(int(attrs["data-span-id"]), attrs)
    return found


# Drawn and listed


def test_the_page_draws_suggestions_with_their_origin_and_score(client, bob, run):
    client.force_login(bob)
    html = client.get(page_url(run.article)).content.decode()
    quote = marks(html)[by_text(run)[QUOTE].pk]
    assert quote["data-status"] == "suggested"
    assert quote["data-origin"] == "rule:quote-verb-after"
    assert quote["data-score"] == "0.9000"
    assert quote["title"] == "Quote · suggestion · rule:quote-verb-after · score 0.90"
    row = html[html.index(f'id="span-row-{by_text(run)[QUOTE].pk}"') :]
    row = row[: row.index("</li>")]
    assert "status-suggested" in html
    assert "rule:quote-verb-after · score 0.90" in row
    assert f"/spans/{by_text(run)[QUOTE].pk}/accept/" in row
    assert f"/spans/{by_text(run)[QUOTE].pk}/dismiss/" in row


def test_the_panel_counts_suggestions_per_label_apart(client, alice, run):
    client.force_login(alice)
    html = client.get(page_url(run.article)).content.decode()
    assert "4 suggestions" in html
    assert 'id="suggested-count-entity"' in html
    entity = html[html.index('id="suggested-count-entity"') :]
    assert entity[entity.index(">") + 1 : entity.index("</span>")] == "+ 2 suggested"
    # People's spans: none yet.
    assert re.search(r'id="count-entity" class="muted">0<', html)
    assert "Hide suggestions" in html and "data-toggle-suggestions" in html


def test_the_page_speaks_french_about_suggestions(client, alice, run):
    client.force_login(alice)
    response = client.get(page_url(run.article), headers={"accept-language": "fr"})
    html = response.content.decode()
    assert "4 suggestions" in html
    assert "Masquer les suggestions" in html
    assert "Citation · suggestion · rule:quote-verb-after · score 0,90" in html


def test_reviewers_see_suggestions_without_buttons(client, rita, run):
    client.force_login(rita)
    html = client.get(page_url(run.article)).content.decode()
    assert 'data-status="suggested"' in html
    assert "/accept/" not in html
    assert "suggestion-actions" not in html


# Accept, dismiss, adjust


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", 200),
        ("bob", 200),
        ("ada", 200),
        ("rita", 403),
        ("carl", 404),
        ("nemo", 404),
    ],
)
def test_accepting_on_the_page_is_for_editors_and_admins(
    request, client, run, persona, expected
):
    client.force_login(request.getfixturevalue(persona))
    claim = by_text(run)[CLAIM]
    response = client.post(url("accept", claim), {"version": 1}, headers=HTMX)
    assert response.status_code == expected
    status = Span.objects.get(pk=claim.pk).status
    assert status == ("pending" if expected == 200 else "suggested")


def test_the_page_needs_a_login_and_a_post(client, alice, run):
    claim = by_text(run)[CLAIM]
    response = client.post(url("accept", claim), {"version": 1})
    assert response.status_code == 302
    client.force_login(alice)
    assert client.get(url("accept", claim)).status_code == 405
    assert client.get(url("dismiss", claim)).status_code == 405


def test_accepting_answers_with_the_workspace_and_an_undo(client, alice, run):
    client.force_login(alice)
    quote = by_text(run)[QUOTE]
    response = client.post(url("accept", quote), {"version": 1}, headers=HTMX)
    html = response.content.decode()
    assert 'id="workspace"' in html
    assert "Accepted “Nous doublerons les pistes cyclables” as Quote" in html
    assert "source: Claire Fontaine" in html
    event = AuditEvent.objects.get(action="accept", object_id=quote.pk)
    assert f'data-undo-event="{event.pk}"' in html
    assert marks(html)[quote.pk]["data-status"] == "pending"


def test_accepting_a_stale_version_is_a_409_with_the_reason(client, alice, bob, run):
    claim = by_text(run)[CLAIM]
    client.force_login(bob)
    client.post(url("accept", claim), {"version": 1}, headers=HTMX)
    client.force_login(alice)
    response = client.post(url("accept", claim), {"version": 1}, headers=HTMX)
    assert response.status_code == 409
    assert "already accepted by bob" in response.content.decode()


def test_dismissing_hides_it_and_says_so(client, alice, run):
    client.force_login(alice)
    claim = by_text(run)[CLAIM]
    response = client.post(url("dismiss", claim), {"version": 1}, headers=HTMX)
    html = response.content.decode()
    assert f'data-span-id="{claim.pk}"' not in html
    assert "Dismissed “Le budget" in html
    response = client.post(url("dismiss", claim), {"version": 2}, headers=HTMX)
    assert response.status_code == 409
    assert "already dismissed" in response.content.decode()


def test_without_htmx_the_page_redirects_with_a_message(client, alice, run):
    client.force_login(alice)
    claim = by_text(run)[CLAIM]
    response = client.post(url("dismiss", claim), {"version": 1}, follow=True)
    assert response.redirect_chain[-1][0] == page_url(run.article)
    assert "Dismissed" in [str(m) for m in response.context["messages"]][0]


def test_adjusting_moves_the_suggestion_and_keeps_it_one(client, alice, run):
    client.force_login(alice)
    speaker = by_text(run)["Claire Fontaine"]
    start = TEXT.index("Fontaine")
    response = client.post(
        url("adjust", speaker),
        {"start": start, "end": speaker.end, "version": 1},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Suggestion now “Fontaine”: press y to accept it." in html
    mark = marks(html)[speaker.pk]
    assert (mark["data-from"], mark["data-status"]) == (str(start), "suggested")
    response = client.post(
        url("adjust", speaker),
        {"start": speaker.start, "end": speaker.end, "version": 1},
        headers=HTMX,
    )
    assert response.status_code == 409


def test_adjusting_refuses_bad_boundaries_by_name(client, alice, run):
    client.force_login(alice)
    speaker = by_text(run)["Claire Fontaine"]
    response = client.post(
        url("adjust", speaker),
        {"start": speaker.start, "end": speaker.start + 6 + 1, "version": 1},
        headers=HTMX,
    )
    assert "whitespace" in response.content.decode()
    assert Span.objects.get(pk=speaker.pk).version == 1


def test_shift_y_accepts_the_shown_suggestions_of_a_label_from_a_score(
    client, alice, labels
):
    found = proposals()
    article, run = suggested_article(alice, found=found)
    client.force_login(alice)
    entities = [s.pk for s in run.suggestions if s.label.slug == "entity"]
    response = client.post(
        reverse("annotations:suggestions_accept", args=[article.pk]),
        {"label": "entity", "min_score": "0.8000", "spans": entities},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Accepted 1 Entity suggestion scoring 0.80 or more." in html
    statuses = dict(article.spans.values_list("text", "status"))
    assert statuses["Claire Fontaine"] == "pending"
    assert statuses["Villebrune"] == "suggested"  # 0.75
    assert statuses[QUOTE] == "suggested"


def test_shift_y_refuses_a_broken_request(client, alice, run):
    client.force_login(alice)
    response = client.post(
        reverse("annotations:suggestions_accept", args=[run.article.pk]),
        {"label": "nonsense", "min_score": "2", "spans": ["x"]},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Choose one of the labels." in html
    assert "The spans are not a list of ids." in html


def test_the_suggest_button_runs_them_again(client, alice, run, monkeypatch):
    monkeypatch.setattr(
        "annotations.suggest.suggest_text", lambda *args, **kwargs: proposals()[:2]
    )
    client.force_login(alice)
    response = client.post(
        reverse("annotations:article_suggest", args=[run.article.pk]), headers=HTMX
    )
    assert "2 suggestions: 0 new, 2 removed." in response.content.decode()


@pytest.mark.parametrize("persona", ["rita", "nemo"])
def test_the_suggest_button_is_for_editors(request, client, run, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("annotations:article_suggest", args=[run.article.pk]), headers=HTMX
    )
    assert response.status_code in (403, 404)


def test_tagging_a_suggestions_words_accepts_it_and_redraws_all(client, alice, run):
    client.force_login(alice)
    speaker = by_text(run)["Claire Fontaine"]
    response = client.post(
        reverse("annotations:span_create", args=[run.article.pk]),
        {
            "label": "entity",
            "start": speaker.start,
            "end": speaker.end,
            "text": "Claire Fontaine",
            "entity_type": "PER",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert 'id="workspace"' in html
    assert html.count(f'id="span-row-{speaker.pk}"') == 1
    assert marks(html)[speaker.pk]["data-status"] == "pending"


def test_undo_on_the_page_makes_it_a_suggestion_again(client, alice, run):
    client.force_login(alice)
    claim = by_text(run)[CLAIM]
    client.post(url("accept", claim), {"version": 1}, headers=HTMX)
    event = AuditEvent.objects.get(action="accept", object_id=claim.pk)
    response = client.post(
        reverse("annotations:span_undo", args=[run.article.pk]),
        {"event": event.pk},
        headers=HTMX,
    )
    assert "is a suggestion again" in response.content.decode()
    assert Span.objects.get(pk=claim.pk).status == "suggested"


def test_the_page_reads_the_workspace_in_constant_queries(
    client, alice, run, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    client.get(page_url(run.article))
    with CaptureQueriesContext(connection) as few:
        client.get(page_url(run.article))
    many = [*proposals()]
    from annotations import services

    services.suggestions_store(article=run.article, user=alice, found=many)
    with django_assert_max_num_queries(len(few)):
        client.get(page_url(run.article))
