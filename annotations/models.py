import functools
import re

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connections, models
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import permissions
from . import text as text_utils
from .choices import SUGGESTION_STATUSES, ApiTokenScope, SpanStatus

ENTITY_SLUG = "entity"
# Where a span came from (DESIGN.md section 7): made by hand, by a rule of the
# suggesters, or by a statistical model with its version.
MANUAL_ORIGIN = "manual"

# Any case, and "_" for "-": LanguageCodeField stores the lowercase form.
language_validator = RegexValidator(
    r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
    gettext_lazy("Enter a language code such as “fr”, “en” or “pt-BR”."),
)
colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", gettext_lazy("Enter a colour as #rrggbb.")
)
shortcut_validator = RegexValidator(
    r"^[a-z0-9]?$", gettext_lazy("A shortcut is one lower-case letter or digit.")
)
origin_validator = RegexValidator(
    r"^(manual|rule:[a-z0-9][a-z0-9_.-]*|model:[A-Za-z0-9_.-]+@[A-Za-z0-9_.+-]+)$",
    gettext_lazy("An origin is “manual”, “rule:<name>” or “model:<name>@<version>”."),
)


def normalize_language(value):
    """Return a language code as stored: lowercase BCP 47 ("FR" → "fr",
    "pt_BR" → "pt-br"). Tags are case-insensitive, so one form is kept.
    """
    if not isinstance(value, str):
        return value
    return value.strip().replace("_", "-").lower()


class LanguageCodeField(models.CharField):
    """A BCP 47 language code, given in any case and stored lowercase.

    Lookups fold the same way, so ``filter(language="FR")`` finds "fr".
    """

    def to_python(self, value):
        return normalize_language(super().to_python(value))

    def get_prep_value(self, value):
        return normalize_language(super().get_prep_value(value))


class Label(models.Model):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    colour = models.CharField(max_length=7, validators=[colour_validator])
    shortcut = models.CharField(
        max_length=1, blank=True, validators=[shortcut_validator]
    )
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortcut"],
                condition=~Q(shortcut=""),
                name="label_unique_shortcut",
                violation_error_message=gettext_lazy(
                    "Another label already uses this shortcut key."
                ),
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_entity(self) -> bool:
        return self.slug == ENTITY_SLUG

    @classmethod
    def editable_fields(cls) -> list[str]:
        """Return the fields an admin sets (all but the id)."""
        return [
            f.name
            for f in cls._meta.concrete_fields
            if f.editable and not f.primary_key
        ]

    def snapshot(self) -> dict:
        """Return the fields an audit event records."""
        return {name: getattr(self, name) for name in self.editable_fields()}


