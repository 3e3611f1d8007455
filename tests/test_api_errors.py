"""Hostile and clumsy input: always a 4xx in the one error shape, never a 500."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from annotations import services
from annotations.throttling import PerTokenThrottle, PerUserThrottle

pytestmark = pytest.mark.django_db


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


def test_it_refuses_malformed_json(as_user, alice):
    response = as_user(alice).generic(
        "POST", "/api/v1/articles/", '{"title": "x", ', content_type="application/json"
    )
    error = assert_error(response, 400, "parse_error")
    assert "JSON parse error" in error["message"]


def test_it_refuses_invalid_utf8(as_user, alice):
    response = as_user(alice).generic(
        "POST",
        "/api/v1/articles/",
        b'{"title": "\xff\xfe"}',
        content_type="application/json",
    )
    assert_error(response, 400, "parse_error")


def test_it_refuses_a_wrong_content_type(as_user, alice):
    response = as_user(alice).generic(
        "POST", "/api/v1/articles/", "title=x", content_type="text/plain"
    )
    error = assert_error(response, 415, "unsupported_media_type")
    assert "text/plain" in error["message"]


def test_it_refuses_wrong_types(as_user, alice):
    response = as_user(alice).post(
        "/api/v1/articles/", {"title": ["a"], "text": {"b": 1}}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) >= {"title", "text"}


def test_it_refuses_a_json_scalar_body(as_user, alice):
    response = as_user(alice).generic(
        "POST", "/api/v1/spans/", "42", content_type="application/json"
    )
    assert_error(response, 400)


def test_it_refuses_an_oversized_body(as_user, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"title": "x", "text": "' + "a" * 2000 + '"}'
    response = as_user(alice).generic(
        "POST", "/api/v1/articles/", body, content_type="application/json"
    )
    assert_error(response, 413, "too_large")


def test_it_answers_unknown_endpoints_in_json(as_user, alice):
    error = assert_error(as_user(alice).get("/api/v1/nothing-here/"), 404, "not_found")
    assert "/api/v1/nothing-here/" in error["message"]


def test_it_answers_a_missing_object_in_json(as_user, alice):
    assert_error(as_user(alice).get("/api/v1/spans/999999/"), 404, "not_found")
    assert_error(as_user(alice).get("/api/v1/articles/99999999999999999999/"), 404)


def test_it_answers_a_wrong_method_in_json(as_user, alice):
    assert_error(as_user(alice).delete("/api/v1/spans/"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "query",
    [
        {"article": "abc"},
        {"article": "1" * 40},
        {"updated_after": "yesterday"},
        {"status": "maybe"},
        {"cursor": "garbage"},
    ],
)
def test_it_refuses_bad_filters(as_user, alice, query):
    response = as_user(alice).get("/api/v1/spans/", query)
    assert response.status_code in (400, 404)
    assert response.json()["error"]["message"]


def test_it_refuses_csrf_less_session_writes(client, alice):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(alice)
    response = csrf_client.post(
        "/api/v1/articles/",
        {"title": "x", "text": "y"},
        content_type="application/json",
    )
    error = assert_error(response, 403)
    assert "CSRF" in error["message"]


@pytest.fixture
def tight_rates(monkeypatch):
    from django.core.cache import cache

    cache.clear()
    rates = {"token": "3/minute", "user": "5/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    yield
    cache.clear()


def test_it_throttles_per_token_with_retry_after(api, alice, tight_rates):
    _, key = services.api_token_create(user=alice, name="a", scope="read")
    _, other = services.api_token_create(user=alice, name="b", scope="read")
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    for _ in range(3):
        assert api.get("/api/v1/labels/", **headers).status_code == 200
    response = api.get("/api/v1/labels/", **headers)
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    # Another token of the same user still has room until the per-user limit.
    assert (
        api.get("/api/v1/labels/", HTTP_AUTHORIZATION=f"Token {other}").status_code
        == 200
    )
    assert (
        api.get("/api/v1/labels/", HTTP_AUTHORIZATION=f"Token {other}").status_code
        == 429
    )


def test_the_throttles_are_installed():
    from rest_framework.settings import api_settings

    assert PerTokenThrottle in api_settings.DEFAULT_THROTTLE_CLASSES
    assert PerUserThrottle in api_settings.DEFAULT_THROTTLE_CLASSES


@pytest.mark.parametrize(
    "value",
    [
        "4788-04-12T05:07:13-20:02",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
    ],
)
def test_it_accepts_or_refuses_extreme_dates_without_a_server_error(
    as_user, alice, value
):
    for url, key in (
        ("/api/v1/articles/", "created_after"),
        ("/api/v1/spans/", "updated_after"),
    ):
        response = as_user(alice).get(url, {key: value})
        assert response.status_code in (200, 400), response.content
