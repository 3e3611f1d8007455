from collections import Counter, deque

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations import permissions, services
from annotations.models import Article
from annotations.suggest import suggest_texts
from annotations.suggest.base import is_english

# Articles read from the database at a time; spaCy batches them further.
CHUNK = 200


class Command(BaseCommand):
    help = (
        "Run the suggesters on articles and store their suggestions: untouched "
        "suggestions of an earlier run are replaced, and no span that exists in "
        "any status is proposed again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--article",
            type=int,
            nargs="+",
            action="extend",
            default=[],
            metavar="ID",
            help="Article ids (repeat or list several).",
        )
        parser.add_argument(
            "--all", action="store_true", help="Every article that is not deleted."
        )
        parser.add_argument(
            "--user",
            help="Who the suggestions are made for (an editor or admin); defaults "
            "to the first active superuser.",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=2,
            help="spaCy processes parsing in parallel (default 2).",
        )

    def handle(self, *args, article, all, user, processes, verbosity, **options):
        if bool(article) == bool(all):
            raise CommandError("Give --article ID … or --all (one of the two).")
        if processes < 1:
            raise CommandError("--processes must be 1 or more.")
        self.verbosity = verbosity
        user = self._user(user)
        refusal = permissions.explain(user, "suggest")
        if refusal:
            raise CommandError(f"{user.get_username()}: {refusal}")
        articles = Article.objects.alive()
        if article:
            articles = articles.filter(pk__in=article)
        # One spaCy run per language pipeline: French-read articles first,
        # then English, so the worker processes start twice at most.
        found = sorted(
            articles.values_list("pk", "language"),
            key=lambda row: (is_english(row[1]), row[0]),
        )
        missing = sorted(set(article) - {pk for pk, _language in found})
        if missing:
            raise CommandError(
                "No such article (or deleted): " + ", ".join(map(str, missing))
            )
        ids = [pk for pk, _language in found]
        gazetteer = services.suggestion_gazetteer()
        queue = deque()
        totals = Counter()
        failures = []
        results = suggest_texts(
            self._texts(ids, queue), gazetteer=gazetteer, n_process=processes
        )
        bar = tqdm(
            total=len(ids), unit="article", disable=verbosity == 0, smoothing=0.1
        )
        with bar:
            for suggestions in results:
                pk, sha256 = queue.popleft()
                try:
                    # The service locks and reads the article itself.
                    run = services.suggestions_store(
                        article=Article(pk=pk),
                        user=user,
                        found=suggestions,
                        text_sha256=sha256,
                    )
                except (PermissionDenied, ValidationError) as exc:
                    messages = getattr(exc, "messages", None) or [str(exc)]
                    failures.append(f"article {pk}: {' '.join(messages)}")
                else:
                    totals.update(
                        articles=1,
                        suggestions=len(run.suggestions),
                        created=run.created,
                        updated=run.updated,
                        removed=run.removed,
                        existing=run.existing,
                        invalid=run.invalid,
                    )
                bar.update()
        for failure in failures:
            self.stderr.write(failure)
        self.stdout.write(
            "{articles} articles: {suggestions} suggestions ({created} new, "
            "{updated} updated, {removed} removed, {existing} already there as "
            "spans).".format_map(totals)
        )
        if totals["invalid"]:
            self.stderr.write(
                f"{totals['invalid']} proposals refused by the checks (see the log)."
            )
        if failures:
            raise CommandError(f"{len(failures)} articles failed; the others are done.")

    def _texts(self, ids, queue):
        """Yield (text, language) in ``ids`` order, noting each id in ``queue``."""
        for first in range(0, len(ids), CHUNK):
            chunk = ids[first : first + CHUNK]
            rows = Article.objects.alive().in_bulk(chunk)
            for pk in chunk:
                article = rows.get(pk)
                if article is None:  # deleted meanwhile
                    continue
                queue.append((pk, article.text_sha256))
                yield article.text, article.language

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
            raise CommandError("No active superuser; name the user with --user.")
        if self.verbosity:
            self.stdout.write(f"Suggesting as {user.get_username()}.")
        return user
