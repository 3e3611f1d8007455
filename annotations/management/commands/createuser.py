import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

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

    @transaction.atomic
    def handle(self, *args, username, role, password, email, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        user = User(username=username, email=email)
        if "admin" in role:
            user.is_staff = user.is_superuser = True
        if password is None:
            password = self._prompt_password()
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        user.groups.set(Group.objects.filter(name__in=role))
        self.stdout.write(f"Created {username} with role {', '.join(role)}.")

    def _prompt_password(self):
        if not sys.stdin.isatty():
            raise CommandError("No --password given and no terminal to ask for one.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
