"""Suggestions in blind articles: each annotator's own, like their spans; what
agreement, adjudication, the review queue and exports make of them."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations import adjudication, agreement, services
from annotations.models import AuditEvent, Span

from .suggestion_data import TEXT, by_text, proposals, suggested_article

pytestmark = pytest.mark.django_db

QUOTE = "Nous doublerons les pistes cyclables"
CLAIM = "Le budget de Villebrune a augmenté de 8 % en un an."
SPEAKER = "Claire Fontaine"
SPANS = "/api/v1/spans/"
EXPORT = "/api/v1/export/"


def suggest_url(article):
    return f"/api/v1/articles/{article.pk}/suggest/"


def owned(article, status="suggested") -> dict[str, set[str]]:
    """Return, per owner, the texts of the article's spans in ``status``."""
    found = {}
    for text, name in Span.objects.filter(article=article, status=status).values_list(
        "text", "created_by__username"
    ):
        found.setdefault(name, set()).add(text)
    return found


def listed(client, article) -> list[tuple[str, str, str]]:
    response = client.get(SPANS, {"article": article.pk})
    assert response.status_code == 200, response.content
    return sorted(
        (span["text"], span["status"], span["created_by"])
        for span in response.json()["results"]
    )


@pytest.fixture
def blind(alice, bob, rita, labels):
    """An article alice's upload filled with suggestions, then made blind for
    alice and bob."""
    article, _run = suggested_article(alice)
    return services.article_assign(
        article=article, user=rita, annotators=[alice, bob], blind=True
    )


@pytest.fixture
def engine(monkeypatch):
    """The suggesters answer with the usual proposals, without spaCy."""
    monkeypatch.setattr(
        "annotations.suggest.suggest_text",
        lambda text, language, gazetteer=None: proposals(),
    )


# Making an article blind


def test_making_it_blind_gives_each_annotator_their_own_copies(blind, alice, bob):
    everything = {SPEAKER, "Villebrune", QUOTE, CLAIM}
    assert owned(blind) == {"alice": everything, "bob": everything}
    assert not Span.objects.filter(article=blind, blind=False).exists()
    for person in (alice, bob):
        quote = Span.objects.get(article=blind, text=QUOTE, created_by=person)
        assert quote.blind is True
        assert (quote.source.text, quote.source.created_by) == (SPEAKER, person)
        assert (quote.origin, quote.score) == ("rule:quote-verb-after", 0.9)
    event = AuditEvent.objects.filter(action="suggest").latest("pk")
    assert event.after == {
        "suggestions": 8,
        "created": 8,
        "updated": 0,
        "removed": 4,
        "blind": True,
    }


def test_a_dismissed_suggestion_stays_for_the_figures(alice, bob, rita, labels):
    article, run = suggested_article(alice)
    services.span_dismiss(span=by_text(run)[CLAIM], user=alice)
    services.article_assign(
        article=article, user=rita, annotators=[alice, bob], blind=True
    )
    dismissed = Span.objects.get(article=article, status="dismissed")
    assert (dismissed.text, dismissed.blind) == (CLAIM, False)
    assert CLAIM not in owned(article)["bob"]


def test_an_adjusted_suggestion_is_work_that_keeps_it_shared(
    as_user, alice, bob, rita, labels
):
    article, run = suggested_article(alice)
    claim = by_text(run)[CLAIM]
    services.suggestion_adjust(
        span=claim,
        user=alice,
        version=claim.version,
        start=claim.start,
        end=claim.end - 1,
    )
    response = as_user(rita).post(
        f"/api/v1/articles/{article.pk}/assign/",
        {"annotators": ["alice", "bob"], "blind": True},
        format="json",
    )
    assert response.status_code == 400
    assert "spans everyone sees" in response.json()["error"]["message"]
    assert owned(article) == {"alice": {SPEAKER, "Villebrune", QUOTE, CLAIM[:-1]}}


