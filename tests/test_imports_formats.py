"""Imports from Label Studio and doccano, label maps and offset units."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from annotations import imports
from annotations.models import Article, AuditEvent, Span

pytestmark = pytest.mark.django_db

# The emoji comes before every span: UTF-16 offsets are one more than ours.
TEXT = "🚀 « Le pont rouvrira », promet Zoé Lefèvre, maire de Montréal."
QUOTE = "« Le pont rouvrira »"
ZOE = "Zoé Lefèvre"
CITY = "Montréal"


def at(words, text=TEXT):
    start = text.index(words)
    return start, start + len(words)


def utf16(offset, text=TEXT):
    return len(text[:offset].encode("utf-16-le")) // 2


def ours():
    """Our jsonl: what the other tools' files below must import as."""
    return {
        "title": "Le pont",
        "text": TEXT,
        "spans": [
            {"start": at(QUOTE)[0], "end": at(QUOTE)[1], "label": "quote"},
            {
                "start": at(ZOE)[0],
                "end": at(ZOE)[1],
                "label": "entity",
                "entity_type": "PER",
            },
            {
                "start": at(CITY)[0],
                "end": at(CITY)[1],
                "label": "entity",
                "entity_type": "LOC",
            },
        ],
    }


def region(words, label, rid, text=TEXT):
    start, end = at(words, text)
    return {
        "id": rid,
        "type": "labels",
        "from_name": "label",
        "to_name": "text",
        "value": {"start": start, "end": end, "text": words, "labels": [label]},
    }


def label_studio_task(text=TEXT, regions=None):
    """A task shaped like Label Studio 1.x's JSON export."""
    regions = regions or [
        region(QUOTE, "Quote", "a1"),
        region(ZOE, "PERSON", "a2"),
        region(CITY, "LOC", "a3"),
    ]
    return {
        "id": 41,
        "data": {"text": text, "title": "Le pont"},
        "annotations": [
            {
                "id": 7,
                "completed_by": 1,
                "was_cancelled": False,
                "created_at": "2026-02-01T10:00:00.000000Z",
                "updated_at": "2026-02-01T10:00:00.000000Z",
                "result": [
                    *regions,
                    {
                        "id": "c1",
                        "type": "choices",
                        "value": {"choices": ["Politique"]},
                    },
                ],
            },
            {
                # Cancelled, though later: never the one imported.
                "id": 9,
                "was_cancelled": True,
                "created_at": "2026-02-03T10:00:00.000000Z",
                "updated_at": "2026-02-03T10:00:00.000000Z",
                "result": [region(CITY, "QUOTE", "z9")],
            },
            {
                "id": 8,
                "was_cancelled": False,
                "created_at": "2026-01-01T10:00:00.000000Z",
                "updated_at": "2026-01-01T10:00:00.000000Z",
                "result": [region(ZOE, "QUOTE", "old")],
            },
        ],
        "predictions": [],
    }


def doccano_line(offsets=utf16):
    """A line of doccano 1.8's JSONL, offsets counted by its UI (UTF-16)."""
    spans = [(QUOTE, "QUOTE"), (ZOE, "PERSON"), (CITY, "LOC")]
    return json.dumps(
        {
            "id": 12,
            "text": TEXT,
            "title": "Le pont",
            "label": [
                [offsets(at(w)[0]), offsets(at(w)[1]), name] for w, name in spans
            ],
            "Comments": [],
        },
        ensure_ascii=False,
    )


MAP = ["PERSON=entity:PER", "QUOTE=quote"]


def stored():
    return sorted(
        Span.objects.values_list("start", "end", "label__slug", "entity_type", "text")
    )


