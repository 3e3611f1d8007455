import pytest

from annotations import services
from annotations.models import AuditEvent, Span

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/spans/"
TEXT = "Le Président 🚀 Zoé a dit « oui ». Fin."


@pytest.fixture
def story(alice):
    return ArticleFactory(uploaded_by=alice, text=TEXT)


def new_span(story, words, label="quote", **extra):
    start = TEXT.index(words)
    return {
        "article": story.pk,
        "label": label,
        "start": start,
        "end": start + len(words),
        **extra,
    }


def detail(span, suffix=""):
    return f"{URL}{span.pk}/{suffix}"


def test_it_requires_authentication(api, story, labels):
    span = SpanFactory(article=story, label=labels["quote"])
    for response in (
        api.get(URL),
        api.get(detail(span)),
        api.post(URL, new_span(story, "Zoé"), format="json"),
        api.patch(detail(span), {"start": 0}, format="json"),
        api.delete(detail(span)),
        api.post(detail(span, "approve/"), {"version": 1}, format="json"),
        api.post(detail(span, "reject/"), {"version": 1, "reason": "x"}, format="json"),
        api.get(detail(span, "history/")),
    ):
        assert response.status_code == 401


def test_it_creates_a_span_with_code_point_offsets(as_user, alice, story):
    response = as_user(alice).post(
        URL,
        new_span(story, "Zoé", "entity", entity_type="PER", text="Zoé"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["start"], data["end"], data["text"]) == (15, 18, "Zoé")
    assert data["label"] == "entity"
    assert data["entity_type"] == "PER"
    assert data["status"] == "pending"
    assert data["version"] == 1
    assert data["created_by"] == "alice"
    assert data["reviewed_by"] is None
    assert (data["origin"], data["score"]) == ("manual", None)
    assert set(data) == {
        "id",
        "article",
        "label",
        "start",
        "end",
        "text",
        "entity_type",
        "source",
        "status",
        "origin",
        "score",
        "version",
        "created_by",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
        "created_at",
        "updated_at",
    }


def test_it_refuses_a_text_mismatch_naming_both_strings(as_user, alice, story):
    body = new_span(story, "Zoé", "entity", text="Zoe")
    response = as_user(alice).post(URL, body, format="json")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["text"][0]
    assert "'Zoe'" in message and "'Zoé'" in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": -1, "end": 3}, "start"),
        ({"start": 0, "end": 10**30}, "end"),
        ({"start": "zero", "end": 3}, "start"),
        ({"start": 5, "end": 5}, "end"),
        ({"start": 0, "end": 999}, "end"),
        ({"label": "gossip"}, "label"),
        ({"label": None}, "label"),
        ({"label": "\x00"}, "label"),
        ({"label": 7}, "label"),
        ({"article": 10**25}, "article"),
        ({"entity_type": "ANIMAL"}, "entity_type"),
        ({"source": 999999}, "source"),
        ({"text": "nul\x00"}, "text"),
    ],
)
def test_it_refuses_bad_input_with_a_named_field(as_user, alice, story, body, field):
    payload = {"article": story.pk, "label": "quote", "start": 0, "end": 12, **body}
    response = as_user(alice).post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not Span.objects.exists()


def test_it_refuses_a_duplicate(as_user, alice, story):
    client = as_user(alice)
    assert (
        client.post(URL, new_span(story, "Zoé", "entity"), format="json").status_code
        == 201
    )
    response = client.post(URL, new_span(story, "Zoé", "entity"), format="json")
    assert response.status_code == 400
    assert "already has a span" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("persona", "expected"), [("rita", 403), ("carl", 403), ("nemo", 403), ("ada", 201)]
)
def test_it_lets_only_editors_and_admins_create(
    request, as_user, story, persona, expected
):
    client = as_user(request.getfixturevalue(persona))
    response = client.post(URL, new_span(story, "Zoé", "entity"), format="json")
    assert response.status_code == expected


def test_it_creates_spans_in_bulk_for_one_article(as_user, alice, story):
    body = [
        new_span(story, "Zoé", "entity"),
        new_span(story, "« oui »"),
        new_span(story, "Fin", "claim"),
    ]
    response = as_user(alice).post(URL, body, format="json")
    assert response.status_code == 201
    assert sorted(s["text"] for s in response.json()) == ["Fin", "Zoé", "« oui »"]
    assert AuditEvent.objects.filter(object_type="span", action="create").count() == 3