def test_unassigning_or_sharing_again_drops_their_suggestions(
    blind, alice, bob, ada, rita
):
    services.article_assign(
        article=blind, user=rita, annotators=[alice, ada], blind=True
    )
    assert set(owned(blind)) == {"alice"}
    services.article_assign(article=blind, user=rita, annotators=[alice], blind=False)
    assert owned(blind) == {}


# Who sees them


@pytest.mark.parametrize(
    ("who", "owners"),
    [
        ("alice", {"alice"}),
        ("bob", {"bob"}),
        ("rita", {"alice", "bob"}),
        ("ada", {"alice", "bob"}),
        ("carl", set()),
    ],
)
def test_each_annotator_sees_only_their_own_suggestions(
    request, as_user, blind, who, owners
):
    rows = listed(as_user(request.getfixturevalue(who)), blind)
    assert {owner for _text, _status, owner in rows} == owners
    assert all(status == "suggested" for _text, status, _owner in rows)


def test_no_role_and_anonymous_see_nothing(as_user, api, blind, nemo):
    assert api.get(SPANS, {"article": blind.pk}).status_code == 401
    assert as_user(nemo).get(SPANS, {"article": blind.pk}).status_code == 403


def test_the_annotate_page_draws_only_ones_own(client, blind, alice, bob):
    client.force_login(bob)
    page = client.get(f"/articles/{blind.pk}/").content.decode()
    mine = set(
        Span.objects.filter(article=blind, created_by=bob).values_list("pk", flat=True)
    )
    theirs = set(
        Span.objects.filter(article=blind, created_by=alice).values_list(
            "pk", flat=True
        )
    )
    assert all(f'data-span-id="{pk}"' in page for pk in mine)
    assert not any(f'data-span-id="{pk}"' in page for pk in theirs)


def test_the_history_tells_a_run_only_to_whom_may_see_it(
    as_user, blind, alice, bob, rita, engine
):
    Span.objects.filter(article=blind, created_by=alice).suggested().delete()
    assert as_user(alice).post(suggest_url(blind)).json()["created"] == 4

    def runs(user):
        events = as_user(user).get(f"/api/v1/articles/{blind.pk}/history/").json()
        return sorted(
            (e["actor"], bool(e["after"].get("blind")))
            for e in events
            if e["action"] == "suggest"
        )

    # The upload's run was shared; the copies and alice's own run are not.
    assert runs(alice) == [("alice", False), ("alice", True)]
    assert runs(bob) == [("alice", False)]
    assert runs(rita) == [("alice", False), ("alice", True), ("rita", True)]


# Asking for them


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("alice", 200),
        ("bob", 200),
        ("eve", 403),
        ("ada", 403),
        ("rita", 403),
        ("carl", 403),
        ("nemo", 403),
    ],
)
def test_only_assigned_annotators_ask_for_suggestions(
    request, as_user, blind, who, status, engine, django_user_model, alice
):
    if who == "eve":
        user = django_user_model.objects.create_user("eve")
        user.groups.set(alice.groups.all())
    else:
        user = request.getfixturevalue(who)
    response = as_user(user).post(suggest_url(blind))
    assert response.status_code == status, response.content
    if who in ("eve", "ada"):
        assert "assigned annotators" in response.json()["error"]["message"]


def test_anonymous_callers_may_not_ask(api, blind):
    assert api.post(suggest_url(blind)).status_code == 401


def test_a_run_by_an_annotator_is_theirs_alone(as_user, blind, alice, bob, engine):
    Span.objects.filter(article=blind).suggested().delete()
    data = as_user(alice).post(suggest_url(blind)).json()
    assert data["created"] == 4
    assert {s["created_by"] for s in data["suggestions"]} == {"alice"}
    assert owned(blind) == {"alice": {SPEAKER, "Villebrune", QUOTE, CLAIM}}
    assert all(span.blind for span in Span.objects.filter(article=blind))
    assert listed(as_user(bob), blind) == []


