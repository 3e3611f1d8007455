"""The annotate page /articles/<id>/: highlighted text and the span panel."""

import re

import pytest
from django.urls import reverse

from annotations.models import Span
from annotations.templatetags.annotate import highlighted_text

from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

TEXT = "« Bonjour », dit Zoé 🚀 à l’équipe de Montréal."


def url(article, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("annotations:article_detail", args=[article.pk]) + (
        f"?{query}" if query else ""
    )


def span_at(article, label, phrase, **kwargs):
    start = article.text.index(phrase)
    return SpanFactory(
        article=article, label=label, start=start, end=start + len(phrase), **kwargs
    )


def tree(html):
    """Return {span id: id of the enclosing mark or None} for every mark."""
    parents, stack = {}, []
    for tag in re.finditer(r'<mark[^>]*data-span-id="(\d+)"|</mark>', html):
        if tag.group(1):
            parents.setdefault(int(tag.group(1)), stack[-1] if stack else None)
            stack.append(int(tag.group(1)))
        else:
            stack.pop()
    assert not stack
    return parents


def segments(html):
    """Return [(data-start, text)] for every text run, in order."""
    return [
        (int(start), text)
        for start, text in re.findall(r'<span data-start="(\d+)">([^<]*)</span>', html)
    ]


def test_it_requires_login(client, article):
    response = client.get(url(article))
    assert response.status_code == 302


def test_it_returns_404_for_a_missing_or_deleted_article(client, alice, article):
    client.force_login(alice)
    article.soft_delete()
    assert client.get(url(article)).status_code == 404
    assert client.get("/articles/999999/").status_code == 404


def test_it_returns_404_to_a_user_without_a_role(client, nemo, article):
    client.force_login(nemo)
    assert client.get(url(article)).status_code == 404


def test_it_rejects_post(client, alice, article):
    client.force_login(alice)
    assert client.post(url(article)).status_code == 405


def test_it_renders_the_text_with_a_highlight_per_span(client, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    quote = span_at(article, labels["quote"], "« Bonjour »")
    entity = span_at(article, labels["entity"], "Zoé", entity_type="PER")
    client.force_login(alice)
    response = client.get(url(article))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="article-text"' in content
    assert f'data-span-id="{quote.pk}" data-label="quote"' in content
    assert f'data-span-id="{entity.pk}" data-label="entity"' in content
    # Colour is not the only cue: the label and status are in words.
    assert 'title="Quote · Pending · alice"' in content
    assert "Person" in content
    # The side panel names each group.
    assert 'id="group-quote"' in content and "Quote" in content
    # The editor gets the toolbar and the hidden form the script submits.
    assert 'id="label-toolbar"' in content
    assert 'data-shortcut="q"' in content
    assert 'id="span-form"' in content


def test_it_renders_segments_that_cover_the_text_exactly(labels, alice):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    spans = [
        span_at(article, labels["quote"], "« Bonjour », dit Zoé"),
        span_at(article, labels["entity"], "Zoé"),
        span_at(article, labels["claim"], "dit Zoé 🚀 à l’équipe"),
    ]
    html = highlighted_text(article.text, spans)
    runs = segments(html)
    assert "".join(text for _, text in runs) == TEXT.replace("’", "’")
    for start, text in runs:
        assert TEXT[start : start + len(text)] == text
    assert html.count("<mark") == html.count("</mark>")


def test_it_nests_an_entity_inside_a_quote(labels, alice):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    quote = span_at(article, labels["quote"], "« Bonjour », dit Zoé 🚀")
    entity = span_at(article, labels["entity"], "Zoé")
    html = highlighted_text(article.text, [quote, entity])
    # One element each: the entity sits inside the quote.
    assert html.count(f'data-span-id="{quote.pk}"') == 1
    assert html.count(f'data-span-id="{entity.pk}"') == 1
    assert tree(html) == {quote.pk: None, entity.pk: quote.pk}


def test_it_splits_a_span_that_crosses_another(labels, alice):
    article = ArticleFactory(uploaded_by=alice, text="abcdefghij")
    first = SpanFactory(article=article, label=labels["quote"], start=0, end=6)
    second = SpanFactory(article=article, label=labels["claim"], start=3, end=9)
    html = highlighted_text(article.text, [first, second])
    # The second span is closed where the first ends and reopened after it.
    assert html.count(f'data-span-id="{second.pk}"') == 2
    assert 'class="hl hl-cont"' in html
    assert [start for start, _ in segments(html)] == [0, 3, 6, 9]
    assert html.count("<mark") == html.count("</mark>") == 3


def test_it_escapes_the_text_and_the_labels(labels, alice):
    article = ArticleFactory(uploaded_by=alice, text='<script>alert("x")</script> & co')
    span = SpanFactory(article=article, label=labels["quote"], start=0, end=8)
    html = highlighted_text(article.text, [span])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp; co" in html


def test_it_shows_reviewers_a_read_only_page(client, rita, article, labels):
    SpanFactory(article=article, label=labels["quote"])
    client.force_login(rita)
    content = client.get(url(article)).content.decode()
    assert "Read only" in content
    assert 'id="label-toolbar"' not in content
    assert 'id="span-form"' not in content
    assert "Delete" not in content


def test_it_shows_consumers_approved_spans_only(client, carl, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    approved = span_at(
        article, labels["quote"], "« Bonjour »", status=Span.Status.APPROVED
    )
    pending = span_at(article, labels["entity"], "Zoé")
    client.force_login(carl)
    content = client.get(url(article)).content.decode()
    assert f'data-span-id="{approved.pk}"' in content
    assert f'data-span-id="{pending.pk}"' not in content
    assert 'id="label-toolbar"' not in content


def test_it_offers_edit_and_delete_to_the_author_of_a_pending_span(
    client, alice, bob, labels
):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    mine = span_at(article, labels["quote"], "« Bonjour »")
    theirs = span_at(article, labels["entity"], "Zoé", created_by=bob)
    decided = span_at(article, labels["claim"], "Montréal", status=Span.Status.APPROVED)
    client.force_login(alice)
    content = client.get(url(article)).content.decode()
    spans_url = reverse("annotations:span_create", args=[article.pk])
    assert f'{spans_url}{mine.pk}/delete/"' in content
    assert f'{spans_url}{theirs.pk}/delete/"' not in content
    assert f'{spans_url}{decided.pk}/delete/"' not in content


def test_it_returns_the_workspace_fragment_for_htmx(client, alice, article):
    client.force_login(alice)
    response = client.get(url(article), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace"')
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_it_returns_one_row_in_edit_mode_for_htmx(client, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    entity = span_at(article, labels["entity"], "Zoé")
    quote = span_at(article, labels["quote"], "« Bonjour »")
    client.force_login(alice)
    response = client.get(
        url(article, span=quote.pk, edit=1), headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="span-row-{quote.pk}"')
    assert 'name="label"' in content
    # A quote's source is chosen among the article's entities.
    assert f'<option value="{entity.pk}">Zoé (#{entity.pk})</option>' in content
    assert 'name="entity_type"' not in content


def test_it_offers_an_entity_type_when_editing_an_entity(client, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    entity = span_at(article, labels["entity"], "Zoé")
    client.force_login(alice)
    content = client.get(
        url(article, span=entity.pk, edit=1), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'name="entity_type"' in content
    assert 'value="PER"' in content
    assert 'name="source"' not in content


def test_it_shows_the_edit_form_in_the_full_page_without_htmx(client, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    quote = span_at(article, labels["quote"], "« Bonjour »")
    client.force_login(alice)
    content = client.get(url(article, span=quote.pk, edit=1)).content.decode()
    assert "<html" in content
    assert 'class="span-edit"' in content


def test_it_does_not_offer_editing_to_another_user(client, bob, labels, alice):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    quote = span_at(article, labels["quote"], "« Bonjour »")
    client.force_login(bob)
    content = client.get(
        url(article, span=quote.pk, edit=1), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'class="span-edit"' not in content


def test_it_returns_404_for_a_row_of_an_invisible_span(client, carl, labels, alice):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    quote = span_at(article, labels["quote"], "« Bonjour »")
    client.force_login(carl)
    response = client.get(url(article, span=quote.pk), headers={"HX-Request": "true"})
    assert response.status_code == 404


def test_it_renders_with_a_constant_number_of_queries(
    client, alice, labels, django_assert_num_queries
):
    article = ArticleFactory(uploaded_by=alice, text="word " * 400)
    client.force_login(alice)

    def add_spans(count, offset):
        for i in range(count):
            start = (offset + i) * 5
            SpanFactory(
                article=article,
                label=labels["entity" if i % 2 else "quote"],
                start=start,
                end=start + 4 + 5 * (i % 3),
            )

    add_spans(5, 0)
    # session, user, groups, article, labels, spans, co-annotators
    with django_assert_num_queries(7):
        assert client.get(url(article)).status_code == 200
    add_spans(100, 10)
    with django_assert_num_queries(7):
        assert client.get(url(article)).status_code == 200


def test_it_escapes_user_text_in_the_panel(client, alice, labels):
    article = ArticleFactory(
        uploaded_by=alice, text='<img src=x onerror="alert(1)"> hi'
    )
    SpanFactory(
        article=article,
        label=labels["claim"],
        start=0,
        end=30,
        status=Span.Status.REJECTED,
        rejection_reason="<b>nope</b>",
    )
    client.force_login(alice)
    content = client.get(url(article)).content.decode()
    assert "<img" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in content
    assert "<b>nope</b>" not in content
    assert "&lt;b&gt;nope&lt;/b&gt;" in content


def test_it_deletes_through_the_plain_form_and_its_csrf_token(alice, labels):
    from django.test import Client

    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    span = span_at(article, labels["entity"], "Zoé")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    content = strict.get(url(article)).content.decode()
    delete = reverse("annotations:span_delete", args=[article.pk, span.pk])
    form = content[content.index(f'action="{delete}"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = strict.post(delete, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not Span.objects.exists()


# Review in the panel


def panel_row(content, span):
    row = content[content.index(f'<li id="span-row-{span.pk}"') :]
    return row[: row.index("</li>")]


def test_it_offers_reviewers_approve_and_reject_on_pending_spans(
    client, rita, alice, labels
):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    pending = span_at(article, labels["quote"], "« Bonjour »")
    decided = span_at(article, labels["claim"], "Montréal", status=Span.Status.APPROVED)
    client.force_login(rita)
    content = client.get(url(article)).content.decode()
    spans_url = reverse("annotations:span_create", args=[article.pk])
    row = panel_row(content, pending)
    assert f'hx-post="{spans_url}{pending.pk}/approve/"' in row
    assert f'hx-post="{spans_url}{pending.pk}/reject/"' in row
    assert 'name="version" value="1"' in row
    assert "wrong boundaries" in row
    assert "approve-form" not in panel_row(content, decided)
    assert "Approve all pending in this article" in content


def test_it_offers_editors_and_consumers_no_review_buttons(client, alice, carl, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    span_at(article, labels["quote"], "« Bonjour »")
    span_at(article, labels["claim"], "Montréal", status=Span.Status.APPROVED)
    for user in (alice, carl):
        client.force_login(user)
        content = client.get(url(article)).content.decode()
        assert "approve-form" not in content
        assert "Approve all pending" not in content


def test_it_tells_a_reviewer_why_their_own_span_has_no_buttons(client, rita, labels):
    from django.contrib.auth.models import Group

    rita.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(uploaded_by=rita, text=TEXT)
    own = span_at(article, labels["quote"], "« Bonjour »", created_by=rita)
    client.force_login(rita)
    row = panel_row(client.get(url(article)).content.decode(), own)
    assert "approve-form" not in row
    assert "You created this span; another reviewer must decide on it." in row


def test_it_offers_own_spans_for_review_when_self_review_is_allowed(
    client, rita, labels, settings
):
    from django.contrib.auth.models import Group

    settings.ALLOW_SELF_REVIEW = True
    rita.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(uploaded_by=rita, text=TEXT)
    own = span_at(article, labels["quote"], "« Bonjour »", created_by=rita)
    client.force_login(rita)
    row = panel_row(client.get(url(article)).content.decode(), own)
    assert "approve-form" in row


def test_it_shows_everyone_who_decided_and_why(client, alice, rita, carl, labels):
    from annotations import services

    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    approved = span_at(article, labels["quote"], "« Bonjour »")
    rejected = span_at(article, labels["entity"], "Zoé")
    services.span_approve(span=approved, user=rita, version=1)
    services.span_reject(span=rejected, user=rita, version=1, reason="not a person")
    client.force_login(alice)
    content = client.get(url(article)).content.decode()
    assert "Approved by rita, " in panel_row(content, approved)
    assert "Rejected by rita, " in panel_row(content, rejected)
    assert "not a person" in panel_row(content, rejected)
    # Consumers see approved spans only, with who approved them.
    client.force_login(carl)
    content = client.get(url(article)).content.decode()
    assert "Approved by rita, " in panel_row(content, approved)
    assert f'id="span-row-{rejected.pk}"' not in content


def test_it_lets_the_author_edit_or_delete_a_rejected_span(client, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    rejected = span_at(
        article,
        labels["claim"],
        "Montréal",
        status=Span.Status.REJECTED,
        rejection_reason="wrong label",
    )
    client.force_login(alice)
    row = panel_row(client.get(url(article)).content.decode(), rejected)
    spans_url = reverse("annotations:span_create", args=[article.pk])
    assert f"?span={rejected.pk}&amp;edit=1" in row
    assert f'{spans_url}{rejected.pk}/delete/"' in row


def test_it_links_each_row_to_its_history(client, alice, labels):
    article = ArticleFactory(uploaded_by=alice, text=TEXT)
    span = span_at(article, labels["quote"], "« Bonjour »")
    client.force_login(alice)
    content = client.get(url(article)).content.decode()
    history = reverse("annotations:span_history", args=[span.pk])
    row = panel_row(content, span)
    assert f'href="{history}" hx-get="{history}"' in row
    assert f'hx-target="#span-history-{span.pk}"' in row
    assert reverse("annotations:article_history", args=[article.pk]) in content


def test_it_renders_reviewers_with_a_constant_number_of_queries(
    client, rita, alice, labels, django_assert_num_queries
):
    article = ArticleFactory(uploaded_by=alice, text="word " * 400)
    client.force_login(rita)
    for count, offset in ((5, 0), (100, 10)):
        Span.objects.bulk_create(
            Span(
                article=article,
                label=labels["claim"],
                start=(offset + i) * 5,
                end=(offset + i) * 5 + 4,
                text="word",
                created_by=alice,
                status=("pending", "approved", "rejected")[i % 3],
                rejection_reason="no" if i % 3 == 2 else "",
                reviewed_by=rita if i % 3 else None,
            )
            for i in range(count)
        )
        # session, user, groups, article, labels, spans, co-annotators
        with django_assert_num_queries(7):
            assert client.get(url(article)).status_code == 200
