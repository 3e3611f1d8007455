from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from . import datasets, exports, forms, permissions, services
from .models import ENTITY_SLUG, ApiToken, Article, Dataset, Label, Span

ARTICLES_PER_PAGE = 25


class SpanRow:
    """A span as the annotate page shows it, read as plain values.

    Building 1,000 model instances costs ten times the query; the page only
    reads these fields (and ``permissions.can`` only ``created_by_id`` and
    ``status``).
    """

    FIELDS = (
        "pk",
        "label_id",
        "start",
        "end",
        "text",
        "entity_type",
        "source_id",
        "status",
        "rejection_reason",
        "version",
        "created_by_id",
        "username",
    )
    QUERY_FIELDS = (*FIELDS[:-1], "created_by__username")

    def __init__(self, values):
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(self, name, value)


def _wants_fragment(request) -> bool:
    # Boosted links and history restores replace the whole page.
    return bool(request.htmx) and not (
        request.htmx.boosted or request.htmx.history_restore_request
    )


def _get_article(request, pk, *, action=None) -> Article:
    """Return the article, 404 if the user can't see it, 403 if ``action`` is refused."""
    article = get_object_or_404(
        Article.objects.visible_to(request.user).select_related("uploaded_by"), pk=pk
    )
    if action is not None:
        permissions.require(request.user, action, article)
    return article


def _get_span(request, article, span_pk, *, action) -> Span:
    span = get_object_or_404(
        Span.objects.visible_to(request.user)
        .filter(article=article)
        .select_related("label"),
        pk=span_pk,
    )
    span.article = article
    permissions.require(request.user, action, span)
    return span


def _sees_undecided(user) -> bool:
    # Data consumers see approved spans only; counting the others would only
    # tell them of spans they cannot open.
    return permissions.can(user, "add_span") or permissions.can(user, "review_span")


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


# Article list


