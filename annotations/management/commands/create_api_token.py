from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from annotations import services
from annotations.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for USER; the key alone is printed on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ
        )
        parser.add_argument("--name", default="command line")
        parser.add_argument(
            "--expires-in-days", type=int, help="Expire after this many days."
        )

    def handle(self, *args, username, scope, name, expires_in_days, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        expires_at = None
        if expires_in_days is not None:
            if expires_in_days < 1:
                raise CommandError("--expires-in-days must be 1 or more.")
            try:
                expires_at = timezone.now() + timedelta(days=expires_in_days)
            except OverflowError:
                raise CommandError(
                    f"--expires-in-days {expires_in_days} reaches past the year "
                    "9999; give fewer days."
                ) from None
        try:
            token, key = services.api_token_create(
                user=user, name=name, scope=scope, expires_at=expires_at
            )
        except (PermissionDenied, ValidationError) as exc:
            message = " ".join(getattr(exc, "messages", [str(exc)]))
            raise CommandError(
                f"Cannot create a token for {username}: {message}"
            ) from None
        self.stderr.write(f"Created {scope} token {token.name!r} for {username}.")
        self.stdout.write(key)
