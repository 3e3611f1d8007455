"""Shared or blind annotation: assignment, who sees which version, uniqueness
per annotator, and what never leaves the team."""

import json

import pytest
from django.db import IntegrityError, transaction

from annotations import services
from annotations.models import Article, Assignment, AuditEvent, Span

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

TEXT = "Le maire Paul Roy a dit « la ville paiera » lundi à Lyon."
SPANS = "/api/v1/spans/"


def assign_url(article):
    return f"/api/v1/articles/{article.pk}/assign/"


def offsets(words):
    start = TEXT.index(words)
    return start, start + len(words)


def span_body(article, words, label="quote", **extra):
    start, end = offsets(words)
    return {"article": article.pk, "label": label, "start": start, "end": end, **extra}


@pytest.fixture
def story(alice):
    return ArticleFactory(uploaded_by=alice, text=TEXT)


@pytest.fixture
def blind_story(story, alice, bob, rita):
    return services.article_assign(
        article=story, user=rita, annotators=[alice, bob], blind=True
    )


# Assigning


def test_it_assigns_two_editors_blind_through_the_api(as_user, rita, alice, bob, story):
    response = as_user(rita).post(
        assign_url(story),
        {"annotators": ["alice", "bob"], "blind": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["annotation_mode"] == "blind"
    assert data["annotators"] == ["alice", "bob"]
    assert set(
        Assignment.objects.filter(article=story).values_list(
            "annotator__username", flat=True
        )
    ) == {"alice", "bob"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.ASSIGN)
    assert event.after == {"annotation_mode": "blind", "annotators": ["alice", "bob"]}
    assert event.actor == rita


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("nemo", 403),
        ("carl", 403),
        ("alice", 403),
        ("rita", 200),
        ("ada", 200),
    ],
)
def test_it_lets_only_reviewers_and_admins_assign(
    request, as_user, story, alice, bob, who, status
):
    user = request.getfixturevalue(who)
    response = as_user(user).post(
        assign_url(story),
        {"annotators": ["alice", "bob"], "blind": True},
        format="json",
    )
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert not Assignment.objects.exists()


