import json

import pytest

from annotations import imports
from annotations.models import Span
from bench import export_bench

pytestmark = pytest.mark.django_db


def test_it_generates_articles_the_import_accepts(tmp_path, ada):
    path = tmp_path / "bench.jsonl"
    export_bench.generate(path, 6, 25, 3000)
    lines = path.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    assert all(len(text) >= 3000 for text in texts)
    joined = "".join(texts)
    assert all(char in joined for char in "«»éè’🚀")
    result = imports.import_articles(lines=lines, user=ada, status="approved")
    assert result.ok is True
    assert (result.articles_created, result.spans_created) == (6, 150)
    assert Span.objects.exclude(source=None).count() > 0


def test_it_generates_the_same_article_whatever_the_count(tmp_path):
    export_bench.generate(tmp_path / "small.jsonl", 2, 10, 500)
    export_bench.generate(tmp_path / "large.jsonl", 5, 10, 500)
    small = (tmp_path / "small.jsonl").read_text(encoding="utf-8").splitlines()
    large = (tmp_path / "large.jsonl").read_text(encoding="utf-8").splitlines()
    assert large[:2] == small
