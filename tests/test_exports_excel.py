"""Spreadsheet-safe CSV (excel=1), exact plain CSV, and JSONL span statuses."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotations import datasets, exports
from annotations.models import Label, Span

from .export_data import make_golden
from .factories import ArticleFactory, SpanFactory

pytestmark = pytest.mark.django_db

TEXT = "=SUM(A1:A9) +33 612 -5 % @admin\tcolonne\rfin ordinaire"
CELLS = ["=SUM(A1:A9)", "+33", "-5", "@admin", "\tcolonne", "\rfin", "ordinaire"]


@pytest.fixture
def formulas(alice, rita):
    """Approved spans whose text starts with each dangerous character."""
    article = ArticleFactory(title="=HYPERLINK(1)", text=TEXT, uploaded_by=alice)
    quote = Label.objects.get(slug="quote")
    for cell in CELLS:
        start = TEXT.index(cell)
        SpanFactory(
            article=article,
            label=quote,
            start=start,
            end=start + len(cell),
            text=TEXT[start : start + len(cell)],
            status=Span.Status.APPROVED,
            reviewed_by=rita,
        )
    return article


def content(params, user):
    export = exports.stream(params, user)
    return b"".join(export.chunks), export


def texts(data: bytes):
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return sorted(row["text"] for row in rows)


def test_it_keeps_plain_csv_byte_exact(formulas, carl):
    data, _export = content({"format": "csv"}, carl)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert texts(data) == sorted(CELLS)
    assert b"'=SUM" not in data


def test_it_neutralises_formula_cells_for_spreadsheets(formulas, carl):
    data, export = content({"format": "csv", "excel": "1"}, carl)
    assert data.startswith(b'\xef\xbb\xbf"article_id","span_id"')
    assert texts(data) == sorted(
        ["'" + cell for cell in CELLS if cell != "ordinaire"] + ["ordinaire"]
    )
    assert export.stats.neutralised == 6


def test_it_says_so_in_the_manifest(formulas, carl):
    excel = exports.manifest({"format": "csv", "excel": "1"}, carl)
    assert excel["csv"]["excel"] is True
    assert excel["csv"]["neutralised_cells"] == 6
    assert "OWASP" in excel["csv"]["neutralisation"]
    plain = exports.manifest({"format": "csv"}, carl)
    assert plain["csv"] == {"excel": False, "exact": True}


def test_it_refuses_excel_for_other_formats(formulas, carl):
    client = APIClient()
    client.force_authenticate(carl)
    response = client.get("/api/v1/export/", {"format": "jsonl", "excel": "1"})
    assert response.status_code == 400
    assert "excel" in response.json()["error"]["fields"]


def test_it_serves_the_variant_on_the_api(formulas, carl):
    client = APIClient()
    client.force_authenticate(carl)
    response = client.get("/api/v1/export/", {"format": "csv", "excel": "1"})
    assert response.status_code == 200
    assert b'"\'=SUM(A1:A9)"' in b"".join(response.streaming_content)


def test_the_export_page_ticks_the_spreadsheet_variant_by_default(client, carl):
    client.force_login(carl)
    page = client.get(reverse("annotations:export"))
    field = page.context["form"]["excel"]
    assert field.value() is True
    assert 'name="excel"' in page.content.decode() and "checked" in str(field)


def test_the_export_page_downloads_the_spreadsheet_variant(client, formulas, carl):
    client.force_login(carl)
    response = client.get(
        reverse("annotations:export"),
        {"download": "1", "format": "csv", "status": "approved", "excel": "on"},
    )
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b'"\'@admin"' in data
    unticked = client.get(
        reverse("annotations:export"),
        {"download": "1", "format": "csv", "status": "approved"},
    )
    assert b"'@admin" not in b"".join(unticked.streaming_content)


def test_the_command_writes_the_variant(formulas, capfdbinary):
    call_command("export_dataset", "--format", "csv", "--excel")
    assert b'"\'+33"' in capfdbinary.readouterr().out


def test_snapshot_downloads_offer_the_variant(formulas, alice):
    dataset = datasets.dataset_create(user=alice, name="formules")
    plain = b"".join(datasets.stream(dataset, {"format": "csv"}, alice).chunks)
    safe = b"".join(
        datasets.stream(dataset, {"format": "csv", "excel": "1"}, alice).chunks
    )
    assert texts(plain) == sorted(CELLS)
    assert b'"\'-5"' in safe


def test_jsonl_tells_approved_from_rejected_with_status_all(alice, bob, rita):
    make_golden(alice, bob, rita)
    data, _export = content({"status": "all"}, alice)
    spans = json.loads(data)["spans"]
    assert {s["id"]: s["status"] for s in spans} == {
        9101: "approved",
        9102: "approved",
        9103: "approved",
        9104: "approved",
        9105: "pending",
        9106: "rejected",
    }
    assert list(spans[0])[-2:] == ["status", "origin"]


def test_csv_jsonl_and_w3c_name_the_same_fields_alike(alice, bob, rita):
    make_golden(alice, bob, rita)
    jsonl = json.loads(content({"status": "all"}, alice)[0])["spans"]
    rows = list(
        csv.DictReader(
            io.StringIO(content({"format": "csv", "status": "all"}, alice)[0].decode())
        )
    )
    shared = set(exports.SPAN_KEYS) - {"id"}
    assert shared <= set(rows[0])
    for span, row in zip(jsonl, rows, strict=True):
        for key in shared:
            assert str(span[key] if span[key] is not None else "") == row[key]
    w3c = json.loads(content({"format": "w3c", "status": "all"}, alice)[0])
    first = w3c["first"]["items"][0]
    assessing = first["body"][-1]
    assert (assessing["value"], assessing["created"]) == (
        jsonl[0]["status"],
        jsonl[0]["reviewed_at"],
    )