def test_it_needs_a_login_to_assign(api, story):
    response = api.post(assign_url(story), {"annotators": []}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"annotators": ["alice", "zed"], "blind": True}, "annotators", "zed"),
        ({"annotators": ["alice", "carl"], "blind": True}, "annotators", "carl"),
        ({"annotators": ["alice"], "blind": True}, "annotators", "at least two"),
        ({"annotators": ["alice", "alice"], "blind": True}, "annotators", "once"),
        ({"annotators": "alice"}, "annotators", "list"),
        ({"annotators": ["alice", "bob"], "blind": "maybe"}, "blind", "boolean"),
    ],
)
def test_it_refuses_bad_assignments_naming_the_problem(
    as_user, rita, alice, bob, carl, story, body, field, words
):
    response = as_user(rita).post(assign_url(story), body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"]
    assert words in json.dumps(error["fields"][field])
    assert not Assignment.objects.exists()


def test_it_refuses_to_make_an_article_with_spans_blind(
    as_user, rita, alice, bob, story, labels
):
    SpanFactory(article=story, label=labels["entity"], start=9, end=17)
    response = as_user(rita).post(
        assign_url(story),
        {"annotators": ["alice", "bob"], "blind": True},
        format="json",
    )
    assert response.status_code == 400
    assert "without spans" in response.json()["error"]["message"]
    story.refresh_from_db()
    assert story.annotation_mode == "shared"


def test_it_keeps_annotators_with_a_version_assigned(
    as_user, rita, alice, bob, ada, blind_story
):
    assert (
        as_user(alice).post(
            SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
        )
    ).status_code == 201
    client = as_user(rita)
    dropped = client.post(
        assign_url(blind_story), {"annotators": ["bob", "ada"], "blind": True}
    )
    assert dropped.status_code == 400
    assert "alice" in dropped.json()["error"]["message"]
    shared = client.post(
        assign_url(blind_story), {"annotators": ["alice", "bob"], "blind": False}
    )
    assert shared.status_code == 400
    added = client.post(
        assign_url(blind_story),
        {"annotators": ["alice", "bob", "ada"], "blind": True},
        format="json",
    )
    assert added.status_code == 200
    assert added.json()["annotators"] == ["ada", "alice", "bob"]


def test_it_assigns_shared_articles_too(as_user, rita, alice, story):
    response = as_user(rita).post(
        assign_url(story), {"annotators": ["alice"], "blind": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["annotation_mode"] == "shared"
    mine = as_user(alice).get("/api/v1/articles/", {"assigned_to": "alice"})
    assert [row["id"] for row in mine.json()["results"]] == [story.pk]
    theirs = as_user(alice).get("/api/v1/articles/", {"assigned_to": "bob"})
    assert theirs.json()["results"] == []


# Two editors on one blind article, through the API


def test_two_editors_never_see_each_others_spans(
    as_user, alice, bob, rita, carl, blind_story, django_user_model
):
    alice_client = as_user(alice)
    person = alice_client.post(
        SPANS,
        span_body(blind_story, "Paul Roy", "entity", entity_type="PER"),
        format="json",
    )
    assert person.status_code == 201, person.json()
    quote = alice_client.post(
        SPANS,
        span_body(blind_story, "« la ville paiera »", source=person.json()["id"]),
        format="json",
    )
    assert quote.status_code == 201
    alice_ids = {person.json()["id"], quote.json()["id"]}

    bob_client = as_user(bob)
    # The very same span: each annotator's version is a set of its own.
    same = bob_client.post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    assert same.status_code == 201, same.json()
    place = bob_client.post(
        SPANS,
        span_body(blind_story, "Lyon", "entity", entity_type="LOC"),
        format="json",
    )
    bob_ids = {same.json()["id"], place.json()["id"]}
    assert Span.objects.filter(blind=True).count() == 4

    def listed(client):
        response = client.get(SPANS, {"article": blind_story.pk})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert listed(as_user(alice)) == alice_ids
    assert listed(as_user(bob)) == bob_ids
    # Reviewers see every version; consumers nothing until it is approved.
    assert listed(as_user(rita)) == alice_ids | bob_ids
    assert listed(as_user(carl)) == set()
    client = as_user(alice)
    for pk in bob_ids:
        assert client.get(f"{SPANS}{pk}/").status_code == 404
        assert client.get(f"{SPANS}{pk}/history/").status_code == 404
        assert (
            client.patch(f"{SPANS}{pk}/", {"start": 0}, format="json").status_code
            == 404
        )
        assert client.delete(f"{SPANS}{pk}/").status_code == 404
    history = client.get(f"/api/v1/articles/{blind_story.pk}/history/").json()
    seen = {event["object_id"] for event in history if event["object_type"] == "span"}
    assert seen == alice_ids
    article = client.get(f"/api/v1/articles/{blind_story.pk}/").json()
    assert article["span_counts"]["pending"] == 2
    article = as_user(rita).get(f"/api/v1/articles/{blind_story.pk}/").json()
    assert article["span_counts"]["pending"] == 4
    # A third editor, not assigned, may neither add spans nor see any.
    eve = django_user_model.objects.create_user("eve")
    eve.groups.set(alice.groups.all())
    refused = as_user(eve).post(
        SPANS, span_body(blind_story, "Lyon", "entity"), format="json"
    )
    assert refused.status_code == 403
    assert "blind" in refused.json()["error"]["message"]
    assert listed(as_user(eve)) == set()


def test_it_refuses_a_duplicate_within_one_version(as_user, alice, blind_story):
    client = as_user(alice)
    assert (
        client.post(
            SPANS, span_body(blind_story, "Lyon", "entity"), format="json"
        ).status_code
        == 201
    )
    again = client.post(SPANS, span_body(blind_story, "Lyon", "entity"), format="json")
    assert again.status_code == 400
    assert "Your version already has" in again.json()["error"]["message"]


def test_it_refuses_a_source_from_another_version(as_user, alice, bob, blind_story):
    person = as_user(alice).post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    response = as_user(bob).post(
        SPANS,
        span_body(blind_story, "« la ville paiera »", source=person.json()["id"]),
        format="json",
    )
    assert response.status_code == 400
    assert "source" in response.json()["error"]["fields"]


def test_nobody_but_its_annotator_changes_a_version(
    as_user, alice, ada, rita, blind_story
):
    person = as_user(alice).post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    pk = person.json()["id"]
    edit = as_user(ada).patch(f"{SPANS}{pk}/", {"entity_type": "PER"}, format="json")
    assert edit.status_code == 403
    assert "another annotator's own version" in edit.json()["error"]["message"]
    approve = as_user(rita).post(f"{SPANS}{pk}/approve/", {"version": 1}, format="json")
    assert approve.status_code == 403
    assert "adjudication" in approve.json()["error"]["message"]
    own = as_user(alice).patch(f"{SPANS}{pk}/", {"entity_type": "PER"}, format="json")
    assert own.status_code == 200


def test_the_database_holds_uniqueness_per_version(alice, bob, story, labels):
    def make(user, blind):
        with transaction.atomic():
            Span.objects.create(
                article=story,
                label=labels["entity"],
                start=9,
                end=17,
                text="Paul Roy",
                created_by=user,
                blind=blind,
            )

    make(alice, True)
    make(bob, True)
    make(alice, False)
    with pytest.raises(IntegrityError):
        make(alice, True)
    with pytest.raises(IntegrityError):
        make(bob, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.filter(blind=False).update(status="superseded")


def test_versions_stay_out_of_the_review_queue_and_exports(
    client, as_user, alice, rita, blind_story
):
    as_user(alice).post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    client.force_login(rita)
    queue = client.get("/review/")
    assert "Paul Roy" not in queue.content.decode()
    for status in ("pending", "all"):
        export = client.get("/api/v1/export/", {"status": status})
        assert export.status_code == 200
        assert b"Paul Roy" not in b"".join(export.streaming_content)


def test_the_annotate_page_shows_each_annotator_only_their_version(
    client, as_user, alice, bob, rita, blind_story
):
    as_user(alice).post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    as_user(bob).post(SPANS, span_body(blind_story, "Lyon", "entity"), format="json")
    url = f"/articles/{blind_story.pk}/"

    def marks(user):
        client.force_login(user)
        page = client.get(url).content.decode()
        return page.count('<mark class="hl'), page

    count, page = marks(alice)
    assert count == 1
    assert "only your own spans" in page
    count, page = marks(bob)
    assert count == 1
    count, page = marks(rita)
    assert count == 2
    # Each annotator in their own colour, named in the legend.
    assert 'data-annotator="1"' in page and 'data-annotator="2"' in page
    assert "Adjudicate" in page


def test_history_pages_hide_other_versions(client, as_user, alice, bob, blind_story):
    as_user(alice).post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    as_user(bob).post(SPANS, span_body(blind_story, "Lyon", "entity"), format="json")
    deleted = as_user(bob).post(
        SPANS, span_body(blind_story, "lundi", "claim"), format="json"
    )
    as_user(bob).delete(f"{SPANS}{deleted.json()['id']}/")
    client.force_login(alice)
    page = client.get(f"/articles/{blind_story.pk}/history/").content.decode()
    assert "Paul Roy" in page
    assert "Lyon" not in page
    assert "lundi" not in page
    client.force_login(bob)
    page = client.get(f"/articles/{blind_story.pk}/history/").content.decode()
    assert "Lyon" in page and "lundi" in page and "Paul Roy" not in page


# The article list


def test_the_list_filters_articles_assigned_to_me(client, alice, bob, rita, story):
    other = ArticleFactory(uploaded_by=alice, title="Autre chose")
    services.article_assign(
        article=story, user=rita, annotators=[alice, bob], blind=True
    )
    client.force_login(bob)
    page = client.get("/", {"mine": "on"}).content.decode()
    assert story.title in page
    assert other.title not in page
    assert "blind" in page
    # Editors get no bulk assignment.
    assert 'id="assign-form"' not in page


def test_reviewers_assign_ticked_articles_to_chosen_editors(client, rita, alice, bob):
    first, second = ArticleFactory.create_batch(2, uploaded_by=alice)
    client.force_login(rita)
    assert 'id="assign-form"' in client.get("/").content.decode()
    response = client.post(
        "/articles/assign/",
        {
            "articles": [first.pk, second.pk],
            "how": "chosen",
            "count": 2,
            "annotators": ["alice", "bob"],
            "blind": "on",
            "next": "/?mine=",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/?mine="
    assert "Assigned 2 articles." in response.content.decode()
    for article in (first, second):
        article.refresh_from_db()
        assert article.annotation_mode == "blind"
        assert set(article.annotators.values_list("username", flat=True)) == {
            "alice",
            "bob",
        }


def test_reviewers_assign_two_at_random_among_several(
    client, rita, alice, bob, ada, django_user_model
):
    articles = ArticleFactory.create_batch(6, uploaded_by=alice)
    client.force_login(rita)
    response = client.post(
        "/articles/assign/",
        {
            "articles": [a.pk for a in articles],
            "how": "random",
            "count": 2,
            "annotators": ["alice", "bob", "ada"],
            "blind": "on",
        },
    )
    assert response.status_code == 302
    loads = {}
    for article in articles:
        names = list(article.annotators.values_list("username", flat=True))
        assert len(names) == 2 and len(set(names)) == 2
        for name in names:
            loads[name] = loads.get(name, 0) + 1
    # 6 articles × 2 = 12 assignments spread evenly over 3 people.
    assert loads == {"alice": 4, "bob": 4, "ada": 4}


def test_bulk_assignment_reports_the_articles_it_could_not_assign(
    client, rita, alice, bob, labels
):
    fresh = ArticleFactory(uploaded_by=alice, title="Fresh")
    busy = ArticleFactory(uploaded_by=alice, title="Busy")
    SpanFactory(article=busy, label=labels["quote"])
    client.force_login(rita)
    response = client.post(
        "/articles/assign/",
        {
            "articles": [fresh.pk, busy.pk],
            "how": "chosen",
            "count": 2,
            "annotators": ["alice", "bob"],
            "blind": "on",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Assigned 1 article." in page
    assert "Not assigned “Busy”" in page
    assert Article.objects.get(pk=busy.pk).annotation_mode == "shared"


@pytest.mark.parametrize(("who", "status"), [("nemo", 403), ("alice", 403)])
def test_bulk_assignment_is_for_reviewers(request, client, story, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        "/articles/assign/", {"articles": [story.pk], "annotators": ["alice"]}
    )
    assert response.status_code == status


def test_bulk_assignment_needs_a_login_and_a_post(client, rita):
    assert client.post("/articles/assign/").status_code == 302
    client.force_login(rita)
    assert client.get("/articles/assign/").status_code == 405


def test_approving_all_pending_leaves_versions_to_adjudication(
    client, as_user, alice, rita, blind_story
):
    as_user(alice).post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    response = as_user(rita).post(f"/api/v1/articles/{blind_story.pk}/approve-pending/")
    assert response.status_code == 200
    assert response.json()["approved"] == []
    assert response.json()["left_for_another_reviewer"] == 0
    client.force_login(rita)
    page = client.get(f"/articles/{blind_story.pk}/").content.decode()
    assert "Approve all pending" not in page


def test_consumers_learn_nothing_of_the_assignment(client, as_user, carl, blind_story):
    data = as_user(carl).get(f"/api/v1/articles/{blind_story.pk}/").json()
    assert data["annotators"] is None
    history = as_user(carl).get(f"/api/v1/articles/{blind_story.pk}/history/").json()
    assert [event["action"] for event in history] == []
    client.force_login(carl)
    page = client.get("/").content.decode()
    assert blind_story.title in page
    assert 'class="assigned' not in page
    page = client.get(f"/articles/{blind_story.pk}/history/").content.decode()
    assert "bob" not in page


def test_the_annotate_page_tells_consumers_nothing_of_it(
    client, as_user, alice, carl, blind_story
):
    as_user(alice).post(
        SPANS, span_body(blind_story, "Paul Roy", "entity"), format="json"
    )
    client.force_login(carl)
    page = client.get(f"/articles/{blind_story.pk}/").content.decode()
    assert "<mark" not in page
    assert "blind" not in page.lower()


def test_assignment_takes_only_post(as_user, rita, story):
    assert as_user(rita).get(assign_url(story)).status_code == 405


def test_spans_cannot_be_imported_into_a_blind_article(as_user, alice, blind_story):
    start, end = offsets("Paul Roy")
    line = {
        "title": blind_story.title,
        "text": TEXT,
        "spans": [{"start": start, "end": end, "label": "entity"}],
    }
    response = as_user(alice).post("/api/v1/articles/", [line], format="json")
    assert response.status_code == 403
    assert "annotated blind" in response.json()["error"]["message"]
    assert not Span.objects.filter(article=blind_story).exists()
