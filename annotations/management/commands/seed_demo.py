import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from annotations import services
from annotations.models import Article, Label, Span
from annotations.text import canonicalize, sha256_hex

# Sample stories written for this project; the people and places are invented.
ARTICLES = [
    {
        "title": "Pistes cyclables : le conseil municipal de Villebrune se divise",
        "language": "fr",
        "outlet": "Le Courrier de Villebrune",
        "byline": "Élodie Marchand",
        "source_url": "https://example.org/villebrune/pistes-cyclables",
        "text": (
            "Le conseil municipal de Villebrune a débattu jeudi soir d’un projet de "
            "douze kilomètres de pistes cyclables 🚲 le long de la rivière.\n\n"
            "« Nous ne pouvons plus attendre : la moitié des trajets en ville font "
            "moins de trois kilomètres », a déclaré la maire, Claire Dumont, devant "
            "une salle comble.\n\n"
            "L’opposition estime que le chantier coûtera 4,2 millions d’euros, soit "
            "le double du budget annoncé. « C’est un projet séduisant mais mal "
            "financé », juge Hervé Lachaux, conseiller d’opposition.\n\n"
            "Le vote définitif est prévu le 14 mars."
        ),
        "spans": [
            ("entity", "Villebrune", "LOC", None, "approved"),
            ("entity", "Claire Dumont", "PER", None, "approved"),
            ("entity", "Hervé Lachaux", "PER", None, "pending"),
            (
                "quote",
                "« Nous ne pouvons plus attendre : la moitié des trajets en ville font "
                "moins de trois kilomètres »",
                None,
                "Claire Dumont",
                "approved",
            ),
            (
                "claim",
                "la moitié des trajets en ville font moins de trois kilomètres",
                None,
                "Claire Dumont",
                "pending",
            ),
            (
                "opinion",
                "C’est un projet séduisant mais mal financé",
                None,
                "Hervé Lachaux",
                "pending",
            ),
        ],
    },
    {
        "title": "Harbour town votes to keep its night ferry",
        "language": "en",
        "outlet": "The Northcliff Gazette",
        "byline": "Sam Okafor",
        "source_url": "https://example.org/northcliff/night-ferry",
        "text": (
            "Northcliff’s council voted 7–2 on Tuesday to keep the night ferry to "
            "Gull Island running through the winter ⛴️.\n\n"
            "“Shift workers depend on that boat — cutting it would cost the hospital "
            "a third of its night staff,” said councillor Priya Raman.\n\n"
            "The ferry operator, Bayline, says the service loses £180,000 a year."
        ),
        "spans": [
            ("entity", "Priya Raman", "PER", None, "approved"),
            ("entity", "Bayline", "ORG", None, "pending"),
            (
                "quote",
                "“Shift workers depend on that boat — cutting it would cost the "
                "hospital a third of its night staff,”",
                None,
                "Priya Raman",
                "pending",
            ),
            (
                "claim",
                "the service loses £180,000 a year",
                None,
                "Bayline",
                "pending",
            ),
        ],
    },
]

USERS = [
    ("editor", ["editor"], False),
    ("reviewer", ["reviewer"], False),
    ("consumer", ["consumer"], False),
    ("admin", [], True),
]


class Command(BaseCommand):
    help = (
        "Create demo users and sample articles; running it again creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo users new passwords and print them.",
        )

    @transaction.atomic
    def handle(self, *args, reset_passwords=False, **options):
        users = {}
        for username, roles, is_admin in USERS:
            users[username] = self._user(username, roles, is_admin, reset_passwords)
        for data in ARTICLES:
            self._article(data, users["editor"], users["reviewer"])

    def _user(self, username, roles, is_admin, reset):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"is_staff": is_admin, "is_superuser": is_admin},
        )
        user.groups.add(*Group.objects.filter(name__in=roles))
        if created or reset:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save()
            self.stdout.write(f"User {username:<9} password {password}")
        else:
            self.stdout.write(f"User {username:<9} exists (password unchanged)")
        return user

    def _article(self, data, editor, reviewer):
        text = canonicalize(data["text"])
        if Article.objects.filter(text_sha256=sha256_hex(text)).exists():
            self.stdout.write(f"Article exists: {data['title']}")
            return
        fields = {k: v for k, v in data.items() if k not in ("spans", "title", "text")}
        article = services.article_create(
            user=editor, title=data["title"], text=text, **fields
        )
        labels = {label.slug: label for label in Label.objects.all()}
        entities = {}
        for slug, words, entity_type, source, status in data["spans"]:
            start = text.index(canonicalize(words))
            span = services.span_create(
                user=editor,
                article=article,
                label=labels[slug],
                start=start,
                end=start + len(canonicalize(words)),
                entity_type=entity_type,
                source=entities.get(source),
            )
            if slug == "entity":
                entities[words] = span
            if status == Span.Status.APPROVED:
                services.span_approve(span=span, user=reviewer, version=span.version)
        self.stdout.write(f"Article created: {data['title']}")
