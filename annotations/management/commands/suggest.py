import multiprocessing
from collections import Counter, defaultdict, deque

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm

from annotations import permissions, services
from annotations.models import Article, Assignment
from annotations.suggest import pipeline, suggest_texts
from annotations.suggest.base import is_english

# Articles a worker suggests for at a time (one spaCy batch).
CHUNK = 16


def _suggest_chunk(chunk, gazetteer):
    """Return (id, sha256, suggestions) for each (id, sha256, text, language)."""
    items = [(text, language) for _pk, _sha, text, language in chunk]
    found = suggest_texts(items, gazetteer=gazetteer, batch_size=len(items))
    return [
        (pk, sha256, suggestions)
        for (pk, sha256, _text, _language), suggestions in zip(
            chunk, found, strict=True
        )
    ]


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
        found = self.found = sorted(
            articles.values_list("pk", "language"),
            key=lambda row: (is_english(row[1]), row[0]),
        )
        missing = sorted(set(article) - {pk for pk, _language in found})
        if missing:
            raise CommandError(
                "No such article (or deleted): " + ", ".join(map(str, missing))
            )
        ids = [pk for pk, _language in found]
        # In a blind article suggestions are each assigned annotator's own:
        # they are stored once for each, in their name.
        owners = defaultdict(list)
        for assignment in Assignment.objects.filter(
            article__in=articles.in_blind_round()
        ).select_related("annotator"):
            owners[assignment.article_id].append(assignment.annotator)
        gazetteer = services.suggestion_gazetteer()
        totals = Counter()
        failures = []
        results = self._suggested(ids, gazetteer, processes)
        bar = tqdm(
            total=len(ids), unit="article", disable=verbosity == 0, smoothing=0.1
        )
        with bar:
            for pk, sha256, suggestions in results:
                stored = False
                for owner in owners.get(pk) or [user]:
                    try:
                        # The service locks and reads the article itself.
                        run = services.suggestions_store(
                            article=Article(pk=pk),
                            user=owner,
                            found=suggestions,
                            text_sha256=sha256,
                        )
                    except (PermissionDenied, ValidationError) as exc:
                        messages = getattr(exc, "messages", None) or [str(exc)]
                        failures.append(f"article {pk}: {' '.join(messages)}")
                    else:
                        stored = True
                        totals.update(
                            suggestions=len(run.suggestions),
                            created=run.created,
                            updated=run.updated,
                            removed=run.removed,
                            existing=run.existing,
                            invalid=run.invalid,
                        )
                totals.update(articles=int(stored))
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

    def _chunks(self, ids):
        """Yield lists of (id, text sha256, text, language), read a chunk at a time."""
        for first in range(0, len(ids), CHUNK):
            chunk = ids[first : first + CHUNK]
            rows = Article.objects.alive().in_bulk(chunk)
            yield [
                (pk, rows[pk].text_sha256, rows[pk].text, rows[pk].language)
                for pk in chunk
                if pk in rows  # not deleted meanwhile
            ]

    def _suggested(self, ids, gazetteer, processes):
        """Yield (id, text sha256, suggestions) for each article, in ``ids`` order.

        With several processes, each worker runs the whole suggester (spaCy and
        the rules) on a chunk through ``suggest_texts``, while this process
        reads the next articles and stores what comes back. The workers are
        forked after the model is loaded, so they share it.
        """
        if processes == 1:
            for chunk in self._chunks(ids):
                yield from _suggest_chunk(chunk, gazetteer)
            return
        # Load the pipelines here, once, before the workers fork.
        for language in {
            "en" if is_english(lang) else "fr" for _pk, lang in self.found
        }:
            pipeline.get(language, gazetteer)
        # Forked workers must not share this process's database connection.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(processes) as pool:
            chunks = self._chunks(ids)
            waiting = deque()

            def submit():
                for chunk in chunks:
                    if chunk:
                        task = pool.apply_async(_suggest_chunk, (chunk, gazetteer))
                        waiting.append(task)
                        return

            # Two chunks a worker in flight: none waits while one is stored.
            for _ in range(processes * 2):
                submit()
            while waiting:
                done = waiting.popleft().get()
                submit()
                yield from done

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
