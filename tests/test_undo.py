"""Undo a span's creation, edit or deletion (services.span_undo), and its page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from annotations import permissions, services
from annotations.models import AuditEvent, Span

pytestmark = pytest.mark.django_db

TEXT = "« Nous ne pouvons plus attendre », a déclaré la maire Claire Dumont 🚲."
HTMX = {"HX-Request": "true"}


def at(phrase):
    start = TEXT.index(phrase)
    return {"start": start, "end": start + len(phrase)}


@pytest.fixture
def article(alice):
    return services.article_create(user=alice, title="Villebrune", text=TEXT)


@pytest.fixture
def person(alice, article, labels):
    return services.span_create(
        user=alice,
        article=article,
        label=labels["entity"],
        entity_type="PER",
        **at("Claire Dumont"),
    )


@pytest.fixture
def quote(alice, article, labels, person):
    return services.span_create(
        user=alice,
        article=article,
        label=labels["quote"],
        source=person,
        **at("Nous ne pouvons plus attendre"),
    )


def actions(span_id):
    return list(
        AuditEvent.objects.filter(object_type="span", object_id=span_id).values_list(
            "action", flat=True
        )
    )


# The service


def test_it_deletes_a_created_span_and_records_it(alice, quote):
    span, event = services.span_undo(user=alice, event=quote.audit_event)
    assert span is None
    assert not Span.objects.filter(pk=quote.pk).exists()
    assert event.action == "delete"
    assert actions(quote.pk) == ["create", "delete"]


def test_it_puts_an_edited_span_back_as_it_was(alice, person):
    edited = services.span_update(
        span=person, user=alice, entity_type="ORG", end=person.start + len("Claire")
    )
    span, event = services.span_undo(user=alice, event=edited.audit_event)
    span.refresh_from_db()
    assert (span.text, span.entity_type, span.version) == ("Claire Dumont", "PER", 3)
    assert event.before["entity_type"] == "ORG"
    assert event.after["entity_type"] == "PER"
    assert actions(person.pk) == ["create", "update", "update"]


def test_it_puts_back_the_decision_an_edit_undid(alice, rita, person):
    services.span_reject(span=person, user=rita, version=1, reason="wrong type")
    person.refresh_from_db()
    edited = services.span_update(span=person, user=alice, entity_type="ORG")
    assert edited.status == Span.Status.PENDING
    span, _event = services.span_undo(user=alice, event=edited.audit_event)
    span.refresh_from_db()
    assert span.status == Span.Status.REJECTED
    assert span.rejection_reason == "wrong type"
    assert span.reviewed_by == rita
    assert span.reviewed_at is not None


def test_it_restores_a_deleted_span_with_its_id_label_type_source_and_status(
    alice, rita, quote, person
):
    services.span_reject(span=quote, user=rita, version=1, reason="wrong boundaries")
    quote.refresh_from_db()
    created_at = quote.created_at
    deleted = services.span_delete(span=quote, user=alice)
    span, event = services.span_undo(user=alice, event=deleted)
    span = Span.objects.get(pk=quote.pk)
    assert span.label.slug == "quote"
    assert span.source == person
    assert span.status == Span.Status.REJECTED
    assert span.rejection_reason == "wrong boundaries"
    assert span.reviewed_by == rita
    assert span.created_by == alice
    # When it was made (to the time of its creation's record).
    assert abs((span.created_at - created_at).total_seconds()) < 1
    # A tab holding the old version cannot write over the restored span.
    assert span.version == quote.version + 1
    assert event.action == "create"
    assert actions(quote.pk) == ["create", "reject", "delete", "create"]


def test_it_restores_an_entity_s_type(alice, person):
    deleted = services.span_delete(span=person, user=alice)
    services.span_undo(user=alice, event=deleted)
    assert Span.objects.get(pk=person.pk).entity_type == "PER"


def test_it_restores_without_a_source_deleted_since(alice, quote, person):
    deleted = services.span_delete(span=quote, user=alice)
    services.span_delete(span=person, user=alice)
    services.span_undo(user=alice, event=deleted)
    assert Span.objects.get(pk=quote.pk).source is None


def test_it_refuses_to_undo_over_a_later_change(alice, ada, person):
    services.span_update(span=person, user=ada, entity_type="ORG")
    with pytest.raises(services.Conflict):
        services.span_undo(user=alice, event=person.audit_event)
    assert Span.objects.filter(pk=person.pk).exists()


def test_it_refuses_to_undo_twice(alice, person):
    deleted = services.span_delete(span=person, user=alice)
    services.span_undo(user=alice, event=deleted)
    with pytest.raises(ValidationError, match="already restored"):
        services.span_undo(user=alice, event=deleted)


def test_it_refuses_to_restore_over_a_span_made_at_the_same_place(
    alice, article, labels, person
):
    deleted = services.span_delete(span=person, user=alice)
    services.span_create(
        user=alice, article=article, label=labels["entity"], **at("Claire Dumont")
    )
    with pytest.raises(ValidationError, match="already has a span"):
        services.span_undo(user=alice, event=deleted)


def test_it_refuses_to_undo_a_created_span_that_is_gone(alice, person):
    services.span_delete(span=person, user=alice)
    with pytest.raises(ValidationError, match="no longer exists"):
        services.span_undo(user=alice, event=person.audit_event)


def test_it_refuses_to_delete_an_entity_that_became_a_source(alice, person, quote):
    with pytest.raises(ValidationError, match="source of 1 other"):
        services.span_undo(user=alice, event=person.audit_event)


# Who may undo


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("alice", True), ("bob", False), ("rita", False), ("carl", False)]
    + [("nemo", False), ("ada", False)],
)
def test_only_the_author_of_a_change_may_undo_it(person, persona, allowed, request):
    user = request.getfixturevalue(persona)
    assert permissions.can(user, "undo_span_change", person.audit_event) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            services.span_undo(user=user, event=person.audit_event)
        assert Span.objects.filter(pk=person.pk).exists()


def test_it_undoes_no_decision(alice, ada, person):
    decision = services.span_approve(span=person, user=ada, version=1)
    event = AuditEvent.objects.for_object(decision).get(action="approve")
    assert permissions.explain(ada, "undo_span_change", event) == (
        "Only the creation, edit or deletion of a span, or a decision on a "
        "suggestion, can be undone."
    )


def test_it_refuses_an_editor_who_lost_the_role(alice, person):
    alice.groups.clear()
    alice = type(alice).objects.get(pk=alice.pk)
    with pytest.raises(PermissionDenied):
        services.span_undo(user=alice, event=person.audit_event)


# The page


def undo_url(article):
    return reverse("annotations:span_undo", args=[article.pk])


def test_it_offers_undo_after_each_write_of_the_page(client, alice, article, labels):
    client.force_login(alice)
    response = client.post(
        reverse("annotations:span_create", args=[article.pk]),
        {"label": "entity", "entity_type": "PER", **at("Claire Dumont")},
        headers=HTMX,
    )
    span = Span.objects.get()
    event = AuditEvent.objects.for_object(span).get()
    content = response.content.decode()
    assert f'data-undo-event="{event.pk}"' in content
    assert f'name="event" value="{event.pk}"' in content
    assert ">Undo</button>" in content

    response = client.post(
        reverse("annotations:span_delete", args=[article.pk, span.pk]), headers=HTMX
    )
    deleted = AuditEvent.objects.for_object(span).get(action="delete")
    assert f'data-undo-event="{deleted.pk}"' in response.content.decode()


def test_it_undoes_through_the_page_and_answers_the_workspace(
    client, alice, article, person
):
    deleted = services.span_delete(span=person, user=alice)
    client.force_login(alice)
    response = client.post(undo_url(article), {"event": deleted.pk}, headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace"')
    assert "Undone: “Claire Dumont” is back." in content
    assert f'id="span-row-{person.pk}"' in content
    assert Span.objects.filter(pk=person.pk).exists()


def test_it_redirects_a_plain_form(client, alice, article, person):
    client.force_login(alice)
    response = client.post(undo_url(article), {"event": person.audit_event.pk})
    assertRedirects(
        response,
        reverse("annotations:article_detail", args=[article.pk]),
        fetch_redirect_response=False,
    )
    assert not Span.objects.exists()
    page = client.get(reverse("annotations:article_detail", args=[article.pk]))
    assert "is no longer tagged" in page.content.decode()


def test_it_answers_409_when_the_span_changed_since(
    client, alice, ada, article, person
):
    services.span_update(span=person, user=ada, entity_type="ORG")
    client.force_login(alice)
    response = client.post(
        undo_url(article), {"event": person.audit_event.pk}, headers=HTMX
    )
    assert response.status_code == 409
    assert "changed since you loaded it" in response.content.decode()
    assert Span.objects.get(pk=person.pk).entity_type == "ORG"


def test_it_says_what_is_wrong_with_the_event(client, alice, article, person):
    client.force_login(alice)
    response = client.post(undo_url(article), {"event": "x"}, headers=HTMX)
    assert "Enter a whole number." in response.content.decode()
    other = services.article_create(user=alice, title="Autre", text="Autre texte.")
    assert (
        client.post(
            reverse("annotations:span_undo", args=[other.pk]),
            {"event": person.audit_event.pk},
            headers=HTMX,
        ).status_code
        == 404
    )
    assert Span.objects.filter(pk=person.pk).exists()


@pytest.mark.parametrize(("persona", "status"), [("bob", 403), ("rita", 403)])
def test_it_refuses_others_with_the_reason(
    client, article, person, persona, status, request
):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        undo_url(article), {"event": person.audit_event.pk}, headers=HTMX
    )
    assert response.status_code == status
    assert Span.objects.filter(pk=person.pk).exists()


def test_it_hides_the_article_from_users_without_a_role(client, nemo, article, person):
    client.force_login(nemo)
    response = client.post(undo_url(article), {"event": person.audit_event.pk})
    assert response.status_code == 404


def test_it_requires_login_and_post(client, alice, article, person):
    response = client.post(undo_url(article), {"event": person.audit_event.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(alice)
    assert client.get(undo_url(article)).status_code == 405
