"""Time the agreement page and the adjudication page on a throwaway database.

    python bench/agreement_bench.py            # SQLite (in memory)
    DATABASE_URL=postgres://… python bench/agreement_bench.py [--articles 200]

Builds 200 blind articles (3–9 kB) each annotated by two editors (30–60 spans
apiece, the second version drawn from the first: most spans alike, some with
other boundaries, another label or type, some missing, some added), and one
30 kB article with 2 × 500 spans. For 20 requests through Django's test
client (middleware, view, queries, template) it prints the median and fastest
wall-clock time, the median CPU time of this process (steadier on a shared
machine), the queries run, and beside them the floor (the same queries run
alone) and the target.
"""

import argparse
import random
import statistics
import time

from pagetiming import RUNS, make_text, on_a_throwaway_database, word_bounds

# isort: split

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.models import AnnotationMode, Article, Assignment, Label, Span
from annotations.text import sha256_hex

TARGET_MS = 200
rng = random.Random(20261201)


def version_pair(text, labels, count):
    """Return two versions (lists of (start, end, label, type)) of one text."""
    words = word_bounds(text)
    first, taken = [], set()
    while len(first) < count:
        index = rng.randrange(len(words))
        last = min(len(words) - 1, index + rng.choice([0, 0, 1, 2, 4, 9]))
        label = rng.choice(labels)
        start, end = words[index][0], words[last][1]
        if (start, end, label.pk) in taken:
            continue
        taken.add((start, end, label.pk))
        kind = rng.choice(["PER", "ORG", "LOC", None]) if label.is_entity else None
        first.append((start, end, label, kind))
    second, taken = [], set()
    for start, end, label, kind in first:
        roll = rng.random()
        if roll < 0.6:
            pass
        elif roll < 0.75:
            # Other boundaries: one word more or less at the end.
            following = [w for w in words if w[0] > end]
            end = following[0][1] if following and rng.random() < 0.5 else end
            start = min(start + 1, end - 1) if rng.random() < 0.3 else start
        elif roll < 0.85:
            label = rng.choice(labels)
            kind = "MISC" if label.is_entity else None
        elif roll < 0.95:
            continue
        else:
            index = rng.randrange(len(words))
            start, end = words[index]
        if (
            text[start:end] != text[start:end].strip()
            or (start, end, label.pk) in taken
        ):
            continue
        taken.add((start, end, label.pk))
        second.append((start, end, label, kind))
    return first, second


def spans_of(article, version, user):
    return [
        Span(
            article=article,
            label=label,
            start=start,
            end=end,
            text=article.text[start:end],
            entity_type=kind,
            created_by=user,
            blind=True,
        )
        for start, end, label, kind in version
    ]


def blind_article(title, text, annotators, reviewer):
    article = Article.objects.create(
        title=title,
        text=text,
        text_sha256=sha256_hex(text),
        uploaded_by=reviewer,
        annotation_mode=AnnotationMode.BLIND,
    )
    Assignment.objects.bulk_create(
        Assignment(article=article, annotator=person, assigned_by=reviewer)
        for person in annotators
    )
    return article


def measure(client, name, url):
    """Print the request's times beside its floor and the target."""
    for _ in range(2):
        client.get(url)
    walls, cpus = [], []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
    floors = []
    with connection.cursor() as cursor:
        for _ in range(5):
            started = time.perf_counter()
            for query in queries.captured_queries:
                cursor.execute(query["sql"])
                cursor.fetchall()
            floors.append((time.perf_counter() - started) * 1000)
    print(
        f"{name:<40} median {statistics.median(walls):6.1f} ms "
        f"(min {min(walls):6.1f}, cpu {statistics.median(cpus):6.1f})  "
        f"floor {min(floors):5.1f} ms  target {TARGET_MS} ms  "
        f"{len(queries):2d} queries  HTTP {response.status_code}"
    )


def run(articles_count):
    print(f"database: {connection.vendor}")
    users = get_user_model().objects
    editors = [users.create_user(name) for name in ("alice-bench", "bob-bench")]
    for editor in editors:
        editor.groups.add(Group.objects.get(name="editor"))
    reviewer = users.create_user("rita-bench")
    reviewer.groups.add(Group.objects.get(name="reviewer"))
    labels = list(Label.objects.all())
    client = Client()
    client.force_login(reviewer)

    spans = []
    characters = 0
    for number in range(articles_count):
        text = make_text(rng, rng.randint(3_000, 9_000))
        characters += len(text)
        article = blind_article(f"Article {number}", text, editors, reviewer)
        first, second = version_pair(text, labels, rng.randint(30, 60))
        spans += spans_of(article, first, editors[0])
        spans += spans_of(article, second, editors[1])
    Span.objects.bulk_create(spans, batch_size=5000)
    print(
        f"agreement: {articles_count} double-annotated articles, "
        f"{characters:,} characters, {len(spans):,} version spans"
    )
    measure(client, "GET /agreement/", "/agreement/")
    measure(client, "GET /api/v1/agreement/", "/api/v1/agreement/")
    measure(client, "GET /agreement/?label=entity", "/agreement/?label=entity")

    text = make_text(rng, 30_000)
    article = blind_article("Big article", text, editors, reviewer)
    first, second = version_pair(text, labels, 500)
    while len(second) < 500:
        # Top the second version up to 500 with spans of its own.
        extra, _ = version_pair(text, labels, 500 - len(second))
        keys = {(s, e, label.pk) for s, e, label, _kind in second}
        second += [span for span in extra if (span[0], span[1], span[2].pk) not in keys]
    Span.objects.bulk_create(spans_of(article, first, editors[0]))
    Span.objects.bulk_create(spans_of(article, second[:500], editors[1]))
    from annotations import adjudication

    proposal = adjudication.proposal_for(article)
    print(
        f"adjudication: {len(text):,} characters, 2 × 500 spans, "
        f"{len(proposal.merged)} merged, {len(proposal.items)} items to decide"
    )
    url = f"/articles/{article.pk}/adjudicate/"
    measure(client, "GET adjudication page", url)
    measure(client, "GET adjudication proposal (API)", f"/api/v1{url}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    arguments = parser.parse_args()
    on_a_throwaway_database(lambda: run(arguments.articles))