class Profile(models.Model):
    """What a person chose for themself; one row a user, made on first save."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        primary_key=True,
        related_name="profile",
    )
    # Empty: follow the browser's Accept-Language, then LANGUAGE_CODE.
    language = models.CharField(
        gettext_lazy("language"), max_length=8, blank=True, default=""
    )

    def __str__(self):
        return f"{self.user} ({self.language or '-'})"


class AnnotationMode(models.TextChoices):
    """How an article is annotated (DESIGN.md section 7)."""

    SHARED = "shared", gettext_lazy("Shared")
    BLIND = "blind", gettext_lazy("Blind")


class WorkStatus(models.TextChoices):
    """Where an article stands, derived from its spans (never stored)."""

    NOT_STARTED = "not_started", gettext_lazy("Not started")
    AWAITING_REVIEW = "awaiting_review", gettext_lazy("Awaiting review")
    IN_PROGRESS = "in_progress", gettext_lazy("In progress")
    REVIEWED = "reviewed", gettext_lazy("Reviewed")


def _span_count(spans, status):
    """Return the number of ``spans`` (correlated on an article) with ``status``."""
    # The status goes in the aggregate's FILTER, not the WHERE: the WHERE then
    # holds only the article, so the planner walks that index rather than every
    # span with the status (SQLite, without statistics, would pick the latter).
    counts = (
        spans.order_by()
        .values("article")
        .annotate(n=Count("pk", filter=Q(status=status)))
    )
    return Coalesce(Subquery(counts.values("n")[:1]), 0)


def _work_status_conditions() -> dict:
    # Suggestions are nobody's work yet: they neither start nor hold up an
    # article; superseded versions were decided by adjudication.
    every = Span.objects.filter(article=OuterRef("pk")).exclude(
        status__in=[*Span.SUGGESTION_STATUSES, Span.Status.SUPERSEDED]
    )
    decided_statuses = [Span.Status.APPROVED, Span.Status.REJECTED]
    # "Neither approved nor rejected" is pending (a check constraint says so,
    # suggestions and superseded versions aside), and "not pending" is decided.
    # Put this way, no planner is tempted to walk the index of every span by
    # status instead of the article's own spans (SQLite, without statistics,
    # was).
    undecided = Exists(every.exclude(status__in=decided_statuses))
    decided = Exists(every.exclude(status=Span.Status.PENDING))
    return {
        WorkStatus.NOT_STARTED: ~Exists(every),
        WorkStatus.AWAITING_REVIEW: undecided & ~decided,
        WorkStatus.IN_PROGRESS: undecided & decided,
        WorkStatus.REVIEWED: Exists(every) & ~undecided,
    }


def _work_status():
    conditions = _work_status_conditions()
    return Case(
        *(
            When(conditions[status], then=Value(status))
            for status in (
                WorkStatus.NOT_STARTED,
                WorkStatus.AWAITING_REVIEW,
                WorkStatus.IN_PROGRESS,
            )
        ),
        default=Value(WorkStatus.REVIEWED),
        output_field=CharField(),
    )


_SEARCH_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def _search_groups(query: str) -> list[list[tuple[bool, str]]]:
    """Split a web-search query into OR groups of (negated, term) pairs."""
    groups = [[]]
    for match in _SEARCH_TERM.finditer(query or ""):
        negated = bool(match.group(1) or match.group(3))
        phrase = match.group(2)
        term = (phrase if phrase is not None else match.group(4)).strip().strip('"')
        if phrase is None and term.lower() == "or" and not negated:
            groups.append([])
        elif term:
            groups[-1].append((negated, term))
    return [group for group in groups if group]


def _contains_any(groups) -> Q:
    either = Q(pk__in=[])
    for group in groups:
        every = Q()
        for negated, term in group:
            found = Q(search_text__icontains=text_utils.fold_accents(term))
            every &= ~found if negated else found
        either |= every
    return either


class ArticleQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(is_deleted=False)

    def visible_to(self, user):
        return self.alive() if permissions.can(user, "read_article") else self.none()

    def assigned_to(self, user):
        """Keep the articles ``user`` is assigned to annotate."""
        return self.filter(
            Exists(Assignment.objects.filter(article=OuterRef("pk"), annotator=user))
        )

    def in_blind_round(self):
        """Keep blind articles not yet adjudicated: their versions stay apart."""
        return self.filter(
            annotation_mode=AnnotationMode.BLIND, adjudicated_at__isnull=True
        )

    def compared_for(self, user):
        """Return the double-annotated articles whose agreement ``user`` may see.

        Reviewers and admins see every one except those they annotate blind
        themselves before adjudication; everyone else only adjudicated ones,
        so no figure tells of a version still being written.
        """
        if not permissions.can(user, "view_agreement"):
            return self.none()
        articles = self.visible_to(user).double_annotated()
        if permissions.can(user, "read_all_versions"):
            return articles.filter(sees_every_version(user, "pk"))
        return articles.filter(adjudicated_at__isnull=False)

    def double_annotated(self):
        """Keep blind articles where at least two annotators have a version."""
        versions = (
            Span.objects.filter(article=OuterRef("pk"), blind=True)
            .accepted()
            .order_by()
            .values("article")
            .annotate(n=Count("created_by", distinct=True))
            .values("n")
        )
        return (
            self.filter(annotation_mode=AnnotationMode.BLIND)
            .annotate(annotators_with_versions=Subquery(versions[:1]))
            .filter(annotators_with_versions__gte=2)
        )

    def with_span_counts(self, user=None):
        """Annotate ``spans_pending/approved/rejected``; with ``user``, only the
        versions of blind articles they may see are counted."""
        seen = Q()
        if getattr(user, "is_authenticated", False):
            seen = (
                Q(spans__blind=False)
                | Q(spans__created_by=user)
                | sees_every_version(user, "pk")
            )
        return self.annotate(
            **{
                f"spans_{status}": Count("spans", filter=Q(spans__status=status) & seen)
                for status in (
                    Span.Status.PENDING,
                    Span.Status.APPROVED,
                    Span.Status.REJECTED,
                )
            }
        )

    def with_work_status(self, spans=None):
        """Annotate ``spans_pending/approved/rejected/total`` and ``work_status``.

        ``spans`` limits which spans are counted (e.g. those a consumer may see);
        ``work_status`` always looks at every span: not started (none), awaiting
        review (none decided yet), in progress (some decided, some pending),
        reviewed (all decided). Correlated subqueries, not a join and GROUP BY, so
        a page of rows costs the same however big the tables.
        """
        counted = (Span.objects.all() if spans is None else spans).filter(
            article=OuterRef("pk")
        )
        return self.annotate(
            spans_pending=_span_count(counted, Span.Status.PENDING),
            spans_approved=_span_count(counted, Span.Status.APPROVED),
            spans_rejected=_span_count(counted, Span.Status.REJECTED),
            spans_total=F("spans_pending") + F("spans_approved") + F("spans_rejected"),
            work_status=_work_status(),
        )

    def filter_work_status(self, status: str):
        """Keep articles whose ``work_status`` would be ``status``."""
        return self.filter(_work_status_conditions()[status])

    def search(self, query: str):
        """Filter on title and text, read as a web search: words, "a phrase",
        -excluded, either or other. Case and accents do not matter:
        "developpement" finds "Développement".

        Full-text on PostgreSQL (the "simple" configuration neither stems nor
        drops stop words, so one query serves every language); substrings of
        ``search_text`` elsewhere. Both fold accents the way PostgreSQL's
        ``unaccent`` does (SQLite gets the same function, see apps.py).
        """
        groups = _search_groups(query)
        if not groups:
            return self
        if connections[self.db].vendor != "postgresql":
            return self.filter(_contains_any(groups))
        from django.contrib.postgres.search import SearchQuery

        # search_vector is kept by a trigger and GIN-indexed (migrations 0005
        # and 0011); the trigger folds accents, so the query does too.
        folded = Func(Value(query), function="unaccent", output_field=TextField())
        return self.filter(
            search_vector=SearchQuery(folded, config="simple", search_type="websearch")
        )

    def with_label(self, slug: str, spans=None):
        """Keep articles with at least one span (among ``spans``) labelled ``slug``."""
        spans = Span.objects.all() if spans is None else spans
        return self.filter(
            Exists(spans.filter(article=OuterRef("pk"), label__slug=slug))
        )


class Article(models.Model):
    title = models.CharField(max_length=500)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64, editable=False, db_index=True)
    language = LanguageCodeField(
        max_length=16, default="fr", validators=[language_validator]
    )
    source_url = models.URLField(max_length=2000, blank=True)
    outlet = models.CharField(max_length=200, blank=True)
    byline = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="articles"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # A default in the database too: bulk writers (COPY) leave the column out.
    annotation_mode = models.CharField(
        max_length=6,
        choices=AnnotationMode,
        default=AnnotationMode.SHARED,
        db_default=AnnotationMode.SHARED,
    )
    annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Assignment",
        through_fields=("article", "annotator"),
        related_name="articles_assigned",
        blank=True,
    )
    adjudicated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="articles_adjudicated",
    )
    adjudicated_at = models.DateTimeField(null=True, blank=True)
    # Title and text as a full-text document. On PostgreSQL a trigger fills it
    # on every write of the title or text; elsewhere it stays empty.
    search_vector = SearchVectorField(null=True, editable=False)
    # Title and text without accents, for the substring search SQLite does. A
    # trigger fills it (apps.py); on PostgreSQL it stays empty.
    search_text = models.TextField(null=True, editable=False)  # noqa: DJ001

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["language", "-created_at"])]

    def __str__(self):
        return self.title

    def clean(self):
        # The text is checked on its way in (set_text); these come as they are.
        errors = {}
        for name in ("title", "outlet", "byline", "source_url", "language"):
            try:
                text_utils.check_storable(getattr(self, name) or "", name=name)
            except ValidationError as error:
                errors[name] = error
        if errors:
            raise ValidationError(errors)

    def set_text(self, raw: str | bytes) -> bool:
        """Canonicalise and set the text; return whether it changed.

        Refuse a change once the article has spans: their offsets would drift.
        """
        text = text_utils.canonicalize(raw)
        if not text:
            raise ValidationError({"text": _("The article text is empty.")})
        if len(text) > settings.ARTICLE_MAX_CHARS:
            raise ValidationError(
                {
                    "text": _(
                        "The article text has %(n)d characters; the limit is %(max)d."
                    )
                    % {"n": len(text), "max": settings.ARTICLE_MAX_CHARS}
                }
            )
        if text == self.text:
            return False
        if self.pk and self.spans.exists():
            raise ValidationError(
                {
                    "text": _(
                        "This article already has spans, so its text can no longer "
                        "be changed: their offsets would no longer match. Delete the "
                        "spans first or upload the corrected text as a new article."
                    )
                }
            )
        self.text = text
        self.text_sha256 = text_utils.sha256_hex(text)
        return True

    @property
    def is_blind(self) -> bool:
        return self.annotation_mode == AnnotationMode.BLIND

    @property
    def in_blind_round(self) -> bool:
        """True while each annotator's version stays apart (until adjudication)."""
        return self.is_blind and self.adjudicated_at is None

    def soft_delete(self):
        self.is_deleted = True
        self.deleted_at = timezone.now()
        self.save(update_fields=["is_deleted", "deleted_at", "updated_at"])

    def snapshot(self, *, with_text: bool = True) -> dict:
        """Return the fields an audit event records.

        Without the text, its length stands beside its sha256: bulk imports
        record the creation of thousands of articles whose text is in the row.
        """
        text = {"text": self.text} if with_text else {"text_length": len(self.text)}
        return {
            "title": self.title,
            **text,
            "text_sha256": self.text_sha256,
            "language": self.language,
            "source_url": self.source_url,
            "outlet": self.outlet,
            "byline": self.byline,
            "published_on": self.published_on.isoformat()
            if self.published_on
            else None,
            "is_deleted": self.is_deleted,
        }


