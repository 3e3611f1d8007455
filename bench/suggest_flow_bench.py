"""Time suggestions as the product runs them: stored as spans, through the API
and ``manage.py suggest``.

    createdb suggestbench
    python bench/suggest_flow_bench.py --database-url postgres://…/suggestbench \\
        [--articles 2000] [--chars 5000] [--processes 2] [--runs 10]

Steps: migrate the database; make sure it holds ``--articles`` articles of
``--chars`` characters (assembled from the paragraphs of the French development
sets, shuffled, as ``bench/suggest_bench.py`` does; a larger run adds only the
missing ones) and a benchmark admin; then

1. one article: ``POST /api/v1/articles/<id>/suggest/`` on a 5,000-character
   article, in this process once the model is loaded (the first call loads
   it and is reported apart); each run starts from an article without
   suggestions, so every suggestion is written. Median and slowest of
   ``--runs``, wall clock and CPU time. Target: 0.5 s.
2. many: every suggestion of the benchmark articles deleted, then
   ``manage.py suggest --all --processes N`` in a fresh process, model load
   included: wall clock, and the CPU time of that process and its workers
   divided by N (what an idle machine with N cores would take). Target: 3
   minutes for 2,000 articles on 2 cores.

Each figure is printed beside its target in the same run, with the load
average before and after: on a shared machine the wall clock says more about
the neighbours than about the code, the CPU time less so.
"""

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "bench-admin"
TITLE = "Suggestion bench {:05d}"
ONE_TARGET = 0.5
MANY_TARGET = 180.0


def setup_django(database_url):
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-secret-key"),
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        # Articles are created here without suggestions; the runs below make them.
        SUGGEST_ON_UPLOAD="0",
        STATIC_FROM_SOURCE="1",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def line(name, value, unit, target):
    verdict = "ok" if value <= target else "OVER"
    print(f"{name:52} {value:9.3f} {unit:2}  target <= {target:g} {unit}  {verdict}")


def load():
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def prepare(args):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from suggest_bench import article, paragraphs

    from annotations import services
    from annotations.models import Article

    call_command("migrate", verbosity=0)
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username=ADMIN, defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
    rng = random.Random(20261201)
    pool = paragraphs()
    have = set(
        Article.objects.filter(title__startswith="Suggestion bench ").values_list(
            "title", flat=True
        )
    )
    made = 0
    for index in range(args.articles):
        text = article(rng, pool, args.chars)
        title = TITLE.format(index)
        if title in have:
            continue
        services.article_create(user=admin, title=title, text=text, language="fr")
        made += 1
    print(f"{made} benchmark articles created, {args.articles} in all.")
    return admin


def bench_articles(args):
    from annotations.models import Article

    titles = [TITLE.format(index) for index in range(args.articles)]
    return Article.objects.filter(title__in=titles)


def time_one(args, admin):
    from rest_framework.test import APIClient

    from annotations.models import Article, Span

    article = Article.objects.filter(title=TITLE.format(0)).get()
    client = APIClient()
    client.force_authenticate(admin)
    path = f"/api/v1/articles/{article.pk}/suggest/"

    def once():
        Span.objects.filter(article=article).delete()
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(path)
        assert response.status_code == 200, response.content
        wall = time.perf_counter() - started
        return wall, time.process_time() - cpu, len(response.json()["suggestions"])

    first, _cpu, found = once()
    print(f"{'first call (loads the model)':52} {first:9.3f} s")
    timings = [once() for _ in range(args.runs)]
    walls = [t[0] for t in timings]
    cpus = [t[1] for t in timings]
    name = f"one {len(article.text):,}-char article, API suggest"
    line(f"{name}, median wall", statistics.median(walls), "s", ONE_TARGET)
    line(f"{name}, median CPU", statistics.median(cpus), "s", ONE_TARGET)
    line(f"{name}, slowest wall", max(walls), "s", ONE_TARGET)
    print(f"{'suggestions stored for it':52} {found:9d}")


def _cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_many(args):
    from annotations.models import Span

    articles = bench_articles(args)
    Span.objects.filter(article__in=articles).delete()
    ids = list(articles.values_list("pk", flat=True))
    # `--all` reads every article not deleted: the benchmark's database holds
    # only its own articles.
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "suggest",
        "--user",
        ADMIN,
        "--processes",
        str(args.processes),
        "--verbosity",
        "1",
        "--all",
    ]
    started, cpu = time.perf_counter(), _cpu_of_children()
    result = subprocess.run(
        command, cwd=ROOT, env=os.environ, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    used = (_cpu_of_children() - cpu) / args.processes
    if result.returncode:
        print(result.stdout, result.stderr)
        raise SystemExit("manage.py suggest failed")
    summary = result.stdout.strip().splitlines()[-1]
    target = MANY_TARGET * args.articles / 2000
    name = f"suggest --all, {len(ids):,} articles, {args.processes} proc."
    line(f"{name}, wall", wall, "s", target)
    line(f"{name}, CPU / {args.processes}", used, "s", target)
    print(f"{'':52} {summary}")
    stored = Span.objects.filter(article__in=articles, status="suggested").count()
    print(f"{'suggestions stored':52} {stored:9,d}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="A PostgreSQL database of its own (it gets articles and an admin).",
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-one", action="store_true")
    parser.add_argument("--skip-many", action="store_true")
    args = parser.parse_args()
    if not re.match(r"postgres(ql)?://", args.database_url or ""):
        raise SystemExit("Give --database-url postgres://…/a-database-of-its-own")
    setup_django(args.database_url)
    sys.path.insert(0, str(ROOT / "bench"))
    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    admin = prepare(args)
    if not args.skip_one:
        time_one(args, admin)
    if not args.skip_many:
        time_many(args)
    print(f"load average after:  {load()}")


if __name__ == "__main__":
    main()
