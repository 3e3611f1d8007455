"""Export benchmark: every format at W1 and W2, beside PostgreSQL's own export.

    python bench/export_bench.py --database-url postgres://…/bulk \\
        --workload W1 --workload W2

With ``--workload``, the databases ``<name>_w1`` and ``<name>_w2`` filled by
``bench/import_bench.py`` are read (W1: 2,000 articles, 50,000 approved spans;
W2: 20,000 and 500,000). Each format is exported in a fresh child process by
``exports.stream()`` (bytes counted and dropped; the figure is the wall time
and that process's peak RSS), and the floor in another: PostgreSQL building
the same jsonl (``json_build_object``) or csv (``COPY … WITH (FORMAT csv)``)
itself, read by psycopg. The table gives both sizes side by side, ours over
the floor, and each format's W2/W1 time ratio (10 for a linear cost).

Without ``--workload`` the older single-size mode runs: ``--articles`` and
``--spans-per-article`` are generated and imported into ``--database-url``
itself, then timed ``--mode direct`` (as above) or ``--mode http`` (gunicorn,
two sync workers, serving ``/api/v1/export/``, read with a token; the figure is
the highest peak RSS of the workers).
"""

import argparse
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "bench-admin"
FORMATS = ("jsonl", "csv", "conll", "w3c")
FLOORS = {"jsonl": "floor-jsonl", "csv": "floor-csv"}
WORKLOADS = ("W1", "W2")

# Invented people, places and sentences.
FIRST = (
    "Zoé Inès Agnès Loïc Théo Maëlle Jérôme Anaïs Noémie Raphaël Amélie Gaël".split()
)
LAST = "Lefèvre Dubreuil Ménard Rochefort Vasseur Lévêque Séguin Perrault Caron".split()
PLACES = [
    "Villebrune",
    "Montréal",
    "Québec",
    "Saint-Étienne",
    "Besançon",
    "Genève",
    "Liège",
    "Nîmes",
    "Trois-Rivières",
]
CLAUSES = [
    "nous ne reculerons pas sur le budget de l’école",
    "la rénovation du pont coûtera 3,4 millions d’euros",
    "les travaux débuteront à l’été, après les fêtes",
    "personne n’a été consulté avant le vote",
    "le tramway sera prolongé jusqu’à la gare du Nord",
    "les loyers ont augmenté de 12 % en deux ans",
    "the night ferry will keep running all winter",
    "this decision is a mistake for the harbour",
    "la piscine rouvrira en septembre, enfin",
    "l’hôpital manque de 40 infirmières depuis janvier",
    "the council “never listened” to the fishermen",
    "ce projet est séduisant mais mal financé",
]
VERBS = ["a déclaré", "affirme", "a promis", "a répété", "said", "insisted"]
EMOJI = ["🚀", "🌧️", "🚲", "👩‍🔬", "🇫🇷", "⛴️", "📈", "🎉"]


