"""Hand-made articles for the export, import and dataset tests.

The golden article has explicit ids and timestamps so that expected outputs
can be written out in full. Its text has accents, an emoji before the spans,
an entity at offset 0, a quote (holding ``"``, ``,`` and a line break) with an
entity nested inside it, and an entity ending on the last character.
"""

from datetime import UTC, datetime

from annotations.models import Label, Span

from .factories import ArticleFactory, SpanFactory

GOLDEN_TEXT = 'Zoé dit 🚀 : « Le maire, "Léon", viendra\ndemain. » Rendez-vous à Québec'
GOLDEN_SHA256 = "43b8ac0e42d6d041f734575893957b5eeb1370f0225a75589e2eb0c03c156167"
CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REVIEWED = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def span(article, slug, start, end, *, pk, **fields):
    return SpanFactory(
        pk=pk,
        article=article,
        label=Label.objects.get(slug=slug),
        start=start,
        end=end,
        created_at=CREATED,
        updated_at=fields.pop("updated_at", CREATED),
        **fields,
    )


def approved(article, slug, start, end, *, pk, reviewer, **fields):
    return span(
        article,
        slug,
        start,
        end,
        pk=pk,
        status=Span.Status.APPROVED,
        reviewed_by=reviewer,
        reviewed_at=REVIEWED,
        updated_at=REVIEWED,
        **fields,
    )


def make_golden(alice, bob, rita):
    """Return the golden article: four approved spans, one pending, one rejected."""
    article = ArticleFactory(
        pk=9001,
        title="Villebrune : le maire viendra",
        text=GOLDEN_TEXT,
        language="fr",
        source_url="https://example.org/villebrune/maire",
        uploaded_by=alice,
    )
    zoe = approved(article, "entity", 0, 3, pk=9101, reviewer=rita, entity_type="PER")
    approved(article, "quote", 12, 49, pk=9102, reviewer=rita, source=zoe)
    approved(article, "entity", 25, 29, pk=9103, reviewer=rita, entity_type="PER")
    approved(article, "entity", 64, 70, pk=9104, reviewer=rita, entity_type="LOC")
    span(article, "claim", 32, 46, pk=9105, created_by=bob)
    span(
        article,
        "opinion",
        50,
        70,
        pk=9106,
        status=Span.Status.REJECTED,
        rejection_reason="Not an opinion.",
        reviewed_by=rita,
        reviewed_at=REVIEWED,
        updated_at=REVIEWED,
    )
    return article
