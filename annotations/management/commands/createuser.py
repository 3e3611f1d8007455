import getpass
import sys

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
        try:
            if password is None:
                # Before asking for a password nobody could use.
                services.user_check_username(username=username)
                password = self._prompt_password()
            services.user_create(
                username=username, roles=role, password=password, email=email
            )
        except ValidationError as exc:
            raise CommandError(_refusal(exc)) from None
        self.stdout.write(f"Created {username} with role {', '.join(role)}.")

    def _prompt_password(self):
        if not sys.stdin.isatty():
            raise CommandError("No --password given and no terminal to ask for one.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first


def _refusal(error: ValidationError) -> str:
    problems = error.message_dict
    if "username" in problems:
        return "Username refused: " + " ".join(problems["username"])
    if "password" in problems:
        return "Password refused: " + " ".join(problems["password"])
    return " ".join(error.messages)