class Builder:
    """Append sentences to a text and record spans at code-point offsets."""

    def __init__(self, rng):
        self.rng = rng
        self.parts = []
        self.length = 0
        self.spans = []
        self.sentences = 0

    def add(self, text, label=None, **fields):
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        if label is None:
            return None
        span = {"id": len(self.spans) + 1, "start": start, "end": self.length}
        span.update(label=label, text=text, **fields)
        self.spans.append(span)
        return span["id"]

    def person(self):
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        return self.add(name, "entity", entity_type="PER")

    def clause(self):
        return self.rng.choice(CLAUSES)

    def sentence(self, room):
        rng = self.rng
        if self.sentences and self.sentences % 3 == 0:
            self.add("\n\n")
        elif self.sentences:
            self.add(" ")
        self.sentences += 1
        kind = rng.randrange(5) if room >= 2 else rng.choice((3, 4))
        if rng.random() < 0.3:
            self.add(rng.choice(EMOJI) + " ")
        if kind == 0:
            clause = self.clause()
            source_at = len(self.spans)
            quote = f"« {clause[0].upper()}{clause[1:]} »"
            self.add(quote, "quote")
            self.add(f", {rng.choice(VERBS)} ")
            person = self.person()
            self.spans[source_at]["source_span"] = person
            self.add(".")
        elif kind in (1, 2):
            self.add("Selon " if kind == 1 else "D’après ")
            person = self.person()
            self.add(", ")
            label = "claim" if kind == 1 else "opinion"
            self.add(self.clause(), label, source_span=person)
            self.add(".")
        elif kind == 3:
            self.add("À ")
            self.add(rng.choice(PLACES), "entity", entity_type="LOC")
            self.add(f", {self.clause()} {rng.choice(EMOJI)}.")
        else:
            clause = self.clause()
            self.add(f"{clause[0].upper()}{clause[1:]}.")

    def article(self, spans, chars):
        while len(self.spans) < spans:
            self.sentence(spans - len(self.spans))
        while self.length < chars:
            self.add(" ")
            clause = self.clause()
            self.add(f"{clause[0].upper()}{clause[1:]} {self.rng.choice(EMOJI)}.")
        return "".join(self.parts), self.spans


def generate(path, articles, spans, chars, seed=2026):
    """Write the jsonl file; article ``i`` is the same whatever ``articles`` is."""
    with open(path, "w", encoding="utf-8") as out:
        for index in range(articles):
            text, items = Builder(random.Random(f"{seed}:{index}")).article(
                spans, chars
            )
            line = {
                "title": f"Article de test {index + 1}",
                "language": "fr",
                "source_url": f"https://example.org/bench/{index + 1}",
                "text": text,
                "spans": items,
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def setup_django(database_url, settings="newsroom.settings"):
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=settings,
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-secret-key"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(args):
    """Migrate, create the admin, generate and import; return the counts."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from annotations import imports
    from annotations.models import Article, Span

    call_command("migrate", verbosity=0)
    admin, created = get_user_model().objects.get_or_create(
        username=ADMIN, defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
    expected = args.articles * args.spans_per_article
    if Article.objects.count() > args.articles:
        sys.exit("The database holds more articles than asked for; use another one.")
    if Article.objects.count() < args.articles:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "articles.jsonl"
            started = time.perf_counter()
            generate(path, args.articles, args.spans_per_article, args.chars)
            print(f"generated {path.stat().st_size / 1e6:.1f} MB", flush=True)
            with open(path, "rb") as lines:
                result = imports.import_articles(
                    lines=lines, user=admin, status="approved"
                )
            print(
                f"imported in {time.perf_counter() - started:.0f} s: "
                f"{result.summary()}",
                flush=True,
            )
            if not result.ok:
                sys.exit("\n".join(map(str, result.errors[:10])))
        # What autovacuum would do a little later: plans need fresh statistics.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    spans = Span.objects.approved().count()
    if spans != expected:
        sys.exit(f"Expected {expected} approved spans, found {spans}.")
    return Article.objects.count(), spans


def direct_child(fmt):
    """Run one export in this process; print its figures as JSON."""
    from django.contrib.auth import get_user_model

    from annotations import exports

    user = get_user_model().objects.get(username=ADMIN)
    before = resource.getrusage(resource.RUSAGE_SELF)
    baseline = before.ru_maxrss
    started = time.perf_counter()
    export = exports.stream({"format": fmt}, user)
    size = sum(len(chunk) for chunk in export.chunks)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = after.ru_maxrss
    # CPU time of this process: less swayed than wall time by a busy machine.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "bytes": size,
                "spans": export.stats.spans,
                "baseline_kb": baseline,
                "peak_kb": peak,
            }
        )
    )


ISO = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
FLOOR_JSONL = f"""
SELECT json_build_object(
    'article_id', a.id, 'title', a.title, 'language', a.language,
    'source_url', a.source_url, 'text', a.text, 'text_sha256', a.text_sha256,
    'spans', (
        SELECT json_agg(json_build_object(
            'id', s.id, 'start', s.start, 'end', s."end", 'label', l.slug,
            'text', s.text, 'source_span', s.source_id,
            'entity_type', s.entity_type, 'annotator', u.username,
            'reviewer', r.username, 'reviewed_at', {ISO.format("s.reviewed_at")},
            'status', s.status
        ) ORDER BY s.start, s."end", l.slug)
        FROM annotations_span s
        JOIN annotations_label l ON l.id = s.label_id
        JOIN auth_user u ON u.id = s.created_by_id
        LEFT JOIN auth_user r ON r.id = s.reviewed_by_id
        WHERE s.article_id = a.id AND s.status = 'approved'
    )
)::text
FROM annotations_article a
WHERE NOT a.is_deleted AND EXISTS (
    SELECT 1 FROM annotations_span s
    WHERE s.article_id = a.id AND s.status = 'approved'
)
ORDER BY a.id
"""
FLOOR_CSV = f"""
COPY (
    SELECT s.article_id, s.id, l.slug, s.start, s."end", s.text, s.entity_type,
        s.source_id, s.status, u.username, r.username,
        {ISO.format("s.reviewed_at")}
    FROM annotations_span s
    JOIN annotations_article a ON a.id = s.article_id AND NOT a.is_deleted
    JOIN annotations_label l ON l.id = s.label_id
    JOIN auth_user u ON u.id = s.created_by_id
    LEFT JOIN auth_user r ON r.id = s.reviewed_by_id
    WHERE s.status = 'approved'
    ORDER BY s.article_id, s.start, s."end", l.slug
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def floor_child(kind, database_url):
    """Let PostgreSQL build the export itself; print the figures as JSON."""
    import psycopg

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    size = 0
    with psycopg.connect(database_url) as conn:
        if kind == "floor-csv":
            with conn.cursor().copy(FLOOR_CSV) as copy:
                for block in copy:
                    size += len(block)
        else:
            with conn.cursor(name="floor") as cursor:
                cursor.itersize = 2000
                cursor.execute(FLOOR_JSONL)
                for (line,) in cursor:
                    size += len(line.encode()) + 1
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "bytes": size,
                "spans": 0,
                "baseline_kb": baseline,
                "peak_kb": peak,
            }
        )
    )


