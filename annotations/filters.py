import datetime

import django_filters
from django import forms
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from . import permissions
from .models import WORK_STATUS_HIDDEN, Article, Label, Span

# Largest id the databases hold; bigger numbers are a 400, not an overflow.
MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.STR)
class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """Repeatable ``?label=quote&label=claim`` by slug."""


class UtcDateTimeField(IsoDateTimeField):
    """Convert to UTC in Python: PostgreSQL refuses offsets beyond ±15:59."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError(
                _("This date is out of range."), code="invalid"
            ) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def _refuse_work_status(value):
    raise forms.ValidationError(WORK_STATUS_HIDDEN, code="work_status")


class ArticleFilter(django_filters.FilterSet):
    language = django_filters.CharFilter()
    outlet = django_filters.CharFilter(lookup_expr="iexact")
    uploader = django_filters.CharFilter(field_name="uploaded_by__username")
    status = django_filters.ChoiceFilter(
        choices=[
            ("not_started", "not started: no spans"),
            ("awaiting_review", "awaiting review: spans, none decided"),
            ("in_progress", "in progress: some spans decided, some pending"),
            ("reviewed", "reviewed: spans, none pending"),
        ],
        method="filter_status",
        help_text="Work status derived from the article's spans.",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text='Words in the title or text, as a web search: "a phrase", -word, or.',
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Article
        fields = ["language", "outlet", "uploader", "status", "search", "created_after"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is not None and permissions.sees_approved_only(user):
            # The work status counts every span; consumers see approved ones only.
            # On this form's own copy of the field: filters keep theirs cached.
            self.form.fields["status"].validators.append(_refuse_work_status)

    def filter_status(self, queryset, name, value):
        return queryset.filter_work_status(value)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)


class SpanFilter(django_filters.FilterSet):
    article = IdFilter(field_name="article_id")
    label = SlugsFilter(
        field_name="label__slug",
        to_field_name="slug",
        queryset=Label.objects.all(),
        help_text="Label slug; repeat for several.",
    )
    status = django_filters.MultipleChoiceFilter(choices=Span.Status.choices)
    annotator = django_filters.CharFilter(field_name="created_by__username")
    reviewer = django_filters.CharFilter(field_name="reviewed_by__username")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Span
        fields = [
            "article",
            "label",
            "status",
            "annotator",
            "reviewer",
            "updated_after",
        ]
