import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotations import imports


class Command(BaseCommand):
    help = (
        "Import articles (with optional spans) from a jsonl file in the export "
        "shape; importing the same file again creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .jsonl file, or - for standard input.")
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

    def handle(self, *args, file, status, user, **options):
        user = self._user(user)
        try:
            if file == "-":
                result = self._import(sys.stdin.buffer, user, status)
            else:
                try:
                    with open(file, "rb") as lines:
                        result = self._import(lines, user, status)
                except OSError as exc:
                    raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(result.summary())
        if result.errors:
            numbers = ", ".join(str(error.line) for error in result.errors)
            raise CommandError(
                f"{len(result.errors)} lines refused (lines {numbers}); "
                "nothing of those articles was stored."
            )

    def _import(self, lines, user, status):
        return imports.import_articles(lines=lines, user=user, status=status)

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
