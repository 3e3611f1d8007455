"""Time the annotate and list pages on a throwaway database.

    python bench/page_bench.py            # SQLite (in memory)
    DATABASE_URL=postgres://… python bench/page_bench.py
    python bench/page_bench.py --only annotate   # or --only list

Builds a 30 kB article with 1,000 overlapping spans and 10,000 articles, then
prints the median of 20 requests through Django's test client (the whole server
side: middleware, view, queries, template) and the queries each one ran.
"""

import argparse
import random

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

from annotations import services
from annotations.models import Article, Label, Span
from annotations.text import sha256_hex

rng = random.Random(20260314)
# What the annotate page with 1,000 spans must stay under.
ANNOTATE_BUDGET_MS = 100


def random_spans(article, labels, user, count, taken=None):
    words = word_bounds(article.text)
    taken = set() if taken is None else taken
    spans = []
    while len(spans) < count:
        first = rng.randrange(len(words))
        last = min(len(words) - 1, first + rng.choice([0, 0, 1, 2, 4, 8, 15]))
        label = rng.choice(labels)
        start, end = words[first][0], words[last][1]
        if (start, end, label.pk) in taken:
            continue
        taken.add((start, end, label.pk))
        status = rng.choice(["pending"] * 6 + ["approved"] * 3 + ["rejected"])
        spans.append(
            Span(
                article=article,
                label=label,
                start=start,
                end=end,
                text=article.text[start:end],
                status=status,
                rejection_reason="Too vague" if status == "rejected" else "",
                entity_type="PER" if label.is_entity and rng.random() < 0.5 else None,
                created_by=user,
            )
        )
    return spans


def run(only=None):
    print(f"database: {connection.vendor}")
    user = get_user_model().objects.create_user("bench-editor", password="x" * 12)
    user.groups.add(Group.objects.get(name="editor"))
    labels = list(Label.objects.all())
    client = Client()
    client.force_login(user)
    if only != "list":
        annotate_page(client, user, labels)
    if only != "annotate":
        list_page(client, user, labels)


def annotate_page(client, user, labels):
    """The annotate page: 30 kB, 1,000 spans."""
    text = make_text(rng, 30_000)
    article = Article.objects.create(
        title="Bench article",
        text=text,
        text_sha256=sha256_hex(text),
        uploaded_by=user,
    )
    taken = set()
    Span.objects.bulk_create(random_spans(article, labels, user, 1000, taken))
    detail = reverse("annotations:article_detail", args=[article.pk])
    # The floor: the same page and text without a span, measured in the same
    # run, so a noisy machine shows in both figures.
    bare = Article.objects.create(
        title="Bench article, no spans",
        text=text,
        text_sha256=sha256_hex(text),
        uploaded_by=user,
    )
    bare_detail = reverse("annotations:article_detail", args=[bare.pk])
    print(f"annotate page: {len(text):,} characters, {article.spans.count():,} spans")
    print(f"budget: {ANNOTATE_BUDGET_MS} ms for the full page")
    report("GET annotate page (full)", timed(client, "get", detail))
    report("GET annotate page, no spans (floor)", timed(client, "get", bare_detail))
    report(
        "GET annotate page (htmx workspace fragment)",
        timed(client, "get", detail, HX_Request="true"),
    )

    fresh = random_spans(article, labels, user, RUNS * 2, taken)

    def selection(run):
        span = fresh[run]
        label = next(label for label in labels if label.pk == span.label_id)
        return {
            "label": label.slug,
            "start": span.start,
            "end": span.end,
            "text": span.text,
        }

    create = reverse("annotations:span_create", args=[article.pk])
    report(
        "POST create span, htmx (service + text + new row)",
        timed(client, "post", create, data=selection, HX_Request="true"),
    )
    report(
        "POST create span, no htmx (service + redirect)",
        timed(client, "post", create, data=lambda run: selection(run + RUNS)),
    )

    # The nudge keys: one span's end moves a word out and back, each time with
    # the version the page holds; the whole workspace comes back.
    words = word_bounds(text)
    mover = next(
        span
        for span in Span.objects.filter(article=article).order_by("pk")
        if any(end == span.end for _start, end in words[:-1])
        and not Span.objects.filter(
            article=article,
            start=span.start,
            label_id=span.label_id,
            end=words[[end for _start, end in words].index(span.end) + 1][1],
        ).exists()
    )
    index = [end for _start, end in words].index(mover.end)
    ends = [words[index + 1][1], words[index][1]]

    def nudge(run):
        mover.refresh_from_db()
        return {"start": mover.start, "end": ends[run % 2], "version": mover.version}

    move = reverse("annotations:span_move", args=[article.pk, mover.pk])
    report(
        "POST move span, htmx (nudge: service + workspace)",
        timed(client, "post", move, data=nudge, HX_Request="true"),
    )

    # Undo: each run restores one span deleted beforehand.
    deletions = [
        services.span_delete(span=span, user=user)
        for span in Span.objects.filter(article=article, source__isnull=True)
        .exclude(attributed_spans__isnull=False)
        .order_by("-pk")[:RUNS]
    ]
    undo = reverse("annotations:span_undo", args=[article.pk])
    report(
        "POST undo a delete, htmx (restore + workspace)",
        timed(
            client,
            "post",
            undo,
            data=lambda run: {"event": deletions[run].pk},
            HX_Request="true",
        ),
    )


def list_page(client, user, labels):
    """The list page: 10,000 articles, 30,000 spans."""
    texts = [make_text(rng, 1500) for _ in range(50)]

    def list_text(n):
        # One article in a hundred names the harbour town searched for below.
        return texts[n % 50] + (" Le port de Kerbrat." if n % 100 == 0 else "")

    articles = Article.objects.bulk_create(
        Article(
            title=f"Article {n} " + " ".join(rng.sample(WORDS, 5)),
            text=list_text(n),
            text_sha256=sha256_hex(list_text(n)),
            language=rng.choice(["fr", "fr", "en"]),
            uploaded_by=user,
        )
        for n in range(9_999)
    )
    spans = []
    for target in articles[:9_999:1]:
        if rng.random() < 0.7:
            spans.extend(
                random_spans(target, labels, user, rng.randint(1, 6), taken=set())
            )
    Span.objects.bulk_create(spans, batch_size=5000)
    total = Article.objects.count()
    print(f"list page: {total:,} articles, {Span.objects.count():,} spans")
    listing = reverse("annotations:article_list")
    report("GET / (full page)", timed(client, "get", listing))
    report(
        "GET / (htmx results fragment)",
        timed(client, "get", listing, HX_Request="true"),
    )
    report("GET /?page=200", timed(client, "get", listing + "?page=200"))
    report(
        "GET /?status=awaiting_review",
        timed(client, "get", listing + "?status=awaiting_review"),
    )
    report(
        "GET /?label=entity&language=en",
        timed(client, "get", listing + "?label=entity&language=en"),
    )
    rare = listing + "?search=kerbrat"
    common = listing + "?search=camions"
    report("GET /?search=kerbrat (1 article in 100)", timed(client, "get", rare))
    report("GET /?search=camions (word in most articles)", timed(client, "get", common))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["annotate", "list"])
    only = parser.parse_args().only
    on_a_throwaway_database(lambda: run(only))
