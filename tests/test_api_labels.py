import pytest

from .factories import SpanFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/labels/"


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "ada"])
def test_it_lists_labels_for_every_role(request, as_user, persona):
    response = as_user(request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 200
    assert [label["slug"] for label in response.json()] == [
        "quote",
        "claim",
        "entity",
        "opinion",
    ]


def test_it_refuses_users_without_a_role(as_user, nemo):
    assert as_user(nemo).get(URL).status_code == 403


@pytest.mark.parametrize("persona", ["alice", "rita", "carl", "nemo"])
def test_it_refuses_label_writes_to_non_admins(request, as_user, labels, persona):
    client = as_user(request.getfixturevalue(persona))
    body = {"name": "Fact", "slug": "fact", "colour": "#112233", "shortcut": "f"}
    assert client.post(URL, body, format="json").status_code == 403
    quote = labels["quote"]
    assert (
        client.patch(
            f"{URL}{quote.pk}/", {"colour": "#000000"}, format="json"
        ).status_code
        == 403
    )


def test_it_lets_admins_add_and_edit_labels(as_user, ada, labels):
    client = as_user(ada)
    body = {
        "name": "Fact",
        "slug": "fact",
        "colour": "#112233",
        "shortcut": "f",
        "order": 50,
    }
    assert client.post(URL, body, format="json").status_code == 201
    response = client.patch(
        f"{URL}{labels['quote'].pk}/", {"colour": "#0a0b0c"}, format="json"
    )
    assert response.json()["colour"] == "#0a0b0c"


def test_it_refuses_a_shortcut_in_use(as_user, ada, labels):
    body = {"name": "Fact", "slug": "fact", "colour": "#112233", "shortcut": "q"}
    response = as_user(ada).post(URL, body, format="json")
    assert response.status_code == 400
    assert "shortcut" in response.json()["error"]["message"]


def test_it_refuses_a_bad_colour(as_user, ada):
    body = {"name": "Fact", "slug": "fact", "colour": "red"}
    response = as_user(ada).post(URL, body, format="json")
    assert "colour" in response.json()["error"]["fields"]


def test_it_refuses_deleting_a_label_in_use(as_user, ada, labels):
    SpanFactory(label=labels["quote"])
    response = as_user(ada).delete(f"{URL}{labels['quote'].pk}/")
    assert response.status_code == 400
    assert "used by 1 spans" in response.json()["error"]["message"]
    assert as_user(ada).delete(f"{URL}{labels['opinion'].pk}/").status_code == 204


def test_it_refuses_a_non_admin_before_reading_the_body(as_user, alice):
    response = as_user(alice).post(URL, {"colour": "not a colour"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only admins may manage users, roles and labels."
    )


def test_it_audits_label_writes(as_user, ada, labels):
    from annotations.models import AuditEvent

    client = as_user(ada)
    body = {"name": "Fact", "slug": "fact", "colour": "#112233", "shortcut": "f"}
    created = client.post(URL, body, format="json").json()
    client.patch(f"{URL}{created['id']}/", {"colour": "#445566"}, format="json")
    client.delete(f"{URL}{created['id']}/")
    trail = AuditEvent.objects.filter(object_type="label", object_id=created["id"])
    assert [(e.action, e.actor_username) for e in trail.order_by("id")] == [
        ("create", "ada"),
        ("update", "ada"),
        ("delete", "ada"),
    ]


def test_it_keeps_the_slug_of_a_label_in_use(as_user, ada, labels):
    SpanFactory(label=labels["claim"])
    response = as_user(ada).patch(
        f"{URL}{labels['claim'].pk}/", {"slug": "assertion"}, format="json"
    )
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]
    labels["claim"].refresh_from_db()
    assert labels["claim"].slug == "claim"
