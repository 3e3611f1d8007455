"""Login throttling with django-axes: /accounts/login/ and /admin/login/."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from .conftest import _user

pytestmark = pytest.mark.django_db
User = get_user_model()

PASSWORD = "correct horse battery staple"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def attempt(client, url, username, password, address="203.0.113.7"):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail(client, url, username, times, address="203.0.113.7"):
    for _ in range(times):
        response = attempt(client, url, username, "wrong password", address)
    return response


def logged_in_as(client) -> str:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).get_username() if user_id else ""


def test_it_locks_a_username_after_ten_failures(client, alice):
    response = fail(client, LOGIN, "alice", 9)
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    response = fail(client, LOGIN, "alice", 1)
    assert response.status_code == 429
    page = response.content.decode()
    assert "this account is locked on this computer for 15 minutes, until" in page
    assert "didn't match" not in page
    # The right password no longer opens it.
    response = attempt(client, LOGIN, "alice", PASSWORD)
    assert response.status_code == 429
    assert logged_in_as(client) == ""


def test_it_says_until_when_in_local_time(client, alice, settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        response = fail(client, LOGIN, "alice", 10)
    # 09:00 UTC is 10:00 in Paris; the lock runs 15 minutes from then.
    assert "until 10:15 a.m." in response.content.decode()


def test_it_unlocks_after_the_cool_off(client, alice):
    fail(client, LOGIN, "alice", 10)
    later = timezone.now() + datetime.timedelta(minutes=16)
    with time_machine.travel(later):
        response = attempt(client, LOGIN, "alice", PASSWORD)
        assert response.status_code == 302
        assert logged_in_as(client) == "alice"


def test_it_is_still_locked_just_before_the_cool_off_ends(client, alice):
    fail(client, LOGIN, "alice", 10)
    later = timezone.now() + datetime.timedelta(minutes=14)
    with time_machine.travel(later):
        assert attempt(client, LOGIN, "alice", PASSWORD).status_code == 429


def test_it_locks_the_username_and_address_together(client, alice, bob):
    fail(client, LOGIN, "alice", 10, address="203.0.113.7")
    # Another computer may still log in as alice, and bob from the same one.
    assert attempt(client, LOGIN, "alice", PASSWORD, "198.51.100.4").status_code == 302
    client.post("/accounts/logout/")
    assert attempt(client, LOGIN, "bob", PASSWORD, "203.0.113.7").status_code == 302


def test_it_forgets_failures_after_a_successful_login(client, alice):
    fail(client, LOGIN, "alice", 9)
    assert attempt(client, LOGIN, "alice", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, LOGIN, "alice", 9).status_code == 200


def test_it_takes_the_limit_and_the_cool_off_from_the_settings(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)
    assert fail(client, LOGIN, "alice", 2).status_code == 200
    response = fail(client, LOGIN, "alice", 1)
    assert response.status_code == 429
    assert "locked on this computer for 1 minute, until" in response.content.decode()


def test_it_locks_the_admin_login_too(client, seeded):
    _user("ada", admin=True)
    response = fail(client, ADMIN_LOGIN, "ada", 9)
    assert response.status_code == 200
    response = fail(client, ADMIN_LOGIN, "ada", 1)
    assert response.status_code == 429
    page = response.content.decode()
    assert 'id="login-form"' in page
    assert "this account is locked on this computer for 15 minutes" in page
    response = attempt(client, ADMIN_LOGIN, "ada", PASSWORD)
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_a_lock_on_one_form_holds_on_the_other(client, alice):
    fail(client, ADMIN_LOGIN, "alice", 10)
    assert attempt(client, LOGIN, "alice", PASSWORD).status_code == 429
