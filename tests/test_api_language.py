"""API error messages follow Accept-Language; codes and field names never do."""

import pytest

from annotations import services

pytestmark = pytest.mark.django_db

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def both(send):
    """Return the French and the English answer to the same request."""
    return send(FR), send(EN)


def test_unknown_endpoints(as_user, alice):
    french, english = both(lambda h: as_user(alice).get("/api/v1/nope/", headers=h))
    assert french.status_code == english.status_code == 404
    assert french.json()["error"]["code"] == english.json()["error"]["code"]
    assert french.json()["error"]["message"].startswith(
        "Ce point d’accès de l’API n’existe pas"
    )
    assert english.json()["error"]["message"].startswith("No such API endpoint")


def test_anonymous_callers(api):
    french, english = both(lambda h: api.get("/api/v1/articles/", headers=h))
    assert french.status_code == english.status_code == 401
    assert french.json()["error"]["code"] == "not_authenticated"
    assert english.json()["error"]["code"] == "not_authenticated"
    assert "authentification" in french.json()["error"]["message"]
    assert "credentials" in english.json()["error"]["message"]


def test_refusals_name_the_rule(as_user, carl, article):
    french, english = both(
        lambda h: as_user(carl).delete(f"/api/v1/articles/{article.pk}/", headers=h)
    )
    assert french.status_code == english.status_code == 403
    assert french.json()["error"]["code"] == "permission_denied"
    assert english.json()["error"]["code"] == "permission_denied"
    assert "rédacteurs" in french.json()["error"]["message"]
    assert "editors" in english.json()["error"]["message"]


def test_validation_errors(as_user, alice, article):
    body = {"article": article.pk, "label": "quote", "start": 5, "end": 2}
    french, english = both(
        lambda h: as_user(alice).post("/api/v1/spans/", body, format="json", headers=h)
    )
    assert french.status_code == english.status_code == 400
    assert french.json()["error"]["code"] == english.json()["error"]["code"]
    assert french.json()["error"]["fields"].keys() == {"end"}
    assert "doit être supérieur à start" in french.json()["error"]["message"]
    assert "must be greater than start" in english.json()["error"]["message"]


def test_unknown_labels_keep_their_slug_in_french(as_user, alice, article):
    body = {"article": article.pk, "label": "citation", "start": 0, "end": 2}
    response = as_user(alice).post("/api/v1/spans/", body, format="json", headers=FR)
    assert response.status_code == 400
    assert response.json()["error"]["fields"].keys() == {"label"}
    assert "citation" in response.json()["error"]["message"]


def test_conflicts(as_user, alice, rita, article, labels):
    span = services.span_create(
        user=alice, article=article, label=labels["claim"], start=0, end=5
    )
    services.span_approve(span=span, user=rita, version=1)
    response = as_user(rita).post(
        f"/api/v1/spans/{span.pk}/reject/",
        {"version": 1, "reason": "non"},
        format="json",
        headers=FR,
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"].startswith("Ce passage a déjà été approuvé par rita le ")
    assert error["current"]["status"] == "approved"


def test_without_accept_language_the_default_language_speaks(as_user, alice, settings):
    settings.LANGUAGE_CODE = "fr"
    response = as_user(alice).get("/api/v1/nope/")
    assert "n’existe pas" in response.json()["error"]["message"]
    assert response["Content-Language"] == "fr"
