import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotations import services
from annotations.models import Article, AuditEvent

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
