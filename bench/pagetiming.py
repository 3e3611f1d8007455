"""What the page benchmarks share: Django set up for a throwaway database,
sample French text, and timing through the test client.

Import it first: it configures and starts Django.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_FROM_SOURCE", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

RUNS = 20
WORDS = (
    "le conseil municipal a voté jeudi soir un budget de douze millions pour les "
    "pistes cyclables la maire Claire Dumont estime que « nous ne pouvons plus "
    "attendre » tandis que l’opposition dénonce un projet mal financé à Villebrune "
    "les habitants du quartier nord réclament une étude 🚲 sur la circulation des "
    "camions près de l’école Jean-Moulin où la sécurité des enfants inquiète"
).split()


def make_text(rng, size):
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
    """Return (median ms, fastest ms, median CPU ms, queries of the last run,
    last status).

    The CPU time is this process's alone: on a machine shared with other work
    it moves far less than the wall clock. ``url`` and ``data`` may be
    callables of the run number.
    """
    call = getattr(client, method)
    for _ in range(2):
        if method == "get":
            call(url(0) if callable(url) else url, headers=headers)
    times, cpu_times = [], []
    for run in range(runs):
        payload = data(run) if callable(data) else data
        with CaptureQueriesContext(connection) as queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = call(
                url(run) if callable(url) else url, payload, headers=headers
            )
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
    return (
        statistics.median(times),
        min(times),
        statistics.median(cpu_times),
        len(queries),
        response.status_code,
    )


def report(name, result):
    median, fastest, cpu, queries, status = result
    print(
        f"{name:<58} median {median:7.1f} ms  (min {fastest:6.1f}, "
        f"cpu {cpu:6.1f})  {queries:3d} queries  HTTP {status}"
    )


def on_a_throwaway_database(run):
    """Create a test database (``bench_<name>`` on PostgreSQL), call ``run``, drop it."""
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
