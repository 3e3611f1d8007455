from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotations import services
from annotations.models import ApiToken

pytestmark = pytest.mark.django_db

SPANS = "/api/v1/spans/"
ARTICLES = "/api/v1/articles/"


def token_for(user, scope="write", **kwargs):
    return services.api_token_create(user=user, name="script", scope=scope, **kwargs)


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def test_it_authenticates_with_a_token(api, alice):
    _, key = token_for(alice)
    response = api.get(ARTICLES, **auth(key))
    assert response.status_code == 200


def test_it_stores_only_the_hash_of_the_key(alice):
    token, key = token_for(alice)
    row = ApiToken.objects.values().get(pk=token.pk)
    assert key not in [str(v) for v in row.values()]
    assert row["key_hash"] == ApiToken.hash_key(key)
    assert key.startswith(row["key_start"])


def test_it_records_the_last_use(api, alice):
    token, key = token_for(alice)
    assert token.last_used_at is None
    api.get(ARTICLES, **auth(key))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_refuses_a_wrong_key_with_401(api, alice):
    token_for(alice)
    response = api.get(ARTICLES, **auth("nra_not-a-real-key"))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token."
    assert response["WWW-Authenticate"] == "Token"


def test_it_refuses_a_revoked_token(api, alice):
    token, key = token_for(alice)
    token.revoke()
    response = api.get(ARTICLES, **auth(key))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_it_refuses_an_expired_token(api, alice):
    token, key = token_for(alice, expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = api.get(ARTICLES, **auth(key))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_it_refuses_writes_with_a_read_token(api, alice, labels, article):
    _, key = token_for(alice, scope="read")
    assert api.get(SPANS, **auth(key)).status_code == 200
    response = api.post(
        SPANS,
        {"article": article.pk, "label": "quote", "start": 0, "end": 9},
        format="json",
        **auth(key),
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]["message"]


def test_it_allows_writes_with_a_write_token(api, alice, labels, article):
    _, key = token_for(alice, scope="write")
    response = api.post(
        SPANS,
        {"article": article.pk, "label": "quote", "start": 0, "end": 9},
        format="json",
        **auth(key),
    )
    assert response.status_code == 201, response.json()


def test_it_gives_consumers_read_tokens_only(carl):
    token, _ = token_for(carl, scope="read")
    assert token.scope == "read"
    with pytest.raises(Exception, match="only hold read tokens"):
        token_for(carl, scope="write")


def test_it_refuses_tokens_to_users_without_a_role(nemo):
    with pytest.raises(Exception, match="need a role"):
        token_for(nemo, scope="read")


def test_it_refuses_a_past_expiry(alice):
    with pytest.raises(Exception, match="in the future"):
        token_for(alice, expires_at=timezone.now() - timedelta(days=1))


def test_it_refuses_a_disabled_account(api, alice):
    _, key = token_for(alice)
    alice.is_active = False
    alice.save()
    assert api.get(ARTICLES, **auth(key)).status_code == 401


def test_the_command_prints_only_the_key_on_its_last_line(capsys, api, alice):
    call_command("create_api_token", "alice", "--scope", "write", "--name", "ci")
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    assert key.startswith("nra_")
    assert out.strip() == key
    token = ApiToken.objects.get(name="ci")
    assert token.scope == "write"
    assert api.get(ARTICLES, **auth(key)).status_code == 200


def test_the_command_defaults_to_a_read_token(capsys, carl):
    call_command("create_api_token", "carl")
    assert ApiToken.objects.get().scope == "read"


def test_the_command_refuses_a_write_token_for_a_consumer(carl):
    with pytest.raises(CommandError, match="only hold read tokens"):
        call_command("create_api_token", "carl", "--scope", "write")
    assert not ApiToken.objects.exists()


def test_the_command_refuses_an_unknown_user(seeded):
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "ghost")


def test_the_command_sets_an_expiry(capsys, alice):
    call_command("create_api_token", "alice", "--expires-in-days", "7")
    token = ApiToken.objects.get()
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)


@pytest.mark.parametrize("days", ["3000000", "1000000000"])
def test_the_command_refuses_an_expiry_past_the_year_9999(alice, days):
    with pytest.raises(CommandError, match="reaches past the year 9999"):
        call_command("create_api_token", "alice", "--expires-in-days", days)
    assert not ApiToken.objects.exists()
