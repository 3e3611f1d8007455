"""evaluate_suggestions: its scores, its output, and the quality floors of CI.

The floors sit a little under the figures measured when they were set
(README "Suggestions"): a change that lowers quality fails the build.
"""

import importlib.util
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotations.suggest import evaluation

DATA = Path(__file__).parent / "data"

# (set, measure, label) -> floor. "matched" is precision/recall at half overlap.
FLOORS = {
    "suggest_fr_dev.jsonl": {
        ("matched", "quote"): (0.95, 0.95),
        ("speaker", "quote"): 0.95,
        ("matched", "claim"): (0.95, 0.95),
        ("matched", "opinion"): (0.95, 0.95),
        ("strict", "PER"): 0.95,
        ("strict", "ORG"): 0.95,
        ("strict", "LOC"): 0.88,
        ("strict", "PER+ORG+LOC"): 0.95,
    },
    "suggest_fr_dev2.jsonl": {
        ("matched", "quote"): (0.95, 0.95),
        ("speaker", "quote"): 0.95,
        # The scoreline cue takes one sentence this set leaves unmarked.
        ("matched", "claim"): (0.9, 0.9),
        ("matched", "opinion"): (0.95, 0.95),
        ("strict", "PER"): 0.93,
        ("strict", "ORG"): 0.93,
        ("strict", "LOC"): 0.95,
        ("strict", "PER+ORG+LOC"): 0.95,
    },
    "suggest_en_dev.jsonl": {
        ("matched", "quote"): (0.95, 0.95),
        ("speaker", "quote"): 0.95,
        ("matched", "claim"): (0.9, 0.95),
        ("matched", "opinion"): (0.95, 0.95),
        ("strict", "PER"): 0.95,
        ("strict", "ORG"): 0.95,
        ("strict", "LOC"): 0.9,
        ("strict", "PER+ORG+LOC"): 0.95,
    },
    # Held out until the second French held-out set was written; since then a
    # development set like the two above, rules tuned on it included.
    "suggest_fr_dev3.jsonl": {
        ("matched", "quote"): (0.95, 0.95),
        ("speaker", "quote"): 0.95,
        ("matched", "claim"): (0.9, 0.88),
        ("matched", "opinion"): (0.85, 0.95),
        ("strict", "PER"): 0.95,
        ("strict", "ORG"): 0.93,
        ("strict", "LOC"): 0.93,
        ("strict", "PER+ORG+LOC"): 0.95,
    },
    "suggest_fr_dev4.jsonl": {
        ("matched", "quote"): (0.95, 0.95),
        ("speaker", "quote"): 0.95,
        ("matched", "claim"): (0.88, 0.88),
        ("matched", "opinion"): (0.95, 0.95),
        ("strict", "PER"): 0.95,
        ("strict", "ORG"): 0.93,
        ("strict", "LOC"): 0.95,
        ("strict", "PER+ORG+LOC"): 0.95,
    },
    # Measured before any rule was written against it (README "Suggestions"):
    # these floors only keep what was measured.
    "suggest_fr_heldout3.jsonl": {
        ("matched", "quote"): (0.95, 0.93),
        ("speaker", "quote"): 0.9,
        ("matched", "claim"): (0.95, 0.8),
        ("matched", "opinion"): (0.95, 0.7),
        ("strict", "PER"): 0.95,
        ("strict", "ORG"): 0.9,
        ("strict", "LOC"): 0.88,
        ("strict", "PER+ORG+LOC"): 0.92,
    },
    # Never tuned on directly, but the fourth development set and some rules
    # were written after its first measurement, with its kinds of error in
    # view: no longer a clean held-out figure (README "Suggestions").
    "suggest_fr_heldout2.jsonl": {
        ("matched", "quote"): (0.95, 0.93),
        ("speaker", "quote"): 0.85,
        ("matched", "claim"): (0.93, 0.7),
        ("matched", "opinion"): (0.85, 0.95),
        ("strict", "PER"): 0.95,
        ("strict", "ORG"): 0.8,
        ("strict", "LOC"): 0.85,
        ("strict", "PER+ORG+LOC"): 0.87,
    },
    "suggest_en_heldout.jsonl": {
        ("matched", "quote"): (0.95, 0.95),
        ("speaker", "quote"): 0.8,
        ("matched", "claim"): (0.55, 0.8),
        ("matched", "opinion"): (0.95, 0.95),
        ("strict", "PER"): 0.8,
        ("strict", "ORG"): 0.55,
        ("strict", "LOC"): 0.8,
        ("strict", "PER+ORG+LOC"): 0.75,
    },
}


@pytest.fixture(scope="module")
def reports():
    from io import StringIO

    out = StringIO()
    call_command(
        "evaluate_suggestions", *(str(DATA / n) for n in FLOORS), "--json", stdout=out
    )
    return {r["name"]: r for r in map(json.loads, out.getvalue().splitlines())}


