from datetime import timedelta

import pytest
from django.utils import timezone

from annotations import services, stats
from annotations.models import AuditEvent, Span

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(alice, bob, rita, labels):
    article = services.article_create(
        user=alice, title="T", text="un deux trois quatre cinq six"
    )
    spans = {}
    for user, slug, (start, end) in [
        (alice, "claim", (0, 2)),
        (alice, "claim", (3, 7)),
        (alice, "quote", (8, 13)),
        (bob, "entity", (14, 20)),
        (bob, "entity", (21, 25)),
    ]:
        spans[(start, end)] = services.span_create(
            user=user, article=article, label=labels[slug], start=start, end=end
        )
    services.span_approve(span=spans[(0, 2)], user=rita, version=1)
    services.span_reject(span=spans[(3, 7)], user=rita, version=1, reason="no")
    services.span_approve(span=spans[(14, 20)], user=rita, version=1)
    return spans


def test_it_counts_by_label_and_status(decided):
    rows = {
        rate.name: (rate.approved, rate.rejected, rate.pending)
        for rate in stats.by_label()
    }
    assert rows == {
        "quote": (0, 0, 1),
        "claim": (1, 1, 0),
        "entity": (1, 0, 1),
        "opinion": (0, 0, 0),
    }


def test_it_gives_approval_rates_per_annotator(decided):
    rates = {rate.name: rate.approval_rate for rate in stats.by_annotator()}
    assert rates == {"alice": 0.5, "bob": 1.0}


def test_it_has_no_rate_before_any_decision(alice, labels):
    article = services.article_create(user=alice, title="T", text="un deux")
    services.span_create(
        user=alice, article=article, label=labels["claim"], start=0, end=2
    )
    [rate] = stats.by_annotator()
    assert rate.approval_rate is None


def test_it_measures_the_oldest_pending_span(decided):
    oldest = Span.objects.filter(status="pending").order_by("created_at").first()
    Span.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    age = stats.oldest_pending_age()
    assert timedelta(days=3) <= age < timedelta(days=3, minutes=1)


def test_it_has_no_oldest_pending_when_all_are_decided(db):
    assert stats.oldest_pending_age() is None


def test_it_counts_decisions_per_day(decided, rita):
    span = next(iter(decided.values()))
    AuditEvent.objects.create(
        actor=rita,
        action="reject",
        object_type="span",
        object_id=span.pk,
        created_at=timezone.now() - timedelta(days=2),
    )
    days = stats.throughput(days=30)
    assert len(days) == 30
    assert days[0][0] == timezone.localdate() - timedelta(days=29)
    assert days[-1] == (timezone.localdate(), 2, 1)
    assert days[-3] == (timezone.localdate() - timedelta(days=2), 0, 1)
    assert sum(a + r for _, a, r in days[:-3]) == 0