@require_GET
@login_required
@vary_on_headers("HX-Request")
def article_list(request):
    user = request.user
    if not permissions.can(user, "read_article"):
        return render(request, "annotations/article_list.html", {"no_role": True})
    articles = Article.objects.visible_to(user)
    spans = Span.objects.visible_to(user)
    labels = list(Label.objects.all())
    form = forms.ArticleFilterForm(
        request.GET,
        languages=articles.order_by("language")
        .values_list("language", flat=True)
        .distinct(),
        uploaders=get_user_model()
        .objects.filter(articles__in=articles)
        .order_by("username")
        .values_list("username", flat=True)
        .distinct(),
        labels=labels,
    )
    if form.is_valid():
        wanted = form.cleaned_data
        articles = articles.search(wanted["q"])
        if wanted["language"]:
            articles = articles.filter(language=wanted["language"])
        if wanted["uploader"]:
            articles = articles.filter(uploaded_by__username=wanted["uploader"])
        if wanted["label"]:
            articles = articles.with_label(wanted["label"], spans=spans)
    else:
        # A stale shared link (say, a language nobody writes in any more).
        articles = articles.none()
    if form.is_valid() and form.cleaned_data["status"]:
        articles = articles.filter_work_status(form.cleaned_data["status"])
    # Page through ids first, then count spans for the page's rows only: with an
    # OFFSET, PostgreSQL would otherwise count spans for every row it skips.
    ids = articles.order_by("-created_at", "-id").values_list("pk", flat=True)
    page = Paginator(ids, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    rows = (
        Article.objects.filter(pk__in=page.object_list)
        .with_work_status(spans=spans)
        .defer("text")
        .select_related("uploaded_by")
        .in_bulk()
    )
    page.object_list = [rows[pk] for pk in page.object_list]
    context = {
        "form": form,
        "page": page,
        "is_filtered": any(request.GET.get(name) for name in form.fields),
        "sees_undecided": _sees_undecided(user),
    }
    template_name = "annotations/article_list.html"
    if _wants_fragment(request):
        template_name += "#article-results"
    return render(request, template_name, context)


# Upload


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def article_new(request):
    permissions.require(request.user, "add_article")
    context = {"preview": None, "language_codes": forms.COMMON_LANGUAGES}
    if request.method == "POST":
        wants_preview = request.POST.get("action") == "preview"
        form = forms.ArticleForm(
            request.POST, request.FILES, require_title=not wants_preview
        )
        if form.is_valid() and wants_preview:
            data = form.cleaned_data
            initial = {name: data[name] for name in form.Meta.fields}
            context["preview"] = {
                "text": data["text"],
                "characters": len(data["text"]),
                "paragraphs": data["text"].count("\n\n") + 1,
                "file_name": data["file"].name if data.get("file") else "",
            }
            form = forms.ArticleForm(initial=initial)
        elif form.is_valid():
            try:
                article = services.article_create(
                    user=request.user, **form.article_fields()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Article saved. Select text to tag it."))
                url = reverse("annotations:article_detail", args=[article.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
    else:
        form = forms.ArticleForm()
    context["form"] = form
    template_name = "annotations/article_new.html"
    if _wants_fragment(request):
        template_name += "#upload-form"
    return render(request, template_name, context)


# Annotate


def _excerpt(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _workspace(request, article, *, message=None, error=None, rows=True):
    """Return the context of the annotate page: highlighted text and span panel.

    ``rows=False`` skips preparing every panel row, for answers that redraw only
    the text and a row or two (see ``_prepare_rows``).
    """
    user = request.user
    labels = list(Label.objects.all())
    labels_by_id = {label.pk: label for label in labels}
    spans = [
        SpanRow(values)
        for values in Span.objects.visible_to(user)
        .filter(article=article)
        .order_by("start", "-end", "label_id", "pk")
        .values_list(*SpanRow.QUERY_FIELDS)
    ]
    groups = {label.pk: [] for label in labels}
    counts = {status: 0 for status in Span.Status.values}
    for span in spans:
        span.label = labels_by_id[span.label_id]
        groups[span.label_id].append(span)
        counts[span.status] += 1
    context = {
        "article": article,
        "labels": labels,
        "spans": spans,
        "groups": [(label, groups[label.pk]) for label in labels],
        "counts": counts,
        "may_annotate": permissions.can(user, "add_span", article)
        and permissions.can(user, "change_article", article),
        "sees_undecided": _sees_undecided(user),
        "message": message,
        "error": error,
        "entities": [span for span in spans if span.label.is_entity],
        "spans_url": reverse("annotations:span_create", args=[article.pk]),
        "ui": {
            "show": _("Show in the text"),
            "source": _("source:"),
            "rejected": _("Rejected:"),
            "edit_entity": _("Edit label / type"),
            "edit_statement": _("Edit label / source"),
            "delete": _("Delete"),
        },
    }
    if rows:
        _prepare_rows(request, context, spans)
    return context


def _prepare_rows(request, context, rows):
    """Work out once what each panel row shows, so the row template stays lean."""
    user = request.user
    spans_by_id = {span.pk: span for span in context["spans"]}
    is_admin = permissions.is_admin(user)
    statuses = {value: str(name) for value, name in Span.Status.choices}
    entity_types = {value: str(name) for value, name in Span.EntityType.choices}
    for span in rows:
        span.source_span = spans_by_id.get(span.source_id)
        if span.source_span is not None:
            span.source_span.excerpt = _excerpt(span.source_span.text, 140)
        span.editable = context["may_annotate"] and (
            (span.status == Span.Status.PENDING or is_admin)
            and permissions.can(user, "change_span", span)
        )
        span.excerpt = _excerpt(span.text, 140)
        span.status_label = statuses[span.status]
        span.details = span.username
        if span.entity_type:
            span.details += f" · {entity_types[span.entity_type]}"


def _render_workspace(request, article, **kwargs):
    return render(
        request,
        "annotations/article_detail.html#workspace",
        _workspace(request, article, **kwargs),
    )


@require_GET
@login_required
@vary_on_headers("HX-Request")
def article_detail(request, pk):
    article = _get_article(request, pk)
    context = _workspace(request, article)
    row = request.GET.get("span", "")
    if row.isdigit():
        span = next((s for s in context["spans"] if s.pk == int(row)), None)
        if span is None:
            raise Http404
        if request.GET.get("edit") and span.editable:
            context["editing"] = span.pk
            context["span_form"] = forms.SpanForm(
                instance=Span.objects.get(pk=span.pk), entities=context["entities"]
            )
        if _wants_fragment(request):
            context["span"] = span
            return render(request, "annotations/article_detail.html#span-row", context)
    template_name = "annotations/article_detail.html"
    if _wants_fragment(request):
        template_name += "#workspace"
    return render(request, template_name, context)


def _after_span_write(request, article, *, message=None, error=None):
    """Answer a span write: the refreshed workspace for htmx, else a redirect."""
    if request.htmx:
        return _render_workspace(request, article, message=message, error=error)
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    return redirect("annotations:article_detail", pk=article.pk)


def _message_only(request, *, error):
    """Answer htmx with just the message: the text and the panel stay as they are."""
    context = {"error": error, "oob": True}
    response = render(
        request, "annotations/article_detail.html#annotate-message", context
    )
    return reswap(response, "none")


@require_POST
@login_required
def span_create(request, pk):
    article = _get_article(request, pk, action="add_span")
    permissions.require(request.user, "change_article", article)
    form = forms.NewSpanForm(request.POST)
    error = None
    if form.is_valid():
        try:
            span = services.span_create(
                user=request.user, article=article, **form.cleaned_data
            )
        except ValidationError as problem:
            error = _messages_of(problem)
    else:
        error = form.error_text()
    if error:
        if request.htmx:
            return _message_only(request, error=error)
        return _after_span_write(request, article, error=error)
    message = _("Tagged “%(text)s” as %(label)s.") % {
        "text": _excerpt(span.text, 80),
        "label": span.label.name,
    }
    if not request.htmx:
        return _after_span_write(request, article, message=message)
    # Redraw the text, and slot the new row into its group in the panel.
    context = _workspace(request, article, message=message, rows=False)
    group = next(
        spans for label, spans in context["groups"] if label.pk == span.label_id
    )
    index = next(i for i, row in enumerate(group) if row.pk == span.pk)
    _prepare_rows(request, context, [group[index]])
    context.update(
        oob=True,
        span=group[index],
        group_size=len(group),
        insert_at=(
            f"beforebegin:#span-row-{group[index + 1].pk}"
            if index + 1 < len(group)
            else f"beforeend:#spans-{span.label.slug}"
        ),
    )
    return render(request, "annotations/article_detail.html#span-created", context)


@require_POST
@login_required
def span_update(request, pk, span_pk):
    article = _get_article(request, pk)
    span = _get_span(request, article, span_pk, action="change_span")
    entities = Span.objects.visible_to(request.user).filter(
        article=article, label__slug=ENTITY_SLUG
    )
    form = forms.SpanForm(request.POST, instance=span, entities=entities)
    if form.is_valid():
        try:
            services.span_update(
                span=span,
                user=request.user,
                version=form.cleaned_data["version"],
                **form.changes(),
            )
        except services.Conflict as conflict:
            return _after_span_write(request, article, error=conflict.message)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _after_span_write(request, article, message=_("Span updated."))
    if not request.htmx:
        return _after_span_write(request, article, error=form.error_text())
    # Only the row being edited comes back, with its errors (200, so htmx swaps).
    context = _workspace(request, article)
    row = next(s for s in context["spans"] if s.pk == span.pk)
    context.update(span=row, editing=row.pk, span_form=form)
    response = render(request, "annotations/article_detail.html#span-row", context)
    return reswap(retarget(response, f"#span-row-{row.pk}"), "outerHTML")


@require_POST
@login_required
def span_delete(request, pk, span_pk):
    article = _get_article(request, pk)
    span = _get_span(request, article, span_pk, action="delete_span")
    text = span.text
    try:
        services.span_delete(span=span, user=request.user)
    except ValidationError as error:
        return _after_span_write(request, article, error=_messages_of(error))
    return _after_span_write(
        request, article, message=_("Deleted “%(text)s”.") % {"text": text[:80]}
    )


# API tokens


def _token_page(request, form, *, status=200, created=None):
    permissions.require(request.user, "use_api_tokens")
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "created": created,
        "may_write": permissions.can(request.user, "hold_write_token"),
    }
    return render(request, "annotations/token_list.html", context, status=status)


@require_GET
@login_required
def token_list(request):
    return _token_page(request, forms.ApiTokenForm())


@require_POST
@login_required
@never_cache
def token_create(request):
    permissions.require(request.user, "use_api_tokens")
    form = forms.ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except PermissionDenied as refusal:
            form.add_error("scope", str(refusal))
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                field = "expires_on" if field == "expires_at" else field
                form.add_error(field if field in form.fields else None, problems)
        else:
            # The key exists only in this response, so no redirect-after-POST here.
            created = {"token": token, "key": key}
            return _token_page(request, forms.ApiTokenForm(), created=created)
    return _token_page(request, form)


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    if request.htmx:
        return render(
            request, "annotations/token_list.html#token-row", {"token": token}
        )
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("annotations:token_list")


# Exports and dataset snapshots


def _api_url(request, path: str, params: dict) -> str:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return request.build_absolute_uri(f"{path}?{query.urlencode()}")


@require_GET
@login_required
def export_page(request):
    """The export form; with ``download`` in the query, the file itself."""
    permissions.require(request.user, "export")
    form = forms.ExportForm(
        request.GET if "download" in request.GET else None, user=request.user
    )
    if form.is_bound and form.is_valid():
        params = form.export_params()
        iri_base = request.build_absolute_uri("/api/v1/")
        try:
            export = exports.stream(params, request.user, iri_base=iri_base)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            manifest = _api_url(request, "/api/v1/export/", {**params, "manifest": "1"})
            return export.as_response(manifest_url=manifest)
    return render(request, "annotations/export.html", {"form": form})


def _dataset_page(request, form, *, status=200):
    snapshots = Dataset.objects.visible_to(request.user).select_related("created_by")
    page = Paginator(snapshots, 20).get_page(request.GET.get("page"))
    for dataset in page:
        dataset.downloads = [
            (
                split,
                dataset.split.get(split),
                dataset.split_counts.get(split, {}),
                [
                    (
                        fmt,
                        f"/api/v1/datasets/{dataset.pk}/download/?format={fmt}&split={split}",
                    )
                    for fmt in exports.FORMATS
                ],
            )
            for split in ("all", *datasets.SPLITS)
        ]
    context = {"form": form, "page": page}
    return render(request, "annotations/dataset_list.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def dataset_list(request):
    permissions.require(request.user, "export")
    if request.method == "GET":
        return _dataset_page(request, forms.DatasetForm(user=request.user))
    form = forms.DatasetForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            dataset = datasets.dataset_create(
                user=request.user, **form.dataset_fields()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Snapshot %(name)s frozen: %(spans)d spans in %(articles)d articles.")
                % {
                    "name": str(dataset),
                    "spans": dataset.span_count,
                    "articles": dataset.article_count,
                },
            )
            return redirect("annotations:dataset_list")
    return _dataset_page(request, form)


def _add_errors(form, exc: ValidationError) -> None:
    """Attach domain errors to the form; keys it has no field for go on top."""
    for key, messages_ in exc.message_dict.items():
        field = key if key in form.fields else None
        if key == "split":
            field = None
        for message in messages_:
            form.add_error(field, message)
