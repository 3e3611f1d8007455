"""Time the review queue and the dashboard on a throwaway database.

    python bench/review_bench.py            # SQLite (in memory)
    DATABASE_URL=postgres://…/reviewbench python bench/review_bench.py

Builds 2,500 articles (3–30 kB) holding 50,000 pending spans, 20,000 decided
ones and their decisions spread over 30 days, then prints the median of 20
requests through Django's test client (the whole server side: middleware,
view, queries, template) and the queries each one ran.
"""

import random
import time
from datetime import timedelta

from pagetiming import (
    RUNS,
    WORDS,
    make_text,
    on_a_throwaway_database,
    report,
    timed,
    word_bounds,
)

# isort: split

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotations.models import Article, AuditEvent, Label, Span
from annotations.text import sha256_hex

ARTICLES = 2_500
PENDING = 50_000
DECIDED = 20_000
rng = random.Random(20260401)


def build():
    """Return (reviewer, editors) after filling the database."""
    users = get_user_model().objects
    reviewer = users.create_user("bench-reviewer", password="x" * 12)
    reviewer.groups.add(Group.objects.get(name="reviewer"))
    editors = []
    for n in range(8):
        editor = users.create_user(f"bench-editor-{n}", password="x" * 12)
        editor.groups.add(Group.objects.get(name="editor"))
        editors.append(editor)
    labels = list(Label.objects.all())
    texts = [
        make_text(rng, size)
        for size in (3_000, 6_000, 12_000, 30_000)
        for _ in range(8)
    ]
    now = timezone.now()
    articles = Article.objects.bulk_create(
        Article(
            title=f"Article {n} " + " ".join(rng.sample(WORDS, 4)),
            text=texts[n % len(texts)],
            text_sha256=sha256_hex(texts[n % len(texts)]),
            language=rng.choice(["fr", "fr", "fr", "en"]),
            uploaded_by=rng.choice(editors),
            created_at=now - timedelta(minutes=ARTICLES - n),
        )
        for n in range(ARTICLES)
    )
    total = PENDING + DECIDED
    per_article = total // ARTICLES
    spans, decided = [], 0
    for article in articles:
        words = word_bounds(article.text)
        taken = set()
        while len(taken) < per_article:
            first = rng.randrange(len(words))
            last = min(len(words) - 1, first + rng.choice([0, 0, 1, 2, 4, 8]))
            label = rng.choice(labels)
            key = (words[first][0], words[last][1], label.pk)
            if key in taken:
                continue
            taken.add(key)
            is_decided = decided < DECIDED and rng.random() < DECIDED / total
            status = (
                rng.choice(["approved"] * 3 + ["rejected"]) if is_decided else "pending"
            )
            decided += is_decided
            spans.append(
                Span(
                    article=article,
                    label=label,
                    start=key[0],
                    end=key[1],
                    text=article.text[key[0] : key[1]],
                    status=status,
                    rejection_reason="wrong label" if status == "rejected" else "",
                    reviewed_by=reviewer if is_decided else None,
                    reviewed_at=now if is_decided else None,
                    created_by=rng.choice(editors),
                    created_at=now - timedelta(days=rng.randrange(60)),
                )
            )
    Span.objects.bulk_create(spans, batch_size=5_000)
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                actor=reviewer,
                actor_username=reviewer.get_username(),
                action="approve" if span.status == "approved" else "reject",
                object_type="span",
                object_id=span.pk,
                article_id=span.article_id,
                created_at=now
                - timedelta(days=rng.randrange(30), minutes=rng.randrange(600)),
            )
            for span in spans
            if span.status != "pending"
        ),
        batch_size=5_000,
    )
    if connection.vendor == "postgresql":
        # What autovacuum would have done by the time anyone opens the page.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return reviewer, editors


def run():
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    reviewer, editors = build()
    pending = Span.objects.pending()
    print(
        f"{Article.objects.count():,} articles, {pending.count():,} pending spans, "
        f"{Span.objects.count() - pending.count():,} decided, "
        f"{AuditEvent.objects.count():,} audit events "
        f"(built in {time.perf_counter() - started:.0f} s)"
    )
    client = Client()
    client.force_login(reviewer)
    queue = reverse("annotations:review_queue")
    report("GET /review/ (first page, full)", timed(client, "get", queue))
    report(
        "GET /review/ (htmx results fragment)",
        timed(client, "get", queue, HX_Request="true"),
    )
    report(
        "GET /review/?label=claim&language=en",
        timed(client, "get", queue + "?label=claim&language=en"),
    )
    report(
        "GET /review/?annotator=bench-editor-3",
        timed(client, "get", queue + "?annotator=bench-editor-3"),
    )
    middle = pending.in_review_order()[PENDING // 2]
    after = f"{middle.article_id}-{middle.start}-{middle.end}-{middle.label_id}"
    report(
        "GET /review/?after=… (a page halfway down the queue)",
        timed(client, "get", f"{queue}?after={after}"),
    )
    report(
        "GET /review/?article=… (one article, 30 kB)",
        timed(client, "get", f"{queue}?article={middle.article_id}"),
    )
    to_decide = list(pending.in_review_order().values_list("pk", flat=True)[:RUNS])
    report(
        "POST approve from the queue (htmx row)",
        timed(
            client,
            "post",
            lambda run: reverse("annotations:review_approve", args=[to_decide[run]]),
            data={"version": 1},
            HX_Request="true",
        ),
    )
    report("GET /stats/", timed(client, "get", reverse("annotations:review_stats")))


if __name__ == "__main__":
    on_a_throwaway_database(run)
