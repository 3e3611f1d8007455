"""Time the review queue and the dashboard on a throwaway database.

    python bench/review_bench.py            # SQLite (in memory)
    DATABASE_URL=postgres://…/reviewbench python bench/review_bench.py

Builds 2,500 articles (3–30 kB) holding 50,000 pending spans, 20,000 decided
ones and their decisions spread over 30 days, then prints the median of 20
requests through Django's test client (the whole server side: middleware,
view, queries, template) and the queries each one ran.
"""

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_FROM_SOURCE", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from annotations.models import Article, AuditEvent, Label, Span  # noqa: E402
from annotations.text import sha256_hex  # noqa: E402

RUNS = 20
ARTICLES = 2_500
PENDING = 50_000
DECIDED = 20_000
WORDS = (
    "le conseil municipal a voté jeudi soir un budget de douze millions pour les "
    "pistes cyclables la maire Claire Dumont estime que « nous ne pouvons plus "
    "attendre » tandis que l’opposition dénonce un projet mal financé à Villebrune "
    "les habitants du quartier nord réclament une étude 🚲 sur la circulation des "
    "camions près de l’école Jean-Moulin où la sécurité des enfants inquiète"
).split()
rng = random.Random(20260401)


def make_text(size):
    paragraphs, length = [], 0
    while length < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
        paragraph = sentence.capitalize() + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:size].rstrip()


def word_bounds(text):
    bounds, start = [], None
    for index, char in enumerate(text + " "):
        if char.isspace():
            if start is not None:
                bounds.append((start, index))
                start = None
        elif start is None:
            start = index
    return bounds


def timed(client, method, url, runs=RUNS, data=None, **headers):
    """Return (median ms, fastest ms, queries of the last run, last status)."""
    call = getattr(client, method)
    for _ in range(2):
        if method == "get":
            call(url, headers=headers)
    times = []
    for run in range(runs):
        payload = data(run) if callable(data) else data
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = call(
                url(run) if callable(url) else url, payload, headers=headers
            )
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), len(queries), response.status_code


def report(name, result):
    median, fastest, queries, status = result
    print(
        f"{name:<58} median {median:7.1f} ms  (min {fastest:6.1f})  "
        f"{queries:3d} queries  HTTP {status}"
    )


def main():
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = (
            "bench_" + connection.settings_dict["NAME"]
        )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


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
        make_text(size) for size in (3_000, 6_000, 12_000, 30_000) for _ in range(8)
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
    main()
