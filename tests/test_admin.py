import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotations import services
from annotations.models import Article, AuditEvent, Label

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client


def test_it_lists_users_with_their_roles(admin_client, alice, rita, carl, nemo):
    response = admin_client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<td class="field-roles">editor</td>' in body
    assert '<td class="field-roles">reviewer</td>' in body
    assert '<td class="field-roles">admin</td>' in body


def test_it_filters_users_by_role(admin_client, alice, rita, nemo):
    url = reverse("admin:auth_user_changelist")
    response = admin_client.get(url, {"role": "reviewer"})
    names = [u.username for u in response.context["cl"].result_list]
    assert names == ["rita"]
    response = admin_client.get(url, {"role": "none"})
    assert [u.username for u in response.context["cl"].result_list] == ["nemo"]


def test_it_searches_users_by_email(admin_client, alice, rita):
    response = admin_client.get(reverse("admin:auth_user_changelist"), {"q": "rita@"})
    assert [u.username for u in response.context["cl"].result_list] == ["rita"]


def test_it_grants_and_revokes_a_role_from_the_list(admin_client, nemo):
    url = reverse("admin:auth_user_changelist")
    admin_client.post(url, {"action": "grant_reviewer", "_selected_action": [nemo.pk]})
    assert list(nemo.groups.values_list("name", flat=True)) == ["reviewer"]
    admin_client.post(url, {"action": "revoke_reviewer", "_selected_action": [nemo.pk]})
    assert not nemo.groups.exists()


def test_it_edits_label_colour_and_shortcut_in_the_list(admin_client, labels):
    quote = labels["quote"]
    data = {
        "form-TOTAL_FORMS": "4",
        "form-INITIAL_FORMS": "4",
        "_save": "Save",
    }
    for i, label in enumerate(
        labels[s] for s in ["quote", "claim", "entity", "opinion"]
    ):
        data.update(
            {
                f"form-{i}-id": label.pk,
                f"form-{i}-colour": label.colour,
                f"form-{i}-shortcut": label.shortcut,
                f"form-{i}-order": label.order,
            }
        )
    data["form-0-colour"] = "#123456"
    data["form-0-shortcut"] = "z"
    response = admin_client.post(reverse("admin:annotations_label_changelist"), data)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.colour, quote.shortcut) == ("#123456", "z")


def test_it_refuses_a_shortcut_another_label_uses(admin_client, labels):
    response = admin_client.post(
        reverse("admin:annotations_label_add"),
        {
            "name": "Fact",
            "slug": "fact",
            "colour": "#000000",
            "shortcut": "q",
            "order": 5,
        },
    )
    assert response.status_code == 200
    assert "Another label already uses this shortcut key." in response.content.decode()


