"""The bulk import's one write path: services.articles_import and its audit rows."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import imports, permissions, services
from annotations.models import Article, AuditEvent, Span

pytestmark = pytest.mark.django_db

TEXT = "« Le pont rouvrira », promet Zoé Lefèvre 🚀 à Montréal."


def line(index, spans=3):
    words = ["« Le pont rouvrira »", "Zoé Lefèvre", "Montréal"][:spans]
    items = []
    for n, word in enumerate(words, start=1):
        start = TEXT.index(word)
        items.append(
            {
                "id": n,
                "start": start,
                "end": start + len(word),
                "label": "quote" if n == 1 else "entity",
                **({"source_span": 2} if n == 1 and spans > 1 else {}),
            }
        )
    return json.dumps(
        {
            "title": f"Pont {index}",
            "text": TEXT,
            "source_url": f"https://example.org/{index}",
            "spans": items,
        }
    )


def test_it_builds_audit_rows_like_single_writes_without_the_text(ada, labels):
    imports.import_articles(lines=[line(1)], user=ada, status="approved")
    article = Article.objects.get()
    event = AuditEvent.objects.get(object_type="article")
    assert event.after == article.snapshot(with_text=False)
    assert "text" not in event.after
    assert event.after["text_length"] == len(TEXT)
    assert (event.actor, event.actor_username, event.object_repr) == (
        ada,
        "ada",
        article.title,
    )
    for span in Span.objects.select_related("label", "reviewed_by"):
        span_event = AuditEvent.objects.get(object_type="span", object_id=span.pk)
        assert span_event.after == span.snapshot()
        assert span_event.object_repr == str(span)
        assert span_event.article_id == article.pk
    quote = Span.objects.get(label__slug="quote")
    assert quote.source == Span.objects.get(text="Zoé Lefèvre")


def test_it_runs_the_same_queries_for_one_span_or_many(alice, labels):
    # SQLite inserts at most 999 values a statement (48 spans of 20 columns):
    # stay under one batch there.
    permissions.roles(alice)

    def queries(lines):
        with CaptureQueriesContext(connection) as captured:
            result = imports.import_articles(lines=lines, user=alice)
        assert result.ok is True, result.errors
        return len(captured)

    few = queries([line(1, spans=1)])
    many = queries([line(index) for index in range(2, 18)])
    assert many == few


def test_it_matches_an_article_within_one_batch(alice, labels):
    result = imports.import_articles(lines=[line(1), line(1)], user=alice)
    assert (result.articles_created, result.articles_existing) == (1, 1)
    assert (result.spans_created, result.spans_existing) == (3, 3)
    assert Span.objects.count() == 3


def test_it_refuses_approved_spans_to_a_non_admin_at_the_service_too(alice, labels):
    item = imports.new_article({"title": "T", "text": TEXT})
    with pytest.raises(PermissionDenied):
        services.articles_import(user=alice, items=[item], status="approved")
    assert Article.objects.count() == 0


def test_the_api_bulk_create_writes_through_the_same_path(as_user, alice):
    items = [{"title": f"Un {n}", "text": TEXT} for n in range(3)]
    # The same text three times: a bulk create refuses that unless told.
    response = as_user(alice).post(
        "/api/v1/articles/?allow_duplicate=true", items, format="json"
    )
    assert response.status_code == 201
    # Not matched: a bulk create always creates, as before.
    assert Article.objects.count() == 3
    events = AuditEvent.objects.filter(object_type="article", action="create")
    assert events.count() == 3
    assert all(event.after["text_sha256"] for event in events)
