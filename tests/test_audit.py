import pytest

from annotations import services
from annotations.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(alice):
    return services.article_create(
        user=alice, title="Story", text="Marie a dit « oui »."
    )


def events():
    return list(AuditEvent.objects.order_by("id"))


def test_it_records_an_article_creation(alice, story):
    [event] = events()
    assert event.actor == alice
    assert event.actor_username == "alice"
    assert event.action == "create"
    assert event.object_type == "article"
    assert event.object_id == story.pk
    assert event.article_id == story.pk
    assert event.before is None
    assert event.after["title"] == "Story"
    assert event.after["text"] == "Marie a dit « oui »."


def test_it_records_an_article_edit_with_before_and_after(alice, story):
    services.article_update(
        article=story, user=alice, title="Nouvelle", outlet="Le Jour"
    )
    event = events()[-1]
    assert len(events()) == 2
    assert event.action == "update"
    assert (event.before["title"], event.after["title"]) == ("Story", "Nouvelle")
    assert (event.before["outlet"], event.after["outlet"]) == ("", "Le Jour")


def test_it_records_nothing_for_an_edit_that_changes_nothing(alice, story):
    services.article_update(article=story, user=alice, title="Story")
    assert len(events()) == 1


def test_it_records_an_article_soft_delete(alice, story):
    services.article_delete(article=story, user=alice)
    event = events()[-1]
    assert event.action == "delete"
    assert event.before["is_deleted"] is False
    assert event.after["is_deleted"] is True


def test_it_records_span_create_edit_and_delete(alice, labels, story):
    span = services.span_create(
        user=alice, article=story, label=labels["entity"], start=0, end=5
    )
    services.span_update(span=span, user=alice, entity_type="PER")
    services.span_delete(span=span, user=alice)
    created, edited, deleted = events()[1:]
    assert created.action == "create"
    assert created.object_type == "span"
    assert created.article_id == story.pk
    assert created.after["text"] == "Marie"
    assert created.after["label"] == "entity"
    assert edited.action == "update"
    assert edited.before["entity_type"] is None
    assert edited.after["entity_type"] == "PER"
    assert edited.after["version"] == 2
    assert deleted.action == "delete"
    assert deleted.before["entity_type"] == "PER"
    assert deleted.after is None
    assert {e.object_id for e in (created, edited, deleted)} == {span.pk}


def test_it_records_decisions(alice, rita, labels, story):
    span = services.span_create(
        user=alice, article=story, label=labels["entity"], start=0, end=5
    )
    span = services.span_reject(span=span, user=rita, version=1, reason="wrong label")
    event = events()[-1]
    assert event.action == "reject"
    assert event.actor == rita
    assert event.before["status"] == "pending"
    assert event.after["status"] == "rejected"
    assert event.after["rejection_reason"] == "wrong label"


def test_it_keeps_events_append_only(alice, story):
    event = events()[0]
    event.action = "delete"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="delete")
    assert AuditEvent.objects.get().action == "create"