def time_direct(args, fmt, database_url=None):
    command = [
        sys.executable,
        __file__,
        "--database-url",
        database_url or args.database_url,
        "--child",
        fmt,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def workload_url(base, workload):
    from urllib.parse import urlparse

    parsed = urlparse(base)
    return parsed._replace(path=f"{parsed.path}_{workload.lower()}").geturl()


def run_workloads(args):
    """Time every format and its floor at each workload; print a table."""
    figures = {}
    for workload in args.workload:
        url = workload_url(args.database_url, workload)
        for fmt in args.format or FORMATS:
            for kind in (fmt, FLOORS.get(fmt)):
                if kind is None:
                    continue
                runs = [time_direct(args, kind, url) for _run in range(args.repeat)]
                best = min(runs, key=lambda r: r["seconds"])
                figures[workload, kind] = best
                cpu = min(r.get("cpu", 0) for r in runs)
                best["cpu"] = cpu
                print(
                    f"{workload} {kind:11} {best['seconds']:6.2f} s  "
                    + (f"(CPU {cpu:5.2f} s)  " if cpu else "")
                    + f"{best['bytes'] / 1e6:7.1f} MB  "
                    f"peak RSS {best['peak_kb'] / 1024:6.1f} MB",
                    flush=True,
                )
    print()
    print(
        "| format | W1 ours | W1 floor | W2 ours | W2 floor | W2 ours / floor "
        "| W2 / W1 (ours: wall, CPU) | peak RSS W1 → W2 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")

    def cell(workload, kind):
        found = figures.get((workload, kind))
        return f"{found['seconds']:.2f} s" if found else "—"

    for fmt in args.format or FORMATS:
        floor = FLOORS.get(fmt)
        ours = [figures.get((w, fmt)) for w in WORKLOADS]
        floors = [figures.get((w, floor)) for w in WORKLOADS]
        ratio = scale = rss = "—"
        if ours[1] and floors[1]:
            ratio = f"{ours[1]['seconds'] / floors[1]['seconds']:.2f}×"
        if all(ours):
            scale = f"{ours[1]['seconds'] / ours[0]['seconds']:.1f}"
            if ours[0].get("cpu"):
                scale += f", {ours[1]['cpu'] / ours[0]['cpu']:.1f}"
            rss = " → ".join(f"{o['peak_kb'] / 1024:.0f}" for o in ours) + " MB"
        print(
            f"| {fmt} | {cell('W1', fmt)} | {cell('W1', floor)} | {cell('W2', fmt)} "
            f"| {cell('W2', floor)} | {ratio} | {scale} | {rss} |"
        )


def create_token():
    """Return a read token for the admin, by the command if the project has it."""
    command = [sys.executable, str(ROOT / "manage.py"), "create_api_token", ADMIN]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip().splitlines()[-1].strip()
    from django.contrib.auth import get_user_model

    from annotations import services

    user = get_user_model().objects.get(username=ADMIN)
    _token, key = services.api_token_create(user=user, name="export benchmark")
    return key


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def peak_rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def fetch(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while block := response.read(1 << 20):
            size += len(block)
    return time.perf_counter() - started, size


def time_http(args, fmt, spans):
    """Start gunicorn, download once to warm up, then time the export."""
    token = create_token()
    port = free_port()
    env = dict(os.environ)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "newsroom.wsgi",
            "--workers",
            "2",
            "--timeout",
            "300",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1/export/"
        for _attempt in range(100):
            try:
                fetch(f"{base}?format={fmt}&article=1&include_empty=1", token)
                break
            except OSError:
                time.sleep(0.2)
        # Both workers warm, so that neither pays for imports during the timing.
        fetch(f"{base}?format={fmt}&article=1&include_empty=1", token)
        workers = children(server.pid)
        baseline = max(peak_rss_kb(pid) for pid in workers)
        seconds, size = fetch(f"{base}?format={fmt}", token)
        peak = max(peak_rss_kb(pid) for pid in workers)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "seconds": seconds,
        "bytes": size,
        "spans": spans,
        "baseline_kb": baseline,
        "peak_kb": peak,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/exportbench"
        ),
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--spans-per-article", type=int, default=25)
    parser.add_argument(
        "--chars", type=int, default=3000, help="Least characters per article."
    )
    parser.add_argument("--mode", choices=("direct", "http"), default="direct")
    parser.add_argument("--format", choices=FORMATS, action="append")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--workload",
        action="append",
        choices=WORKLOADS,
        help="Read <name>_w1/<name>_w2 as filled by import_bench.py; repeatable.",
    )
    parser.add_argument(
        "--child", choices=[*FORMATS, *FLOORS.values()], help=argparse.SUPPRESS
    )
    args = parser.parse_args()

    if args.child in FLOORS.values():
        floor_child(args.child, args.database_url)
        return
    if args.workload and not args.child:
        run_workloads(args)
        return
    setup_django(args.database_url)
    if args.child:
        direct_child(args.child)
        return
    articles, spans = prepare(args)
    print(f"{articles} articles, {spans} approved spans; mode {args.mode}")
    for fmt in args.format or FORMATS:
        for _run in range(args.repeat):
            if args.mode == "direct":
                figures = time_direct(args, fmt)
            else:
                figures = time_http(args, fmt, spans)
            print(
                f"{fmt:5} {figures['seconds']:6.2f} s  "
                f"{figures['spans'] / figures['seconds']:9,.0f} spans/s  "
                f"{figures['bytes'] / 1e6:7.1f} MB  "
                f"peak RSS {figures['peak_kb'] / 1024:6.1f} MB "
                f"(idle {figures['baseline_kb'] / 1024:.1f} MB)",
                flush=True,
            )


if __name__ == "__main__":
    main()
