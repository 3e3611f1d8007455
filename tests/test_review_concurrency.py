"""Two reviewers deciding one span at the same moment, on real connections.

Each thread has its own database connection and transaction; a barrier
releases both at once. Exactly one decision may win, the other gets a
conflict naming the winner, and the audit trail holds one decision.
"""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from annotations import services
from annotations.models import AuditEvent, Span

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 15


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")


def race(*calls):
    """Run the callables at the same instant in threads; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the losing side's exception is the result
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def decisions(span):
    return AuditEvent.objects.filter(
        object_type="span", object_id=span.pk, action__in=["approve", "reject"]
    )


def test_it_lets_exactly_one_of_two_concurrent_decisions_win(alice, rita, ada, labels):
    article = ArticleFactory(uploaded_by=alice, text="abcdefghijklmnopqrstuvwxyz")
    for i in range(ROUNDS):
        span = services.span_create(
            user=alice, article=article, label=labels["claim"], start=i, end=i + 1
        )
        results = race(
            lambda s=span: services.span_approve(
                span=Span.objects.get(pk=s.pk), user=rita, version=1
            ),
            lambda s=span: services.span_reject(
                span=Span.objects.get(pk=s.pk), user=ada, version=1, reason="wrong"
            ),
        )
        winners = [r for r in results if isinstance(r, Span)]
        losers = [r for r in results if isinstance(r, services.Conflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        winner = winners[0].reviewed_by.get_username()
        assert f"already {winners[0].status} by {winner}" in losers[0].message
        span.refresh_from_db()
        assert span.version == 2
        assert span.status == winners[0].status
        assert decisions(span).count() == 1


def test_it_answers_the_losing_api_client_with_409(alice, rita, ada, labels):
    article = ArticleFactory(uploaded_by=alice, text="Texte à relire avec soin.")
    span = services.span_create(
        user=alice, article=article, label=labels["claim"], start=0, end=5
    )
    url = f"/api/v1/spans/{span.pk}/"

    def call(user, verb, body):
        client = APIClient()
        client.force_authenticate(user)
        return client.post(f"{url}{verb}/", body, format="json")

    results = race(
        lambda: call(rita, "approve", {"version": 1}),
        lambda: call(ada, "reject", {"version": 1, "reason": "not a claim"}),
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409]
    loser = next(r for r in results if r.status_code == 409).json()["error"]
    assert loser["current"]["version"] == 2
    assert decisions(span).count() == 1


def test_it_keeps_an_edit_and_a_decision_from_crossing(alice, rita, labels):
    article = ArticleFactory(uploaded_by=alice, text="Texte à relire avec soin.")
    span = services.span_create(
        user=alice, article=article, label=labels["claim"], start=0, end=5
    )
    results = race(
        lambda: services.span_update(
            span=Span.objects.get(pk=span.pk), user=alice, version=1, start=0, end=14
        ),
        lambda: services.span_approve(
            span=Span.objects.get(pk=span.pk), user=rita, version=1
        ),
    )
    assert sum(isinstance(r, Span) for r in results) == 1
    assert sum(isinstance(r, services.Conflict) for r in results) == 1
    span.refresh_from_db()
    # Either the edit won (pending, new text) or the approval did (old text).
    assert (span.status, span.text) in {
        ("pending", "Texte à relire"),
        ("approved", "Texte"),
    }
