"""Adjudication: proposal, decisions through the API and the page, the result
approved with its provenance, superseded versions that never leak, feedback."""

import json

import pytest

from annotations import adjudication, services
from annotations.agreement import Mark
from annotations.models import AuditEvent, Span

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "Le ministre Jean Dupont affirme que le chômage baisse depuis un an. "
    "Marie Curie dit : « Le radium brille. »"
)


def at(words):
    start = TEXT.index(words)
    return {"start": start, "end": start + len(words)}


@pytest.fixture
def story(alice, bob, rita):
    article = ArticleFactory(uploaded_by=alice, text=TEXT, title="Le chômage")
    return services.article_assign(
        article=article, user=rita, annotators=[alice, bob], blind=True
    )


def add(user, article, labels, words, label, **extra):
    return services.span_create(
        user=user, article=article, label=labels[label], **at(words), **extra
    )


@pytest.fixture
def versions(story, alice, bob, labels):
    """alice and bob agree on Marie Curie and the quote; they differ on the
    minister's boundaries and type, on where the claim ends, and bob alone
    marks "radium"."""
    a_person = add(alice, story, labels, "Jean Dupont", "entity", entity_type="PER")
    add(
        alice, story, labels, "le chômage baisse depuis un an", "claim", source=a_person
    )
    a_curie = add(alice, story, labels, "Marie Curie", "entity", entity_type="PER")
    add(alice, story, labels, "« Le radium brille. »", "quote", source=a_curie)
    b_person = add(
        bob, story, labels, "ministre Jean Dupont", "entity", entity_type="ORG"
    )
    add(bob, story, labels, "le chômage baisse", "claim", source=b_person)
    b_curie = add(bob, story, labels, "Marie Curie", "entity", entity_type="PER")
    add(bob, story, labels, "« Le radium brille. »", "quote", source=b_curie)
    add(bob, story, labels, "radium", "entity", entity_type="MISC")
    return story


def proposal_url(article):
    return f"/api/v1/articles/{article.pk}/adjudicate/"


def test_the_proposal_merges_identical_spans_and_groups_the_rest(versions):
    proposal = adjudication.proposal_for(versions)
    assert proposal.annotators == ["alice", "bob"]
    assert [(TEXT[m.mark.start : m.mark.end]) for m in proposal.merged] == [
        "Marie Curie",
        "« Le radium brille. »",
    ]
    items = [
        {
            name: [TEXT[m.start : m.end] for m in marks]
            for name, marks in item.marks.items()
        }
        for item in proposal.items
    ]
    assert items == [
        {"alice": ["Jean Dupont"], "bob": ["ministre Jean Dupont"]},
        {"alice": ["le chômage baisse depuis un an"], "bob": ["le chômage baisse"]},
        {"alice": [], "bob": ["radium"]},
    ]


def test_counterparts_need_the_same_label_or_most_of_the_text():
    proposal = adjudication.propose(
        {
            "a": [Mark(1, 0, 40, "quote"), Mark(2, 50, 60, "claim")],
            # An entity inside the quote is no counterpart of it; an opinion
            # on the same words as the claim is.
            "b": [Mark(11, 5, 12, "entity"), Mark(12, 50, 59, "opinion")],
        }
    )
    assert [item.key for item in proposal.items] == ["1", "11", "2-12"]


def test_the_api_gives_the_proposal_to_a_reviewer(as_user, rita, versions):
    response = as_user(rita).get(proposal_url(versions))
    assert response.status_code == 200
    data = response.json()
    assert data["annotators"] == ["alice", "bob"]
    assert len(data["merged"]) == 2
    assert [item["versions"]["bob"][0]["text"] for item in data["items"]] == [
        "ministre Jean Dupont",
        "le chômage baisse",
        "radium",
    ]
    assert data["state"]


@pytest.mark.parametrize(
    ("who", "status", "words"),
    [
        ("nemo", 403, "role"),
        ("carl", 403, "reviewers"),
        ("alice", 403, "reviewers"),
        ("rita", 200, ""),
        ("ada", 200, ""),
    ],
)
def test_only_reviewers_who_annotated_nothing_adjudicate(
    request, as_user, versions, who, status, words
):
    response = as_user(request.getfixturevalue(who)).get(proposal_url(versions))
    assert response.status_code == status
    if words:
        assert words in response.json()["error"]["message"]


