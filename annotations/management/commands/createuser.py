import getpass
import sys

from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotations.models import Role

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
        if password is None:
            password = self._prompt_password()
        # The admin's own form: the same username and password rules, the same
        # messages, whichever way an account is made.
        form = AdminUserCreationForm(
            data={
                "username": username,
                "password1": password,
                "password2": password,
                "usable_password": "true",
            }
        )
        if not form.is_valid():
            problems = form.errors.as_data()
            if "username" in problems:
                raise CommandError(
                    "Username refused: " + " ".join(_messages(problems["username"]))
                )
            raise CommandError(
                "Password refused: "
                + " ".join(
                    message
                    for errors in problems.values()
                    for message in _messages(errors)
                )
            )
        user = form.save(commit=False)
        user.email = email
        if "admin" in role:
            user.is_staff = user.is_superuser = True
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


def _messages(errors) -> list[str]:
    return [message for error in errors for message in error.messages]
