import getpass
import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotations import services
from annotations.choices import Role

ROLE_CHOICES = [*Role.values, "admin"]


class Command(BaseCommand):
    help = "Create a user with a role (editor, reviewer, consumer or admin)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            required=True,
            choices=ROLE_CHOICES,
            action="append",
            help="Repeat to give several roles.",
        )
        parser.add_argument("--password", help="Prompted for when omitted.")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, password, email, **options):
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        if password is None:
            password = self._prompt_password()
        try:
            services.user_create(
                username=username, roles=role, password=password, email=email
            )
        except ValidationError as exc:
            if "password" in exc.message_dict:
                message = "Password refused: " + " ".join(exc.messages)
            else:
                message = " ".join(exc.messages)
            raise CommandError(message) from None
        self.stdout.write(f"Created {username} with role {', '.join(role)}.")

    def _prompt_password(self):
        if not sys.stdin.isatty():
            raise CommandError("No --password given and no terminal to ask for one.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