def sees_every_version(user, article_field: str = "article_id") -> Q:
    """Return a condition on ``article_field``: ``user`` may read every
    annotator's version of the article.

    Reviewers and admins may, except in a blind article they annotate
    themselves until it is adjudicated; nobody else may.
    """
    if not permissions.can(user, "read_all_versions"):
        return Q(pk__in=[])
    own_rounds = Assignment.objects.filter(
        annotator=user,
        article__annotation_mode=AnnotationMode.BLIND,
        article__adjudicated_at__isnull=True,
    ).values("article_id")
    return ~Q(**{f"{article_field}__in": own_rounds})


class Assignment(models.Model):
    """An annotator assigned to an article (blind or shared)."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "annotator"],
                name="assignment_unique_per_article",
                violation_error_message=gettext_lazy(
                    "This annotator is already assigned to the article."
                ),
            )
        ]
        indexes = [
            models.Index(
                fields=["annotator", "article"], name="assignment_annotator_idx"
            )
        ]

    def __str__(self):
        return f"{self.annotator} → {self.article_id}"


class SpanQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(article__is_deleted=False)

    def visible_to(self, user, *, with_dismissed: bool = False):
        """Return the spans ``user`` may read: consumers see approved spans only;
        in blind articles each annotator sees only their own version, their
        own suggestions included; dismissed suggestions are hidden from
        everyone (``with_dismissed`` keeps them, for the writes that must
        answer "already dismissed").
        """
        if not permissions.can(user, "read_article"):
            return self.none()
        if permissions.sees_approved_only(user):
            # Versions are never approved: adjudication approves copies.
            return self.alive().approved()
        spans = self.alive().filter(
            Q(blind=False) | Q(created_by=user) | sees_every_version(user)
        )
        if with_dismissed:
            return spans
        return spans.exclude(status=Span.Status.DISMISSED)

    def suggested(self):
        return self.filter(status=Span.Status.SUGGESTED)

    def accepted(self):
        """Keep the spans that are people's work: neither suggested nor dismissed."""
        return self.exclude(status__in=Span.SUGGESTION_STATUSES)

    def current(self):
        """Leave out superseded versions: what an article's pages show."""
        return self.exclude(status=Span.Status.SUPERSEDED)

    def versions(self):
        """Keep the annotators' own versions of blind articles (superseded too)."""
        return self.filter(blind=True)

    def approved(self):
        return self.filter(status=Span.Status.APPROVED)

    def with_visible_source(self, *, approved_only: bool):
        """Annotate ``visible_source_id``: the source's id, or None where the
        reader may not see the source.

        ``approved_only`` for readers of approved spans only (data consumers,
        and exports of approved spans that consumers download as snapshots):
        an approved quote may name an entity still pending, whose id they must
        not learn. The source is of the same article, so as alive as the span.
        """
        if not approved_only:
            return self.annotate(visible_source_id=F("source_id"))
        return self.annotate(
            visible_source_id=Case(
                When(source__status=Span.Status.APPROVED, then=F("source_id")),
                default=None,
                output_field=models.BigIntegerField(),
            )
        )

    def pending(self):
        return self.filter(status=Span.Status.PENDING)

    def awaiting_decision(self):
        """Return the pending spans, for pages that list them in review order.

        The same rows as ``pending()``, put as "neither approved nor rejected"
        (a check constraint makes it so): an equality on the status would lead
        SQLite, which keeps no statistics, to read every pending span through
        the status index and sort them all, where walking the review order's
        index stops after one page. Versions of blind articles are left out:
        adjudication decides on them. Suggestions are nobody's to review yet.
        """
        return self.exclude(
            status__in=[
                Span.Status.APPROVED,
                Span.Status.REJECTED,
                Span.Status.SUPERSEDED,
                *Span.SUGGESTION_STATUSES,
            ]
        ).filter(blind=False)

    def in_review_order(self):
        """Order oldest article first, then by position in the article.

        Article ids grow with uploads, so they order articles by age; the order
        is that of the index on (article, start, end, label), which a page of
        the queue then walks instead of sorting every pending span.
        """
        return self.order_by("article_id", "start", "end", "label_id")

    def after_position(self, key: tuple[int, int, int, int]):
        """Keep the spans after ``key`` (article id, start, end, label id) in
        review order: the keyset of the review queue's pages.
        """
        article_id, start, end, label_id = key
        same_article = Q(article_id=article_id)
        # The first condition alone is redundant; it gives the index a start.
        return self.filter(article_id__gte=article_id).filter(
            Q(article_id__gt=article_id)
            | same_article & Q(start__gt=start)
            | same_article & Q(start=start, end__gt=end)
            | same_article & Q(start=start, end=end, label_id__gt=label_id)
        )


