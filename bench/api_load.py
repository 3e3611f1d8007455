"""Load test: GET /api/v1/spans/?article=N against gunicorn (2 workers) on PostgreSQL.

Run by hand, not in the test suite:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/apibench \
        .venv/bin/python bench/api_load.py [--spans 1000] [--seconds 20]

Needs `wrk` (Debian package) on the PATH. The database is created if missing
and its tables are rebuilt by `migrate`; use a throwaway database name.
Prints requests per second and latency percentiles (p50, p95, p99).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765

WRK_SCRIPT = """
wrk.headers["Authorization"] = "Token %s"
done = function(summary, latency, requests)
  io.write(string.format("requests %%d in %%.1fs, errors %%d\\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
  io.write(string.format("rps %%.1f\\n", summary.requests / (summary.duration / 1e6)))
  for _, p in pairs({50, 95, 99}) do
    io.write(string.format("p%%d %%.2f ms\\n", p, latency:percentile(p) / 1000))
  end
end
"""

SETUP = """
import random
from django.contrib.auth.models import Group, User
from annotations import services
from annotations.models import Article, Label, Span

user, _ = User.objects.get_or_create(username="bench-editor")
user.groups.add(Group.objects.get(name="editor"))
Article.objects.filter(uploaded_by=user).delete()
words = "Le maire a déclaré « nous tiendrons parole » devant l’équipe 🚀 de Montréal.".split()
rng = random.Random(7)
text = " ".join(rng.choice(words) for _ in range(4000))[:30000].strip()
article = services.article_create(user=user, title="Bench", text=text)
labels = list(Label.objects.all())
spans, seen = [], set()
while len(spans) < {spans}:
    start = rng.randrange(0, len(text) - 40)
    end = start + rng.randrange(1, 40)
    label = rng.choice(labels)
    piece = text[start:end]
    if piece != piece.strip() or (start, end, label.pk) in seen:
        continue
    seen.add((start, end, label.pk))
    spans.append(Span(article=article, label=label, start=start, end=end,
                      text=piece, created_by=user))
Span.objects.bulk_create(spans)
key = services.api_token_create(user=user, name="bench", scope="read")[1]
print(article.pk, key)
"""


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a throwaway PostgreSQL database.")
    ensure_database(url)
    env = dict(
        os.environ,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_FROM_SOURCE="0",
        API_RATE_PER_TOKEN="100000000/minute",
        API_RATE_PER_USER="100000000/minute",
        LOG_LEVEL="WARNING",
    )
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", SETUP.replace("{spans}", str(args.spans))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    article_id, key = out[-2], out[-1]

    server = subprocess.Popen(
        [
            str(Path(python).parent / "gunicorn"),
            "newsroom.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    target = f"http://127.0.0.1:{PORT}/api/v1/spans/?article={article_id}"
    try:
        for _ in range(50):
            try:
                request = urllib.request.Request(
                    target, headers={"Authorization": f"Token {key}"}
                )
                with urllib.request.urlopen(request) as response:
                    size = len(response.read())
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not answer")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % key)
        print(
            f"GET {target} ({size} bytes, page of 100 spans; {args.spans} in article)"
        )
        print(
            f"gunicorn 2 sync workers, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s"
        )
        result = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "-s",
                script.name,
                target,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print("\n".join(result.stdout.strip().splitlines()[-5:]))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
