"""Property-based fuzzing of the whole API against its own OpenAPI schema.

Schemathesis generates requests (valid and invalid) for every operation and
checks that no response is a 5xx and every response matches the schema.
"""

import json
import os

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi import checks as openapi_checks

from annotations import services
from newsroom.wsgi import application

from .factories import ArticleFactory

# Bounded so CI stays within a few minutes, and the same examples every run
# so CI is repeatable; FUZZ_RANDOM=1 FUZZ_EXAMPLES=500 explores further by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
KNOWN = {}


@pytest.fixture
def api_schema(db, settings, alice, rita, labels):
    # Schemathesis sends requests to "localhost"; the test settings allow none.
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True
    article = ArticleFactory(uploaded_by=alice, text="Marie a dit « oui » 🚀 hier.")
    span = services.span_create(
        user=alice, article=article, label=labels["entity"], start=0, end=5
    )
    KNOWN.update(article=article.pk, span=span.pk)
    KNOWN["alice"] = services.api_token_create(user=alice, name="fuzz", scope="write")[
        1
    ]
    KNOWN["rita"] = services.api_token_create(user=rita, name="fuzz", scope="write")[1]
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(
        json.loads(json.dumps(raw, cls=DjangoJSONEncoder))
    )
    schema.app = application
    # Like Django's test client: keep the test transaction's connection open
    # across requests instead of closing it when each request finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value):
    """Send a jsonl import body: bytes and text as they are, else one JSON line a
    value (the schema types it as a string, so generated bodies are text).
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    lines = value if isinstance(value, list) else [value]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


# Our own rules refuse some schema-valid input (offsets past the text, a stale
# version), so a 400/409 there is right. DRF accepts 0 for a string field as
# "0" and treats an empty filter as absent, by design. What must hold: no 5xx,
# only documented status codes, and every response matches the schema.
EXCLUDED = [
    openapi_checks.positive_data_acceptance,
    openapi_checks.negative_data_rejection,
    openapi_checks.use_after_free,
]


def _call(case, persona):
    generated = (case.path_parameters or {}).get("id")
    # Half the generated ids point at real objects, so those paths get exercised.
    if isinstance(generated, int) and generated % 2 == 0:
        kind = "article" if "/articles/" in case.path else "span"
        case.path_parameters["id"] = KNOWN.get(kind, 1)
    case.call_and_validate(
        headers={"Authorization": f"Token {KNOWN[persona]}"},
        excluded_checks=EXCLUDED,
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
)
def test_it_survives_an_editor(case):
    _call(case, "alice")


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
)
def test_it_survives_a_reviewer(case):
    _call(case, "rita")


# Inputs that once answered 500, replayed every run through the same checks.
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = (
    b'{"name": "deep", "filters": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001
)
FAR_OFFSET = "9999-12-31T23:59:59-23:59"


def _json(value) -> bytes:
    # Lone surrogates travel as \ud800 escapes, as any JSON encoder writes them.
    return json.dumps(value).encode()


def _article(**fields):
    return {"title": "Titre", "text": "Un texte court.", "language": "fr", **fields}


def _line(**fields):
    return {**_article(**fields), "spans": [{"start": 0, "end": 2, "label": "quote"}]}


EXPLICIT = {
    "nul in a title, bulk create": (
        "POST",
        "/api/v1/articles/",
        {"body": _json([_article(title="Ti\x00tre")])},
    ),
    "lone surrogate in an outlet, bulk create": (
        "POST",
        "/api/v1/articles/",
        {"body": _json([_article(outlet="Le \ud800 Jour")])},
    ),
    "nul in a byline, import": (
        "POST",
        "/api/v1/articles/",
        {"body": _json([_line(byline="Zo\x00é")])},
    ),
    "lone surrogate in a title, import": (
        "POST",
        "/api/v1/articles/",
        {"body": _json([_line(title="\udfff")])},
    ),
    "nul in a title, ndjson import": (
        "POST",
        "/api/v1/articles/",
        {
            "body": _json(_line(title="A\x00")) + b"\n",
            "media_type": "application/x-ndjson",
        },
    ),
    "since beyond UTC's range, export": (
        "GET",
        "/api/v1/export/",
        {"query": {"since": FAR_OFFSET}},
    ),
    "since beyond UTC's range, dataset filters": (
        "POST",
        "/api/v1/datasets/",
        {"body": _json({"name": "far", "filters": {"since": FAR_OFFSET}})},
    ),
    "created_after beyond UTC's range": (
        "GET",
        "/api/v1/articles/",
        {"query": {"created_after": FAR_OFFSET}},
    ),
    "JSON nested 100,000 deep, article create": (
        "POST",
        "/api/v1/articles/",
        {"body": DEEP},
    ),
    "JSON nested 100,000 deep, dataset filters": (
        "POST",
        "/api/v1/datasets/",
        {"body": DEEP_OBJECT},
    ),
    "JSON nested 100,000 deep, span edit": (
        "PATCH",
        "/api/v1/spans/{id}/",
        {"body": DEEP},
    ),
    "JSON nested 100,000 deep, ndjson import": (
        "POST",
        "/api/v1/articles/",
        {"body": DEEP + b"\n", "media_type": "application/x-ndjson"},
    ),
}


@pytest.mark.parametrize("name", EXPLICIT)
def test_it_answers_4xx_to_input_that_once_failed(api_schema, name):
    method, path, data = EXPLICIT[name]
    data = {"media_type": "application/json", **data} if "body" in data else data
    operation = api_schema[path][method]
    case = operation.Case(
        path_parameters={"id": KNOWN["span"]} if "{id}" in path else None, **data
    )
    response = case.call_and_validate(
        headers={"Authorization": f"Token {KNOWN['alice']}"},
        excluded_checks=EXCLUDED,
    )
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]