class Span(models.Model):
    Status = SpanStatus
    SUGGESTION_STATUSES = SUGGESTION_STATUSES

    class EntityType(models.TextChoices):
        PER = "PER", gettext_lazy("Person")
        ORG = "ORG", gettext_lazy("Organisation")
        LOC = "LOC", gettext_lazy("Location")
        MISC = "MISC", gettext_lazy("Other")

    article = models.ForeignKey(Article, models.CASCADE, related_name="spans")
    label = models.ForeignKey(Label, models.PROTECT, related_name="spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    # NULL, not "", for "no type": exports and the API carry it as JSON null.
    entity_type = models.CharField(  # noqa: DJ001
        max_length=4, choices=EntityType, null=True, blank=True
    )
    # RESTRICT: an entity cited as a source cannot be deleted on its own, but
    # deleting the whole article still cascades through both spans.
    source = models.ForeignKey(
        "self",
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="attributed_spans",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    origin = models.CharField(
        max_length=100, default=MANUAL_ORIGIN, validators=[origin_validator]
    )
    # How sure the suggester was, in [0, 1]; None for spans made by hand.
    score = models.FloatField(null=True, blank=True)
    # An accepted suggestion whose offsets, label, type or source a person
    # changed: the "accepted after correction" of the statistics.
    corrected = models.BooleanField(default=False)
    # One annotator's own version in a blind article (created_by is that
    # annotator): only they, reviewers and admins see it until adjudication.
    # The database default serves bulk writers (COPY) that leave it out.
    blind = models.BooleanField(default=False, db_default=False)
    rejection_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="spans_created"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="spans_reviewed",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Whoever else changed the label or the offsets: they shaped what is
    # reviewed, so they count as its annotators too (four-eyes).
    co_annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="spans_co_annotated"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SpanQuerySet.as_manager()

    class Meta:
        ordering = ["article_id", "start", "end", "label_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0), name="span_start_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="span_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "approved",
                        "rejected",
                        "suggested",
                        "dismissed",
                        "superseded",
                    ]
                ),
                name="span_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(origin="manual")
                | Q(origin__startswith="rule:")
                | Q(origin__startswith="model:"),
                name="span_origin_valid",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1),
                name="span_score_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["suggested", "dismissed"])
                | Q(score__isnull=False) & ~Q(origin="manual"),
                name="span_suggestion_has_origin_and_score",
            ),
            models.CheckConstraint(
                condition=~Q(status="superseded") | Q(blind=True),
                name="span_superseded_is_a_version",
            ),
            models.CheckConstraint(
                condition=Q(entity_type__isnull=True)
                | Q(entity_type__in=["PER", "ORG", "LOC", "MISC"]),
                name="span_entity_type_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="span_rejection_has_reason",
            ),
            # Two partial constraints, not one over a nullable column: NULLs
            # are distinct in unique constraints on both databases. Suggestions
            # stand beside the spans people make: a dismissed one never blocks
            # the same span made by hand (the suggesters, for their part, never
            # propose a span that exists in any status).
            models.UniqueConstraint(
                fields=["article", "start", "end", "label"],
                condition=Q(blind=False) & ~Q(status__in=["suggested", "dismissed"]),
                name="span_unique_per_article_label",
                violation_error_message=gettext_lazy(
                    "This article already has a span with this label at these offsets."
                ),
            ),
            models.UniqueConstraint(
                fields=["article", "start", "end", "label", "created_by"],
                condition=Q(blind=True) & ~Q(status__in=["suggested", "dismissed"]),
                name="span_unique_per_annotator_version",
                violation_error_message=gettext_lazy(
                    "Your version already has a span with this label at these offsets."
                ),
            ),
        ]
        indexes = [
            # The review order; the partial unique indexes serve only queries
            # that repeat their condition.
            models.Index(
                fields=["article", "start", "end", "label"], name="span_position_idx"
            ),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["updated_at"]),
            # One article's spans in id order (the API's cursor pages) without
            # walking the primary key over the whole table. The article's own
            # index stays: smaller, the planner keeps it for exports' chunks.
            models.Index(fields=["article", "id"], name="span_article_id_idx"),
            models.Index(fields=["origin", "status"], name="span_origin_status_idx"),
        ]

    def __str__(self):
        return f"{self.label} {self.start}–{self.end}"

    @property
    def is_suggestion(self) -> bool:
        return self.status == Span.Status.SUGGESTED

    def clean(self):
        """Check the span against its article: offsets, text, entity type, source."""
        if self.start is None or self.end is None:
            return
        source = None
        if self.source_id is not None:
            source = (self.source.pk, self.source.article_id, self.source.label)
        errors = span_problems(
            text=self.article.text,
            start=self.start,
            end=self.end,
            given_text=self.text,
            label=self.label,
            entity_type=self.entity_type,
            source=source,
            pk=self.pk,
            article_id=self.article_id,
        )
        if (
            "source" not in errors
            and self.source_id is not None
            and self.source.status == Span.Status.DISMISSED
        ):
            errors["source"] = _(
                "The source span %(id)d is a dismissed suggestion."
            ) % {"id": self.source.pk}
        # A version's source is of the same version (versions are apart).
        if (
            source is not None
            and "source" not in errors
            and (
                self.source.blind != self.blind
                or (self.blind and self.source.created_by_id != self.created_by_id)
            )
        ):
            errors["source"] = _(
                "The source must belong to the same version of the article: "
                "span %(id)d is another annotator's."
            ) % {"id": self.source.pk}
        if errors:
            raise ValidationError(errors)
        self.text = self.article.text[self.start : self.end]

    @functools.cached_property
    def annotator_ids(self) -> set[int]:
        """Return the ids of the author and of whoever changed the label or the
        offsets since (four-eyes); ``attach_co_annotators`` saves the query.
        """
        return {self.created_by_id, *self.co_annotators.values_list("pk", flat=True)}

    def snapshot(self) -> dict:
        """Return the fields an audit event records."""
        return {
            "label": self.label.slug,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "entity_type": self.entity_type,
            "source": self.source_id,
            "status": self.status,
            "rejection_reason": self.rejection_reason,
            "reviewed_by": self.reviewed_by_id,
            "version": self.version,
            "origin": self.origin,
            "score": self.score,
            "corrected": self.corrected,
            "blind": self.blind,
        }


