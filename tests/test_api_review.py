import pytest

from annotations import services
from annotations.models import AuditEvent

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/spans/"


@pytest.fixture
def span(alice, labels):
    article = ArticleFactory(uploaded_by=alice, text="Marie a dit « oui ».")
    return services.span_create(
        user=alice, article=article, label=labels["quote"], start=12, end=19
    )


def approve(client, span, version=1):
    return client.post(f"{URL}{span.pk}/approve/", {"version": version}, format="json")


def reject(client, span, version=1, reason="wrong boundaries"):
    body = {"version": version, "reason": reason}
    return client.post(f"{URL}{span.pk}/reject/", body, format="json")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", 403),
        ("bob", 403),
        ("rita", 200),
        ("carl", 404),
        ("nemo", 403),
        ("ada", 200),
    ],
)
def test_it_lets_reviewers_and_admins_approve(
    request, as_user, span, persona, expected
):
    response = approve(as_user(request.getfixturevalue(persona)), span)
    assert response.status_code == expected


def test_it_approves_and_records_who_and_when(as_user, rita, span):
    response = approve(as_user(rita), span)
    data = response.json()
    assert data["status"] == "approved"
    assert data["reviewed_by"] == "rita"
    assert data["reviewed_at"]
    assert data["version"] == 2


def test_it_rejects_with_a_reason(as_user, rita, span):
    data = reject(as_user(rita), span).json()
    assert (data["status"], data["rejection_reason"]) == (
        "rejected",
        "wrong boundaries",
    )


def test_it_requires_a_reason_to_reject(as_user, rita, span):
    response = reject(as_user(rita), span, reason="  ")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_it_requires_the_version(as_user, rita, span):
    response = as_user(rita).post(f"{URL}{span.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


def test_it_answers_a_stale_version_with_409_and_the_current_state(
    as_user, rita, ada, span
):
    assert approve(as_user(ada), span).status_code == 200
    response = reject(as_user(rita), span, version=1)
    assert response.status_code == 409
    error = response.json()["error"]
    assert "already approved by ada" in error["message"]
    assert error["current"]["status"] == "approved"
    assert error["current"]["version"] == 2
    assert AuditEvent.objects.filter(action__in=["approve", "reject"]).count() == 1


def test_it_refuses_approving_twice(as_user, rita, span):
    approve(as_user(rita), span)
    response = approve(as_user(rita), span, version=2)
    assert response.status_code == 409
    assert "already approved by rita" in response.json()["error"]["message"]


def test_it_lets_a_reviewer_change_a_decision_with_the_current_version(
    as_user, rita, span
):
    approve(as_user(rita), span)
    response = reject(as_user(rita), span, version=2, reason="not a quote")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"


def test_it_applies_four_eyes(as_user, rita, labels, settings):
    article = ArticleFactory(uploaded_by=rita, text="Texte à relire.")
    rita.groups.add(*type(rita.groups.first()).objects.filter(name="editor"))
    rita = type(rita).objects.get(pk=rita.pk)
    own = services.span_create(
        user=rita, article=article, label=labels["claim"], start=0, end=5
    )
    response = approve(as_user(rita), own)
    assert response.status_code == 403
    assert "another reviewer" in response.json()["error"]["message"]
    settings.ALLOW_SELF_REVIEW = True
    assert approve(as_user(rita), own).status_code == 200


def test_it_shows_the_history_in_order(as_user, alice, rita, span):
    approve(as_user(rita), span)
    as_user(alice).patch(f"{URL}{span.pk}/", {"start": 12, "end": 17}, format="json")
    response = as_user(rita).get(f"{URL}{span.pk}/history/")
    events = response.json()
    assert [(e["action"], e["actor"]) for e in events] == [
        ("create", "alice"),
        ("approve", "rita"),
        ("update", "alice"),
    ]
    assert events[2]["before"]["status"] == "approved"
    assert events[2]["after"]["status"] == "pending"
    assert events[2]["after"]["text"] == "« oui"
