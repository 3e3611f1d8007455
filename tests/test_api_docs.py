import pytest

pytestmark = pytest.mark.django_db


def test_it_serves_the_openapi_schema(as_user, alice):
    response = as_user(alice).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/articles/",
        "/api/v1/spans/",
        "/api/v1/spans/{id}/approve/",
        "/api/v1/spans/{id}/reject/",
        "/api/v1/spans/{id}/history/",
        "/api/v1/labels/",
    } <= paths
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    reject = schema["paths"]["/api/v1/spans/{id}/reject/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "429"} <= set(reject)


def test_it_serves_the_docs_page_from_local_files(client, alice):
    client.force_login(alice)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger-ui" in body
    assert "cdn" not in body.lower()
    assert "/static/drf_spectacular_sidecar/" in body


def test_it_requires_login_for_the_schema(api):
    assert api.get("/api/v1/schema/").status_code == 401