def test_it_gives_the_same_spans_from_label_studio_doccano_and_our_jsonl(ada, labels):
    results = {}
    for source, lines, offsets in (
        ("jsonl", [json.dumps(ours(), ensure_ascii=False)], "codepoints"),
        ("label-studio", [label_studio_task()], "codepoints"),
        ("doccano", [doccano_line()], "utf16"),
    ):
        Article.objects.all().delete()
        result = imports.import_articles(
            lines=lines,
            user=ada,
            source=source,
            label_map=MAP,
            offsets=offsets,
            status="approved",
        )
        assert result.ok is True, result.errors
        assert (result.articles_created, result.spans_created) == (1, 3)
        article = Article.objects.get()
        assert (article.title, article.text) == ("Le pont", TEXT)
        results[source] = stored()
    assert results["label-studio"] == results["jsonl"]
    assert results["doccano"] == results["jsonl"]
    assert ("entity", "PER", ZOE) == results["jsonl"][1][2:]


def test_it_finds_the_same_article_whichever_tool_exported_it(ada, labels):
    imports.import_articles(lines=[json.dumps(ours())], user=ada)
    events = AuditEvent.objects.count()
    again = imports.import_articles(
        lines=[doccano_line()],
        user=ada,
        source="doccano",
        label_map=MAP,
        offsets="utf16",
    )
    assert (again.articles_existing, again.spans_existing, again.spans_created) == (
        1,
        3,
        0,
    )
    assert AuditEvent.objects.count() == events


def test_it_takes_the_latest_annotation_that_was_not_cancelled(ada, labels):
    result = imports.import_articles(
        lines=[label_studio_task()], user=ada, source="label-studio", label_map=MAP
    )
    assert result.skipped == {"choices": 1}
    assert not Span.objects.filter(label__slug="quote", text=CITY).exists()
    assert not Span.objects.filter(label__slug="quote", text=ZOE).exists()
    assert "results of other types were ignored: choices (1)" in " ".join(
        result.notes()
    )


def test_it_reports_unmapped_labels_once_with_their_count(alice, labels):
    lines = [doccano_line(), doccano_line()]
    result = imports.import_articles(
        lines=lines,
        user=alice,
        source="doccano",
        label_map=["QUOTE=quote"],
        offsets="utf16",
    )
    assert result.ok is True
    # LOC maps by default (an entity type); PERSON is named nowhere.
    assert result.unmapped == {"PERSON": 2}
    assert set(Span.objects.values_list("label__slug", flat=True)) == {
        "quote",
        "entity",
    }
    [note] = result.notes()
    assert "PERSON (2)" in note


def test_it_reads_a_map_from_a_json_file_and_refuses_a_bad_one(tmp_path, alice, labels):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"PERSON": "entity:PER", "QUOTE": "quote"}))
    result = imports.import_articles(
        lines=[doccano_line()],
        user=alice,
        source="doccano",
        label_map=[str(path)],
        offsets="utf16",
    )
    assert result.spans_created == 3
    with pytest.raises(ValidationError) as refused:
        imports.import_articles(
            lines=[], user=alice, source="doccano", label_map=["X=place", "Y=quote:PER"]
        )
    messages = refused.value.message_dict["map"]
    assert "unknown label 'place'" in messages[0]
    assert "only entities have a type" in messages[1]


def test_it_suggests_utf16_when_offsets_after_an_emoji_are_off_by_one(alice, labels):
    regions = [
        {
            **region(ZOE, "PERSON", "r1"),
            "value": {
                "start": utf16(at(ZOE)[0]),
                "end": utf16(at(ZOE)[1]),
                "text": ZOE,
                "labels": ["PERSON"],
            },
        }
    ]
    task = label_studio_task(regions=regions)
    result = imports.import_articles(
        lines=[task], user=alice, source="label-studio", label_map=MAP
    )
    [error] = result.errors
    assert str(error).startswith("task 1: ")
    assert "does not match the article" in str(error)
    assert "import with --offsets utf16" in str(error)
    fixed = imports.import_articles(
        lines=[task], user=alice, source="label-studio", label_map=MAP, offsets="utf16"
    )
    assert fixed.spans_created == 1
    assert Span.objects.get().text == ZOE