def test_a_reviewer_who_annotated_a_version_may_not_adjudicate_it(
    as_user, alice, rita, ada, labels
):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    services.article_assign(
        article=article, user=rita, annotators=[alice, ada], blind=True
    )
    add(ada, article, labels, "radium", "entity")
    response = as_user(ada).post(
        proposal_url(article), {"decisions": []}, format="json"
    )
    assert response.status_code == 403
    assert "annotated none of them" in response.json()["error"]["message"]


def test_a_shared_article_has_nothing_to_adjudicate(as_user, rita, alice):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    response = as_user(rita).get(proposal_url(article))
    assert response.status_code == 403
    assert "shared" in response.json()["error"]["message"]


def test_the_api_needs_a_login(api, versions):
    assert api.get(proposal_url(versions)).status_code == 401
    assert api.post(proposal_url(versions), {}).status_code == 401


def decide_by_api(client, article, choices):
    proposal = client.get(proposal_url(article)).json()
    decisions = [
        {"item": item["item"], **choice}
        for item, choice in zip(proposal["items"], choices, strict=True)
    ]
    return client.post(
        proposal_url(article),
        {"state": proposal["state"], "decisions": decisions},
        format="json",
    )


def test_adjudication_through_the_api_approves_the_result(
    as_user, api, rita, versions, alice, bob, carl
):
    response = decide_by_api(
        as_user(rita),
        versions,
        [{"keep": ["alice"]}, {"keep": ["bob"]}, {"keep": []}],
    )
    assert response.status_code == 200, response.json()
    spans = {row["text"]: row for row in response.json()["spans"]}
    assert set(spans) == {
        "Marie Curie",
        "« Le radium brille. »",
        "Jean Dupont",
        "le chômage baisse",
    }
    assert {row["status"] for row in spans.values()} == {"approved"}
    assert {row["reviewed_by"] for row in spans.values()} == {"rita"}
    assert spans["Jean Dupont"]["created_by"] == "alice"
    assert spans["Jean Dupont"]["entity_type"] == "PER"
    assert spans["le chômage baisse"]["created_by"] == "bob"
    # bob's claim named his own minister, who gave way to alice's: the
    # result's claim names the adjudicated minister, the quote Marie Curie.
    assert spans["le chômage baisse"]["source"] == spans["Jean Dupont"]["id"]
    assert spans["« Le radium brille. »"]["source"] == spans["Marie Curie"]["id"]
    result = Span.objects.filter(blind=False)
    assert result.count() == 4
    assert not result.filter(status="pending").exists()
    assert Span.objects.filter(blind=True, status="superseded").count() == 9
    versions.refresh_from_db()
    assert versions.adjudicated_by == rita
    # Each span's history says who had it.
    merged = AuditEvent.objects.get(
        object_type="span", object_id=spans["Marie Curie"]["id"]
    )
    assert merged.action == "adjudicate"
    assert merged.after["provenance"] == {
        "decision": "merged",
        "annotators": ["alice", "bob"],
        "versions": merged.after["provenance"]["versions"],
    }
    assert len(merged.after["provenance"]["versions"]) == 2
    kept = AuditEvent.objects.get(
        object_type="span", object_id=spans["le chômage baisse"]["id"]
    )
    assert kept.after["provenance"]["annotators"] == ["bob"]
    assert (
        AuditEvent.objects.filter(action="supersede", object_type="span").count() == 9
    )

    # Exported as usual; nothing of the versions leaks.
    client = as_user(rita)
    for status in ("approved", "all"):
        jsonl = client.get("/api/v1/export/", {"status": status}).streaming_content
        [line] = b"".join(jsonl).decode().splitlines()
        exported = json.loads(line)["spans"]
        assert sorted(span["text"] for span in exported) == sorted(spans)
    csv = b"".join(
        client.get(
            "/api/v1/export/", {"format": "csv", "status": "all"}
        ).streaming_content
    ).decode()
    assert len(csv.strip().splitlines()) == 1 + 4
    refused = client.get("/api/v1/export/", {"status": "superseded"})
    assert refused.status_code == 400
    # Consumers see the approved result only.
    rows = as_user(carl).get("/api/v1/spans/", {"article": versions.pk}).json()
    assert {row["text"] for row in rows["results"]} == set(spans)
    # Annotators: the result by default, their own versions when asked.
    mine = as_user(alice).get("/api/v1/spans/", {"article": versions.pk}).json()
    assert {row["id"] for row in mine["results"]} == {
        row["id"] for row in spans.values()
    }
    old = as_user(alice).get(
        "/api/v1/spans/", {"article": versions.pk, "status": "superseded"}
    )
    assert {row["created_by"] for row in old.json()["results"]} == {"alice"}
    assert len(old.json()["results"]) == 4


