import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ..translations import DOMAINS, catalogue, languages, makemessages


class Command(BaseCommand):
    help = (
        "Add newly marked strings to locale/<lang>/LC_MESSAGES/*.po (and drop "
        "unused ones), then compile every .po into its .mo. Needs GNU gettext."
    )

    def handle(self, *args, **options):
        if not shutil.which("xgettext") or not shutil.which("msgfmt"):
            raise CommandError(
                "GNU gettext is not installed: `apt-get install gettext` (Debian, "
                "Ubuntu) or `brew install gettext` (macOS)."
            )
        root = Path(settings.BASE_DIR)
        makemessages(root)
        call_command("compilemessages", verbosity=0)
        for language in languages():
            for domain in DOMAINS:
                path = catalogue(root, language, domain)
                if path.exists():
                    self.stdout.write(f"Updated {path.relative_to(root)} and its .mo")
        self.stdout.write(
            "Translate the entries with an empty msgstr or a `#, fuzzy` flag "
            "(remove the flag once checked), then run this again to compile."
        )
