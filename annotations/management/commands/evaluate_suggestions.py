import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations.suggest import evaluation

ROWS = (
    "quote",
    "claim",
    "opinion",
    "entity",
    evaluation.MAIN_ROW,
    "PER",
    "ORG",
    "LOC",
    "MISC",
)


class Command(BaseCommand):
    help = (
        "Run the suggesters on gold articles (jsonl export shape) and print "
        "precision, recall and F1 per label and entity type, strict and partial, "
        "quotes matched at half overlap and speaker accuracy."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="GOLD.jsonl")
        parser.add_argument(
            "--gazetteer",
            action="append",
            default=[],
            metavar="FILE.jsonl",
            help="Use the entities of these gold files as the newsroom gazetteer "
            "(as approved entities would be); repeatable.",
        )
        parser.add_argument(
            "--min-score",
            action="append",
            default=[],
            metavar="LABEL=SCORE",
            help="Override a label's minimum score, e.g. claim=0.6; repeatable.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print one JSON report per file."
        )
        parser.add_argument(
            "--errors",
            action="store_true",
            help="Also list matched spans whose source is wrong.",
        )

    def handle(self, *args, files, gazetteer, min_score, json, errors, **options):
        min_scores = self._min_scores(min_score)
        names = []
        for path in gazetteer:
            for record in self._read(path):
                names += [
                    (s["text"], s["entity_type"])
                    for s in record["spans"]
                    if s["label"] == "entity" and s.get("entity_type")
                ]
        for path in files:
            records = self._read(path)
            report = evaluation.evaluate(
                records, name=Path(path).name, gazetteer=names, min_scores=min_scores
            )
            if json:
                self.stdout.write(_json(report.as_dict()))
            else:
                self._print(report, errors)

    def _read(self, path):
        try:
            with open(path, encoding="utf-8") as lines:
                return evaluation.read_gold(lines)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None

    def _min_scores(self, values):
        scores = {}
        for value in values:
            label, _, score = value.partition("=")
            try:
                scores[label] = float(score)
            except ValueError:
                raise CommandError(
                    f"--min-score takes LABEL=SCORE, e.g. claim=0.6; got {value!r}."
                ) from None
            if label not in ("quote", "claim", "entity", "opinion"):
                raise CommandError(
                    f"--min-score: unknown label {label!r}; use quote, claim, "
                    "entity or opinion."
                )
        return scores

    def _print(self, report, errors):
        write = self.stdout.write
        write(
            f"{report.name}: {report.articles} articles ({', '.join(report.languages)})"
        )
        write(
            f"{'':13}{'strict P':>9}{'R':>7}{'F1':>7}  {'partial P':>9}{'R':>7}"
            f"{'F1':>7}  {'gold':>5}{'suggested':>10}"
        )
        for row in ROWS:
            if row not in report.strict:
                continue
            strict, partial = report.strict[row], report.partial[row]
            name = row if row in ("quote", "claim", "opinion", "entity") else f"  {row}"
            write(
                f"{name:13}{strict.precision:9.2f}{strict.recall:7.2f}"
                f"{strict.f1:7.2f}  {partial.precision:9.2f}{partial.recall:7.2f}"
                f"{partial.f1:7.2f}  {strict.gold:5d}{strict.suggested:10d}"
            )
        write(f"at >= {evaluation.MATCH_OVERLAP} % overlap of the gold span:")
        for label, matched in report.matched.items():
            sources = report.sources[label]
            write(
                f"  {label:8} P {matched.precision:.2f}  R {matched.recall:.2f}  "
                f"F1 {matched.f1:.2f}  ({matched.correct + matched.partial} of "
                f"{matched.gold} gold matched, {matched.suggested} suggested); "
                f"{'speaker' if label == 'quote' else 'source'} right on "
                f"{sources.right}/{sources.matched} = {sources.accuracy:.2f}"
            )
        if errors:
            for error in report.errors:
                write(
                    f"  wrong source ({error['label']}, article {error['article_id']}, "
                    f"{error['origin']}): {error['text']!r} — gold "
                    f"{error['gold_source']!r}, suggested {error['suggested_source']!r}"
                )
        write("")


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
