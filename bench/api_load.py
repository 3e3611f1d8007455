"""Read benchmark: one article and its spans over the API, 8 concurrent clients.

    python bench/api_load.py --database-url postgres://postgres@127.0.0.1:5432/bulk \\
        --workload W1 --workload W2 [--seconds 10]

Reads the databases ``<name>_w1`` and ``<name>_w2`` filled by
``bench/import_bench.py`` (50,000 and 500,000 spans; migrations are applied
first) and adds one 30 kB article with 1,000 spans. gunicorn (two sync
workers) serves them; ``wrk`` (Debian package ``wrk``) keeps 8 connections
busy on each URL in turn:

- ``articles/N/`` and ``spans/?article=N``: an article of 25 spans, the two
  requests a client needed before ``include=spans``;
- ``articles/N/?include=spans``: the same in one request;
- the same for the 1,000-span article (``spans/`` with ``page_size=1000``).

"Server" is the median (and 95th percentile) time gunicorn spent on each
request, from its access log (``%(D)s``): what a request costs, without the
queue of 8 clients on 2 workers that wrk's own latency includes. The floor is
PostgreSQL alone: the median time of one query returning the same article
and spans as JSON (``json_agg``), over psycopg from this process. Both sizes
are printed side by side: one article's reads must not grow with the table.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("W1", "W2")

WRK_SCRIPT = """
wrk.headers["Authorization"] = "Token %s"
done = function(summary, latency, requests)
  io.write(string.format("requests %%d errors %%d p50 %%.2f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000))
end
"""

SETUP = """
import random
from django.contrib.auth.models import Group, User
from annotations import services
from annotations.models import Article, Label, Span

user, _ = User.objects.get_or_create(username="bench-editor")
user.groups.add(Group.objects.get(name="editor"))
big = Article.objects.filter(uploaded_by=user, title="Bench 1000").first()
if big is None:
    words = ("Le maire a déclaré « nous tiendrons parole » devant l’équipe 🚀 "
             "de Montréal.").split()
    rng = random.Random(7)
    text = " ".join(rng.choice(words) for _ in range(4000))[:30000].strip()
    big = services.article_create(user=user, title="Bench 1000", text=text)
    labels = list(Label.objects.all())
    spans, seen = [], set()
    while len(spans) < 1000:
        start = rng.randrange(0, len(text) - 40)
        end = start + rng.randrange(1, 40)
        label = rng.choice(labels)
        piece = text[start:end]
        if piece != piece.strip() or (start, end, label.pk) in seen:
            continue
        seen.add((start, end, label.pk))
        spans.append(Span(article=big, label=label, start=start, end=end,
                          text=piece, created_by=user))
    Span.objects.bulk_create(spans)
small = Article.objects.get(title="Article de test 1000")
key = services.api_token_create(user=user, name="bench", scope="read")[1]
print(small.pk, big.pk, key)
"""

FLOOR = """
SELECT json_build_object('article', to_json(a), 'spans', (
    SELECT json_agg(s ORDER BY s.start, s."end", s.label_id, s.id)
    FROM annotations_span s WHERE s.article_id = a.id
))::text
FROM annotations_article a WHERE a.id = %s
"""


def workload_url(base: str, workload: str) -> str:
    parsed = urlparse(base)
    return parsed._replace(path=f"{parsed.path}_{workload.lower()}").geturl()


def environment(url: str, log: str | None = None) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_FROM_SOURCE="1",
        API_RATE_PER_TOKEN="100000000/minute",
        API_RATE_PER_USER="100000000/minute",
        LOG_LEVEL="WARNING",
    )


def free_port() -> int:
    # Another benchmark may be serving on a fixed port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def floor_ms(url: str, article_id: int, runs: int = 200) -> float:
    import psycopg

    times = []
    with psycopg.connect(url) as conn:
        for _run in range(runs):
            started = time.perf_counter()
            conn.execute(FLOOR, [article_id]).fetchone()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def server_times(log: Path, path: str) -> list[float]:
    """Return the server time (ms) of every logged request for ``path``."""
    times = []
    for line in log.read_text().splitlines():
        logged, status, micros = line.rsplit(" ", 2)
        if logged.rstrip("?") == path and status == "200":
            times.append(int(micros) / 1000)
    return times


def run(args, workload: str) -> dict:
    url = workload_url(args.database_url, workload)
    env = environment(url)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [python, "manage.py", "shell", "--no-imports", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    small, big, key = int(out[-3]), int(out[-2]), out[-1]
    targets = {
        "article (25 spans)": f"/api/v1/articles/{small}/",
        "spans/?article= (25)": f"/api/v1/spans/?article={small}",
        "article?include=spans (25)": f"/api/v1/articles/{small}/?include=spans",
        "article?include=spans (1,000)": f"/api/v1/articles/{big}/?include=spans",
        "spans/?article= (1,000)": f"/api/v1/spans/?article={big}&page_size=1000",
    }
    log = Path(tempfile.mkdtemp()) / "access.log"
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(python).parent / "gunicorn"),
            "newsroom.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(U)s?%(q)s %(s)s %(D)s",
        ],
        cwd=ROOT,
        env=env,
    )
    results = {}
    try:
        base = f"http://127.0.0.1:{port}"
        for _attempt in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/", timeout=2)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % key)
        for name, path in targets.items():
            request = urllib.request.Request(
                base + path, headers={"Authorization": f"Token {key}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    body = json.loads(response.read())
            except urllib.error.HTTPError as exc:
                sys.exit(f"{path}: {exc.code} {exc.read()[:500]!r}")
            # Older code ignores include=spans: say so instead of timing it.
            if "include=spans" in path and "spans" not in body:
                results[name] = None
                continue
            wrk = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    "--timeout",
                    "10s",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "-s",
                    script.name,
                    base + path,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            times = server_times(log, path)
            client = wrk.strip().splitlines()[-1]
            results[name] = {
                "median": statistics.median(times),
                "p95": statistics.quantiles(times, n=20)[-1],
                "count": len(times),
                "client": client,
            }
            print(
                f"{workload} {name:30} server median {results[name]['median']:6.1f} ms"
                f"  p95 {results[name]['p95']:6.1f} ms  ({client} ms at the client)",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait()
    results["floor (25)"] = floor_ms(url, small)
    results["floor (1,000)"] = floor_ms(url, big)
    print(
        f"{workload} floor: PostgreSQL alone, article + spans as JSON: "
        f"{results['floor (25)']:.2f} ms (25 spans), "
        f"{results['floor (1,000)']:.2f} ms (1,000 spans)",
        flush=True,
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/importbench"
        ),
        help="Base URL: the workloads use <name>_w1 and <name>_w2.",
    )
    parser.add_argument("--workload", action="append", choices=WORKLOADS)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    workloads = args.workload or list(WORKLOADS)
    results = {w: run(args, w) for w in workloads}

    def cell(found):
        if found is None:
            return "—"
        if isinstance(found, float):
            return f"{found:.2f} ms"
        return f"{found['median']:.1f} ms (p95 {found['p95']:.1f})"

    print()
    print("| read (server time, median) | " + " | ".join(workloads) + " |")
    print("| --- |" + " --- |" * len(workloads))
    for name in next(iter(results.values())):
        print(
            f"| {name} | "
            + " | ".join(cell(results[w][name]) for w in workloads)
            + " |"
        )


if __name__ == "__main__":
    main()