def test_it_shows_audit_events_read_only(admin_client, alice):
    article = services.article_create(user=alice, title="T", text="Texte.")
    event = AuditEvent.objects.get()
    response = admin_client.get(reverse("admin:annotations_auditevent_changelist"))
    assert response.status_code == 200
    assert "alice" in response.content.decode()
    change = reverse("admin:annotations_auditevent_change", args=[event.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"action": "delete"}).status_code == 403
    delete = reverse("admin:annotations_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(article_id=article.pk).count() == 1


def test_it_shows_articles_read_only_and_audits_deletes(admin_client, alice, ada):
    article = services.article_create(user=alice, title="Story", text="Texte.")
    change = reverse("admin:annotations_article_change", args=[article.pk])
    assert admin_client.get(change).status_code == 200
    admin_client.post(change, {"title": "Changed"})
    article.refresh_from_db()
    assert article.title == "Story"
    delete = reverse("admin:annotations_article_delete", args=[article.pk])
    admin_client.post(delete, {"post": "yes"})
    assert not Article.objects.filter(pk=article.pk).exists()
    assert AuditEvent.objects.filter(action="delete", actor=ada).count() == 1


def test_it_restores_a_soft_deleted_article(admin_client, alice):
    article = services.article_create(user=alice, title="Story", text="Texte.")
    services.article_delete(article=article, user=alice)
    admin_client.post(
        reverse("admin:annotations_article_changelist"),
        {"action": "restore", "_selected_action": [article.pk]},
    )
    article.refresh_from_db()
    assert article.is_deleted is False


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "nemo"])
def test_it_keeps_non_admins_out(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_lists_snapshots_and_deletes_one_with_its_file(admin_client, ada, alice):
    from annotations import datasets
    from annotations.models import Dataset

    services.article_create(user=alice, title="T", text="Texte.")
    dataset = datasets.dataset_create(user=ada, name="weekly")
    storage, name = dataset.content.storage, dataset.content.name
    assert storage.exists(name)
    response = admin_client.get(reverse("admin:annotations_dataset_changelist"))
    assert b"weekly" in response.content
    delete = reverse("admin:annotations_dataset_delete", args=[dataset.pk])
    admin_client.post(delete, {"post": "yes"})
    assert not Dataset.objects.exists()
    assert not storage.exists(name)


def label_trail(label_pk):
    return [
        (event.action, event.actor_username)
        for event in AuditEvent.objects.filter(
            object_type="label", object_id=label_pk
        ).order_by("id")
    ]


def test_it_audits_label_writes_in_the_admin(admin_client, labels):
    add = reverse("admin:annotations_label_add")
    body = {"name_en": "Fact", "slug": "fact", "colour": "#000000", "order": 5}
    assert admin_client.post(add, body).status_code == 302
    fact = Label.objects.get(slug="fact")
    change = reverse("admin:annotations_label_change", args=[fact.pk])
    admin_client.post(change, {**body, "colour": "#ffffff"})
    delete = reverse("admin:annotations_label_delete", args=[fact.pk])
    admin_client.post(delete, {"post": "yes"})
    assert not Label.objects.filter(pk=fact.pk).exists()
    assert label_trail(fact.pk) == [
        ("create", "ada"),
        ("update", "ada"),
        ("delete", "ada"),
    ]


def test_it_audits_list_edits_of_labels(admin_client, labels):
    test_it_edits_label_colour_and_shortcut_in_the_list(admin_client, labels)
    assert label_trail(labels["quote"].pk) == [("update", "ada")]
    assert label_trail(labels["claim"].pk) == []


def test_it_shows_the_slug_of_a_label_in_use_read_only(admin_client, labels):
    from .factories import SpanFactory

    SpanFactory(label=labels["quote"])
    change = reverse("admin:annotations_label_change", args=[labels["quote"].pk])
    content = admin_client.get(change).content.decode()
    assert 'name="slug"' not in content
    unused = reverse("admin:annotations_label_change", args=[labels["opinion"].pk])
    assert 'name="slug"' in admin_client.get(unused).content.decode()


def test_it_audits_a_restore(admin_client, alice, ada):
    article = services.article_create(user=alice, title="Story", text="Texte.")
    services.article_delete(article=article, user=alice)
    admin_client.post(
        reverse("admin:annotations_article_changelist"),
        {"action": "restore", "_selected_action": [article.pk]},
    )
    event = AuditEvent.objects.filter(article_id=article.pk).latest("id")
    assert (event.action, event.actor, event.after["is_deleted"]) == (
        "update",
        ada,
        False,
    )


def test_it_audits_roles_granted_and_revoked_from_the_list(admin_client, nemo):
    url = reverse("admin:auth_user_changelist")
    admin_client.post(url, {"action": "grant_editor", "_selected_action": [nemo.pk]})
    admin_client.post(url, {"action": "revoke_editor", "_selected_action": [nemo.pk]})
    trail = AuditEvent.objects.filter(object_type="user", object_id=nemo.pk)
    assert [(e.before, e.after) for e in trail.order_by("id")] == [
        ({"roles": []}, {"roles": ["editor"]}),
        ({"roles": ["editor"]}, {"roles": []}),
    ]


def user_form(user, **overrides):
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
    }
    data.update(overrides)
    return data


def test_it_sets_roles_on_the_user_form(admin_client, nemo):
    change = reverse("admin:auth_user_change", args=[nemo.pk])
    content = admin_client.get(change).content.decode()
    assert 'name="roles"' in content
    assert 'name="groups"' not in content
    assert 'name="is_superuser"' not in content
    response = admin_client.post(change, user_form(nemo, roles=["reviewer", "admin"]))
    assert response.status_code == 302
    nemo.refresh_from_db()
    assert list(nemo.groups.values_list("name", flat=True)) == ["reviewer"]
    assert (nemo.is_staff, nemo.is_superuser) == (True, True)
    event = AuditEvent.objects.get(object_type="user", object_id=nemo.pk)
    assert event.after == {"roles": ["admin", "reviewer"]}


def test_it_keeps_an_admin_from_dropping_their_own_role(admin_client, ada):
    change = reverse("admin:auth_user_change", args=[ada.pk])
    admin_client.post(change, user_form(ada, roles=["editor"]))
    ada.refresh_from_db()
    assert ada.is_staff is True
    assert not AuditEvent.objects.filter(object_type="user").exists()
    messages = admin_client.get(reverse("admin:auth_user_changelist")).context[
        "messages"
    ]
    assert any("your own admin role" in str(m) for m in messages)
