import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Article, Span

from .export_data import make_golden
from .test_exports_formats import EXPECTED_CONLL, EXPECTED_JSONL

pytestmark = pytest.mark.django_db


@pytest.fixture
def golden(alice, bob, rita):
    return make_golden(alice, bob, rita)


def export(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_dataset", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_exports_approved_jsonl_by_default(golden):
    out, err = export()
    assert out == EXPECTED_JSONL
    assert err == "Exported 1 articles, 4 spans.\n"


def test_it_writes_bytes_to_a_real_standard_output(golden, capfdbinary):
    call_command("export_dataset", "--format", "conll")
    captured = capfdbinary.readouterr()
    assert captured.out == EXPECTED_CONLL.encode()


def test_it_reports_conll_drops_on_standard_error(golden):
    out, err = export("--format", "conll")
    assert out == EXPECTED_CONLL
    assert "0 spans widened to token boundaries, 1 overlapping spans dropped" in err


def test_it_passes_every_filter(golden):
    out, _err = export(
        "--format",
        "csv",
        "--status",
        "all",
        "--label",
        "claim",
        "--label",
        "opinion",
        "--article",
        "9001",
        "--language",
        "fr",
        "--since",
        "2026-01-01",
    )
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [row["span_id"] for row in rows] == ["9105", "9106"]


def test_it_exports_w3c_lines_and_empty_articles(golden, alice):
    Article.objects.create(
        title="Vide", text="Rien.", text_sha256="x", uploaded_by=alice
    )
    out, _err = export("--format", "w3c", "--lines", "--iri-base", "https://h/api/v1")
    assert len(out.splitlines()) == 4
    assert json.loads(out.splitlines()[0])["id"] == "https://h/api/v1/spans/9101/"
    out, _err = export("--include-empty")
    assert len(out.splitlines()) == 2


def test_it_prints_the_manifest(golden):
    out, _err = export("--manifest", "--format", "csv")
    manifest = json.loads(out)
    assert manifest["format"] == "csv"
    assert manifest["counts"]["spans"] == 4
    assert len(manifest["sha256"]) == 64


def test_it_exports_what_a_user_may_see(golden, carl):
    with pytest.raises(CommandError, match="approved spans only"):
        export("--user", "carl", "--status", "pending")


def test_it_names_the_bad_option(golden):
    with pytest.raises(CommandError, match="--label: Unknown label 'rumour'"):
        export("--label", "rumour")
    with pytest.raises(CommandError, match="--since: since must be"):
        export("--since", "last week")
    with pytest.raises(CommandError, match="No user named 'zed'"):
        export("--user", "zed")


# import_articles


def write_lines(tmp_path, *lines):
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


GOOD = json.dumps(
    {
        "title": "Bonne nouvelle",
        "text": "Le pont de Villebrune rouvre lundi.",
        "spans": [{"start": 11, "end": 21, "label": "entity", "entity_type": "LOC"}],
    }
)


def test_it_imports_a_file_as_the_first_superuser(tmp_path, ada, labels):
    out = io.StringIO()
    call_command("import_articles", write_lines(tmp_path, GOOD), stdout=out)
    assert "Importing as ada." in out.getvalue()
    assert "1 articles created" in out.getvalue()
    assert Span.objects.get().text == "Villebrune"
    assert Span.objects.get().status == Span.Status.PENDING


def test_it_imports_approved_spans_for_an_admin(tmp_path, ada, labels):
    call_command(
        "import_articles",
        write_lines(tmp_path, GOOD),
        "--status",
        "approved",
        "--user",
        "ada",
        stdout=io.StringIO(),
    )
    assert Span.objects.get().reviewed_by == ada


def test_it_refuses_approved_spans_from_an_editor(tmp_path, alice, labels):
    with pytest.raises(CommandError, match="Only admins"):
        call_command(
            "import_articles",
            write_lines(tmp_path, GOOD),
            "--status",
            "approved",
            "--user",
            "alice",
        )
    assert Article.objects.count() == 0


def test_it_exits_with_an_error_listing_the_bad_lines(tmp_path, alice, labels):
    path = write_lines(tmp_path, GOOD, "nope", json.dumps({"text": "Sans titre."}))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"2 lines refused \(lines 2, 3\)"):
        call_command("import_articles", path, "--user", "alice", stdout=out, stderr=err)
    assert "line 2: Not valid JSON" in err.getvalue()
    assert "line 3: title is missing" in err.getvalue()
    assert "1 articles created" in out.getvalue()
    assert Article.objects.count() == 1


def test_it_reports_a_line_that_is_not_utf8(tmp_path, alice, labels):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + '{"title": "Été"}'.encode("latin-1"))
    with pytest.raises(CommandError, match=r"lines 2\)"):
        call_command(
            "import_articles",
            str(path),
            "--user",
            "alice",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_it_imports_the_same_file_twice_without_duplicates(tmp_path, alice, labels):
    path = write_lines(tmp_path, GOOD)
    call_command("import_articles", path, "--user", "alice", stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_articles", path, "--user", "alice", stdout=out)
    assert "0 articles created, 1 already present" in out.getvalue()
    assert Span.objects.count() == 1


def test_it_says_when_the_file_cannot_be_read(tmp_path, alice):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_articles", str(tmp_path / "x.jsonl"), "--user", "alice")


def test_it_needs_a_user_when_there_is_no_superuser(tmp_path, alice):
    with pytest.raises(CommandError, match="--user"):
        call_command("import_articles", write_lines(tmp_path, GOOD))


def test_it_refuses_characters_no_database_stores(tmp_path, alice, labels):
    good = json.loads(GOOD)
    lines = [
        json.dumps(good | {"title": "Bonne\x00 nouvelle"}),
        json.dumps(good | {"outlet": "Le \ud800 Jour"}),
        json.dumps(good | {"byline": "\udfff"}),
        "[" * 100_000 + "]" * 100_000,
    ]
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"4 lines refused \(lines 1, 2, 3, 4\)"):
        call_command(
            "import_articles",
            write_lines(tmp_path, *lines),
            "--user",
            "alice",
            stdout=io.StringIO(),
            stderr=err,
        )
    report = err.getvalue()
    assert "line 1: title contains the character U+0000 at position 5, which" in report
    assert "line 2: outlet contains the character U+D800 at position 3, which" in report
    assert "line 3: byline contains the character U+DFFF at position 0, which" in report
    assert "line 4: The JSON is nested more than 32 levels deep" in report
    assert Article.objects.count() == 0
