import pytest

from annotations import services
from annotations.models import AuditEvent, Span

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(alice, labels):
    article = services.article_create(
        user=alice, title="Story", text="un deux trois quatre cinq"
    )
    for start, end in [(0, 2), (3, 7), (8, 13)]:
        services.span_create(
            user=alice, article=article, label=labels["claim"], start=start, end=end
        )
    return article


def url(article, suffix):
    return f"/api/v1/articles/{article.pk}/{suffix}/"


def test_it_approves_all_pending_spans_of_an_article(as_user, rita, story):
    response = as_user(rita).post(url(story, "approve-pending"))
    assert response.status_code == 200
    assert len(response.json()["approved"]) == 3
    assert response.json()["left_for_another_reviewer"] == 0
    assert response.json()["left_untyped"] == 0
    assert set(story.spans.values_list("status", flat=True)) == {"approved"}
    assert set(story.spans.values_list("version", flat=True)) == {2}
    assert AuditEvent.objects.filter(action="approve", article_id=story.pk).count() == 3


def test_it_leaves_the_reviewers_own_spans_for_someone_else(
    as_user, rita, story, labels
):
    from django.contrib.auth.models import Group

    rita.groups.add(Group.objects.get(name="editor"))
    rita = type(rita).objects.get(pk=rita.pk)
    services.span_create(
        user=rita, article=story, label=labels["claim"], start=14, end=20
    )
    response = as_user(rita).post(url(story, "approve-pending"))
    assert response.json()["left_for_another_reviewer"] == 1
    assert story.spans.filter(status="pending").get().created_by == rita


def test_it_leaves_untyped_entities_until_they_have_a_type(
    as_user, alice, rita, story, labels
):
    untyped = services.span_create(
        user=alice, article=story, label=labels["entity"], start=14, end=20
    )
    typed = services.span_create(
        user=alice,
        article=story,
        label=labels["entity"],
        start=21,
        end=25,
        entity_type="ORG",
    )
    response = as_user(rita).post(url(story, "approve-pending"))
    assert response.json()["left_untyped"] == 1
    assert typed.pk in response.json()["approved"]
    assert story.spans.filter(status="pending").get() == untyped


def test_it_approves_nothing_if_one_write_fails(rita, story, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditEvent.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        services.article_approve_pending(article=story, user=rita)
    assert set(story.spans.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("alice", 403), ("carl", 403), ("nemo", 403), ("ada", 200), ("rita", 200)],
)
def test_it_lets_only_reviewers_and_admins_approve_all(
    request, as_user, story, persona, expected
):
    client = as_user(request.getfixturevalue(persona))
    assert client.post(url(story, "approve-pending")).status_code == expected


def test_it_sends_an_edited_rejected_span_back_to_pending(alice, rita, story):
    span = story.spans.first()
    services.span_reject(span=span, user=rita, version=1, reason="wrong boundaries")
    span = services.span_update(span=span, user=alice, start=0, end=7)
    span.refresh_from_db()
    assert (span.status, span.rejection_reason, span.reviewed_by) == (
        "pending",
        "",
        None,
    )


def test_it_lets_an_author_delete_a_rejected_span(alice, rita, story):
    span = story.spans.first()
    services.span_reject(span=span, user=rita, version=1, reason="not a claim")
    services.span_delete(span=Span.objects.get(pk=span.pk), user=alice)
    assert not Span.objects.filter(pk=span.pk).exists()


def test_it_shows_the_article_history_with_its_spans(as_user, alice, rita, story):
    services.article_update(article=story, user=alice, title="Nouveau titre")
    services.span_approve(span=story.spans.first(), user=rita, version=1)
    events = as_user(rita).get(url(story, "history")).json()
    assert [e["action"] for e in events] == [
        "create",
        "create",
        "create",
        "create",
        "update",
        "approve",
    ]
    assert events[0]["object_type"] == "article"
    assert events[-1]["actor"] == "rita"


def test_it_hides_unapproved_spans_from_a_consumers_article_history(
    as_user, carl, rita, story
):
    first = story.spans.first()
    services.span_approve(span=first, user=rita, version=1)
    events = as_user(carl).get(url(story, "history")).json()
    assert {(e["object_type"], e["object_id"]) for e in events} == {
        ("article", story.pk),
        ("span", first.pk),
    }
