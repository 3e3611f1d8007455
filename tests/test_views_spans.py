"""Creating, editing and deleting spans from the annotate page."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from annotations.models import AuditEvent, Span

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

TEXT = "« Bonjour », dit Zoé 🚀 à l’équipe de Montréal."
HTMX = {"HX-Request": "true"}


@pytest.fixture
def story(alice):
    return ArticleFactory(uploaded_by=alice, text=TEXT)


def create_url(article):
    return reverse("annotations:span_create", args=[article.pk])


def update_url(span):
    return reverse("annotations:span_update", args=[span.article_id, span.pk])


def delete_url(span):
    return reverse("annotations:span_delete", args=[span.article_id, span.pk])


def selection(article, phrase, label="quote", **extra):
    start = article.text.index(phrase)
    data = {"label": label, "start": start, "end": start + len(phrase), "text": phrase}
    data.update(extra)
    return data


def span_at(article, label, phrase, **kwargs):
    start = article.text.index(phrase)
    return SpanFactory(
        article=article, label=label, start=start, end=start + len(phrase), **kwargs
    )


# Create


def test_it_creates_a_span_and_returns_the_changed_parts(client, alice, story):
    client.force_login(alice)
    response = client.post(
        create_url(story), selection(story, "à l’équipe", "quote"), headers=HTMX
    )
    assert response.status_code == 200
    span = Span.objects.get()
    assert (span.start, span.end) == (23, 33)
    assert span.text == story.text[23:33] == "à l’équipe"
    assert span.created_by == alice
    assert AuditEvent.objects.for_object(span).get().action == "create"
    content = response.content.decode()
    # The redrawn text is the main swap; the rest goes out of band.
    assert content.lstrip().startswith('<div id="article-text"')
    assert f'data-span-id="{span.pk}" data-label="quote"' in content
    assert 'id="annotate-message" class="annotate-message"' in content
    assert "Tagged “à l’équipe” as Quote." in content
    assert '<span id="count-quote" class="muted" hx-swap-oob="true">1</span>' in content
    assert '<ol hx-swap-oob="beforeend:#spans-quote">' in content
    assert f'<li id="span-row-{span.pk}"' in content
    assert 'id="workspace"' not in content


def test_it_slots_a_new_row_before_the_next_span_of_its_group(
    client, alice, story, labels
):
    later = span_at(story, labels["entity"], "Montréal")
    client.force_login(alice)
    response = client.post(
        create_url(story), selection(story, "Zoé", "entity"), headers=HTMX
    )
    content = response.content.decode()
    assert f'<ol hx-swap-oob="beforebegin:#span-row-{later.pk}">' in content
    assert (
        '<span id="count-entity" class="muted" hx-swap-oob="true">2</span>' in content
    )


def test_it_redirects_after_creating_without_htmx(client, alice, story):
    client.force_login(alice)
    response = client.post(create_url(story), selection(story, "Zoé", "entity"))
    assertRedirects(response, reverse("annotations:article_detail", args=[story.pk]))
    assert Span.objects.get().label.slug == "entity"


def test_it_shows_a_message_for_a_duplicate(client, alice, story):
    client.force_login(alice)
    client.post(create_url(story), selection(story, "Zoé", "entity"), headers=HTMX)
    response = client.post(
        create_url(story), selection(story, "Zoé", "entity"), headers=HTMX
    )
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    content = response.content.decode()
    assert "already has a span with this label" in content
    assert 'hx-swap-oob="true"' in content
    assert 'id="article-text"' not in content
    assert Span.objects.count() == 1


def test_it_allows_the_same_offsets_with_another_label(client, alice, story):
    client.force_login(alice)
    client.post(create_url(story), selection(story, "Zoé", "entity"), headers=HTMX)
    client.post(create_url(story), selection(story, "Zoé", "quote"), headers=HTMX)
    assert Span.objects.count() == 2


def test_it_refuses_text_that_does_not_match_the_offsets(client, alice, story):
    client.force_login(alice)
    data = selection(story, "Zoé", "entity", text="Zoe")
    response = client.post(create_url(story), data, headers=HTMX)
    content = response.content.decode()
    assert "does not match the article" in content
    assert "&#x27;Zoe&#x27;" in content and "&#x27;Zoé&#x27;" in content
    assert not Span.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "quote", "start": 5, "end": 5}, "cannot be empty"),
        ({"label": "quote", "start": 0, "end": 999}, "past the end"),
        ({"label": "quote", "start": 9, "end": 12}, "whitespace"),
        ({"label": "gossip", "start": 0, "end": 3}, "Choose one of the labels"),
        ({"label": "quote", "start": "x", "end": 3}, "whole number"),
    ],
)
def test_it_shows_a_message_for_a_bad_selection(client, alice, story, data, message):
    client.force_login(alice)
    response = client.post(create_url(story), data, headers=HTMX)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Span.objects.exists()


@pytest.mark.parametrize("persona", ["rita", "carl", "nemo"])
def test_it_refuses_to_let_non_editors_annotate(client, story, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(create_url(story), selection(story, "Zoé"), headers=HTMX)
    assert response.status_code == (404 if persona == "nemo" else 403)
    assert not Span.objects.exists()


def test_it_returns_404_for_a_deleted_article(client, alice, story):
    story.soft_delete()
    client.force_login(alice)
    response = client.post(create_url(story), selection(story, "Zoé"))
    assert response.status_code == 404


def test_it_rejects_get_on_the_create_endpoint(client, alice, story):
    client.force_login(alice)
    assert client.get(create_url(story)).status_code == 405


def test_it_requires_login_to_create(client, story):
    response = client.post(create_url(story), selection(story, "Zoé"))
    assert response.status_code == 302
    assert not Span.objects.exists()


def test_it_checks_the_csrf_token(alice, story):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(create_url(story), selection(story, "Zoé"), headers=HTMX)
    assert response.status_code == 403
    assert not Span.objects.exists()


# Update


def test_it_relabels_a_span(client, alice, story, labels):
    span = span_at(story, labels["quote"], "Zoé")
    client.force_login(alice)
    response = client.post(
        update_url(span), {"label": labels["entity"].pk, "version": 1}, headers=HTMX
    )
    assert response.status_code == 200
    span.refresh_from_db()
    assert span.label == labels["entity"]
    assert span.version == 2
    assert "Span updated." in response.content.decode()


def test_it_sets_an_entity_type(client, alice, story, labels):
    span = span_at(story, labels["entity"], "Zoé")
    client.force_login(alice)
    client.post(
        update_url(span),
        {"label": labels["entity"].pk, "entity_type": "PER", "version": 1},
        headers=HTMX,
    )
    span.refresh_from_db()
    assert span.entity_type == "PER"


def test_it_sets_a_quote_source_from_the_entities(client, alice, story, labels):
    entity = span_at(story, labels["entity"], "Zoé")
    quote = span_at(story, labels["quote"], "« Bonjour »")
    client.force_login(alice)
    client.post(
        update_url(quote),
        {"label": labels["quote"].pk, "source": entity.pk, "version": 1},
        headers=HTMX,
    )
    quote.refresh_from_db()
    assert quote.source == entity


def test_it_drops_what_a_new_label_cannot_carry(client, alice, story, labels):
    span = span_at(story, labels["entity"], "Zoé", entity_type="PER")
    client.force_login(alice)
    client.post(
        update_url(span),
        {"label": labels["claim"].pk, "entity_type": "PER", "version": 1},
        headers=HTMX,
    )
    span.refresh_from_db()
    assert (span.label.slug, span.entity_type) == ("claim", None)


def test_it_refuses_a_source_that_is_not_an_entity(client, alice, story, labels):
    claim = span_at(story, labels["claim"], "Montréal")
    quote = span_at(story, labels["quote"], "« Bonjour »")
    client.force_login(alice)
    response = client.post(
        update_url(quote),
        {"label": labels["quote"].pk, "source": claim.pk, "version": 1},
        headers=HTMX,
    )
    # The row comes back in edit mode with the error, in place.
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#span-row-{quote.pk}"
    assert "Select a valid choice" in response.content.decode()
    quote.refresh_from_db()
    assert quote.source is None


def test_it_keeps_an_entity_that_is_a_source(client, alice, story, labels):
    entity = span_at(story, labels["entity"], "Zoé")
    span_at(story, labels["quote"], "« Bonjour »", source=entity)
    client.force_login(alice)
    response = client.post(
        update_url(entity), {"label": labels["claim"].pk, "version": 1}, headers=HTMX
    )
    assert "must stay an entity" in response.content.decode()
    entity.refresh_from_db()
    assert entity.label.slug == "entity"


def test_it_reports_a_stale_version(client, alice, story, labels):
    span = span_at(story, labels["quote"], "Zoé", version=3)
    client.force_login(alice)
    response = client.post(
        update_url(span), {"label": labels["claim"].pk, "version": 2}, headers=HTMX
    )
    assert "Reload it and try again" in response.content.decode()
    span.refresh_from_db()
    assert span.label.slug == "quote"


def test_it_refuses_to_let_another_editor_edit(client, bob, story, labels):
    span = span_at(story, labels["quote"], "Zoé")
    client.force_login(bob)
    response = client.post(
        update_url(span), {"label": labels["claim"].pk, "version": 1}, headers=HTMX
    )
    assert response.status_code == 403


def test_it_hides_pending_spans_from_consumers(client, carl, story, labels):
    span = span_at(story, labels["quote"], "Zoé")
    client.force_login(carl)
    response = client.post(update_url(span), {"label": labels["claim"].pk})
    assert response.status_code == 404


def test_it_returns_404_for_a_span_of_another_article(client, alice, story, labels):
    other = ArticleFactory(uploaded_by=alice, text=TEXT)
    span = span_at(other, labels["quote"], "Zoé")
    client.force_login(alice)
    bad = reverse("annotations:span_update", args=[story.pk, span.pk])
    assert client.post(bad, {"label": labels["claim"].pk}).status_code == 404


def test_it_redirects_after_an_update_without_htmx(client, alice, story, labels):
    span = span_at(story, labels["quote"], "Zoé")
    client.force_login(alice)
    response = client.post(
        update_url(span), {"label": labels["claim"].pk, "version": 1}
    )
    assertRedirects(response, reverse("annotations:article_detail", args=[story.pk]))


# Delete


def test_it_deletes_a_pending_span(client, alice, story, labels):
    span = span_at(story, labels["quote"], "Zoé")
    client.force_login(alice)
    response = client.post(delete_url(span), headers=HTMX)
    assert response.status_code == 200
    assert not Span.objects.exists()
    assert "Deleted “Zoé”." in response.content.decode()
    assert AuditEvent.objects.filter(action="delete").count() == 1


def test_it_refuses_to_delete_an_entity_used_as_a_source(client, alice, story, labels):
    entity = span_at(story, labels["entity"], "Zoé")
    span_at(story, labels["quote"], "« Bonjour »", source=entity)
    client.force_login(alice)
    response = client.post(delete_url(entity), headers=HTMX)
    assert "change their source before deleting it" in response.content.decode()
    assert Span.objects.count() == 2


def test_it_refuses_to_let_an_editor_delete_an_approved_span(
    client, alice, story, labels
):
    span = span_at(story, labels["quote"], "Zoé", status=Span.Status.APPROVED)
    client.force_login(alice)
    assert client.post(delete_url(span), headers=HTMX).status_code == 403
    assert Span.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("bob", 403), ("rita", 403)])
def test_it_refuses_to_let_others_delete(
    client, story, labels, persona, status, request
):
    span = span_at(story, labels["quote"], "Zoé")
    client.force_login(request.getfixturevalue(persona))
    assert client.post(delete_url(span), headers=HTMX).status_code == status
    assert Span.objects.exists()


def test_it_rejects_get_on_delete(client, alice, story, labels):
    span = span_at(story, labels["quote"], "Zoé")
    client.force_login(alice)
    assert client.get(delete_url(span)).status_code == 405


def test_it_creates_a_span_with_constant_queries(client, alice, story, labels):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)

    def queries_to_create(phrase):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                create_url(story), selection(story, phrase, "quote"), headers=HTMX
            )
        assert "Tagged" in response.content.decode()
        return len(captured)

    first = queries_to_create("Bonjour")
    for phrase in ("dit", "Zoé", "Montréal", "équipe", "de"):
        span_at(story, labels["entity"], phrase)
    assert queries_to_create("à l’équipe") == first


# Type and source at creation (the page's pickers send them with the span)


def test_it_creates_an_entity_with_its_type(client, alice, story):
    client.force_login(alice)
    response = client.post(
        create_url(story),
        selection(story, "Zoé", "entity", entity_type="PER"),
        headers=HTMX,
    )
    span = Span.objects.get()
    assert span.entity_type == "PER"
    assert "Tagged “Zoé” as Entity (Person)." in response.content.decode()


def test_it_creates_a_quote_with_its_source(client, alice, story, labels):
    zoe = span_at(story, labels["entity"], "Zoé")
    client.force_login(alice)
    response = client.post(
        create_url(story),
        selection(story, "« Bonjour »", "quote", source=zoe.pk),
        headers=HTMX,
    )
    quote = Span.objects.get(label__slug="quote")
    assert quote.source == zoe
    assert "as Quote, source: Zoé." in response.content.decode()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"label": "quote", "entity_type": "PER"}, "Only entity spans have an entity"),
        ({"label": "entity", "entity_type": "XYZ"}, "not one of the available choices"),
        ({"label": "quote", "source": 999999}, "must be a span of this article"),
    ],
)
def test_it_refuses_a_type_or_source_that_does_not_fit(
    client, alice, story, extra, message
):
    client.force_login(alice)
    data = {**selection(story, "Zoé"), **extra}
    response = client.post(create_url(story), data, headers=HTMX)
    assert message in response.content.decode()
    assert not Span.objects.exists()


def test_it_refuses_a_source_from_another_article(client, alice, story, labels):
    elsewhere = ArticleFactory(uploaded_by=alice, text="Zoé ailleurs.")
    other = span_at(elsewhere, labels["entity"], "Zoé")
    client.force_login(alice)
    data = selection(story, "« Bonjour »", "quote", source=other.pk)
    response = client.post(create_url(story), data, headers=HTMX)
    assert "must be a span of this article" in response.content.decode()
    assert Span.objects.count() == 1


# Move (the nudge keys)


def move_url(span):
    return reverse("annotations:span_move", args=[span.article_id, span.pk])


def test_it_moves_a_span_with_its_version(client, alice, story, labels):
    span = span_at(story, labels["entity"], "Zoé")
    client.force_login(alice)
    start = TEXT.index("dit")
    response = client.post(
        move_url(span), {"start": start, "end": span.end, "version": 1}, headers=HTMX
    )
    assert response.status_code == 200
    span.refresh_from_db()
    assert (span.text, span.version) == ("dit Zoé", 2)
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace"')
    assert "Now “dit Zoé”." in content
    event = AuditEvent.objects.for_object(span).get(action="update")
    assert f'data-undo-event="{event.pk}"' in content
    assert f'data-from="{start}" data-to="{span.end}" data-version="2"' in content


def test_it_answers_a_stale_move_with_409_and_the_current_page(
    client, alice, story, labels
):
    span = span_at(story, labels["entity"], "Zoé", version=3)
    client.force_login(alice)
    response = client.post(
        move_url(span),
        {"start": span.start, "end": span.end + 2, "version": 2},
        headers=HTMX,
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "version 3; you sent 2" in content
    assert 'data-version="3"' in content
    span.refresh_from_db()
    assert (span.text, span.version) == ("Zoé", 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": 16, "end": 20}, "starts or ends with whitespace"),
        ({"start": 19, "end": 15}, "must be greater than start"),
        ({"start": 15, "end": 999}, "past the end of the article"),
        ({"start": "x", "end": 19}, "Enter a whole number."),
        ({"start": 15}, "This field is required."),
    ],
)
def test_it_refuses_bad_boundaries_with_a_message(
    client, alice, story, labels, data, message
):
    span = span_at(story, labels["entity"], "Zoé")
    client.force_login(alice)
    response = client.post(move_url(span), {"version": 1, **data}, headers=HTMX)
    assert response.status_code == 200
    assert message in response.content.decode()
    span.refresh_from_db()
    assert (span.text, span.version) == ("Zoé", 1)


@pytest.mark.parametrize(
    ("persona", "status"), [("bob", 403), ("rita", 403), ("carl", 404), ("nemo", 404)]
)
def test_it_lets_only_the_author_move_a_span(
    client, story, labels, persona, status, request
):
    span = span_at(story, labels["entity"], "Zoé")
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        move_url(span), {"start": 0, "end": span.end, "version": 1}, headers=HTMX
    )
    assert response.status_code == status
    span.refresh_from_db()
    assert span.version == 1


def test_it_requires_login_and_post_to_move(client, alice, story, labels):
    span = span_at(story, labels["entity"], "Zoé")
    response = client.post(move_url(span), {"start": 0, "end": span.end, "version": 1})
    assert response.status_code == 302
    client.force_login(alice)
    assert client.get(move_url(span)).status_code == 405


def test_it_redirects_a_plain_move(client, alice, story, labels):
    span = span_at(story, labels["entity"], "Zoé")
    client.force_login(alice)
    response = client.post(
        move_url(span), {"start": TEXT.index("dit"), "end": span.end, "version": 1}
    )
    assertRedirects(
        response,
        reverse("annotations:article_detail", args=[story.pk]),
        fetch_redirect_response=False,
    )
    span.refresh_from_db()
    assert span.text == "dit Zoé"
