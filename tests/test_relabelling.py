"""Relabelling a span: one behaviour, in services.span_update, for the annotate
page (with and without htmx) and the API.

A new label drops what it cannot carry (an entity type when the span stops
being an entity, a source when it becomes one); a value sent together with
the new label is checked like any other, so a contradiction is an error.
"""

import pytest
from django.urls import reverse

from annotations import forms, services
from annotations.models import AuditEvent

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

TEXT = "« Bonjour », dit Zoé 🚀 à l’équipe de Montréal."
HTMX = {"HX-Request": "true"}


@pytest.fixture
def story(alice):
    return ArticleFactory(uploaded_by=alice, text=TEXT)


def make(story, user, label, phrase, **fields):
    start = TEXT.index(phrase)
    return services.span_create(
        user=user,
        article=story,
        label=label,
        start=start,
        end=start + len(phrase),
        **fields,
    )


@pytest.fixture
def person(story, alice, labels):
    """Zoé, an entity typed PER."""
    return make(story, alice, labels["entity"], "Zoé", entity_type="PER")


@pytest.fixture
def quote(story, alice, labels, person):
    """« Bonjour », a quote whose source is Zoé."""
    return make(story, alice, labels["quote"], "« Bonjour »", source=person)


def update_url(span):
    return reverse("annotations:span_update", args=[span.article_id, span.pk])


def form_body(span, label, **fields):
    """What the edit form posts: the label, the one select it shows, the version."""
    body = {"label": label.pk, "version": span.version}
    if span.label.is_entity:
        body["entity_type"] = span.entity_type or ""
    else:
        body["source"] = span.source_id or ""
    body.update(fields)
    return body


def last_event(span):
    return AuditEvent.objects.filter(object_type="span", object_id=span.pk).latest("id")


# An entity relabelled: its type goes.


def test_the_page_drops_the_entity_type_and_says_so(client, alice, person, labels):
    # Unused as a source here: no quote cites it.
    client.force_login(alice)
    response = client.post(update_url(person), form_body(person, labels["claim"]))
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.label.slug, person.entity_type) == ("claim", None)
    page = client.get(response["Location"]).content.decode()
    assert "It no longer has an entity type" in page
    event = last_event(person)
    assert (event.before["entity_type"], event.after["entity_type"]) == ("PER", None)


def test_the_htmx_fragment_drops_the_entity_type(client, alice, person, labels):
    client.force_login(alice)
    response = client.post(
        update_url(person), form_body(person, labels["opinion"]), headers=HTMX
    )
    assert response.status_code == 200
    assert "It no longer has an entity type" in response.content.decode()
    person.refresh_from_db()
    assert (person.label.slug, person.entity_type) == ("opinion", None)


def test_the_api_drops_the_entity_type(api, alice, person):
    api.force_authenticate(alice)
    response = api.patch(
        f"/api/v1/spans/{person.pk}/", {"label": "claim"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["entity_type"]) == (
        "claim",
        None,
    )


def test_the_api_refuses_a_type_sent_with_a_label_that_has_none(api, alice, person):
    api.force_authenticate(alice)
    response = api.patch(
        f"/api/v1/spans/{person.pk}/",
        {"label": "claim", "entity_type": "ORG"},
        format="json",
    )
    assert response.status_code == 400
    assert "entity_type" in response.json()["error"]["fields"]
    person.refresh_from_db()
    assert (person.label.slug, person.entity_type) == ("entity", "PER")


# A statement relabelled as an entity: its source goes.


def test_the_page_drops_the_source_and_says_so(client, alice, quote, labels):
    client.force_login(alice)
    response = client.post(update_url(quote), form_body(quote, labels["entity"]))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.label.slug, quote.source_id) == ("entity", None)
    page = client.get(response["Location"]).content.decode()
    assert "It no longer names a source" in page


def test_the_htmx_fragment_drops_the_source(client, alice, quote, labels):
    client.force_login(alice)
    response = client.post(
        update_url(quote), form_body(quote, labels["entity"]), headers=HTMX
    )
    assert "It no longer names a source" in response.content.decode()
    quote.refresh_from_db()
    assert (quote.label.slug, quote.source_id) == ("entity", None)


def test_the_api_drops_the_source(api, alice, quote, person):
    api.force_authenticate(alice)
    response = api.patch(
        f"/api/v1/spans/{quote.pk}/", {"label": "entity"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["source"]) == ("entity", None)
    event = last_event(quote)
    assert (event.before["source"], event.after["source"]) == (person.pk, None)


def test_the_api_refuses_a_source_sent_with_the_entity_label(api, alice, quote, person):
    api.force_authenticate(alice)
    response = api.patch(
        f"/api/v1/spans/{quote.pk}/",
        {"label": "entity", "source": person.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "source" in response.json()["error"]["fields"]
    quote.refresh_from_db()
    assert (quote.label.slug, quote.source_id) == ("quote", person.pk)


# What stays refused everywhere.


def test_every_entry_point_keeps_a_cited_entity_an_entity(
    client, api, alice, quote, person, labels
):
    client.force_login(alice)
    response = client.post(
        update_url(person), form_body(person, labels["claim"]), headers=HTMX
    )
    assert "must stay an entity" in response.content.decode()
    api.force_authenticate(alice)
    response = api.patch(
        f"/api/v1/spans/{person.pk}/", {"label": "claim"}, format="json"
    )
    assert response.status_code == 400
    assert "must stay an entity" in response.json()["error"]["message"]
    person.refresh_from_db()
    assert (person.label.slug, person.entity_type) == ("entity", "PER")


def test_the_form_sends_only_what_changed(person, labels):
    form = forms.SpanForm(
        form_body(person, labels["claim"]), instance=person, entities=[person]
    )
    assert form.is_valid(), form.errors
    assert form.changes() == {"label": labels["claim"]}
