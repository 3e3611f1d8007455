import datetime
import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from . import permissions
from .models import Article, Label, Span, WorkStatus, normalize_language

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


def _label_choices():
    return list(Label.objects.values_list("slug", "name"))


def _refuse(message, code):
    def validator(value):
        raise forms.ValidationError(message, code=code)

    return validator


class ArticleFilter(django_filters.FilterSet):
    """The article filters of the API (``/api/v1/articles/``) and the list page."""

    language = django_filters.CharFilter(label=gettext_lazy("Language"))
    outlet = django_filters.CharFilter(
        lookup_expr="iexact", label=gettext_lazy("Outlet")
    )
    uploader = django_filters.CharFilter(
        field_name="uploaded_by__username", label=gettext_lazy("Uploaded by")
    )
    label = django_filters.ChoiceFilter(
        choices=_label_choices,
        method="filter_label",
        label=gettext_lazy("Has label"),
        help_text="Articles with at least one span you may read with this label "
        "(slug).",
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status of work"),
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
        label=gettext_lazy("Search"),
        help_text='Words in the title or text, as a web search: "a phrase", -word, or.',
    )
    created_after = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=gettext_lazy("Created after")
    )
    assigned_to = django_filters.CharFilter(
        method="filter_assigned_to",
        label=gettext_lazy("Assigned to"),
        help_text="Articles this username is assigned to annotate.",
    )

    class Meta:
        model = Article
        fields = [
            "search",
            "status",
            "language",
            "uploader",
            "label",
            "outlet",
            "created_after",
            "assigned_to",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _reshape(self, "label", choices=_once(_label_choices))
        user = getattr(self.request, "user", None)
        refusal = user and permissions.explain(user, "filter_work_status")
        if refusal:
            # Refused rather than ignored, so a consumer's script learns why.
            _reshape(self, "status", validators=[_refuse(refusal, code="work_status")])

    def filter_assigned_to(self, queryset, name, value):
        return queryset.filter(assignments__annotator__username=value)

    def filter_status(self, queryset, name, value):
        return queryset.filter_work_status(value)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_label(self, queryset, name, value: str):
        user = getattr(self.request, "user", None)
        # People's spans: a suggestion alone does not give an article a label.
        return queryset.with_label(
            value, spans=Span.objects.visible_to(user).accepted()
        )


def _reshape(filterset, name, field_class=None, **extra):
    """Change how the filter ``name`` of this filterset draws its form field.

    The filtering stays the API's. The field is built again: the class's
    filters may already hold one (the schema generator builds them).
    """
    found = filterset.filters[name]
    if field_class is not None:
        found.field_class = field_class
    found.extra.update(extra)
    found.__dict__.pop("_field", None)


class LanguageChoiceField(forms.ChoiceField):
    """A select of stored language codes that reads "FR" as "fr"."""

    def to_python(self, value):
        return normalize_language(super().to_python(value))


def _offer(filterset, name, choices, empty_label, field_class=forms.ChoiceField):
    """Show the filter ``name`` as a select of what exists.

    The filtering is the API's; only the form field changes, so a value no
    longer offered (a stale shared link) is an error the page shows rather than
    a select that silently reads "any".
    """
    _reshape(
        filterset,
        name,
        field_class,
        choices=_once(
            lambda: [("", empty_label), *((value, value) for value in choices())]
        ),
    )


def _once(choices):
    """Return ``choices`` evaluated at most once, and only if needed.

    A fragment that shows no form never asks; a page that validates and then
    draws the select asks once.
    """
    cache = []

    def evaluate():
        if not cache:
            cache.append(list(choices()))
        return cache[0]

    return evaluate


class ArticleListFilter(ArticleFilter):
    """ArticleFilter as the article list page offers it."""

    # The page's "Assigned to me"; the API names the annotator (assigned_to).
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label=gettext_lazy("Assigned to me"),
        widget=forms.CheckboxInput,
    )

    def filter_mine(self, queryset, name, value):
        return queryset.assigned_to(self.request.user) if value else queryset

    def __init__(self, data=None, queryset=None, *, request):
        super().__init__(data, queryset, request=request)
        articles = self.queryset
        _offer(
            self,
            "language",
            lambda: (
                articles.order_by("language")
                .values_list("language", flat=True)
                .distinct()
            ),
            _("Any language"),
            LanguageChoiceField,
        )
        _offer(
            self,
            "uploader",
            lambda: (
                get_user_model()
                .objects.filter(articles__in=articles)
                .order_by("username")
                .values_list("username", flat=True)
                .distinct()
            ),
            _("Anyone"),
        )
        _reshape(
            self, "status", choices=WorkStatus.choices, empty_label=_("Any status")
        )
        _reshape(self, "label", empty_label=_("Any label"))
        _reshape(
            self,
            "search",
            widget=forms.SearchInput(
                attrs={"placeholder": _("Title or text"), "autocomplete": "off"}
            ),
        )


