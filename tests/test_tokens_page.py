"""The API tokens page at /tokens/: list, create (key shown once), revoke."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertRedirects

from annotations import services
from annotations.models import ApiToken

pytestmark = pytest.mark.django_db

LIST = reverse("annotations:token_list")
CREATE = reverse("annotations:token_create")


def revoke_url(token):
    return reverse("annotations:token_revoke", args=[token.pk])


def test_it_requires_login(client):
    assert client.get(LIST).status_code == 302
    assert client.post(CREATE, {"name": "x", "scope": "read"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_it_is_linked_in_the_top_nav(client, carl):
    client.force_login(carl)
    assert f'href="{LIST}"'.encode() in client.get("/").content


def test_it_lists_only_the_users_own_tokens(client, alice, bob):
    services.api_token_create(user=alice, name="nightly export", scope="write")
    services.api_token_create(user=bob, name="bob's notebook")
    client.force_login(alice)
    response = client.get(LIST)
    content = response.content.decode()
    assert response.status_code == 200
    assert "nightly export" in content
    assert "bob&#x27;s notebook" not in content
    token = ApiToken.objects.get(user=alice)
    assert f"{token.key_start}…" in content
    assert "Write: everything the user may do" in content
    assert "never" in content


def test_it_creates_a_token_and_shows_the_key_once(client, alice):
    client.force_login(alice)
    response = client.post(
        CREATE, {"name": "nightly export", "scope": "write", "expires_on": ""}
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    key = response.context["created"]["key"]
    token = ApiToken.objects.get()
    assert token.user == alice
    assert token.scope == "write"
    assert token.expires_at is None
    assert token.key_hash == ApiToken.hash_key(key)
    content = response.content.decode()
    assert key in content
    assert "Copy it now: it won't be shown again." in content
    # A later visit never shows it again.
    assert key not in client.get(LIST).content.decode()


def test_it_sets_an_expiry_at_the_end_of_the_chosen_day(client, alice):
    client.force_login(alice)
    day = timezone.localdate() + datetime.timedelta(days=30)
    client.post(CREATE, {"name": "a month", "scope": "read", "expires_on": day})
    expires = timezone.localtime(ApiToken.objects.get().expires_at)
    assert expires.date() == day + datetime.timedelta(days=1)
    assert (expires.hour, expires.minute) == (0, 0)


def test_it_refuses_a_date_in_the_past(client, alice):
    client.force_login(alice)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        CREATE, {"name": "late", "scope": "read", "expires_on": yesterday}
    )
    assert response.status_code == 200
    assert "today or later" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_asks_for_a_name(client, alice):
    client.force_login(alice)
    response = client.post(CREATE, {"name": "  ", "scope": "read"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_it_lets_a_consumer_create_a_read_token(client, carl):
    client.force_login(carl)
    response = client.post(CREATE, {"name": "training data", "scope": "read"})
    assert response.context["created"]["token"].scope == "read"


def test_it_shows_a_consumers_write_token_refusal_on_the_form(client, carl):
    client.force_login(carl)
    response = client.post(CREATE, {"name": "training data", "scope": "write"})
    assert response.status_code == 200
    assert (
        "Data consumers can only hold read tokens."
        in response.context["form"].errors["scope"]
    )
    assert not ApiToken.objects.exists()


def test_it_refuses_a_user_without_a_role(client, nemo):
    client.force_login(nemo)
    assert client.get(LIST).status_code == 403
    assert client.post(CREATE, {"name": "x", "scope": "read"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_it_revokes_a_token_and_redirects(client, alice):
    token, _ = services.api_token_create(user=alice, name="old")
    client.force_login(alice)
    response = client.post(revoke_url(token))
    assertRedirects(response, LIST)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.is_active is False


def test_it_returns_the_row_when_revoking_with_htmx(client, alice):
    token, _ = services.api_token_create(user=alice, name="old")
    client.force_login(alice)
    response = client.post(revoke_url(token), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith(f'<tr id="token-{token.pk}"')
    assert "revoked" in content
    assert "<html" not in content


def test_it_returns_404_for_another_users_token(client, alice, bob):
    token, _ = services.api_token_create(user=bob, name="bob's")
    client.force_login(alice)
    assert client.post(revoke_url(token)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_rejects_get_on_revoke_and_create(client, alice):
    token, _ = services.api_token_create(user=alice, name="old")
    client.force_login(alice)
    assert client.get(revoke_url(token)).status_code == 405
    assert client.get(CREATE).status_code == 405


def test_it_refuses_a_date_past_the_last_one_stored(client, alice):
    client.force_login(alice)
    response = client.post(
        CREATE, {"name": "forever", "scope": "read", "expires_on": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "Choose an earlier date: 9999-12-31 is beyond" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_accepts_the_last_day_that_fits(client, alice):
    client.force_login(alice)
    client.post(CREATE, {"name": "long", "scope": "read", "expires_on": "9999-12-30"})
    assert ApiToken.objects.get().expires_at.year == 9999


def test_it_lets_only_the_owner_revoke_a_token_in_the_service(alice, bob):
    token, _key = services.api_token_create(user=alice, name="nightly")
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(token=token, user=bob)
    token.refresh_from_db()
    assert token.revoked_at is None
