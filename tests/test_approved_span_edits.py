"""Editing an approved span: one rule (permissions.RULES["change_span"]) for the
page, its htmx fragments and the API.

The author or an admin may edit it, and the edit sends it back to pending for
a new review; deleting it stays an admin's call.
"""

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import AuditEvent, Span

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

TEXT = "« Bonjour », dit Zoé 🚀 à l’équipe de Montréal."
HTMX = {"HX-Request": "true"}

# persona -> (page POST, htmx POST, API PATCH) status; 302/200/200 change it.
EXPECTED = {
    "alice": (302, 200, 200),
    "ada": (302, 200, 200),
    "bob": (403, 403, 403),
    "rita": (403, 403, 403),
    "carl": (403, 403, 403),
    "nemo": (404, 404, 403),
    "anonymous": (302, 302, 401),
}


@pytest.fixture
def approved(alice, rita, labels):
    """Alice's quote, approved by Rita."""
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    start = TEXT.index("« Bonjour »")
    span = services.span_create(
        user=alice,
        article=article,
        label=labels["quote"],
        start=start,
        end=start + len("« Bonjour »"),
    )
    return services.span_approve(span=span, user=rita, version=span.version)


@pytest.fixture
def people(alice, bob, rita, carl, ada, nemo):
    return {
        "alice": alice,
        "bob": bob,
        "rita": rita,
        "carl": carl,
        "ada": ada,
        "nemo": nemo,
        "anonymous": None,
    }


def update_url(span):
    return reverse("annotations:span_update", args=[span.article_id, span.pk])


def detail_url(span, query=""):
    return reverse("annotations:article_detail", args=[span.article_id]) + query


def assert_back_to_pending(span, label="claim"):
    span.refresh_from_db()
    assert (span.status, span.reviewed_by, span.reviewed_at) == ("pending", None, None)
    assert span.label.slug == label
    event = AuditEvent.objects.filter(object_id=span.pk).latest("id")
    assert (event.action, event.before["status"], event.after["status"]) == (
        "update",
        "approved",
        "pending",
    )


def assert_unchanged(span):
    span.refresh_from_db()
    assert (span.status, span.label.slug, span.version) == ("approved", "quote", 2)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_it_applies_the_rule_to_the_page(client, people, approved, labels, persona):
    if people[persona]:
        client.force_login(people[persona])
    body = {"label": labels["claim"].pk, "version": approved.version}
    response = client.post(update_url(approved), body)
    assert response.status_code == EXPECTED[persona][0]
    if persona in ("alice", "ada"):
        assert response["Location"] == detail_url(approved)
        assert_back_to_pending(approved)
    else:
        assert_unchanged(approved)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_it_applies_the_rule_to_the_htmx_fragment(
    client, people, approved, labels, persona
):
    if people[persona]:
        client.force_login(people[persona])
    body = {"label": labels["claim"].pk, "version": approved.version}
    response = client.post(update_url(approved), body, headers=HTMX)
    assert response.status_code == EXPECTED[persona][1]
    if persona in ("alice", "ada"):
        content = response.content.decode()
        assert content.lstrip().startswith('<div id="workspace"')
        assert f'data-span-id="{approved.pk}" data-label="claim" ' in content
        assert 'data-status="pending"' in content
        assert_back_to_pending(approved)
    else:
        assert_unchanged(approved)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_it_applies_the_rule_to_the_api(api, people, approved, persona):
    if people[persona]:
        api.force_authenticate(people[persona])
    response = api.patch(
        f"/api/v1/spans/{approved.pk}/",
        {"label": "claim", "version": approved.version},
        format="json",
    )
    assert response.status_code == EXPECTED[persona][2]
    if persona in ("alice", "ada"):
        data = response.json()
        assert (data["status"], data["reviewed_by"], data["label"]) == (
            "pending",
            None,
            "claim",
        )
        assert_back_to_pending(approved)
    else:
        assert "error" in response.json()
        assert_unchanged(approved)


def test_it_tells_another_editor_why_not(api, bob, approved):
    api.force_authenticate(bob)
    response = api.patch(f"/api/v1/spans/{approved.pk}/", {"label": "claim"})
    assert response.json()["error"]["message"] == (
        "Only the span's author (or an admin) may change it."
    )


@pytest.mark.parametrize(
    ("persona", "edit", "delete"),
    [
        ("alice", True, False),
        ("ada", True, True),
        ("bob", False, False),
        ("rita", False, False),
        ("carl", False, False),
    ],
)
def test_it_offers_on_the_page_what_the_rule_allows(
    client, people, approved, persona, edit, delete
):
    client.force_login(people[persona])
    content = client.get(detail_url(approved)).content.decode()
    assert f'data-span-id="{approved.pk}"' in content
    assert (f'hx-get="?span={approved.pk}&amp;edit=1"' in content) is edit
    assert (f"/spans/{approved.pk}/delete/" in content) is delete


def test_it_warns_in_the_edit_form_that_saving_reopens_the_review(
    client, alice, approved
):
    client.force_login(alice)
    response = client.get(
        detail_url(approved, f"?span={approved.pk}&edit=1"), headers=HTMX
    )
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="span-row-{approved.pk}"')
    assert 'class="span-edit"' in content
    assert "Saving sends this span back to review" in content


def test_it_offers_no_edit_form_to_another_editor(client, bob, approved):
    client.force_login(bob)
    response = client.get(
        detail_url(approved, f"?span={approved.pk}&edit=1"), headers=HTMX
    )
    assert response.status_code == 200
    assert 'class="span-edit"' not in response.content.decode()


def test_it_keeps_deleting_an_approved_span_for_admins(client, alice, ada, approved):
    delete = reverse("annotations:span_delete", args=[approved.article_id, approved.pk])
    client.force_login(alice)
    assert client.post(delete).status_code == 403
    client.force_login(ada)
    assert client.post(delete).status_code == 302
    assert not Span.objects.filter(pk=approved.pk).exists()
