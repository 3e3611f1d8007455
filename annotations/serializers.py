import re
from collections.abc import Mapping

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import permissions
from .models import Article, AuditEvent, Dataset, Label, Span

# Offsets and versions are PostgreSQL integer columns; larger numbers are
# refused with a 400, not a 500.
MAX_INTEGER = 2**31 - 1
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number: "12" and 12.5 are refused rather than coerced or cut."""

    default_error_messages = {
        "strict": gettext_lazy(
            "Send a whole number (a JSON number such as 12), not {given}."
        )
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("strict", given=repr(data)[:40])
        return super().to_internal_value(data)


class RefuseUnknownFields:
    """Refuse keys the serializer does not write instead of silently ignoring them.

    A client that sends ``status`` or ``article`` in an edit believes it changes
    them; a 400 naming each such key tells it otherwise. ``read_only_names``
    are the fields the API shows but never takes from a client.
    """

    read_only_names: tuple[str, ...] = ()
    refuse_on_create = True

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and (
            self.refuse_on_create or self.instance is not None
        ):
            writable = [
                name for name, field in self.fields.items() if not field.read_only
            ]
            errors = {}
            for key in data:
                if key in writable:
                    continue
                if key in self.read_only_names or key in self.fields:
                    errors[key] = [
                        _("This field is set by the server and cannot be sent.")
                    ]
                else:
                    errors[str(key)[:50]] = [
                        _("Unknown field; the fields you may send are %(names)s.")
                        % {"names": ", ".join(writable)}
                    ]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, conflict, …")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        required=False,
        help_text="Per-field messages; bulk requests key them by item index.",
    )
    current = serializers.DictField(
        required=False, help_text="On 409 for a stale span: the span as it is now."
    )
    existing_id = serializers.IntegerField(
        required=False,
        help_text="On 409 for a duplicate article: the article with the same text.",
    )


class ErrorSerializer(serializers.Serializer):
    """The shape of every error response."""

    error = ErrorDetailSerializer()


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        # name and description are in the request's language (Accept-Language,
        # falling back to the other one); the suffixed fields are each language's
        # own, for admins who name a label in both.
        fields = [
            "id",
            "name",
            "slug",
            "colour",
            "shortcut",
            "description",
            "order",
            "name_en",
            "name_fr",
            "description_en",
            "description_fr",
        ]
        read_only_fields = ["id"]
        # A name in either language will do (see validate).
        extra_kwargs = {"name": {"required": False}}

    def validate(self, data):
        names = ("name", "name_en", "name_fr")
        if self.instance is None and not any(data.get(field) for field in names):
            raise serializers.ValidationError(
                {"name": [_("Give the label a name, in English or in French.")]}
            )
        return data


class SpanCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField(allow_null=True)
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField(allow_null=True)


class ArticleSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    # Articles are created from other systems' records too, whose extra keys
    # (their ids, hashes) have always been ignored; an edit refuses them.
    refuse_on_create = False

    uploaded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="The uploader's username."
    )
    text = serializers.CharField(
        trim_whitespace=False,
        max_length=settings.ARTICLE_MAX_CHARS,
        help_text="Stored canonical: UTF-8, NFC, LF newlines, trimmed ends.",
    )
    span_counts = serializers.SerializerMethodField()
    annotators = serializers.SerializerMethodField(
        help_text="Usernames of the assigned annotators (null for data consumers)."
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "text",
            "text_sha256",
            "language",
            "source_url",
            "outlet",
            "byline",
            "published_on",
            "uploaded_by",
            "created_at",
            "updated_at",
            "span_counts",
            "annotation_mode",
            "annotators",
            "adjudicated_at",
        ]
        read_only_fields = [
            "id",
            "text_sha256",
            "uploaded_by",
            "created_at",
            "updated_at",
            "span_counts",
            "annotation_mode",
            "annotators",
            "adjudicated_at",
        ]

    def get_annotators(self, article) -> list[str] | None:
        request = self.context.get("request")
        # Consumers learn nothing of blind annotation.
        if request and permissions.sees_approved_only(request.user):
            return None
        # Prefetched by the viewset with their users (one query a page).
        return sorted(
            assignment.annotator.get_username()
            for assignment in article.assignments.all()
        )

    @extend_schema_field(SpanCountsSerializer)
    def get_span_counts(self, article):
        counts = {
            "pending": getattr(article, "spans_pending", None),
            "approved": getattr(article, "spans_approved", None),
            "rejected": getattr(article, "spans_rejected", None),
        }
        request = self.context.get("request")
        # Consumers are told about approved spans only.
        if request and permissions.sees_approved_only(request.user):
            counts["pending"] = counts["rejected"] = None
        return counts


class ArticleCreateSerializer(ArticleSerializer):
    allow_duplicate = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text="Store the article even if the same text is already stored.",
    )

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "allow_duplicate"]


class ArticleUploadSerializer(serializers.Serializer):
    """Multipart upload: the same fields, with a file instead of ``text``."""

    file = serializers.FileField(help_text=".txt (UTF-8), .html or .docx")
    title = serializers.CharField(max_length=500, required=False)
    language = serializers.CharField(max_length=16, required=False)
    source_url = serializers.URLField(max_length=2000, required=False)
    outlet = serializers.CharField(max_length=200, required=False)
    byline = serializers.CharField(max_length=300, required=False)
    published_on = serializers.DateField(required=False)
    allow_duplicate = serializers.BooleanField(
        required=False,
        help_text="Store the article even if the same text is already stored.",
    )


class SpanSerializer(serializers.ModelSerializer):
    article = serializers.PrimaryKeyRelatedField(read_only=True)
    label = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="The annotator's username."
    )
    reviewed_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who approved or rejected it; null while pending.",
    )
    source = serializers.SerializerMethodField(
        help_text="The entity span naming who said or claims it; null when you "
        "may not see it (data consumers see approved spans only)."
    )

    class Meta:
        model = Span
        fields = [
            "id",
            "article",
            "label",
            "start",
            "end",
            "text",
            "entity_type",
            "source",
            "status",
            "origin",
            "score",
            "version",
            "created_by",
            "reviewed_by",
            "reviewed_at",
            "rejection_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_source(self, span) -> int | None:
        if hasattr(span, "visible_source_id"):
            # SpanQuerySet.with_visible_source decided, in the query, as for lists.
            return span.visible_source_id
        # A span just written: only those who may see every span write them.
        request = self.context.get("request")
        if request is None or not permissions.sees_approved_only(request.user):
            return span.source_id
        return None


class ArticleWithSpansSerializer(ArticleSerializer):
    """An article with its visible spans (``?include=spans``), for the schema."""

    # Not read-only, so that the schema does not require it: it is there
    # only with include=spans. The serializer is never used for input.
    spans = SpanSerializer(many=True, required=False)

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "spans"]


# What SpanSerializer reads, as values() of a queryset that went through
# SpanQuerySet.with_visible_source: a list endpoint then builds plain dicts
# instead of running a serializer per row.
SPAN_VALUES = (
    "id",
    "article_id",
    "label__slug",
    "start",
    "end",
    "text",
    "entity_type",
    "visible_source_id",
    "status",
    "origin",
    "score",
    "version",
    "created_by__username",
    "reviewed_by__username",
    "reviewed_at",
    "rejection_reason",
    "created_at",
    "updated_at",
)


def span_rows(rows) -> list[dict]:
    """Return ``rows`` (dicts of SPAN_VALUES) exactly as SpanSerializer writes them."""
    tz = timezone.get_current_timezone()

    def moment(value):
        # DRF's DateTimeField: in the current time zone, "Z" for UTC.
        if value is None:
            return None
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    result = []
    for row in rows:
        result.append(
            {
                "id": row["id"],
                "article": row["article_id"],
                "label": row["label__slug"],
                "start": row["start"],
                "end": row["end"],
                "text": row["text"],
                "entity_type": row["entity_type"],
                "source": row["visible_source_id"],
                "status": row["status"],
                "origin": row["origin"],
                "score": row["score"],
                "version": row["version"],
                "created_by": row["created_by__username"],
                "reviewed_by": row["reviewed_by__username"],
                "reviewed_at": moment(row["reviewed_at"]),
                "rejection_reason": row["rejection_reason"],
                "created_at": moment(row["created_at"]),
                "updated_at": moment(row["updated_at"]),
            }
        )
    return result


class LabelSlugField(serializers.SlugRelatedField):
    """Check the slug's shape before the lookup (a NUL byte would upset PostgreSQL)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:50])
        return super().to_internal_value(data)


