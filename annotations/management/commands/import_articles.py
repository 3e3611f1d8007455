import sys
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from annotations import imports


class Progress:
    """A ``pv``-like line on standard error: articles and spans per second."""

    def __init__(self, stream, *, interval: float = 1.0):
        self.stream = stream
        self.interval = interval
        self.started = self.shown = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.written = False

    def __call__(self, result) -> None:
        now = time.monotonic()
        if now - self.shown < self.interval:
            return
        self.shown = now
        elapsed = max(now - self.started, 1e-9)
        articles = result.articles_created + result.articles_existing
        spans = result.spans_created + result.spans_existing
        line = _(
            "%(articles)s articles (%(articles_rate)s/s), %(spans)s spans "
            "(%(spans_rate)s/s), %(refused)s refused, %(seconds)d s"
        ) % {
            "articles": f"{articles:,}",
            "articles_rate": f"{articles / elapsed:,.0f}",
            "spans": f"{spans:,}",
            "spans_rate": f"{spans / elapsed:,.0f}",
            "refused": f"{len(result.errors):,}",
            "seconds": elapsed,
        }
        # On a terminal the line rewrites itself; in a log, one line each time.
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()
        self.written = True

    def close(self) -> None:
        if self.written and self.tty:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Import articles with their spans from our jsonl, a Label Studio JSON "
        "export or doccano JSONL; importing the same file again creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file, or - for standard input.")
        parser.add_argument(
            "--from",
            dest="source",
            choices=imports.SOURCES,
            default="jsonl",
            help="The file's format (default jsonl, our export shape).",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=None,
            metavar="SRC=label[:TYPE]",
            help="Map a source label to ours, e.g. PERSON=entity:PER or "
            "QUOTE=quote; repeatable; or a JSON file of such pairs.",
        )
        parser.add_argument(
            "--offsets",
            choices=imports.OFFSET_UNITS,
            default="codepoints",
            help="What the file's offsets count: code points (default) or UTF-16 "
            "code units (doccano, browser tools).",
        )
        parser.add_argument(
            "--status",
            choices=imports.STATUSES,
            default="pending",
            help="Status of the imported spans; approved needs an admin.",
        )
        parser.add_argument(
            "--user",
            help="The importing user (an editor or admin); defaults to the first "
            "active superuser.",
        )
        parser.add_argument(
            "--progress-interval",
            type=float,
            default=2.0,
            help="Seconds between progress lines on standard error.",
        )

    def handle(self, *args, file, source, status, user, **options):
        user = self._user(user)
        progress = Progress(self.stderr._out, interval=options["progress_interval"])
        kwargs = {
            "user": user,
            "status": status,
            "source": source,
            "label_map": options["map"],
            "offsets": options["offsets"],
            "progress": progress,
        }
        try:
            if file == "-":
                result = self._import(sys.stdin.buffer, source, kwargs)
            else:
                try:
                    with open(file, "rb") as lines:
                        result = self._import(lines, source, kwargs)
                except OSError as exc:
                    raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        finally:
            progress.close()
        for error in result.errors:
            self.stderr.write(str(error))
        for note in result.notes():
            self.stderr.write(note)
        self.stdout.write(result.summary())
        if result.errors:
            numbers = ", ".join(str(error.line) for error in result.errors)
            unit = "tasks" if source == "label-studio" else "lines"
            raise CommandError(
                f"{len(result.errors)} {unit} refused ({unit} {numbers}); "
                "nothing of those articles was stored."
            )

    def _import(self, lines, source, kwargs):
        return imports.import_articles(lines=lines, **kwargs)

    def _user(self, username):
        User = get_user_model()
        if username:
            try:
                return User.objects.get_by_natural_key(username)
            except User.DoesNotExist:
                raise CommandError(f"No user named {username!r}.") from None
        user = (
            User.objects.filter(is_superuser=True, is_active=True)
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError(
                "No active superuser; name the importing user with --user."
            )
        self.stdout.write(f"Importing as {user.get_username()}.")
        return user