@pytest.mark.parametrize("name", list(FLOORS))
def test_quality_stays_above_its_floors(reports, name):
    report = reports[name]
    below = []
    for (measure, label), floor in FLOORS[name].items():
        if measure == "matched":
            got = (
                report["matched"][label]["precision"],
                report["matched"][label]["recall"],
            )
            if got[0] < floor[0] or got[1] < floor[1]:
                below.append(f"{label} P/R {got} < {floor}")
        elif measure == "speaker":
            got = report["sources"][label]["accuracy"]
            if got < floor:
                below.append(f"{label} speakers {got} < {floor}")
        else:
            got = report["strict"][label]["f1"]
            if got < floor:
                below.append(f"{label} strict F1 {got} < {floor}")
    assert not below, f"{name}: " + "; ".join(below)


def test_the_gold_jsonl_files_are_built_from_their_markup():
    spec = importlib.util.spec_from_file_location("build_gold", DATA / "build_gold.py")
    build_gold = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_gold)
    assert build_gold.main(["--check"]) == 0
    for path in DATA.glob("suggest_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            for span in record["spans"]:
                assert record["text"][span["start"] : span["end"]] == span["text"]


def test_it_scores_strict_and_partial_with_nervaluate():
    text = "« Nous tiendrons bon », a déclaré Jeanne Morel à Lyon."
    record = {
        "article_id": 1,
        "language": "fr",
        "text": text,
        "spans": [
            # Gold quote one character short: partial, not strict.
            {"id": 1, "start": 2, "end": 19, "label": "quote", "text": text[2:19],
             "source_span": 2, "entity_type": None},
            {"id": 2, "start": 34, "end": 46, "label": "entity", "text": "Jeanne Morel",
             "source_span": None, "entity_type": "PER"},
            {"id": 3, "start": 49, "end": 53, "label": "entity", "text": "Lyon",
             "source_span": None, "entity_type": "ORG"},
        ],
    }  # fmt: skip
    report = evaluation.evaluate([record])
    assert report.strict["quote"].correct == 0
    assert report.partial["quote"].partial == 1
    assert report.partial["quote"].precision == 0.5
    assert (report.matched["quote"].precision, report.matched["quote"].recall) == (1, 1)
    assert (report.sources["quote"].right, report.sources["quote"].matched) == (1, 1)
    # Lyon is a place for the model, an organisation for this gold: wrong type.
    assert report.strict["PER"].f1 == 1.0
    assert report.strict["entity"].incorrect == 1
    assert report.partial["entity"].correct == 2


def test_it_prints_a_table_per_file(tmp_path):
    from io import StringIO

    out = StringIO()
    call_command("evaluate_suggestions", str(DATA / "suggest_en_dev.jsonl"), stdout=out)
    text = out.getvalue()
    assert text.startswith("suggest_en_dev.jsonl: 7 articles (en)")
    for row in (
        "quote",
        "claim",
        "opinion",
        "entity",
        "  PER+ORG+LOC",
        "  PER",
        "  ORG",
    ):
        assert f"\n{row} " in text
    assert "speaker right on" in text


def test_a_gazetteer_file_feeds_the_approved_names(tmp_path):
    from io import StringIO

    # The model reads this made-up name as an organisation; the newsroom
    # approved it as a place.
    text = "Les salariés de Zorblax Quatre sont en grève depuis lundi."
    start = text.index("Zorblax")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "article_id": 1,
                "language": "fr",
                "text": text,
                "spans": [
                    {
                        "id": 1,
                        "start": start,
                        "end": start + 14,
                        "label": "entity",
                        "text": "Zorblax Quatre",
                        "source_span": None,
                        "entity_type": "LOC",
                    }
                ],
            }  # fmt: skip
        )
        + "\n",
        encoding="utf-8",
    )

    def place_f1(*extra):
        out = StringIO()
        call_command("evaluate_suggestions", str(gold), "--json", *extra, stdout=out)
        return json.loads(out.getvalue())["strict"]["LOC"]["f1"]

    assert place_f1() == 0
    assert place_f1("--gazetteer", str(gold)) == 1.0


def test_it_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("evaluate_suggestions", str(tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: not a gold article"):
        call_command("evaluate_suggestions", str(bad))
    with pytest.raises(CommandError, match="LABEL=SCORE"):
        call_command(
            "evaluate_suggestions",
            str(DATA / "suggest_en_dev.jsonl"),
            "--min-score",
            "claim",
        )
    with pytest.raises(CommandError, match="unknown label 'claims'"):
        call_command(
            "evaluate_suggestions",
            str(DATA / "suggest_en_dev.jsonl"),
            "--min-score",
            "claims=0.5",
        )
