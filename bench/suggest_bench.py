"""Time the suggesters: model load, one 5,000-character article, and many.

    python bench/suggest_bench.py [--articles 2000] [--chars 5000] [--processes 2]

Articles are assembled from the paragraphs of the French development set
(tests/data), shuffled, so the rules meet real quotes, names and figures.
Each figure is printed beside its target (issue 14): one 5,000-character
article in at most 0.5 s once the model is loaded, 2,000 articles in at most
3 minutes on 2 cores. Wall-clock time depends on what else the machine runs,
so the CPU time used (this process and its workers) is printed too: divided
by the number of processes, it is what an otherwise idle machine would take.
"""

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")

import django  # noqa: E402

django.setup()

from annotations.suggest import suggest_text, suggest_texts  # noqa: E402

GOLD = ROOT / "tests" / "data"
ONE_ARTICLE_TARGET = 0.5
MANY_TARGET = 180.0
RUNS = 20


def paragraphs() -> list[str]:
    found = []
    for name in ("suggest_fr_dev.jsonl", "suggest_fr_dev2.jsonl"):
        for line in (GOLD / name).read_text(encoding="utf-8").splitlines():
            found += [p for p in json.loads(line)["text"].split("\n\n") if p.strip()]
    return found


def article(rng: random.Random, pool: list[str], chars: int) -> str:
    parts, length = [], 0
    while length < chars:
        part = rng.choice(pool)
        parts.append(part)
        length += len(part) + 2
    return "\n\n".join(parts)[:chars].rstrip()


def line(name: str, value: float, unit: str, target: float) -> None:
    verdict = "ok" if value <= target else "OVER"
    print(f"{name:48} {value:8.3f} {unit:3}  target <= {target:g} {unit}  {verdict}")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(20261130)
    pool = paragraphs()

    started = time.perf_counter()
    suggest_text(article(rng, pool, 200), "fr")
    print(f"{'model load and first text':48} {time.perf_counter() - started:8.3f} s")

    texts = [article(rng, pool, 5000) for _ in range(RUNS)]
    timings, cpu, found = [], [], 0
    for text in texts:
        started, started_cpu = time.perf_counter(), time.process_time()
        found += len(suggest_text(text, "fr"))
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    median = statistics.median
    line(
        "one 5,000-char article, median wall", median(timings), "s", ONE_ARTICLE_TARGET
    )
    line("one 5,000-char article, median CPU", median(cpu), "s", ONE_ARTICLE_TARGET)
    line("one 5,000-char article, slowest wall", max(timings), "s", ONE_ARTICLE_TARGET)
    print(f"{'suggestions per article':48} {found / RUNS:8.1f}")

    texts = [(article(rng, pool, args.chars), "fr") for _ in range(args.articles)]
    started, started_cpu = time.perf_counter(), _cpu()
    total = sum(len(s) for s in suggest_texts(texts, n_process=args.processes))
    elapsed, used = time.perf_counter() - started, _cpu() - started_cpu
    target = MANY_TARGET * args.articles / 2000
    name = f"{args.articles:,} articles × {args.chars:,} chars, {args.processes} proc."
    line(f"{name}, wall", elapsed, "s", target)
    line(f"{name}, CPU / {args.processes}", used / args.processes, "s", target)
    chars = sum(len(t) for t, _ in texts)
    print(f"{'throughput':48} {chars / elapsed:8.0f} chars/s, {total:,} suggestions")


if __name__ == "__main__":
    main()