def test_another_version_neither_blocks_nor_feeds_a_run(
    blind, alice, bob, labels, engine
):
    Span.objects.filter(article=blind).suggested().delete()
    start = TEXT.index("Villebrune")
    services.span_create(
        user=bob, article=blind, label=labels["entity"], start=start, end=start + 10
    )
    start = TEXT.index(SPEAKER)
    own = services.span_create(
        user=alice,
        article=blind,
        label=labels["entity"],
        start=start,
        end=start + len(SPEAKER),
        entity_type="PER",
    )
    run = services.article_suggest(article=blind, user=alice)
    assert {span.text for span in run.suggestions} == {"Villebrune", QUOTE, CLAIM}
    assert run.existing == 1
    # alice's own entity is her quote's speaker; bob's place stays bob's.
    assert by_text(run)[QUOTE].source == own
    assert by_text(run)["Villebrune"].created_by == alice


def test_the_command_suggests_for_each_annotator(blind, alice, bob, ada, monkeypatch):
    Span.objects.filter(article=blind).suggested().delete()
    monkeypatch.setattr(
        "annotations.management.commands.suggest.suggest_texts",
        lambda items, gazetteer=None, batch_size=None: [proposals() for _ in items],
    )
    out = io.StringIO()
    call_command("suggest", "--article", str(blind.pk), "--processes", "1", stdout=out)
    everything = {SPEAKER, "Villebrune", QUOTE, CLAIM}
    assert owned(blind) == {"alice": everything, "bob": everything}
    assert "1 articles: 8 suggestions (8 new" in out.getvalue()


# Accepting and dismissing


def test_only_their_annotator_accepts_or_dismisses_them(
    as_user, blind, alice, bob, ada
):
    quote = Span.objects.get(article=blind, text=QUOTE, created_by=alice)
    for verb in ("accept", "dismiss"):
        url = f"{SPANS}{quote.pk}/{verb}/"
        assert as_user(bob).post(url, {}, format="json").status_code == 404
        refused = as_user(ada).post(url, {}, format="json")
        assert refused.status_code == 403
        assert "another annotator's own version" in refused.json()["error"]["message"]
    response = as_user(alice).post(f"{SPANS}{quote.pk}/accept/", {}, format="json")
    assert response.status_code == 200, response.json()
    quote.refresh_from_db()
    assert (quote.status, quote.blind, quote.created_by) == ("pending", True, alice)
    assert (quote.source.status, quote.source.created_by) == ("pending", alice)
    # bob's copies are still suggestions.
    assert owned(blind)["bob"] == {SPEAKER, "Villebrune", QUOTE, CLAIM}


@pytest.mark.parametrize("verb", ["accept", "dismiss"])
@pytest.mark.parametrize(
    ("who", "status", "words"),
    [
        ("alice", 200, ""),
        ("bob", 404, ""),
        ("ada", 403, "another annotator's own version"),
        ("rita", 403, "Only editors and admins"),
        ("carl", 404, ""),
        ("nemo", 403, ""),
        (None, 401, ""),
    ],
)
def test_accepting_or_dismissing_ones_suggestion_per_role(
    request, api, as_user, blind, alice, verb, who, status, words
):
    claim = Span.objects.get(article=blind, text=CLAIM, created_by=alice)
    client = as_user(request.getfixturevalue(who)) if who else api
    response = client.post(f"{SPANS}{claim.pk}/{verb}/", {}, format="json")
    assert response.status_code == status, response.content
    if words:
        assert words in response.json()["error"]["message"]
    claim.refresh_from_db()
    expected = {"accept": "pending", "dismiss": "dismissed"}[verb]
    assert claim.status == (expected if status == 200 else "suggested")


def test_tagging_ones_suggestion_accepts_it_not_anothers(blind, alice, bob, labels):
    start = TEXT.index("Villebrune")
    span = services.span_create(
        user=bob,
        article=blind,
        label=labels["entity"],
        start=start,
        end=start + 10,
        entity_type="LOC",
    )
    assert span.blind is True
    assert "Villebrune" not in owned(blind)["bob"]
    assert "Villebrune" in owned(blind)["alice"]


# Agreement, adjudication and what never leaves the team