def span_problems(
    *,
    text: str,
    start: int,
    end: int,
    given_text: str = "",
    label: Label,
    entity_type: str | None = None,
    source: tuple | None = None,
    pk: int | None = None,
    article_id: int | None = None,
) -> dict[str, str]:
    """Return the problems of a span over ``text``, keyed by field (empty: none).

    A pure function over the text and offsets, so single writes and bulk imports
    run the same checks without a query. ``source`` is (pk, article id, label) of
    the span named as its source.
    """
    errors = {}
    if start < 0:
        errors["start"] = _("start must be 0 or more; got %(start)d.") % {
            "start": start
        }
    elif end <= start:
        errors["end"] = _(
            "end (%(end)d) must be greater than start (%(start)d): a span "
            "cannot be empty or reversed."
        ) % {"start": start, "end": end}
    elif end > len(text):
        errors["end"] = _(
            "end (%(end)d) is past the end of the article text, which has "
            "%(n)d characters."
        ) % {"end": end, "n": len(text)}
    else:
        expected = text[start:end]
        if given_text and given_text != expected:
            errors["text"] = _(
                "The text %(given)s does not match the article at %(start)d–%(end)d, "
                "which reads %(expected)s."
            ) % {
                "given": repr(given_text),
                "expected": repr(expected),
                "start": start,
                "end": end,
            }
        elif expected[0].isspace() or expected[-1].isspace():
            errors["start"] = _(
                "The span %(text)s starts or ends with whitespace; trim it to the "
                "words themselves."
            ) % {"text": repr(expected)}
    if entity_type and not label.is_entity:
        errors["entity_type"] = _(
            "Only entity spans have an entity type; this span is a %(label)s."
        ) % {"label": label.name}
    if source is not None:
        source_pk, source_article_id, source_label = source
        if label.is_entity:
            errors["source"] = _(
                "An entity span cannot have a source; only quotes, claims and "
                "opinions name one."
            )
        elif article_id is not None and source_article_id != article_id:
            errors["source"] = _(
                "The source span %(id)d belongs to another article."
            ) % {"id": source_pk}
        elif not source_label.is_entity:
            errors["source"] = _(
                "The source must be an entity span; span %(id)d is a %(label)s."
            ) % {"id": source_pk, "label": source_label.name}
        elif source_pk is not None and source_pk == pk:
            errors["source"] = _("A span cannot be its own source.")
    return errors