def test_it_maps_label_studio_offsets_through_crlf_nfd_and_whitespace(alice, labels):
    source = "\r\n  " + TEXT.replace(", promet", ",\r\npromet").replace("é", "e\u0301")
    task = label_studio_task(
        text=source,
        regions=[
            region(
                "Zoe\u0301 Lefe\u0300vre".replace("e\u0300", "è"),
                "PERSON",
                "r1",
                source,
            ),
            region("Montre\u0301al", "LOC", "r2", source),
        ],
    )
    result = imports.import_articles(
        lines=[task], user=alice, source="label-studio", label_map=MAP
    )
    assert result.ok is True, result.errors
    article = Article.objects.get()
    assert article.text == TEXT.replace(", promet", ",\npromet")
    for span in article.spans.all():
        assert article.text[span.start : span.end] == span.text
    assert sorted(article.spans.values_list("text", flat=True)) == [CITY, ZOE]


def test_it_refuses_a_span_past_the_end_and_keeps_the_other_lines(alice, labels):
    past = json.dumps({"text": "Court.", "label": [[0, 40, "QUOTE"]]})
    result = imports.import_articles(
        lines=[doccano_line(), past, doccano_line()],
        user=alice,
        source="doccano",
        label_map=MAP,
        offsets="utf16",
    )
    [error] = result.errors
    assert error.line == 2
    assert "end (40) is past the end of the article text" in str(error)
    assert result.articles_created == 1
    assert result.articles_existing == 1


def test_it_titles_an_article_without_title_by_its_first_line(alice, labels):
    text = "Le conseil a voté le budget des pistes cyclables " * 3 + "\nSuite."
    imports.import_articles(
        lines=[json.dumps({"text": text, "label": []})], user=alice, source="doccano"
    )
    title = Article.objects.get().title
    assert title.startswith("Le conseil a voté") and title.endswith("…")
    assert len(title) <= 80


def test_it_never_imports_spans_the_file_marks_rejected(ada, labels):
    data = ours()
    data["spans"][0]["status"] = "rejected"
    data["spans"][1]["status"] = "pending"
    result = imports.import_articles(
        lines=[json.dumps(data)], user=ada, status="approved"
    )
    assert result.skipped == {"rejected": 1}
    assert dict(Span.objects.values_list("text", "status")) == {
        ZOE: "pending",
        CITY: "approved",
    }
    assert "1 span marked rejected" in result.notes()[0]


def test_it_imports_a_label_studio_file_with_the_command(tmp_path, ada, labels, capsys):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([label_studio_task(), "not a task"]), encoding="utf-8")
    with pytest.raises(CommandError, match="1 tasks refused \\(tasks 2\\)"):
        call_command(
            "import_articles",
            str(path),
            "--from",
            "label-studio",
            "--map",
            "PERSON=entity:PER",
            "--status",
            "approved",
            "--progress-interval",
            "0",
        )
    err = capsys.readouterr().err
    assert "task 2: Each task must be a JSON object." in err
    assert "1 articles (" in err and "spans (" in err and "/s)" in err
    assert Span.objects.filter(status="approved").count() == 3


def test_it_imports_doccano_with_utf16_offsets_with_the_command(
    tmp_path, alice, labels
):
    path = tmp_path / "doccano.jsonl"
    path.write_text(doccano_line() + "\n", encoding="utf-8")
    call_command(
        "import_articles",
        str(path),
        "--from",
        "doccano",
        "--offsets",
        "utf16",
        "--map",
        "PERSON=entity:PER",
        "--user",
        "alice",
    )
    assert Span.objects.get(label__slug="entity", entity_type="PER").text == ZOE


def test_it_names_a_bad_map_on_the_command_line(tmp_path, alice, labels):
    path = tmp_path / "doccano.jsonl"
    path.write_text(doccano_line(), encoding="utf-8")
    with pytest.raises(CommandError, match="unknown label 'people'"):
        call_command(
            "import_articles",
            str(path),
            "--from",
            "doccano",
            "--map",
            "PERSON=people",
            "--user",
            "alice",
        )
    assert Article.objects.count() == 0


def test_it_refuses_a_file_that_is_not_a_label_studio_export(tmp_path, alice, labels):
    path = tmp_path / "export.json"
    path.write_text('[{"data": {"text": "Un."}}, {', encoding="utf-8")
    with pytest.raises(CommandError, match="not a Label Studio JSON export"):
        call_command(
            "import_articles", str(path), "--from", "label-studio", "--user", "alice"
        )
