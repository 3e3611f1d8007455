import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_redirects_anonymous_users_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_serves_the_login_page_anonymously(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_it_logs_in_and_shows_the_home_page(client, alice):
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"alice" in response.content


def test_it_tells_a_user_without_a_role_to_ask_for_one(client, nemo):
    client.force_login(nemo)
    assert b"no role yet" in client.get("/").content


def test_it_rejects_a_post_without_csrf_token(alice):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(
        reverse("login"),
        {"username": "alice", "password": "correct horse battery staple"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("persona", "stats", "admin"),
    [
        ("alice", True, False),
        ("rita", True, False),
        ("carl", False, False),
        ("ada", True, True),
        ("nemo", False, False),
    ],
)
def test_it_links_the_pages_the_rules_open(client, request, persona, stats, admin):
    client.force_login(request.getfixturevalue(persona))
    content = client.get("/").content.decode()
    assert (f'href="{reverse("annotations:review_stats")}"' in content) is stats
    assert (f'href="{reverse("admin:index")}"' in content) is admin