def test_it_stores_nothing_from_a_bulk_with_one_bad_span(as_user, alice, story):
    body = [
        new_span(story, "Zoé", "entity"),
        new_span(story, "« oui »"),
        {**new_span(story, "Fin"), "end": 999},
    ]
    response = as_user(alice).post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == ["2"]
    assert "end" in error["fields"]["2"]
    assert not Span.objects.exists()
    assert not AuditEvent.objects.filter(object_type="span").exists()


def test_it_refuses_a_bulk_across_articles(as_user, alice, story):
    other = ArticleFactory(uploaded_by=alice, text=TEXT)
    body = [new_span(story, "Zoé", "entity"), new_span(other, "Zoé", "entity")]
    response = as_user(alice).post(URL, body, format="json")
    assert response.status_code == 400
    assert "one article" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"label": "entity"}, {"Zoé"}),
        ({"label": ["entity", "claim"]}, {"Zoé", "Fin"}),
        ({"status": "approved"}, {"Fin"}),
        ({"annotator": "bob"}, {"« oui »"}),
        ({"reviewer": "rita"}, {"Fin"}),
        ({"updated_after": "2999-01-01T00:00:00Z"}, set()),
    ],
)
def test_it_filters_spans(as_user, alice, bob, rita, story, labels, params, expected):
    services.span_create(
        user=alice, article=story, label=labels["entity"], start=15, end=18
    )
    services.span_create(
        user=bob,
        article=story,
        label=labels["quote"],
        start=TEXT.index("«"),
        end=TEXT.index("»") + 1,
    )
    fin = services.span_create(
        user=alice,
        article=story,
        label=labels["claim"],
        start=TEXT.index("Fin"),
        end=TEXT.index("Fin") + 3,
    )
    services.span_approve(span=fin, user=rita, version=1)
    other = ArticleFactory(uploaded_by=alice)
    SpanFactory(article=other, label=labels["opinion"])
    response = as_user(alice).get(URL, {"article": story.pk, **params})
    assert response.status_code == 200
    assert {s["text"] for s in response.json()["results"]} == expected


def test_it_hides_pending_and_rejected_spans_from_consumers(
    as_user, alice, rita, carl, story, labels
):
    pending = services.span_create(
        user=alice, article=story, label=labels["entity"], start=15, end=18
    )
    approved = services.span_create(
        user=alice, article=story, label=labels["claim"], start=0, end=12
    )
    rejected = services.span_create(
        user=alice, article=story, label=labels["quote"], start=0, end=12
    )
    services.span_approve(span=approved, user=rita, version=1)
    services.span_reject(span=rejected, user=rita, version=1, reason="no")
    client = as_user(carl)
    listed = client.get(URL).json()["results"]
    assert [s["id"] for s in listed] == [approved.pk]
    for status in ("pending", "rejected"):
        assert client.get(URL, {"status": status}).json()["results"] == []
    assert client.get(detail(pending)).status_code == 404
    assert client.get(detail(rejected)).status_code == 404
    assert client.get(detail(pending, "history/")).status_code == 404
    assert client.get(detail(approved)).status_code == 200


def test_it_pages_spans_with_a_cursor_stable_under_inserts(as_user, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text="a b c d e f g h i j k l")
    for i in range(0, 12, 2):
        SpanFactory(article=article, start=i, end=i + 1, label=labels["claim"])
    client = as_user(alice)
    first = client.get(URL, {"page_size": 4}).json()
    assert [s["text"] for s in first["results"]] == ["a", "b", "c", "d"]
    # A span added between the two requests appears at the end, nothing repeats.
    SpanFactory(article=article, start=0, end=3, label=labels["quote"])
    second = client.get(first["next"]).json()
    assert [s["text"] for s in second["results"]] == ["e", "f", "a b"]


@pytest.mark.parametrize("n", [10, 200])
def test_it_lists_with_a_constant_number_of_queries(
    as_user, alice, labels, django_assert_num_queries, n
):
    article = ArticleFactory(uploaded_by=alice, text="x" * 500)
    for i in range(n):
        SpanFactory(article=article, start=i, end=i + 2, label=labels["claim"])
    client = as_user(alice)
    with django_assert_num_queries(2):
        response = client.get(URL, {"article": article.pk, "page_size": 500})
    assert len(response.json()["results"]) == n