class SpanFilter(django_filters.FilterSet):
    """The span filters of the API (``/api/v1/spans/``) and the review queue."""

    article = IdFilter(field_name="article_id", label=gettext_lazy("Article"))
    label = SlugsFilter(
        field_name="label__slug",
        to_field_name="slug",
        queryset=Label.objects.all(),
        label=gettext_lazy("Label"),
        help_text="Label slug; repeat for several.",
    )
    # Dismissed suggestions are shown nowhere: asking for them is an error.
    status = django_filters.MultipleChoiceFilter(
        choices=[
            (value, name)
            for value, name in Span.Status.choices
            if value != Span.Status.DISMISSED
        ]
    )
    origin = django_filters.CharFilter(
        help_text="manual, rule:<name> or model:<name>@<version>."
    )
    annotator = django_filters.CharFilter(
        field_name="created_by__username", label=gettext_lazy("Annotator")
    )
    reviewer = django_filters.CharFilter(field_name="reviewed_by__username")
    language = django_filters.CharFilter(
        field_name="article__language",
        label=gettext_lazy("Language"),
        help_text="The article's language.",
    )
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Span
        fields = [
            "article",
            "label",
            "status",
            "origin",
            "annotator",
            "reviewer",
            "language",
            "updated_after",
        ]


REVIEW_POSITION = re.compile(r"^(\d{1,18})-(\d{1,10})-(\d{1,10})-(\d{1,18})$")


class ReviewPositionField(forms.CharField):
    """A review queue page position: "article-start-end-label" ids."""

    widget = forms.HiddenInput

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = REVIEW_POSITION.match(value)
        if not match:
            raise forms.ValidationError(_("This page link is broken; start again."))
        return tuple(int(part) for part in match.groups())


class ReviewPositionFilter(django_filters.Filter):
    field_class = ReviewPositionField


class ReviewQueueFilter(SpanFilter):
    """SpanFilter as the review queue offers it, with the queue's page position.

    ``after`` is the position (article id, start, end, label id) of the last
    row of the previous page, so deciding rows never shifts the next page.
    """

    # One label at a time in the queue's select; the API takes several.
    label = django_filters.ChoiceFilter(
        field_name="label__slug",
        choices=_label_choices,
        label=gettext_lazy("Label"),
        empty_label=gettext_lazy("Any label"),
    )
    # The page position is checked with the filters but applied by the view,
    # after it has counted every matching span.
    after = ReviewPositionFilter(method="position_only")

    FILTERS = ("label", "annotator", "language", "article")

    def __init__(self, data=None, queryset=None, *, request, labels=None):
        """``labels``: the labels the page already read, to offer without a query."""
        super().__init__(data, queryset, request=request)
        _reshape(
            self,
            "label",
            choices=_once(_label_choices)
            if labels is None
            else [(label.slug, label.name) for label in labels],
        )
        _offer(
            self,
            "annotator",
            lambda: (
                get_user_model()
                .objects.filter(
                    Exists(Span.objects.accepted().filter(created_by=OuterRef("pk")))
                )
                .order_by("username")
                .values_list("username", flat=True)
            ),
            _("Anyone"),
        )
        _offer(
            self,
            "language",
            lambda: (
                Article.objects.alive()
                .order_by("language")
                .values_list("language", flat=True)
                .distinct()
            ),
            _("Any language"),
            LanguageChoiceField,
        )
        _reshape(self, "article", widget=forms.HiddenInput)

    def position_only(self, queryset, name, value):
        return queryset

    @property
    def position(self) -> tuple[int, int, int, int] | None:
        return self.form.cleaned_data.get("after") if self.is_valid() else None


class AgreementFilter(django_filters.FilterSet):
    """What ``/api/v1/agreement/`` and ``/agreement/`` compare.

    The filters narrow the report (``agreement.report``), not this queryset.
    """

    article = IdFilter(method="keep", label=gettext_lazy("Article"))
    label = SlugsFilter(
        to_field_name="slug",
        queryset=Label.objects.all(),
        method="keep",
        label=gettext_lazy("Labels"),
        help_text="Label slug; repeat for several.",
    )
    annotator = django_filters.CharFilter(
        method="keep",
        max_length=150,
        label=gettext_lazy("Annotator"),
        help_text="Only the pairs with this username.",
    )

    class Meta:
        model = Article
        fields = ["article", "label", "annotator"]

    def keep(self, queryset, name, value):
        return queryset

    def report_arguments(self) -> dict:
        data = self.form.cleaned_data
        return {
            "article_ids": [data["article"]] if data.get("article") else [],
            "label_slugs": [label.slug for label in data.get("label") or ()],
            "annotator": data.get("annotator") or None,
        }
