"""Every API endpoint and method: anonymous callers get 401, users without a role 403."""

import pytest

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/articles/"),
    ("post", "/api/v1/articles/"),
    ("get", "/api/v1/articles/{article}/"),
    ("patch", "/api/v1/articles/{article}/"),
    ("delete", "/api/v1/articles/{article}/"),
    ("post", "/api/v1/articles/{article}/approve-pending/"),
    ("post", "/api/v1/articles/{article}/suggest/"),
    ("get", "/api/v1/articles/{article}/history/"),
    ("get", "/api/v1/spans/"),
    ("post", "/api/v1/spans/"),
    ("get", "/api/v1/spans/{span}/"),
    ("patch", "/api/v1/spans/{span}/"),
    ("delete", "/api/v1/spans/{span}/"),
    ("post", "/api/v1/spans/{span}/approve/"),
    ("post", "/api/v1/spans/{span}/reject/"),
    ("post", "/api/v1/spans/{span}/accept/"),
    ("post", "/api/v1/spans/{span}/dismiss/"),
    ("get", "/api/v1/spans/{span}/history/"),
    ("get", "/api/v1/labels/"),
    ("post", "/api/v1/labels/"),
    ("get", "/api/v1/labels/{label}/"),
    ("patch", "/api/v1/labels/{label}/"),
    ("delete", "/api/v1/labels/{label}/"),
    ("get", "/api/v1/export/"),
    ("get", "/api/v1/datasets/"),
    ("post", "/api/v1/datasets/"),
    ("get", "/api/v1/datasets/{dataset}/"),
    ("get", "/api/v1/datasets/{dataset}/download/"),
    ("get", "/api/v1/schema/"),
    ("get", "/api/v1/docs/"),
]


@pytest.fixture
def ids(alice, ada, labels):
    article = ArticleFactory(uploaded_by=alice)
    span = SpanFactory(article=article, label=labels["quote"])
    dataset = services_dataset(ada)
    return {
        "article": article.pk,
        "span": span.pk,
        "label": labels["opinion"].pk,
        "dataset": dataset.pk,
    }


def services_dataset(user):
    from annotations import datasets

    return datasets.dataset_create(user=user, name="matrix")


def call(client, method, path, ids):
    return getattr(client, method)(path.format(**ids), {}, format="json")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_it_answers_anonymous_callers_with_401(api, ids, method, path):
    response = call(api, method, path, ids)
    assert response.status_code == 401, response.content
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path"),
    [e for e in ENDPOINTS if "/schema/" not in e[1] and "/docs/" not in e[1]],
)
def test_it_answers_users_without_a_role_with_403(as_user, nemo, ids, method, path):
    response = call(as_user(nemo), method, path, ids)
    assert response.status_code == 403, response.content


def test_it_lets_a_token_of_a_user_without_a_role_do_nothing(api, nemo, ids):
    from annotations.models import ApiToken

    # A role revoked after the token was made: the token no longer opens anything.
    ApiToken.objects.create(
        user=nemo,
        name="old",
        key_start="nra_x",
        key_hash=ApiToken.hash_key("nra_x"),
        scope="write",
    )
    response = api.get("/api/v1/articles/", HTTP_AUTHORIZATION="Token nra_x")
    assert response.status_code == 403
