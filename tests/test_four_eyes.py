"""Four-eyes: whoever changes a span's label or offsets counts as its annotator."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from annotations import services
from annotations.models import Span

pytestmark = pytest.mark.django_db

TEXT = "« Nous tiendrons », promet Zoé Lefèvre à Montréal."
_backfill = importlib.import_module("annotations.migrations.0013_span_co_annotators")


@pytest.fixture
def article(alice):
    return services.article_create(user=alice, title="Promesse", text=TEXT)


@pytest.fixture
def quote(alice, article, labels):
    return services.span_create(
        user=alice, article=article, label=labels["quote"], start=0, end=18
    )


def approve_api(as_user, user, span):
    span.refresh_from_db()
    return as_user(user).post(
        f"/api/v1/spans/{span.pk}/approve/", {"version": span.version}, format="json"
    )


def test_an_admin_who_relabels_a_span_may_not_approve_it(
    as_user, ada, rita, quote, labels
):
    services.span_update(span=quote, user=ada, label=labels["claim"])
    response = approve_api(as_user, ada, quote)
    assert response.status_code == 403
    assert (
        "You changed this span's label or offsets"
        in response.json()["error"]["message"]
    )
    quote.refresh_from_db()
    assert quote.status == "pending"
    # Another reviewer may.
    assert approve_api(as_user, rita, quote).status_code == 200


def test_an_admin_who_moves_a_span_may_not_reject_it(as_user, ada, quote):
    services.span_update(span=quote, user=ada, start=2, end=16)
    quote.refresh_from_db()
    response = as_user(ada).post(
        f"/api/v1/spans/{quote.pk}/reject/",
        {"version": quote.version, "reason": "too short"},
        format="json",
    )
    assert response.status_code == 403
    assert Span.objects.get(pk=quote.pk).status == "pending"


def test_a_change_of_type_or_source_alone_does_not_count(
    as_user, ada, alice, article, quote, labels
):
    zoe = services.span_create(
        user=alice, article=article, label=labels["entity"], start=27, end=38
    )
    services.span_update(span=quote, user=ada, source=zoe)
    services.span_update(span=zoe, user=ada, entity_type="PER")
    assert approve_api(as_user, ada, quote).status_code == 200
    assert approve_api(as_user, ada, zoe).status_code == 200


def test_the_author_editing_their_own_span_adds_no_one(alice, quote, labels):
    services.span_update(span=quote, user=alice, label=labels["claim"])
    assert quote.annotator_ids == {alice.pk}


def test_approving_all_pending_leaves_a_reshaped_span_for_someone_else(
    as_user, ada, quote, article, labels
):
    services.span_update(span=quote, user=ada, end=16)
    response = as_user(ada).post(f"/api/v1/articles/{article.pk}/approve-pending/")
    assert response.json()["approved"] == []
    assert response.json()["left_for_another_reviewer"] == 1


def test_the_page_refuses_the_decision_and_says_why(client, ada, quote, labels):
    services.span_update(span=quote, user=ada, label=labels["claim"])
    quote.refresh_from_db()
    client.force_login(ada)
    url = reverse("annotations:span_approve", args=[quote.article_id, quote.pk])
    assert client.post(url, {"version": quote.version}).status_code == 403
    content = client.get(
        reverse("annotations:article_detail", args=[quote.article_id])
    ).content.decode()
    assert "You changed this span&#x27;s label or offsets" in content
    assert Span.objects.get(pk=quote.pk).status == "pending"


def test_self_review_setting_relaxes_it(as_user, ada, quote, labels, settings):
    settings.ALLOW_SELF_REVIEW = True
    services.span_update(span=quote, user=ada, label=labels["claim"])
    assert approve_api(as_user, ada, quote).status_code == 200


def test_the_pages_name_both_people(client, ada, rita, quote, labels):
    services.span_update(span=quote, user=ada, label=labels["claim"])
    client.force_login(rita)
    history = client.get(reverse("annotations:span_history", args=[quote.pk]))
    assert "annotated by alice, changed by ada" in history.content.decode()
    queue = client.get(reverse("annotations:review_queue"))
    assert "by alice, changed by ada" in queue.content.decode()
    panel = client.get(reverse("annotations:article_detail", args=[quote.article_id]))
    assert "alice, changed by ada" in panel.content.decode()


def test_a_consumer_reads_only_the_author(client, carl, ada, rita, quote, labels):
    services.span_update(span=quote, user=ada, label=labels["claim"])
    quote.refresh_from_db()
    services.span_approve(span=quote, user=rita, version=quote.version)
    client.force_login(carl)
    history = client.get(reverse("annotations:span_history", args=[quote.pk]))
    content = history.content.decode()
    assert "annotated by alice" in content and "ada" not in content


def test_the_migration_finds_earlier_changes_in_the_audit_trail(
    alice, ada, article, quote, labels
):
    zoe = services.span_create(
        user=alice, article=article, label=labels["entity"], start=27, end=38
    )
    services.span_update(span=quote, user=ada, label=labels["claim"])
    services.span_update(span=quote, user=alice, start=2)
    services.span_update(span=zoe, user=ada, entity_type="PER")
    Span.co_annotators.through.objects.all().delete()
    _backfill.from_the_audit_trail(apps, None)
    assert Span.objects.get(pk=quote.pk).annotator_ids == {alice.pk, ada.pk}
    # A new entity type is no change of label or offsets.
    assert Span.objects.get(pk=zoe.pk).annotator_ids == {alice.pk}


def test_undoing_a_deletion_keeps_who_reshaped_the_span(
    as_user, ada, rita, quote, labels
):
    services.span_update(span=quote, user=ada, label=labels["claim"])
    deletion = services.span_delete(span=Span.objects.get(pk=quote.pk), user=ada)
    services.span_undo(user=ada, event=deletion)
    assert Span.objects.get(pk=quote.pk).annotator_ids == {quote.created_by_id, ada.pk}
    assert approve_api(as_user, ada, quote).status_code == 403
    assert approve_api(as_user, rita, quote).status_code == 200