def test_a_superseded_version_is_never_changed_again(as_user, alice, rita, versions):
    decide_by_api(
        as_user(rita),
        versions,
        [{"keep": ["alice"]}, {"keep": ["alice"]}, {"keep": []}],
    )
    old = Span.objects.filter(created_by=alice, blind=True).first()
    response = as_user(alice).patch(
        f"/api/v1/spans/{old.pk}/", {"entity_type": "LOC"}, format="json"
    )
    assert response.status_code == 403
    assert "superseded" in response.json()["error"]["message"]
    again = as_user(rita).get(proposal_url(versions))
    assert again.status_code == 403
    assert "already adjudicated" in again.json()["error"]["message"]


def test_after_adjudication_new_spans_are_the_articles_own(
    as_user, alice, rita, labels, versions
):
    decide_by_api(
        as_user(rita),
        versions,
        [{"keep": ["alice"]}, {"keep": ["alice"]}, {"keep": []}],
    )
    response = as_user(alice).post(
        "/api/v1/spans/",
        {"article": versions.pk, "label": "entity", **at("radium")},
        format="json",
    )
    assert response.status_code == 201
    assert Span.objects.get(pk=response.json()["id"]).blind is False


def test_an_edit_writes_a_new_span(as_user, rita, versions):
    minister = Span.objects.get(text="ministre Jean Dupont")
    response = decide_by_api(
        as_user(rita),
        versions,
        [
            {
                "spans": [
                    {
                        "label": "entity",
                        **at("ministre Jean Dupont"),
                        "entity_type": "PER",
                    }
                ]
            },
            {
                "spans": [
                    {"label": "claim", **at("le chômage baisse"), "source": minister.pk}
                ]
            },
            {"keep": ["bob"]},
        ],
    )
    assert response.status_code == 200, response.json()
    spans = {row["text"]: row for row in response.json()["spans"]}
    assert spans["ministre Jean Dupont"]["entity_type"] == "PER"
    assert spans["ministre Jean Dupont"]["created_by"] == "rita"
    assert spans["le chômage baisse"]["source"] == spans["ministre Jean Dupont"]["id"]
    assert spans["radium"]["created_by"] == "bob"
    event = AuditEvent.objects.get(
        object_type="span", object_id=spans["ministre Jean Dupont"]["id"]
    )
    assert event.after["provenance"]["decision"] == "edited"


@pytest.mark.parametrize(
    ("choices", "words"),
    [
        ([{"keep": ["alice"]}, {"keep": ["bob"]}], "1 left"),
        ([{"keep": ["alice"]}, {"keep": ["zoe"]}, {"keep": []}], "zoe"),
        (
            [
                {"spans": [{"label": "entity", "start": 3, "end": 2}]},
                {"keep": []},
                {"keep": []},
            ],
            "end",
        ),
        (
            [
                {"spans": [{"label": "gossip", **at("Jean Dupont")}]},
                {"keep": []},
                {"keep": []},
            ],
            "gossip",
        ),
        (
            [
                {"spans": [{"label": "entity", "start": 2, "end": 12}]},
                {"keep": []},
                {"keep": []},
            ],
            "whitespace",
        ),
        ([{"keep": ["alice"], "spans": []}, {"keep": []}, {"keep": []}], "either"),
    ],
)
def test_the_api_refuses_decisions_that_cannot_stand(
    as_user, rita, versions, choices, words
):
    client = as_user(rita)
    proposal = client.get(proposal_url(versions)).json()
    decisions = [
        {"item": item["item"], **choice}
        for item, choice in zip(proposal["items"], choices, strict=False)
    ]
    response = client.post(
        proposal_url(versions),
        {"state": proposal["state"], "decisions": decisions},
        format="json",
    )
    assert response.status_code == 400
    assert words in json.dumps(response.json()["error"], ensure_ascii=False)
    assert not Span.objects.filter(blind=False).exists()
    assert not Span.objects.filter(status="superseded").exists()