def attach_co_annotators(spans) -> None:
    """Set ``annotator_ids`` and ``co_annotator_names`` (sorted) on each of
    ``spans`` (model instances, or rows with ``pk`` and ``created_by_id``) in
    one query, for pages that list many.
    """
    found = {span.pk: [] for span in spans}
    if found:
        pairs = (
            Span.co_annotators.through.objects.filter(span_id__in=found)
            .order_by("user__username")
            .values_list("span_id", "user_id", "user__username")
        )
        for span_id, user_id, username in pairs:
            found[span_id].append((user_id, username))
    for span in spans:
        span.annotator_ids = {span.created_by_id, *(pk for pk, _ in found[span.pk])}
        span.co_annotator_names = [name for _, name in found[span.pk]]


# What a data consumer reads of a span's approval: the span as approved and who
# approved it; never the state before, a rejection reason or the version count.
CONSUMER_SPAN_FIELDS = (
    "label",
    "start",
    "end",
    "text",
    "entity_type",
    "source",
    "status",
    "reviewed_by",
)


class _EventsAsConsumersReadThem(models.query.ModelIterable):
    """Yield span events cut down to ``CONSUMER_SPAN_FIELDS``; sources a
    consumer may not see become None (``visible_source`` says which).
    """

    def __iter__(self):
        for event in super().__iter__():
            if event.object_type == "span":
                after = event.after or {}
                event.before = None
                event.after = {key: after.get(key) for key in CONSUMER_SPAN_FIELDS}
                if not event.visible_source:
                    event.after["source"] = None
            yield event


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")

    def for_object(self, obj):
        return self.filter(object_type=obj._meta.model_name, object_id=obj.pk)

    def visible_to(self, user):
        """Return the events of history ``user`` may read, as they may read them.

        Editors, reviewers and admins read every event of the articles they
        see, but not those of other annotators' versions of a blind article
        that they may not see (``without_hidden_versions``). Data consumers
        read an article's own events and, of each span they may see
        (approved), only the approval that stands: no earlier edit, rejection,
        reason or reviewer. Those approvals come back with ``before`` cleared
        and ``after`` cut to ``CONSUMER_SPAN_FIELDS``.
        """
        from .permissions import can, sees_approved_only

        if not can(user, "read_article"):
            return self.none()
        events = self.filter(
            article_id__in=Article.objects.visible_to(user).values("pk")
        )
        if not sees_approved_only(user):
            return events.without_hidden_versions(user)
        spans = Span.objects.visible_to(user)
        # Adjudication approves the spans it makes.
        approval = Q(
            object_type="span",
            action__in=[AuditEvent.Action.APPROVE, AuditEvent.Action.ADJUDICATE],
        )
        # An edit sends a span back to pending; only its latest approval stands.
        later_approval = AuditEvent.objects.filter(
            approval, object_id=OuterRef("object_id"), pk__gt=OuterRef("pk")
        )
        events = (
            events.filter(
                # Consumers learn nothing of blind annotation, not even who
                # does it: no assignment; nor of suggestions.
                Q(object_type="article")
                & ~Q(action__in=[AuditEvent.Action.ASSIGN, AuditEvent.Action.SUGGEST])
                | approval
                & Q(object_id__in=spans.values("pk"))
                & ~Exists(later_approval)
            )
            .annotate(source_id=Cast(KT("after__source"), BigIntegerField()))
            .annotate(visible_source=Exists(spans.filter(pk=OuterRef("source_id"))))
        )
        events._iterable_class = _EventsAsConsumersReadThem
        return events

    def without_hidden_versions(self, user):
        """Leave out the events of other annotators' versions ``user`` may not
        see (for everyone but data consumers: ``visible_to`` shows those only
        approvals).

        A version's events carry ``"blind": true`` in their snapshots, and so
        does an annotator's run of the suggesters on their version. Before
        adjudication only the version's annotator writes to it, so the events
        of a deleted version are theirs.
        """
        if not permissions.can(user, "read_article"):
            return self.none()
        of_a_version = (
            Q(object_type="span")
            | Q(object_type="article", action=AuditEvent.Action.SUGGEST)
        ) & (Q(after__blind=True) | Q(before__blind=True))
        own_versions = Span.objects.filter(blind=True, created_by=user).values("pk")
        hidden = (
            of_a_version
            & ~Q(actor=user)
            & ~Q(object_id__in=own_versions)
            & ~sees_every_version(user, "article_id")
        )
        # A CASE, not exclude(): a missing JSON key is NULL, and NOT NULL
        # would drop the row.
        return self.alias(
            hidden_version=Case(
                When(hidden, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        ).filter(hidden_version=False)


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", gettext_lazy("Created")
        UPDATE = "update", gettext_lazy("Edited")
        DELETE = "delete", gettext_lazy("Deleted")
        APPROVE = "approve", gettext_lazy("Approved")
        REJECT = "reject", gettext_lazy("Rejected")
        SUGGEST = "suggest", gettext_lazy("Suggestions made")
        ACCEPT = "accept", gettext_lazy("Suggestion accepted")
        DISMISS = "dismiss", gettext_lazy("Suggestion dismissed")
        ASSIGN = "assign", gettext_lazy("Assigned")
        ADJUDICATE = "adjudicate", gettext_lazy("Adjudicated")
        SUPERSEDE = "supersede", gettext_lazy("Superseded")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    # Kept so the record still names the person after their account is deleted.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=Action)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200, blank=True)
    # Plain column, not a foreign key: the trail outlives a hard-deleted article.
    article_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self):
        return (
            f"{self.actor_username} {self.action} {self.object_type} {self.object_id}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")

    @classmethod
    def build(
        cls,
        *,
        actor,
        action,
        obj=None,
        object_type: str = "",
        object_id: int | None = None,
        object_repr: str = "",
        before=None,
        after=None,
        article_id=None,
        created_at=None,
    ) -> dict:
        """Return the column values of one audit row, for ``record`` or a bulk insert.

        Name the object with ``obj``, or with its type, id and repr where a bulk
        path has no model instance (building one per row costs more than the
        insert).
        """
        if obj is not None:
            object_type, object_id = obj._meta.model_name, obj.pk
            object_repr = str(obj)
        return {
            "actor_id": actor.pk if actor else None,
            "actor_username": actor.get_username() if actor else "",
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "object_repr": object_repr[:200],
            "article_id": article_id,
            "before": before,
            "after": after,
            "created_at": created_at or timezone.now(),
        }

    @classmethod
    def record(cls, *, actor, action, obj, before=None, after=None, article_id=None):
        return cls.objects.create(
            **cls.build(
                actor=actor,
                action=action,
                obj=obj,
                before=before,
                after=after,
                article_id=article_id,
            )
        )


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return ``user``'s own tokens: nobody else's are theirs to see."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)

    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal API key. Only its sha256 is stored; the key is shown once."""

    Scope = ApiTokenScope

    KEY_PREFIX = "nra_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the key, shown in lists so people can tell keys apart.
    key_start = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=Scope, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["read", "write"]), name="apitoken_scope_valid"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.key_start}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        # Keys are 256-bit random strings, so a fast unsalted hash is enough.
        return text_utils.sha256_hex(key)

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class DatasetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the snapshots ``user`` may download.

        Data consumers see only snapshots of approved spans.
        """
        if not permissions.can(user, "export"):
            return self.none()
        if permissions.sees_approved_only(user):
            return self.filter(filters__status="approved")
        return self.all()


class Dataset(models.Model):
    """A named, versioned, immutable freeze of an export query (DESIGN.md §6).

    ``content`` holds the canonical frozen records (gzip-compressed jsonl, one
    article a line with its split); every format and split is rendered from it,
    so later edits, rejections or deletions never change a snapshot.
    """

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    # The export filters (ExportQuery.filters()), normalised.
    filters = models.JSONField(default=dict)
    # Percentages per split, e.g. {"train": 80, "dev": 10, "test": 10}.
    split = models.JSONField(default=dict)
    seed = models.PositiveBigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="datasets"
    )
    created_at = models.DateTimeField(default=timezone.now)
    content = models.FileField(upload_to="datasets/", max_length=500)
    # sha256 of the uncompressed canonical content.
    content_sha256 = models.CharField(max_length=64)
    article_count = models.PositiveIntegerField(default=0)
    span_count = models.PositiveIntegerField(default=0)
    label_counts = models.JSONField(default=dict)
    # Per split: {"articles": n, "spans": n, "labels": {...}, "jsonl_sha256": "…"}.
    split_counts = models.JSONField(default=dict)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"],
                name="dataset_unique_name_version",
                violation_error_message=gettext_lazy(
                    "A snapshot with this name and version already exists."
                ),
            )
        ]

    def __str__(self):
        """Return the name with its version, said once: "presse-fr v1"."""
        if self.names_its_version:
            return self.name
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Dataset snapshots are immutable.")
        super().save(*args, **kwargs)

    @property
    def names_its_version(self) -> bool:
        """Whether the name already ends with this version ("presse-fr v1")."""
        return bool(re.search(rf"(^|[\s_-])v{self.version}$", self.name, re.IGNORECASE))

    def snapshot(self) -> dict:
        """Return the fields an audit event records."""
        return {
            "name": self.name,
            "version": self.version,
            "filters": self.filters,
            "split": self.split,
            "seed": self.seed,
            "content_sha256": self.content_sha256,
            "article_count": self.article_count,
            "span_count": self.span_count,
            "label_counts": self.label_counts,
        }