@pytest.fixture
def annotated(blind, alice, bob):
    """alice and bob each accept the quote (and its speaker); alice leaves the
    rest as suggestions, bob dismisses his claim."""
    for person in (alice, bob):
        quote = Span.objects.get(article=blind, text=QUOTE, created_by=person)
        services.span_accept(span=quote, user=person)
    claim = Span.objects.get(article=blind, text=CLAIM, created_by=bob)
    services.span_dismiss(span=claim, user=bob)
    return blind


def test_agreement_ignores_suggested_and_dismissed_spans(rita, annotated):
    [pair] = agreement.report(user=rita).as_dict()["pairs"]
    strict = pair["labels"]["all"]["strict"]
    assert (strict["both"], strict["only_a"], strict["only_b"]) == (2, 0, 0)
    assert strict["f1"] == 1.0


def test_an_article_with_suggestions_only_is_not_double_annotated(rita, blind):
    assert agreement.report(user=rita).as_dict()["pairs"] == []


def test_adjudication_ignores_them_and_ends_their_round(rita, annotated):
    proposal = adjudication.proposal_for(annotated)
    merged = [annotated.text[m.mark.start : m.mark.end] for m in proposal.merged]
    assert merged == [QUOTE, SPEAKER]
    assert proposal.items == []
    created = services.article_adjudicate(article=annotated, user=rita, decisions={})
    assert sorted(span.text for span in created) == [SPEAKER, QUOTE]
    # Versions superseded; untouched suggestions gone; the dismissal kept.
    assert len(owned(annotated, "superseded")["alice"]) == 2
    assert owned(annotated) == {}
    assert owned(annotated, "dismissed") == {"bob": {CLAIM}}


def test_after_adjudication_a_run_is_shared_and_not_blocked_by_versions(
    as_user, rita, alice, bob, annotated, engine
):
    services.article_adjudicate(article=annotated, user=rita, decisions={})
    run = services.article_suggest(article=annotated, user=alice)
    # The adjudicated spans stand; the superseded versions neither block a
    # suggestion nor come back as one, and bob's dismissal was bob's alone.
    assert {span.text for span in run.suggestions} == {"Villebrune", CLAIM}
    assert run.existing == 2
    assert {span.blind for span in run.suggestions} == {False}
    texts = {text for text, _status, _owner in listed(as_user(bob), annotated)}
    assert texts == {SPEAKER, QUOTE, "Villebrune", CLAIM}


@pytest.mark.parametrize("persona", ["rita", "ada"])
def test_the_review_queue_never_shows_versions_or_suggestions(
    request, client, annotated, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("annotations:review_queue"))
    assert response.status_code == 200
    assert response.context["count"] == 0


def exported(client, **params) -> list[tuple[str, str]]:
    response = client.get(EXPORT, {"include_empty": "1", **params})
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode()
    return sorted(
        (span["text"], span["status"])
        for line in body.splitlines()
        for span in json.loads(line)["spans"]
    )


@pytest.mark.parametrize("persona", ["alice", "rita", "ada"])
def test_exports_leave_out_every_version_and_suggestion(
    request, as_user, annotated, persona
):
    client = as_user(request.getfixturevalue(persona))
    for status in ("approved", "all", "suggested", "pending"):
        assert exported(client, status=status) == [], status


def test_after_adjudication_exports_carry_the_result_only(
    as_user, rita, ada, carl, annotated
):
    services.article_adjudicate(article=annotated, user=rita, decisions={})
    for user in (ada, carl):
        assert exported(as_user(user)) == [(SPEAKER, "approved"), (QUOTE, "approved")]
    assert exported(as_user(ada), status="all") == [
        (SPEAKER, "approved"),
        (QUOTE, "approved"),
    ]
    refused = as_user(carl).get(EXPORT, {"status": "suggested"})
    assert refused.status_code in (400, 403)


def test_consumers_see_nothing_of_the_round(as_user, carl, annotated):
    assert listed(as_user(carl), annotated) == []
    events = as_user(carl).get(f"/api/v1/articles/{annotated.pk}/history/").json()
    recorded = set(
        AuditEvent.objects.filter(article_id=annotated.pk).values_list(
            "action", flat=True
        )
    )
    assert {"suggest", "assign", "accept", "dismiss"} <= recorded
    assert events == []
