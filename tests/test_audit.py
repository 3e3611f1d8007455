import pytest
from django.core.exceptions import PermissionDenied, ValidationError

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


# Labels, users and restores: admin writes, audited like the rest.


def label_events():
    return list(AuditEvent.objects.filter(object_type="label").order_by("id"))


def test_it_records_label_create_edit_and_delete(ada):
    label = services.label_create(
        user=ada, name="Fact", slug="fact", colour="#112233", shortcut="f"
    )
    services.label_update(label=label, user=ada, colour="#445566")
    services.label_delete(label=label, user=ada)
    created, edited, deleted = label_events()
    assert (created.action, created.actor, created.after["slug"]) == (
        "create",
        ada,
        "fact",
    )
    assert (edited.before["colour"], edited.after["colour"]) == ("#112233", "#445566")
    assert (deleted.action, deleted.before["name"], deleted.after) == (
        "delete",
        "Fact",
        None,
    )
    assert {e.article_id for e in (created, edited, deleted)} == {None}


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "nemo"])
def test_it_lets_only_admins_write_labels(request, labels, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.label_create(user=user, name="Fact", slug="fact", colour="#112233")
    with pytest.raises(PermissionDenied):
        services.label_update(label=labels["quote"], user=user, colour="#000000")
    with pytest.raises(PermissionDenied):
        services.label_delete(label=labels["opinion"], user=user)
    assert not label_events()


def test_it_keeps_the_slug_of_a_label_in_use(ada, alice, labels, story):
    services.span_create(
        user=alice, article=story, label=labels["quote"], start=0, end=5
    )
    with pytest.raises(ValidationError) as refused:
        services.label_update(label=labels["quote"], user=ada, slug="citation")
    assert "its slug stays quote:" in refused.value.message_dict["slug"][0]
    renamed = services.label_update(label=labels["quote"], user=ada, name="Citation")
    assert (renamed.name, renamed.slug) == ("Citation", "quote")


def test_it_restores_an_article_and_records_it(alice, ada, story):
    services.article_delete(article=story, user=alice)
    with pytest.raises(PermissionDenied):
        services.article_restore(article=story, user=alice)
    services.article_restore(article=story, user=ada)
    story.refresh_from_db()
    assert (story.is_deleted, story.deleted_at) == (False, None)
    event = events()[-1]
    assert (event.action, event.actor, event.article_id) == ("update", ada, story.pk)
    assert (event.before["is_deleted"], event.after["is_deleted"]) == (True, False)


def test_it_records_role_changes(ada, nemo):
    services.user_set_roles(target=nemo, user=ada, roles={"editor", "reviewer"})
    services.user_set_roles(target=nemo, user=ada, roles={"admin"})
    nemo.refresh_from_db()
    assert (nemo.is_staff, nemo.is_superuser, nemo.groups.exists()) == (
        True,
        True,
        False,
    )
    first, second = AuditEvent.objects.filter(object_type="user").order_by("id")
    assert (first.object_id, first.before, first.after) == (
        nemo.pk,
        {"roles": []},
        {"roles": ["editor", "reviewer"]},
    )
    assert second.after == {"roles": ["admin"]}


def test_it_refuses_role_changes_that_make_no_sense(ada, alice, nemo):
    with pytest.raises(PermissionDenied):
        services.user_set_roles(target=nemo, user=alice, roles={"editor"})
    with pytest.raises(ValidationError) as unknown:
        services.user_set_roles(target=nemo, user=ada, roles={"owner"})
    assert "Unknown roles: owner" in unknown.value.messages[0]
    with pytest.raises(ValidationError) as own:
        services.user_set_roles(target=ada, user=ada, roles={"editor"})
    assert "your own admin role" in own.value.messages[0]
    assert not AuditEvent.objects.filter(object_type="user").exists()