class _SpanInputFields(RefuseUnknownFields, serializers.Serializer):
    # What the API shows of a span; those this serializer writes pass first.
    read_only_names = tuple(SpanSerializer.Meta.fields)

    label = LabelSlugField(slug_field="slug", queryset=Label.objects.all())
    start = StrictIntegerField(min_value=0, max_value=MAX_INTEGER)
    end = StrictIntegerField(min_value=1, max_value=MAX_INTEGER)
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Optional; when sent it must equal the article text at start:end.",
    )
    entity_type = serializers.ChoiceField(
        choices=Span.EntityType.choices, required=False, allow_null=True
    )
    source = serializers.PrimaryKeyRelatedField(
        queryset=Span.objects.none(),
        required=False,
        allow_null=True,
        help_text="An entity span of the same article: who said or claims it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["source"].queryset = Span.objects.visible_to(request.user)


class SpanCreateSerializer(_SpanInputFields):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["article"].queryset = Article.objects.visible_to(request.user)


class SpanUpdateSerializer(_SpanInputFields):
    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INTEGER,
        help_text="The version you edited; a stale one gets 409.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class AcceptSerializer(SpanUpdateSerializer):
    """Accept a suggestion, with any corrections in the same call."""


class DismissSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INTEGER,
        help_text="The version you saw; a stale one gets 409.",
    )


