"""Figures for the reviewer dashboard: a handful of aggregate queries, no loops over rows."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import MANUAL_ORIGIN, AuditEvent, Label, Span

DAYS = 30


@dataclass
class Rate:
    name: str
    approved: int
    rejected: int
    pending: int

    @property
    def decided(self) -> int:
        return self.approved + self.rejected

    @property
    def approval_rate(self) -> float | None:
        """Approved share of decided spans, or None before any decision."""
        return self.approved / self.decided if self.decided else None


def _rates(spans, field: str) -> list[Rate]:
    rows = (
        spans.values(field)
        .annotate(
            approved=Count("pk", filter=Q(status=Span.Status.APPROVED)),
            rejected=Count("pk", filter=Q(status=Span.Status.REJECTED)),
            pending=Count("pk", filter=Q(status=Span.Status.PENDING)),
        )
        .order_by(field)
    )
    return [
        Rate(row[field], row["approved"], row["rejected"], row["pending"])
        for row in rows
    ]


def _reviewed_spans():
    # The versions of blind articles go through adjudication, not review.
    # Suggestions are made for someone, not by them.
    return Span.objects.alive().filter(blind=False).accepted()


def by_label(spans=None) -> list[Rate]:
    """Counts per label and status, every label listed (zeros included)."""
    spans = _reviewed_spans() if spans is None else spans
    found = {rate.name: rate for rate in _rates(spans, "label__slug")}
    return [
        found.get(slug, Rate(slug, 0, 0, 0))
        for slug in Label.objects.values_list("slug", flat=True)
    ]


def by_annotator(spans=None) -> list[Rate]:
    spans = _reviewed_spans() if spans is None else spans
    return _rates(spans, "created_by__username")


@dataclass
class OriginFigures:
    """What became of the suggestions of one origin (rule or model)."""

    origin: str
    # Every suggestion stored: still open, accepted or dismissed.
    suggested: int
    waiting: int
    accepted: int
    # Accepted with a change of offsets, label, type or source.
    corrected: int
    dismissed: int

    @property
    def accepted_as_is(self) -> int:
        return self.accepted - self.corrected

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted share of the suggestions someone decided on: the precision
        the newsroom sees. None before any decision."""
        decided = self.accepted + self.dismissed
        return self.accepted / decided if decided else None


def by_origin(spans=None) -> list[OriginFigures]:
    """Suggestion figures per origin, in origin order; spans made by hand aside."""
    spans = Span.objects.alive() if spans is None else spans
    rows = (
        spans.exclude(origin=MANUAL_ORIGIN)
        .values("origin")
        .annotate(
            suggested=Count("pk"),
            waiting=Count("pk", filter=Q(status=Span.Status.SUGGESTED)),
            dismissed=Count("pk", filter=Q(status=Span.Status.DISMISSED)),
            corrected=Count(
                "pk",
                filter=Q(corrected=True) & ~Q(status__in=Span.SUGGESTION_STATUSES),
            ),
        )
        .order_by("origin")
    )
    return [
        OriginFigures(
            origin=row["origin"],
            suggested=row["suggested"],
            waiting=row["waiting"],
            accepted=row["suggested"] - row["waiting"] - row["dismissed"],
            corrected=row["corrected"],
            dismissed=row["dismissed"],
        )
        for row in rows
    ]


def origin_totals(rows: list[OriginFigures], name: str) -> OriginFigures:
    return OriginFigures(
        name,
        *(
            sum(getattr(row, field) for row in rows)
            for field in ("suggested", "waiting", "accepted", "corrected", "dismissed")
        ),
    )


def oldest_pending_age(now=None) -> timedelta | None:
    # ORDER BY … LIMIT 1 walks the (status, created_at) index and stops at the
    # first live span; MIN() over the join would read every pending span.
    oldest = (
        _reviewed_spans()
        .pending()
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is None:
        return None
    return (now or timezone.now()) - oldest


def throughput(
    days: int = DAYS, today: date | None = None
) -> list[tuple[date, int, int]]:
    """Return (day, approvals, rejections) for each of the last ``days`` days."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        AuditEvent.objects.filter(
            object_type="span",
            action__in=[
                AuditEvent.Action.APPROVE,
                AuditEvent.Action.REJECT,
                AuditEvent.Action.ADJUDICATE,
            ],
            # A bound on the column, which its index serves, not on its date.
            created_at__gte=timezone.make_aware(datetime.combine(first, time.min)),
        )
        .annotate(day=TruncDate("created_at"))
        .values("day", "action")
        .annotate(n=Count("pk"))
    )
    counts = Counter()
    for row in rows:
        # An adjudicated span is approved by the adjudicator.
        action = row["action"]
        if action == AuditEvent.Action.ADJUDICATE:
            action = AuditEvent.Action.APPROVE
        counts[(row["day"], action)] += row["n"]
    return [
        (
            day,
            counts.get((day, AuditEvent.Action.APPROVE), 0),
            counts.get((day, AuditEvent.Action.REJECT), 0),
        )
        for day in (first + timedelta(days=i) for i in range(days))
    ]
