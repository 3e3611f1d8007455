import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotations import exports


class Command(BaseCommand):
    help = (
        "Write an export of the spans to standard output, e.g. "
        "`export_dataset --format conll --label entity > entities.conll`. "
        "Without --user it is the unrestricted operator's view."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=list(exports.FORMATS), default="jsonl")
        parser.add_argument("--status", choices=exports.STATUSES, default="approved")
        parser.add_argument(
            "--label", action="append", default=[], help="A label slug; repeatable."
        )
        parser.add_argument(
            "--article", action="append", default=[], help="An article id; repeatable."
        )
        parser.add_argument("--language", help="e.g. fr or en.")
        parser.add_argument(
            "--since",
            help="Only articles changed (spans added, edited, reviewed…) after this "
            "ISO 8601 date or date-time.",
        )
        parser.add_argument(
            "--include-empty",
            action="store_true",
            help="Also export articles without matching spans (jsonl, conll).",
        )
        parser.add_argument(
            "--lines", action="store_true", help="w3c: one annotation a line."
        )
        parser.add_argument(
            "--excel",
            action="store_true",
            help="csv: spreadsheet-safe (formula-like cells neutralised, "
            "byte-order mark); plain csv is exact.",
        )
        parser.add_argument(
            "--manifest",
            action="store_true",
            help="Print the export's manifest (counts, sha256…) instead of the data.",
        )
        parser.add_argument("--user", help="Export what this user may see.")
        parser.add_argument(
            "--iri-base",
            help="w3c: base URL for annotation ids, e.g. https://host/api/v1/.",
        )

    def handle(self, *args, **options):
        user = self._user(options["user"])
        params = {
            key: options[key]
            for key in ("format", "status", "label", "article", "language", "since")
        }
        params.update(
            include_empty=options["include_empty"],
            lines=options["lines"],
            excel=options["excel"],
        )
        try:
            if options["manifest"]:
                manifest = exports.manifest(params, user, iri_base=options["iri_base"])
                self.stdout.write(json.dumps(manifest, ensure_ascii=False, indent=2))
                return
            export = exports.stream(params, user, iri_base=options["iri_base"])
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self._write(export.chunks)
        stats = export.stats
        report = f"Exported {stats.articles} articles, {stats.spans} spans."
        if export.format.name == "conll":
            report += (
                f" CoNLL: {stats.widened} spans widened to token boundaries, "
                f"{stats.dropped_overlapping} overlapping spans dropped."
            )
        self.stderr.write(report)

    def _user(self, username):
        if not username:
            return exports.SYSTEM
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None

    def _write(self, chunks):
        # Bytes straight to the binary stream when there is one (a real stdout).
        self.stdout.flush()
        binary = getattr(self.stdout, "buffer", None)
        for chunk in chunks:
            if binary is not None:
                binary.write(chunk)
            else:
                self.stdout.write(chunk.decode(), ending="")
        if binary is not None:
            binary.flush()


def _describe(exc: ValidationError) -> str:
    return " ".join(
        f"--{key.replace('_', '-')}: {message}"
        for key, messages in exc.message_dict.items()
        for message in messages
    )