class SuggestionRunSerializer(serializers.Serializer):
    suggestions = SpanSerializer(
        many=True, help_text="The article's suggestions after the run, in text order."
    )
    created = serializers.IntegerField(help_text="Suggestions new in this run.")
    updated = serializers.IntegerField(
        help_text="Suggestions proposed again, with a new score, type or source."
    )
    removed = serializers.IntegerField(
        help_text="Untouched suggestions of an earlier run no longer proposed."
    )
    existing = serializers.IntegerField(
        help_text="Proposals left out: a span is already there, in some status."
    )


class ApproveSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_INTEGER,
        help_text="The span's version as you saw it; a stale one gets 409.",
    )


class RejectSerializer(ApproveSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the span is wrong.")


class ApprovePendingResultSerializer(serializers.Serializer):
    approved = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the spans approved."
    )
    left_for_another_reviewer = serializers.IntegerField(
        help_text="Your own pending spans, left for someone else (four-eyes)."
    )
    left_untyped = serializers.IntegerField(
        help_text="Pending entities without a type, left until they have one."
    )


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "action",
            "actor",
            "created_at",
            "object_type",
            "object_id",
            "before",
            "after",
        ]
        read_only_fields = fields


class ImportResultSerializer(serializers.Serializer):
    articles_created = serializers.IntegerField()
    articles_existing = serializers.IntegerField(
        help_text="Lines matching a stored article (same text sha256 and source URL)."
    )
    spans_created = serializers.IntegerField()
    spans_existing = serializers.IntegerField()
    notes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="What was left out on purpose: unmapped labels, rejected spans.",
    )


class DatasetSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who froze it."
    )
    filters = serializers.DictField(help_text="The export query that was frozen.")
    split = serializers.DictField(
        child=serializers.IntegerField(), help_text="Percent per split."
    )
    label_counts = serializers.DictField(child=serializers.IntegerField())
    split_counts = serializers.DictField(
        help_text="Per split: articles, spans, labels and the jsonl sha256."
    )

    class Meta:
        model = Dataset
        fields = [
            "id",
            "name",
            "version",
            "description",
            "filters",
            "split",
            "seed",
            "created_by",
            "created_at",
            "content_sha256",
            "article_count",
            "span_count",
            "label_counts",
            "split_counts",
        ]
        read_only_fields = fields


class DatasetCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    filters = serializers.DictField(
        required=False,
        help_text="Export query keys: status, label, article, language, since, "
        "include_empty.",
    )
    split = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        required=False,
        help_text='Percent per split, e.g. {"train": 80, "dev": 10, "test": 10}.',
    )
    seed = serializers.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, help_text="Split seed."
    )


# Double annotation (DESIGN.md section 7)


class AssignSerializer(serializers.Serializer):
    annotators = serializers.ListField(
        child=serializers.CharField(max_length=150),
        max_length=20,
        help_text="Usernames of editors (or admins); blind needs two or more.",
    )
    blind = serializers.BooleanField(
        default=False,
        help_text="Each annotator sees and edits only their own spans until a "
        "reviewer adjudicates.",
    )

    def validate_annotators(self, names):
        from django.contrib.auth import get_user_model

        users = {
            user.get_username(): user
            for user in get_user_model().objects.filter(
                username__in=names, is_active=True
            )
        }
        unknown = [name for name in names if name not in users]
        if unknown:
            raise serializers.ValidationError(
                _("No active user named %(names)s.")
                % {"names": ", ".join(map(repr, unknown))}
            )
        return [users[name] for name in names]


class VersionSpanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    label = serializers.CharField()
    entity_type = serializers.CharField(allow_null=True)
    source = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()


class MergedSpanSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    label = serializers.CharField()
    entity_type = serializers.CharField(allow_null=True)
    text = serializers.CharField()
    versions = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the identical versions."
    )


class ProposalItemSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="Key to decide on it by.")
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    versions = serializers.DictField(
        child=VersionSpanSerializer(many=True),
        help_text="Per annotator, their spans in this item (maybe none).",
    )


class ProposalSerializer(serializers.Serializer):
    state = serializers.CharField(
        help_text="Send it back: if a version changed meanwhile, the answer is 409."
    )
    annotators = serializers.ListField(child=serializers.CharField())
    merged = MergedSpanSerializer(many=True)
    items = ProposalItemSerializer(many=True)


class AdjudicatedSpanInputSerializer(serializers.Serializer):
    start = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER)
    end = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)
    label = serializers.CharField(max_length=50)
    entity_type = serializers.ChoiceField(
        choices=Span.EntityType.choices, required=False, allow_null=True
    )
    source = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Id of an entity span of any version; it becomes the entity "
        "the adjudication made of it.",
    )


class DecisionSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=20000)
    keep = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        help_text='Annotators whose spans to keep: one, several ("both") or none.',
    )
    spans = AdjudicatedSpanInputSerializer(
        many=True, required=False, help_text="Spans written anew (an edit)."
    )

    def validate(self, data):
        if ("keep" in data) == ("spans" in data):
            raise serializers.ValidationError(
                _("Give either keep (annotators) or spans (an edit) for each item.")
            )
        return data


class AdjudicateSerializer(serializers.Serializer):
    state = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The proposal's state, to refuse a stale decision (409).",
    )
    decisions = DecisionSerializer(many=True)

    def validate_decisions(self, decisions):
        seen = set()
        for decision in decisions:
            if decision["item"] in seen:
                raise serializers.ValidationError(
                    _("Item %(key)s is decided twice.") % {"key": decision["item"]}
                )
            seen.add(decision["item"])
        return decisions


class AdjudicationResultSerializer(serializers.Serializer):
    article = serializers.IntegerField()
    spans = SpanSerializer(many=True)


class CountsSerializer(serializers.Serializer):
    f1 = serializers.FloatField(allow_null=True)
    both = serializers.IntegerField()
    only_a = serializers.IntegerField()
    only_b = serializers.IntegerField()
    units = serializers.IntegerField(help_text="Spans compared.")


class AlphaSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    units = serializers.IntegerField(help_text="Tokens.")


class ShareSerializer(serializers.Serializer):
    agreement = serializers.FloatField(allow_null=True)
    agreed = serializers.IntegerField()
    units = serializers.IntegerField()


class BoundaryShareSerializer(serializers.Serializer):
    share = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    units = serializers.IntegerField(help_text="Spans without an exact counterpart.")


class FiguresSerializer(serializers.Serializer):
    strict = CountsSerializer()
    partial = CountsSerializer()
    alpha = AlphaSerializer()
    entity_type = ShareSerializer()
    source = ShareSerializer()
    boundary_only = BoundaryShareSerializer()


class PairSerializer(serializers.Serializer):
    annotators = serializers.ListField(child=serializers.CharField())
    articles = serializers.IntegerField()
    labels = serializers.DictField(
        child=FiguresSerializer(), help_text='Per label slug, and "all".'
    )


class DisagreementSerializer(serializers.Serializer):
    article = serializers.IntegerField()
    title = serializers.CharField()
    annotators = serializers.ListField(child=serializers.CharField())
    disagreements = serializers.IntegerField()
    partial_f1 = serializers.FloatField(allow_null=True)
    adjudicated = serializers.BooleanField()
    url = serializers.CharField()


class AgreementSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField())
    articles = serializers.IntegerField()
    pairs = PairSerializer(many=True)
    most_disagreement = DisagreementSerializer(many=True)
