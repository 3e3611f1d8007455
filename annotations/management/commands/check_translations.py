import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ..translations import IGNORED, compare, makemessages

FIX = "Run `make messages`, translate what it lists, and commit the .po and .mo."


def _copy_ignoring(directory, names):
    return [
        name
        for name in names
        if name.startswith(".")
        or name == "__pycache__"
        or name.endswith(".sqlite3")
        or (Path(directory) == Path(settings.BASE_DIR) and name in IGNORED)
    ]


class Command(BaseCommand):
    help = (
        "Fail when a marked string is missing from a catalogue or has no "
        "translation, when a translation's placeholders differ from the "
        "English, or when a .mo is not the compiled content of its .po. "
        "Extracts into a temporary copy of the project, so nothing is written "
        "here. Needs GNU gettext."
    )

    def handle(self, *args, **options):
        if not shutil.which("xgettext"):
            raise CommandError(
                "GNU gettext is not installed, so marked strings cannot be "
                "extracted: `apt-get install gettext`."
            )
        root = Path(settings.BASE_DIR)
        with tempfile.TemporaryDirectory() as temporary:
            copy = Path(temporary) / "project"
            shutil.copytree(root, copy, ignore=_copy_ignoring)
            try:
                makemessages(copy)
            except subprocess.CalledProcessError as failure:
                raise CommandError(
                    f"makemessages failed: {failure.stderr.decode(errors='replace')}"
                ) from None
            problems = compare(root, copy)
        if not problems:
            self.stdout.write("Translations: every marked string is translated.")
            return
        sections = [
            ("Marked in the code but not in the catalogue", problems.missing),
            ("In the catalogue but no longer in the code", problems.stale),
            ("Without a translation (empty or fuzzy)", problems.untranslated),
            ("Placeholders differ from the English", problems.broken),
            ("Not compiled from the .po as it stands", problems.uncompiled),
        ]
        for title, lines in sections:
            if lines:
                self.stderr.write(f"{title}:")
                for line in sorted(lines):
                    self.stderr.write(f"  {line}")
        raise CommandError(f"The translations are out of date. {FIX}")
