import re

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import permissions
from .models import Article, AuditEvent, Dataset, Label, Span

# Offsets and versions are PostgreSQL integer columns; larger numbers are
# refused with a 400, not a 500.
MAX_INTEGER = 2**31 - 1
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


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


class ArticleSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="The uploader's username."
    )
    text = serializers.CharField(
        trim_whitespace=False,
        max_length=settings.ARTICLE_MAX_CHARS,
        help_text="Stored canonical: UTF-8, NFC, LF newlines, trimmed ends.",
    )
    span_counts = serializers.SerializerMethodField()

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
        ]
        read_only_fields = [
            "id",
            "text_sha256",
            "uploaded_by",
            "created_at",
            "updated_at",
            "span_counts",
        ]

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
    source = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The entity span naming who said or claims it.",
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


class ArticleWithSpansSerializer(ArticleSerializer):
    """An article with its visible spans (``?include=spans``), for the schema."""

    # Not read-only, so that the schema does not require it: it is there
    # only with include=spans. The serializer is never used for input.
    spans = SpanSerializer(many=True, required=False)

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "spans"]


# What SpanSerializer reads, as values(): a list endpoint then builds plain
# dicts instead of running a serializer per row.
SPAN_VALUES = (
    "id",
    "article_id",
    "label__slug",
    "start",
    "end",
    "text",
    "entity_type",
    "source_id",
    "source__status",
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


def span_rows(rows, *, approved_sources_only: bool = False) -> list[dict]:
    """Return ``rows`` (dicts of SPAN_VALUES) exactly as SpanSerializer writes them.

    ``approved_sources_only`` (data consumers) leaves out a source they may not
    read.
    """
    tz = timezone.get_current_timezone()

    def moment(value):
        # DRF's DateTimeField: in the current time zone, "Z" for UTC.
        if value is None:
            return None
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    result = []
    for row in rows:
        source = row["source_id"]
        if approved_sources_only and row["source__status"] != Span.Status.APPROVED:
            source = None
        result.append(
            {
                "id": row["id"],
                "article": row["article_id"],
                "label": row["label__slug"],
                "start": row["start"],
                "end": row["end"],
                "text": row["text"],
                "entity_type": row["entity_type"],
                "source": source,
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


class _SpanInputFields(serializers.Serializer):
    label = LabelSlugField(slug_field="slug", queryset=Label.objects.all())
    start = serializers.IntegerField(min_value=0, max_value=MAX_INTEGER)
    end = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)
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
    version = serializers.IntegerField(
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