def test_keeping_both_of_two_spans_at_the_same_place_is_refused(
    as_user, alice, bob, rita, labels, story
):
    add(alice, story, labels, "Marie Curie", "entity", entity_type="PER")
    add(bob, story, labels, "Marie Curie", "entity", entity_type="ORG")
    response = decide_by_api(as_user(rita), story, [{"keep": ["alice", "bob"]}])
    assert response.status_code == 400
    assert "keep one of them" in response.json()["error"]["message"]


def test_a_stale_proposal_gets_409(as_user, alice, rita, versions):
    client = as_user(rita)
    proposal = client.get(proposal_url(versions)).json()
    mine = Span.objects.get(text="Jean Dupont")
    services.span_update(span=mine, user=alice, entity_type="ORG")
    response = client.post(
        proposal_url(versions),
        {
            "state": proposal["state"],
            "decisions": [
                {"item": item["item"], "keep": []} for item in proposal["items"]
            ],
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert not Span.objects.filter(blind=False).exists()


# The page


def page_url(article):
    return f"/articles/{article.pk}/adjudicate/"


def test_the_page_shows_each_item_side_by_side_with_its_keys(client, rita, versions):
    client.force_login(rita)
    response = client.get(page_url(versions))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 spans identical in every version" in page
    assert page.count('class="adj-item"') == 3
    assert "keep alice&#x27;s" in page and "keep bob&#x27;s" in page
    for key in ("1", "2", "b", "0", "e"):
        assert f'data-key="{key}"' in page
    assert "adjudicate.js" in page
    assert "ministre Jean Dupont" in page


def test_the_page_adjudicates_with_a_plain_form(client, rita, versions):
    client.force_login(rita)
    proposal = adjudication.proposal_for(versions)
    first, second, third = proposal.items
    data = {
        "state": proposal.state,
        f"d-{first.key}": "keep:alice",
        f"d-{second.key}": "edit",
        f"e-{second.key}": json.dumps(
            {"label": "claim", **at("le chômage baisse depuis un an"), "source": None}
        ),
        f"d-{third.key}": "none",
    }
    response = client.post(page_url(versions), data, follow=True)
    assert response.redirect_chain[-1][0] == f"/articles/{versions.pk}/"
    assert "Adjudicated: 4 spans approved." in response.content.decode()
    assert set(
        Span.objects.filter(blind=False, status="approved").values_list(
            "text", flat=True
        )
    ) == {
        "Marie Curie",
        "« Le radium brille. »",
        "Jean Dupont",
        "le chômage baisse depuis un an",
    }
    # Once adjudicated, the page tells who did it and links the feedback.
    page = client.get(page_url(versions)).content.decode()
    assert "Adjudicated by rita" in page
    assert "?annotator=alice" in page and "?annotator=bob" in page


def test_the_page_keeps_the_choices_when_items_are_left(client, rita, versions):
    client.force_login(rita)
    proposal = adjudication.proposal_for(versions)
    key = proposal.items[0].key
    response = client.post(
        page_url(versions), {"state": proposal.state, f"d-{key}": "keep:bob"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Decide on every item: 2 are left." in page
    assert 'value="keep:bob" data-key="2" checked' in page
    assert not Span.objects.filter(blind=False).exists()


def test_the_page_says_when_a_version_changed_meanwhile(client, alice, rita, versions):
    client.force_login(rita)
    proposal = adjudication.proposal_for(versions)
    services.span_update(
        span=Span.objects.get(text="radium"),
        user=versions.annotators.get(username="bob"),
        entity_type="LOC",
    )
    data = {"state": proposal.state}
    for item in proposal.items:
        data[f"d-{item.key}"] = "none"
    response = client.post(page_url(versions), data)
    assert response.status_code == 200
    assert "changed their version" in response.content.decode()
    assert not Span.objects.filter(blind=False).exists()


@pytest.mark.parametrize(
    ("who", "status"), [("nemo", 404), ("carl", 403), ("alice", 403)]
)
def test_the_page_is_for_reviewers_who_annotated_nothing(
    request, client, versions, who, status
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(page_url(versions)).status_code == status


def test_the_page_needs_a_login(client, versions):
    response = client.get(page_url(versions))
    assert response.status_code == 302


def test_the_page_runs_a_constant_number_of_queries(
    client, rita, alice, bob, labels, story, django_assert_num_queries
):
    words = TEXT.split()
    client.force_login(rita)
    client.get(page_url(story))

    def grow(count):
        offset = 0
        for index, word in enumerate(words[:count]):
            start = TEXT.index(word, offset)
            offset = start + 1
            end = start + len(word.strip(".,:«»"))
            if end <= start or not TEXT[start:end].strip():
                continue
            for user, label in (
                (alice, "entity"),
                (bob, "entity" if index % 2 else "claim"),
            ):
                Span.objects.get_or_create(
                    article=story,
                    label=labels[label],
                    start=start,
                    end=end,
                    created_by=user,
                    blind=True,
                    defaults={"text": TEXT[start:end]},
                )

    grow(3)
    # session, user, roles, article, assigned annotators (four-eyes),
    # versions, labels
    with django_assert_num_queries(7):
        client.get(page_url(story))
    grow(len(words))
    with django_assert_num_queries(7):
        response = client.get(page_url(story))
    assert response.status_code == 200


# Feedback


def adjudicate_versions(rita, versions):
    proposal = adjudication.proposal_for(versions)
    first, second, third = proposal.items
    services.article_adjudicate(
        article=versions,
        user=rita,
        decisions={
            first.key: adjudication.Decision(keep=("alice",)),
            second.key: adjudication.Decision(keep=("bob",)),
            third.key: adjudication.Decision(keep=()),
        },
    )


def test_each_annotator_compares_their_version(client, alice, bob, rita, versions):
    adjudicate_versions(rita, versions)
    url = f"/articles/{versions.pk}/feedback/"
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "kept as you marked it: <strong>3</strong>" in page
    assert "kept with other boundaries: <strong>1</strong>" in page
    client.force_login(bob)
    page = client.get(url).content.decode()
    assert "dropped: <strong>1</strong>" in page
    assert "kept with other boundaries: <strong>1</strong>" in page
    # Not someone else's version…
    assert client.get(url, {"annotator": "alice"}).status_code == 404
    # …except for reviewers.
    client.force_login(rita)
    assert client.get(url, {"annotator": "bob"}).status_code == 200


def test_feedback_waits_for_adjudication(client, alice, versions):
    client.force_login(alice)
    assert client.get(f"/articles/{versions.pk}/feedback/").status_code == 404


def test_the_history_names_who_had_each_span(client, rita, alice, versions):
    adjudicate_versions(rita, versions)
    client.force_login(alice)
    page = client.get(f"/articles/{versions.pk}/history/").content.decode()
    assert "every annotator had it: alice, bob" in page
    assert "kept from bob&#x27;s version" in page


def test_the_dashboard_counts_adjudicated_spans_not_versions(rita, versions):
    from annotations import stats

    # Versions await adjudication, not review.
    assert sum(rate.pending for rate in stats.by_label()) == 0
    assert stats.oldest_pending_age() is None
    adjudicate_versions(rita, versions)
    assert sum(rate.approved for rate in stats.by_label()) == 4
    _day, approved, rejected = stats.throughput()[-1]
    assert (approved, rejected) == (4, 0)


@pytest.mark.parametrize(("who", "status"), [("nemo", 404), ("carl", 404)])
def test_feedback_is_for_the_team(request, client, rita, versions, who, status):
    adjudicate_versions(rita, versions)
    client.force_login(request.getfixturevalue(who))
    url = f"/articles/{versions.pk}/feedback/"
    assert client.get(url, {"annotator": "alice"}).status_code == status


def test_feedback_needs_a_login_and_a_get(client, alice, rita, versions):
    adjudicate_versions(rita, versions)
    url = f"/articles/{versions.pk}/feedback/"
    assert client.get(url).status_code == 302
    client.force_login(alice)
    assert client.post(url).status_code == 405


def test_the_page_takes_only_get_and_post(client, rita, versions):
    client.force_login(rita)
    assert client.put(page_url(versions)).status_code == 405
    assert client.delete(page_url(versions)).status_code == 405