def test_it_edits_a_span_and_bumps_its_version(as_user, alice, story, labels):
    span = services.span_create(
        user=alice, article=story, label=labels["entity"], start=15, end=18
    )
    response = as_user(alice).patch(
        detail(span), {"entity_type": "PER", "version": 1}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["entity_type"] == "PER"
    assert response.json()["version"] == 2


def test_it_refuses_a_stale_edit_with_409(as_user, alice, story, labels):
    span = services.span_create(
        user=alice, article=story, label=labels["entity"], start=15, end=18
    )
    services.span_update(span=span, user=alice, entity_type="PER")
    response = as_user(alice).patch(
        detail(span), {"entity_type": "ORG", "version": 1}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["current"]["entity_type"] == "PER"
    assert error["current"]["version"] == 2


def test_it_sends_an_edited_approved_span_back_to_pending(
    as_user, alice, rita, story, labels
):
    span = services.span_create(
        user=alice, article=story, label=labels["quote"], start=0, end=12
    )
    services.span_approve(span=span, user=rita, version=1)
    response = as_user(alice).patch(detail(span), {"label": "claim"}, format="json")
    data = response.json()
    assert (data["status"], data["reviewed_by"], data["label"]) == (
        "pending",
        None,
        "claim",
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("bob", 403), ("rita", 403), ("carl", 404), ("nemo", 403), ("ada", 200)],
)
def test_it_lets_only_the_author_or_an_admin_edit(
    request, as_user, alice, story, labels, persona, expected
):
    span = services.span_create(
        user=alice, article=story, label=labels["quote"], start=0, end=12
    )
    client = as_user(request.getfixturevalue(persona))
    assert (
        client.patch(detail(span), {"label": "claim"}, format="json").status_code
        == expected
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", 204),
        ("bob", 403),
        ("rita", 403),
        ("carl", 404),
        ("nemo", 403),
        ("ada", 204),
    ],
)
def test_it_lets_only_the_author_or_an_admin_delete(
    request, as_user, alice, story, labels, persona, expected
):
    span = services.span_create(
        user=alice, article=story, label=labels["quote"], start=0, end=12
    )
    client = as_user(request.getfixturevalue(persona))
    assert client.delete(detail(span)).status_code == expected
    assert Span.objects.filter(pk=span.pk).exists() is (expected != 204)


def test_it_refuses_an_editor_deleting_an_approved_span(
    as_user, alice, rita, story, labels
):
    span = services.span_create(
        user=alice, article=story, label=labels["quote"], start=0, end=12
    )
    services.span_approve(span=span, user=rita, version=1)
    response = as_user(alice).delete(detail(span))
    assert response.status_code == 403
    assert "only an admin" in response.json()["error"]["message"]


def test_it_refuses_read_only_fields_in_an_edit(as_user, alice, bob, story, labels):
    span = services.span_create(
        user=alice, article=story, label=labels["entity"], start=15, end=18
    )
    other = ArticleFactory(uploaded_by=alice, text=TEXT)
    response = as_user(alice).patch(
        detail(span),
        {
            "article": other.pk,
            "status": "approved",
            "created_by": "bob",
            "entity_type": "PER",
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) == {"article", "status", "created_by"}
    assert "set by the server" in error["fields"]["status"][0]
    span.refresh_from_db()
    assert (span.article_id, span.status, span.entity_type) == (
        story.pk,
        "pending",
        None,
    )
    assert span.version == 1


def test_it_refuses_an_unknown_field_in_an_edit(as_user, alice, story, labels):
    span = services.span_create(
        user=alice, article=story, label=labels["entity"], start=15, end=18
    )
    response = as_user(alice).patch(detail(span), {"colour": "red"}, format="json")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["colour"][0]
    assert message.startswith("Unknown field; the fields you may send are label,")


@pytest.mark.parametrize("value", ["16", 16.0, 16.5, True])
def test_it_refuses_offsets_that_are_not_json_whole_numbers(
    as_user, alice, story, labels, value
):
    span = services.span_create(
        user=alice, article=story, label=labels["entity"], start=15, end=18
    )
    response = as_user(alice).patch(
        detail(span), {"start": value, "end": "18"}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"start", "end"}
    assert fields["end"] == [
        "Send a whole number (a JSON number such as 12), not '18'."
    ]
    span.refresh_from_db()
    assert (span.start, span.version) == (15, 1)


def test_it_refuses_a_status_on_creation(as_user, alice, story):
    response = as_user(alice).post(
        URL, new_span(story, "Zoé", status="approved"), format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    assert not Span.objects.exists()


def test_it_takes_spans_as_json_only(as_user, alice, story):
    response = as_user(alice).post(URL, new_span(story, "Zoé"), format="multipart")
    assert response.status_code == 415
    assert not Span.objects.exists()
