import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from . import (
    charts,
    datasets,
    double_views,
    exports,
    filters,
    forms,
    furniture,
    history,
    label_colours,
    permissions,
    services,
    stats,
)
from . import text as text_utils
from .choices import Role
from .middleware import saved_language
from .models import (
    ENTITY_SLUG,
    ApiToken,
    Article,
    AuditEvent,
    Dataset,
    Label,
    Span,
    attach_co_annotators,
)

ARTICLES_PER_PAGE = 25
# The annotate page's one-key entity type picker (a contract: tests and
# people's fingers rely on these keys).
ENTITY_TYPE_KEYS = [("p", "PER"), ("o", "ORG"), ("l", "LOC"), ("m", "MISC")]


class SpanRow:
    """A span as the annotate page shows it, read as plain values.

    Building 1,000 model instances costs ten times the query; the page only
    reads these fields (and ``permissions.can`` only ``created_by_id``,
    ``status`` and ``blind``).
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
        "origin",
        "score",
        "blind",
        "created_by_id",
        "username",
        "reviewer",
        "reviewed_at",
    )
    QUERY_FIELDS = (
        *FIELDS[:-3],
        "created_by__username",
        "reviewed_by__username",
        "reviewed_at",
    )

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


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def _url_pattern(name: str) -> str:
    """Return the URL ``name`` takes one id in, as a ``str.format`` pattern."""
    return reverse(name, args=[0]).replace("/0/", "/{}/")


# Label colours


@require_GET
@login_required
def label_styles(request):
    """Serve each label's colour as CSS (no inline style: the CSP forbids it)."""
    labels = list(Label.objects.all())
    response = HttpResponse(label_colours.stylesheet(labels), content_type="text/css")
    if request.GET.get("v") == label_colours.version(labels):
        response["Cache-Control"] = "private, max-age=31536000, immutable"
    else:
        response["Cache-Control"] = "private, no-cache"
    return response


# Article list


@require_GET
@login_required
@vary_on_headers("HX-Request")
def article_list(request):
    user = request.user
    if not permissions.can(user, "read_article"):
        return render(request, "annotations/article_list.html", {"no_role": True})
    spans = Span.objects.visible_to(user)
    found = filters.ArticleListFilter(
        request.GET, Article.objects.visible_to(user), request=request
    )
    # A stale shared link (say, a language nobody writes in any more) finds
    # nothing, and the page says which filter is wrong.
    articles = found.qs if found.is_valid() else found.queryset.none()
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
        .prefetch_related(double_views.assignments_prefetch())
        .in_bulk()
    )
    page.object_list = [rows[pk] for pk in page.object_list]
    context = {
        "filter": found,
        "page": page,
        "is_filtered": any(request.GET.get(name) for name in found.filters),
        # Consumers are told of approved spans only.
        "sees_undecided": permissions.can(user, "read_undecided"),
        **double_views.list_context(request),
    }
    template_name = "annotations/article_list.html"
    if _wants_fragment(request):
        template_name += "#article-results"
    return render(request, template_name, context)


# Upload


def _upload_preview(request, form, *, keep=None) -> dict:
    """Return the preview of an upload: its paragraphs, furniture pre-dropped.

    ``keep``, the indices the editor kept, replaces the suggestion when a saved
    choice comes back with an error.
    """
    full = form.full_text
    found = furniture.paragraphs(full)
    if keep is None:
        keep = {p.index for p in found if p.keep}
    kept = furniture.join(full, keep)
    file = form.cleaned_data.get("file")
    return {
        "text": kept,
        "rows": [(p, p.index in keep) for p in found],
        "paragraphs": len(keep),
        "dropped": len(found) - len(keep),
        "characters": len(kept),
        "file_name": file.name if file else "",
        "same_text": services.article_duplicates(user=request.user, texts=[full, kept]),
        "found": found,
    }


def _choosing_form(form, preview) -> forms.ArticleForm:
    """Return the form that saves a previewed upload, title and byline suggested."""
    data = form.cleaned_data
    initial = {name: data.get(name) for name in form.Meta.fields}
    initial.update(
        text=form.full_text,
        previewed=text_utils.sha256_hex(form.full_text),
        title=data.get("title")
        or form.title_hint
        or furniture.headline(preview["found"])
        or form.upload_title,
        byline=data.get("byline") or furniture.byline(preview["found"]),
    )
    return forms.ArticleForm(initial=initial, choosing=True)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def article_new(request):
    permissions.require(request.user, "add_article")
    context = {
        "preview": None,
        "duplicate": None,
        "language_codes": forms.COMMON_LANGUAGES,
    }
    if request.method == "POST":
        action = request.POST.get("action")
        choosing = bool(request.POST.get("previewed"))
        form = forms.ArticleForm(
            request.POST,
            request.FILES,
            require_title=action in ("save", "save_duplicate"),
            choosing=choosing,
        )
        valid = form.is_valid()
        if valid and action == "preview":
            context["preview"] = _upload_preview(request, form)
            form = _choosing_form(form, context["preview"])
        elif valid and action == "edit":
            # Back to the text box, holding the paragraphs kept so far.
            initial = {name: form.cleaned_data[name] for name in form.Meta.fields}
            form = forms.ArticleForm(initial=initial)
        elif valid:
            try:
                article = services.article_upload(
                    user=request.user,
                    # The second click, once the page has shown the duplicate.
                    allow_duplicate=action == "save_duplicate",
                    **form.article_fields(),
                )
            except services.DuplicateArticle as duplicate:
                context["duplicate"] = duplicate.existing
                if not choosing:
                    # The text as stored, so a file need not be chosen again.
                    form = forms.ArticleForm(initial=form.article_fields())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _upload_message(article))
                if article.suggestion_error:
                    messages.warning(request, article.suggestion_error)
                url = reverse("annotations:article_detail", args=[article.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(url)
                return redirect(url)
        if form.is_bound and form.stale_preview:
            # The choices refer to another text: suggest them afresh.
            context["preview"] = _upload_preview(request, form)
            context["preview"]["stale"] = True
            form = _choosing_form(form, context["preview"])
        elif choosing and context["preview"] is None and form.full_text:
            # A refused save of chosen paragraphs: show the choice as it was sent.
            keep = set(form.cleaned_data.get("keep") or ())
            context["preview"] = _upload_preview(request, form, keep=keep)
    else:
        form = forms.ArticleForm()
    context["form"] = form
    template_name = "annotations/article_new.html"
    if _wants_fragment(request):
        template_name += "#upload-form"
    return render(request, template_name, context)


def _upload_message(article) -> str:
    run = article.suggestion_run
    if run is None or not run.suggestions:
        return _("Article saved. Select text to tag it.")
    return ngettext(
        "Article saved with %(n)d suggestion: press n to go to it, y to accept, "
        "x to dismiss.",
        "Article saved with %(n)d suggestions: press n to go to the next one, y "
        "to accept, x to dismiss.",
        len(run.suggestions),
    ) % {"n": len(run.suggestions)}


# Annotate


def _workspace(
    request, article, *, message=None, error=None, rows=True, undo_event=None
):
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
        .current()
        .filter(article=article)
        .order_by("start", "-end", "label_id", "pk")
        .values_list(*SpanRow.QUERY_FIELDS)
    ]
    attach_co_annotators(spans)
    groups = {label.pk: [] for label in labels}
    counts = {status: 0 for status in Span.Status.values}
    suggested = {label.pk: 0 for label in labels}
    for span in spans:
        span.label = labels_by_id[span.label_id]
        groups[span.label_id].append(span)
        counts[span.status] += 1
        if span.status == Span.Status.SUGGESTED:
            suggested[span.label_id] += 1
    may_annotate = permissions.can(user, "add_span", article)
    context = {
        "article": article,
        "labels": labels,
        "label_styles_url": label_colours.stylesheet_url(labels),
        "spans": spans,
        # The panel counts people's spans and, beside them, the suggestions.
        "groups": [
            (
                label,
                groups[label.pk],
                len(groups[label.pk]) - suggested[label.pk],
                suggested[label.pk],
            )
            for label in labels
        ],
        "counts": counts,
        "span_count": len(spans) - counts[Span.Status.SUGGESTED],
        "may_annotate": may_annotate,
        "may_accept": may_annotate
        and permissions.can(user, "accept_suggestion")
        and permissions.can(user, "suggest", article),
        "sees_undecided": permissions.can(user, "read_undecided"),
        "message": message,
        "error": error,
        "undo_event": undo_event,
        "undo_url": reverse("annotations:span_undo", args=[article.pk]),
        # Words annotate.js shows or reads out itself (json_script, CSP-safe).
        "js_strings": {
            "no_span": _(
                "Put the caret in a span, or focus one in the list, then try again."
            ),
            "not_yours": _("You may not change this span."),
            "cannot_move": _("This span cannot move that way: it would be empty."),
            "nothing_to_undo": _("Nothing to undo on this page."),
            "no_suggestion": _(
                "No suggestion here: press n to go to the next suggestion, p to "
                "the previous one."
            ),
            "no_more_suggestions": _("No more suggestions in this direction."),
            "no_suggestions": _("This article has no suggestions left."),
            "suggestions_hidden": _(
                "Suggestions are hidden: show them again with the button in the "
                "list of spans."
            ),
            "dismiss_with_x": _("This is a suggestion: press x to dismiss it."),
        },
        "entity_types": [
            (key, value, Span.EntityType(value).label)
            for key, value in ENTITY_TYPE_KEYS
        ],
        "entities": [span for span in spans if span.label.is_entity],
        "spans_url": reverse("annotations:span_create", args=[article.pk]),
        # One reverse per page; each row fills in its id.
        "history_url": _url_pattern("annotations:span_history"),
        "may_review": permissions.can(user, "review_span"),
        "blind": double_views.blind_context(user, article, spans),
        "ui": {
            "show": _("Show in the text"),
            "source": _("source:"),
            "rejected": _("Rejected:"),
            "approved_by": _("Approved by %(user)s, %(when)s"),
            "rejected_by": _("Rejected by %(user)s, %(when)s:"),
            "edit_entity": _("Edit label / type"),
            "edit_statement": _("Edit label / source"),
            "delete": _("Delete"),
            "history": _("History"),
            "accept": _("Accept"),
            "dismiss": _("Dismiss"),
            "score": _("score %(score)s"),
        },
    }
    if rows:
        _prepare_rows(request, context, spans)
    return context


def _prepare_rows(request, context, rows):
    """Work out once what each panel row shows, so the row template stays lean."""
    user = request.user
    spans_by_id = {span.pk: span for span in context["spans"]}
    statuses = {value: str(name) for value, name in Span.Status.choices}
    entity_types = {value: str(name) for value, name in Span.EntityType.choices}
    may_review = context["may_review"]
    for span in rows:
        span.source_span = spans_by_id.get(span.source_id)
        if span.source_span is not None:
            span.source_span.excerpt = text_utils.excerpt(span.source_span.text, 140)
        span.editable = context["may_annotate"] and permissions.can(
            user, "change_span", span
        )
        span.deletable = context["may_annotate"] and permissions.can(
            user, "delete_span", span
        )
        span.review_refusal = (
            permissions.explain(user, "review_span", span)
            if may_review and span.status == Span.Status.PENDING
            else None
        )
        span.reviewable = (
            may_review
            and span.status == Span.Status.PENDING
            and span.review_refusal is None
        )
        span.notice = None
        span.reject_form = None
        span.excerpt = text_utils.excerpt(span.text, 140)
        span.status_label = statuses[span.status]
        span.is_suggestion = span.status == Span.Status.SUGGESTED
        span.details = history.annotated_by(span.username, span.co_annotator_names)
        if span.is_suggestion:
            # Made for someone by the suggesters: say by which, and how sure.
            span.details = " · ".join(
                (span.origin, context["ui"]["score"] % {"score": _score(span.score)})
            )
        if span.entity_type:
            span.details += f" · {entity_types[span.entity_type]}"


def _score(value) -> str:
    return number_format(value, 2) if value is not None else "—"


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


def _after_span_write(
    request, article, *, message=None, error=None, undo_event=None, status=200
):
    """Answer a span write: the refreshed workspace for htmx, else a redirect.

    ``undo_event`` is the audit event the message offers to undo.
    """
    if request.htmx:
        response = _render_workspace(
            request, article, message=message, error=error, undo_event=undo_event
        )
        response.status_code = status
        return response
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


def _tagged_message(span) -> str:
    words = {"text": text_utils.excerpt(span.text, 80), "label": span.label.name}
    if span.entity_type:
        words["label"] = _("%(label)s (%(type)s)") % {
            "label": span.label.name,
            "type": Span.EntityType(span.entity_type).label,
        }
    if span.source_id is not None:
        words["source"] = text_utils.excerpt(span.source.text, 60)
        return _("Tagged “%(text)s” as %(label)s, source: %(source)s.") % words
    return _("Tagged “%(text)s” as %(label)s.") % words


@require_POST
@login_required
def span_create(request, pk):
    article = _get_article(request, pk, action="add_span")
    form = forms.NewSpanForm(request.POST, article=article)
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
    message = _tagged_message(span)
    if not request.htmx or span.audit_event.action == AuditEvent.Action.ACCEPT:
        # Tagging exactly a suggestion accepted it: its row and perhaps its
        # speaker's changed, so the whole workspace comes back.
        return _after_span_write(
            request, article, message=message, undo_event=span.audit_event.pk
        )
    # Redraw the text, and slot the new row into its group in the panel.
    context = _workspace(
        request, article, message=message, rows=False, undo_event=span.audit_event.pk
    )
    group, group_size = next(
        (spans, size)
        for label, spans, size, _suggested in context["groups"]
        if label.pk == span.label_id
    )
    index = next(i for i, row in enumerate(group) if row.pk == span.pk)
    _prepare_rows(request, context, [group[index]])
    context.update(
        oob=True,
        span=group[index],
        group_size=group_size,
        insert_at=(
            f"beforebegin:#span-row-{group[index + 1].pk}"
            if index + 1 < len(group)
            else f"beforeend:#spans-{span.label.slug}"
        ),
    )
    return render(request, "annotations/article_detail.html#span-created", context)


def _updated_message(before: Span, after: Span) -> str:
    """Say the span was updated, and what its new label made it drop."""
    message = _("Span updated.")
    if before.entity_type and not after.entity_type and not after.label.is_entity:
        message += " " + _("It no longer has an entity type: only entities have one.")
    if before.source_id and not after.source_id and after.label.is_entity:
        message += " " + _("It no longer names a source: entities have none.")
    return message


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
            updated = services.span_update(
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
            return _after_span_write(
                request,
                article,
                message=_updated_message(span, updated),
                undo_event=updated.audit_event.pk if updated.audit_event else None,
            )
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
def span_move(request, pk, span_pk):
    """Move a span's boundaries (the page's nudge keys); 409 on a stale version."""
    article = _get_article(request, pk)
    span = _get_span(request, article, span_pk, action="change_span")
    form = forms.SpanBoundsForm(request.POST)
    if not form.is_valid():
        return _after_span_write(request, article, error=form.error_text())
    try:
        span = services.span_update(span=span, user=request.user, **form.cleaned_data)
    except services.Conflict as conflict:
        return _after_span_write(request, article, error=conflict.message, status=409)
    except ValidationError as error:
        return _after_span_write(request, article, error=_messages_of(error))
    message = _("Now “%(text)s”.") % {"text": text_utils.excerpt(span.text, 80)}
    undo_event = span.audit_event.pk if span.audit_event else None
    return _after_span_write(request, article, message=message, undo_event=undo_event)


@require_POST
@login_required
def span_delete(request, pk, span_pk):
    article = _get_article(request, pk)
    span = _get_span(request, article, span_pk, action="delete_span")
    text = span.text
    try:
        event = services.span_delete(span=span, user=request.user)
    except ValidationError as error:
        return _after_span_write(request, article, error=_messages_of(error))
    return _after_span_write(
        request,
        article,
        message=_("Deleted “%(text)s”.") % {"text": text_utils.excerpt(text, 80)},
        undo_event=event.pk,
    )


@require_POST
@login_required
def span_undo(request, pk):
    """Undo a create, edit or delete of a span made on this page (its audit event)."""
    article = _get_article(request, pk)
    form = forms.UndoForm(request.POST)
    if not form.is_valid():
        return _after_span_write(request, article, error=form.error_text())
    event = get_object_or_404(
        AuditEvent.objects.filter(object_type="span", article_id=article.pk),
        pk=form.cleaned_data["event"],
    )
    try:
        span, _undo = services.span_undo(user=request.user, event=event)
    except services.Conflict as conflict:
        return _after_span_write(request, article, error=conflict.message, status=409)
    except ValidationError as error:
        return _after_span_write(request, article, error=_messages_of(error))
    text = text_utils.excerpt((event.after or event.before)["text"], 80)
    if span is None:
        message = _("Undone: “%(text)s” is no longer tagged.") % {"text": text}
    elif event.action == AuditEvent.Action.DELETE:
        message = _("Undone: “%(text)s” is back.") % {"text": text}
    elif event.action in (AuditEvent.Action.ACCEPT, AuditEvent.Action.DISMISS):
        message = _("Undone: “%(text)s” is a suggestion again.") % {
            "text": text_utils.excerpt(span.text, 80)
        }
    else:
        message = _("Undone: “%(text)s” is as it was.") % {
            "text": text_utils.excerpt(span.text, 80)
        }
    return _after_span_write(request, article, message=message)


# Suggestions on the annotate page


def _get_suggestion(request, article, span_pk, *, action) -> Span:
    """Return the span for a decision on a suggestion; a dismissed one is found
    too, so that deciding on it again says what happened (409), not 404."""
    span = get_object_or_404(
        Span.objects.visible_to(request.user, with_dismissed=True)
        .filter(article=article)
        .select_related("label"),
        pk=span_pk,
    )
    span.article = article
    permissions.require(request.user, action, span)
    return span


def _accepted_message(span) -> str:
    words = {"text": text_utils.excerpt(span.text, 80), "label": span.label.name}
    if span.source_id is not None:
        words["source"] = text_utils.excerpt(span.source.text, 60)
        return _("Accepted “%(text)s” as %(label)s, source: %(source)s.") % words
    return _("Accepted “%(text)s” as %(label)s.") % words


@require_POST
@login_required
def suggestion_accept(request, pk, span_pk):
    """Accept a suggestion (the page's y key, or its Accept button)."""
    article = _get_article(request, pk)
    span = _get_suggestion(request, article, span_pk, action="accept_suggestion")
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _after_span_write(request, article, error=form.error_text())
    try:
        span = services.span_accept(
            span=span, user=request.user, version=form.cleaned_data["version"]
        )
    except services.Conflict as conflict:
        return _after_span_write(request, article, error=conflict.message, status=409)
    except ValidationError as error:
        return _after_span_write(request, article, error=_messages_of(error))
    return _after_span_write(
        request,
        article,
        message=_accepted_message(span),
        undo_event=span.audit_event.pk,
    )


@require_POST
@login_required
def suggestion_dismiss(request, pk, span_pk):
    """Dismiss a suggestion (the page's x key, or its Dismiss button)."""
    article = _get_article(request, pk)
    span = _get_suggestion(request, article, span_pk, action="dismiss_suggestion")
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _after_span_write(request, article, error=form.error_text())
    try:
        span = services.span_dismiss(
            span=span, user=request.user, version=form.cleaned_data["version"]
        )
    except services.Conflict as conflict:
        return _after_span_write(request, article, error=conflict.message, status=409)
    return _after_span_write(
        request,
        article,
        message=_("Dismissed “%(text)s”.")
        % {"text": text_utils.excerpt(span.text, 80)},
        undo_event=span.audit_event.pk,
    )


@require_POST
@login_required
def suggestion_adjust(request, pk, span_pk):
    """Move a suggestion's boundaries before accepting it (the nudge keys)."""
    article = _get_article(request, pk)
    span = _get_suggestion(request, article, span_pk, action="accept_suggestion")
    form = forms.SpanBoundsForm(request.POST)
    if not form.is_valid():
        return _after_span_write(request, article, error=form.error_text())
    try:
        span = services.suggestion_adjust(
            span=span, user=request.user, **form.cleaned_data
        )
    except services.Conflict as conflict:
        return _after_span_write(request, article, error=conflict.message, status=409)
    except ValidationError as error:
        return _after_span_write(request, article, error=_messages_of(error))
    message = _("Suggestion now “%(text)s”: press y to accept it.") % {
        "text": text_utils.excerpt(span.text, 80)
    }
    undo_event = span.audit_event.pk if span.audit_event else None
    return _after_span_write(request, article, message=message, undo_event=undo_event)


@require_POST
@login_required
def suggestions_accept(request, pk):
    """Accept the suggestions the page shows of one label from a score up (Shift+Y)."""
    article = _get_article(request, pk)
    permissions.require(request.user, "accept_suggestion")
    form = forms.AcceptSuggestionsForm(request.POST)
    if not form.is_valid():
        return _after_span_write(request, article, error=form.error_text())
    wanted = form.cleaned_data
    try:
        accepted = services.suggestions_accept_all(
            article=article,
            user=request.user,
            spans=wanted["spans"],
            label=wanted["label"],
            min_score=wanted["min_score"],
        )
    except ValidationError as error:
        return _after_span_write(request, article, error=_messages_of(error))
    message = ngettext(
        "Accepted %(n)d %(label)s suggestion scoring %(score)s or more.",
        "Accepted %(n)d %(label)s suggestions scoring %(score)s or more.",
        len(accepted),
    ) % {
        "n": len(accepted),
        "label": wanted["label"].name,
        "score": _score(wanted["min_score"]),
    }
    return _after_span_write(request, article, message=message)


@require_POST
@login_required
def article_suggest(request, pk):
    """Run the suggesters again on the article (the panel's button)."""
    article = _get_article(request, pk, action="suggest")
    run = services.article_suggest(article=article, user=request.user)
    message = ngettext(
        "%(n)d suggestion: %(new)d new, %(gone)d removed.",
        "%(n)d suggestions: %(new)d new, %(gone)d removed.",
        len(run.suggestions),
    ) % {"n": len(run.suggestions), "new": run.created, "gone": run.removed}
    return _after_span_write(request, article, message=message)


# Review

REVIEW_PAGE_SIZE = 50
# Counting every pending span would cost more than the page itself; beyond this
# many the queue says "more than".
REVIEW_COUNT_CAP = 1_000
CONTEXT_CHARS = 80
_LINE_BREAKS = re.compile(r"\s*\n\s*")


def _one_line(text: str) -> str:
    # Paragraph breaks in a context window would make rows of uneven height.
    return _LINE_BREAKS.sub(" ¶ ", text)


def _queue_rows(user):
    """Return the spans as the queue's rows read them (the article comes apart)."""
    return Span.objects.visible_to(user).select_related(
        "label", "created_by", "source", "reviewed_by"
    )


def _prepare_review_rows(user, rows) -> None:
    """Attach the article, ~80 characters of context either side and, for a
    pending span the user may not decide on, the reason why.

    Each article's text is read once, however many of its spans the page shows.
    """
    if not rows:
        return
    attach_co_annotators(rows)
    articles = (
        Article.objects.filter(pk__in={row.article_id for row in rows})
        .only("title", "language", "text")
        .in_bulk()
    )
    # One reverse per page, not three per row.
    article_url = _url_pattern("annotations:article_detail")
    history_url = _url_pattern("annotations:span_history")
    queue_url = reverse("annotations:review_queue")
    for row in rows:
        row.article = articles[row.article_id]
        row.article_url = article_url.format(row.article_id)
        row.history_url = history_url.format(row.pk)
        row.queue_url = f"{queue_url}?article={row.article_id}"
        # Set, not missing: a missing attribute costs the template a dir() call.
        row.notice = row.decision_error = ""
        row.decided_now = False
        row.reject_form = None
        text = row.article.text
        before, _span, after = text_utils.context_window(
            text, row.start, row.end, CONTEXT_CHARS
        )
        row.before, row.after = _one_line(before), _one_line(after)
        row.clipped_before = row.start > CONTEXT_CHARS
        row.clipped_after = row.end + CONTEXT_CHARS < len(text)
        row.refusal = (
            permissions.explain(user, "review_span", row)
            if row.status == Span.Status.PENDING
            else None
        )
        row.annotated_by = history.annotated_by(
            row.created_by.get_username(), row.co_annotator_names
        )


def _queue_pending(request, params, labels):
    """Return the queue's filters, the pending spans they keep and the page
    position (``params``: the queue's query string).
    """
    found = filters.ReviewQueueFilter(
        params,
        Span.objects.visible_to(request.user).awaiting_decision(),
        request=request,
        labels=labels,
    )
    # A stale shared link (say, an annotator whose account is gone) finds
    # nothing, and the page says which filter is wrong.
    pending = found.qs if found.is_valid() else found.queryset.none()
    return found, pending, found.position


def _pending_count(pending) -> dict:
    """Return the queue's count, capped: counting them all would cost more than
    the page itself.
    """
    count = pending.order_by()[: REVIEW_COUNT_CAP + 1].count()
    return {
        "count": min(count, REVIEW_COUNT_CAP),
        "count_capped": count > REVIEW_COUNT_CAP,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def review_queue(request):
    user = request.user
    permissions.require(user, "review_span")
    labels = list(Label.objects.all())
    found, pending, position = _queue_pending(request, request.GET, labels)
    filtered_article = None
    if found.is_valid() and found.form.cleaned_data["article"]:
        filtered_article = (
            Article.objects.visible_to(user)
            .filter(pk=found.form.cleaned_data["article"])
            .values("pk", "title")
            .first()
        )
    counted = _pending_count(pending)
    page = pending.in_review_order()
    if position is not None:
        page = page.after_position(position)
    rows = list(
        page.select_related("label", "created_by", "source")[: REVIEW_PAGE_SIZE + 1]
    )
    has_next = len(rows) > REVIEW_PAGE_SIZE
    rows = rows[:REVIEW_PAGE_SIZE]
    _prepare_review_rows(user, rows)
    last = rows[-1] if rows else None
    context = {
        "filter": found,
        "labels": labels,
        "label_styles_url": label_colours.stylesheet_url(labels),
        "rows": rows,
        **counted,
        "is_filtered": any(request.GET.get(name) for name in found.FILTERS),
        "filtered_article": filtered_article,
        "is_first_page": position is None,
        "next_position": (
            f"{last.article_id}-{last.start}-{last.end}-{last.label_id}"
            if has_next
            else None
        ),
        "next_url": request.get_full_path(),
    }
    template_name = "annotations/review_queue.html"
    if _wants_fragment(request):
        template_name += "#review-results"
    return render(request, template_name, context)


def _span_to_review(request, span_pk, article=None) -> Span:
    """Return the span, 403 for users who may not review (with the reason), 404
    if the user cannot see it, 403 if it is their own (four-eyes).
    """
    permissions.require(request.user, "review_span")
    spans = Span.objects.visible_to(request.user).select_related("article", "label")
    if article is not None:
        spans = spans.filter(article=article)
    span = get_object_or_404(spans, pk=span_pk)
    permissions.require(request.user, "review_span", span)
    return span


def _decide_from_post(request, span, *, reject: bool):
    """Approve or reject as the POST says; return (form, conflict message).

    The form carries the errors of a refused decision; a Conflict (a stale
    version) is no error of the form: the row shows what happened instead.
    """
    if reject:
        form = forms.RejectForm(
            request.POST, auto_id=f"reject-{span.pk}-%s", label=span.label
        )
    else:
        form = forms.DecisionForm(request.POST, auto_id=f"reject-{span.pk}-%s")
    if not form.is_valid():
        return form, None
    version = form.cleaned_data["version"]
    try:
        if reject:
            services.span_reject(
                span=span, user=request.user, version=version, reason=form.reason_text()
            )
        else:
            services.span_approve(span=span, user=request.user, version=version)
    except services.Conflict as conflict:
        return form, conflict.message
    except ValidationError as error:
        form.add_error(None, error)
    return form, None


def _decision_message(span, *, reject: bool) -> str:
    if reject:
        return _("Rejected “%(text)s”: %(reason)s") % {
            "text": text_utils.excerpt(span.text, 80),
            "reason": span.rejection_reason,
        }
    return _("Approved “%(text)s”.") % {"text": text_utils.excerpt(span.text, 80)}


def _queue_next(request) -> str:
    """Return where a plain form goes back to: the queue page it came from."""
    url = request.POST.get("next", "")
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("annotations:review_queue")


def _review_in_queue(request, span_pk, *, reject: bool):
    span = _span_to_review(request, span_pk)
    form, conflict = _decide_from_post(request, span, reject=reject)
    next_url = _queue_next(request)
    row = _queue_rows(request.user).get(pk=span.pk)
    decided = not conflict and not form.errors
    if decided and not request.htmx:
        messages.success(request, _decision_message(row, reject=reject))
        return redirect(next_url)
    _prepare_review_rows(request.user, [row])
    row.notice = conflict
    row.decided_now = decided
    row.reject_form = form if reject and form.errors else None
    row.decision_error = form.error_text() if form.errors and not reject else ""
    context = {"row": row, "next_url": next_url}
    if request.htmx:
        # The row, and out of band the count of the queue it came from.
        labels = list(Label.objects.all())
        query = QueryDict(urlsplit(next_url).query)
        _found, pending, position = _queue_pending(request, query, labels)
        context.update(
            _pending_count(pending), oob=True, is_first_page=position is None
        )
        return render(request, "annotations/review_queue.html#row-decided", context)
    # Without htmx a refused decision shows the row alone, still at 200.
    context.update(
        rows=[row],
        single=True,
        labels=[row.label],
        label_styles_url=label_colours.stylesheet_url(Label.objects.all()),
    )
    return render(request, "annotations/review_queue.html", context)


@require_POST
@login_required
def review_approve(request, span_pk):
    return _review_in_queue(request, span_pk, reject=False)


@require_POST
@login_required
def review_reject(request, span_pk):
    return _review_in_queue(request, span_pk, reject=True)


def _review_in_panel(request, pk, span_pk, *, reject: bool):
    article = _get_article(request, pk)
    span = _span_to_review(request, span_pk, article=article)
    form, conflict = _decide_from_post(request, span, reject=reject)
    if not request.htmx:
        if conflict or form.errors:
            return _after_span_write(
                request, article, error=conflict or form.error_text()
            )
        span.refresh_from_db(fields=["status", "rejection_reason"])
        return _after_span_write(
            request, article, message=_decision_message(span, reject=reject)
        )
    # The row, and out of band the text (a mark's status) and the counts.
    context = _workspace(request, article, rows=False)
    row = next(s for s in context["spans"] if s.pk == span.pk)
    _prepare_rows(request, context, [row])
    row.notice = conflict
    row.reject_form = form if reject and form.errors else None
    if form.errors and not reject:
        row.notice = form.error_text()
    context.update(span=row, oob=True, text_oob=True)
    return render(request, "annotations/article_detail.html#span-decided", context)


@require_POST
@login_required
def span_approve(request, pk, span_pk):
    return _review_in_panel(request, pk, span_pk, reject=False)


@require_POST
@login_required
def span_reject(request, pk, span_pk):
    return _review_in_panel(request, pk, span_pk, reject=True)


@require_POST
@login_required
def article_approve_pending(request, pk):
    article = _get_article(request, pk)
    result = services.article_approve_pending(article=article, user=request.user)
    left = result.left_own
    if not result.approved and not left and not result.left_untyped:
        message = _("Nothing to approve: no span of this article is pending.")
    else:
        message = ngettext(
            "Approved %(n)d span.", "Approved %(n)d spans.", len(result.approved)
        ) % {"n": len(result.approved)}
        if left:
            message += " " + ngettext(
                "%(n)d of your own was left for another reviewer.",
                "%(n)d of your own were left for another reviewer.",
                left,
            ) % {"n": left}
        if result.left_untyped:
            message += " " + ngettext(
                "%(n)d entity without a type was left pending: give it a type first.",
                "%(n)d entities without a type were left pending: give them a type "
                "first.",
                result.left_untyped,
            ) % {"n": result.left_untyped}
    return _after_span_write(request, article, message=message)


# History


@require_GET
@login_required
@vary_on_headers("HX-Request")
def span_history(request, span_pk):
    span = get_object_or_404(
        Span.objects.visible_to(request.user).select_related(
            "article", "label", "created_by"
        ),
        pk=span_pk,
    )
    events = AuditEvent.objects.visible_to(request.user).for_object(span)
    # Consumers read the approval alone, not who reshaped the span before it.
    attach_co_annotators([span])
    co_annotators = (
        [] if permissions.sees_approved_only(request.user) else span.co_annotator_names
    )
    context = {
        "span": span,
        "annotated_by": history.annotated_by(
            span.created_by.get_username(), co_annotators
        ),
        "article": span.article,
        "entries": history.entries(request.user, events),
    }
    template_name = "annotations/history.html"
    if _wants_fragment(request):
        template_name += "#events"
    return render(request, template_name, context)


@require_GET
@login_required
def article_history(request, pk):
    article = _get_article(request, pk)
    events = AuditEvent.objects.visible_to(request.user).filter(article_id=article.pk)
    live_spans = set(
        Span.objects.visible_to(request.user)
        .filter(article=article)
        .values_list("pk", flat=True)
    )
    context = {
        "article": article,
        "entries": history.entries(request.user, events),
        "live_spans": live_spans,
    }
    return render(request, "annotations/history.html", context)


# Keys


@require_GET
@login_required
@vary_on_headers("HX-Request")
def keys_help(request):
    """Every key of the product: a page, or the "?" window's contents for htmx."""
    template_name = "annotations/keys.html"
    if _wants_fragment(request):
        template_name += "#keys-list"
    return render(request, template_name)


# Dashboard


def _percent(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)


@require_GET
@login_required
def review_stats(request):
    permissions.require(request.user, "view_stats")
    labels = {label.slug: label for label in Label.objects.all()}
    by_label = stats.by_label()
    for rate in by_label:
        rate.label = labels.get(rate.name)
        rate.percent = _percent(rate.approval_rate)
    by_annotator = stats.by_annotator()
    for rate in by_annotator:
        rate.percent = _percent(rate.approval_rate)
    totals = stats.Rate(
        _("All labels"),
        sum(rate.approved for rate in by_label),
        sum(rate.rejected for rate in by_label),
        sum(rate.pending for rate in by_label),
    )
    totals.percent = _percent(totals.approval_rate)
    by_origin = stats.by_origin()
    origin_totals = stats.origin_totals(by_origin, _("All origins"))
    for row in (*by_origin, origin_totals):
        row.percent = _percent(row.acceptance_rate)
    now = timezone.now()
    oldest = stats.oldest_pending_age(now=now)
    context = {
        "labels": list(labels.values()),
        "label_styles_url": label_colours.stylesheet_url(labels.values()),
        "by_label": by_label,
        "by_annotator": by_annotator,
        "by_origin": by_origin,
        "origin_totals": origin_totals,
        "totals": totals,
        "oldest_pending": timesince(now - oldest, now) if oldest is not None else None,
        "chart": charts.throughput_chart(stats.throughput()),
        "days": stats.DAYS,
        "may_review": permissions.can(request.user, "review_span"),
    }
    return render(request, "annotations/review_stats.html", context)


# API tokens


def _token_page(request, form, *, status=200, created=None):
    permissions.require(request.user, "use_api_tokens")
    context = {
        "form": form,
        "tokens": ApiToken.objects.visible_to(request.user),
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
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    services.api_token_revoke(token=token, user=request.user)
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


# The splits' names on the page; their slugs stay in the download links.
_SPLIT_NAMES = {
    "all": pgettext_lazy("dataset split", "all"),
    "train": pgettext_lazy("dataset split", "train"),
    "dev": pgettext_lazy("dataset split", "dev"),
    "test": pgettext_lazy("dataset split", "test"),
}


def _dataset_page(request, form, *, status=200):
    snapshots = Dataset.objects.visible_to(request.user).select_related("created_by")
    page = Paginator(snapshots, 20).get_page(request.GET.get("page"))
    label_names = dict(Label.objects.values_list("slug", "name"))
    for dataset in page:
        dataset.label_chips = [
            (label_names.get(slug, slug), count)
            for slug, count in dataset.label_counts.items()
        ]
        dataset.downloads = [
            (
                split,
                _SPLIT_NAMES.get(split, split),
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


# Account and language


def _remember_language(response, language: str) -> None:
    """Make the language cookie agree with a saved choice ("" removes it).

    After logging out, the login page then speaks the person's language; and
    "my browser's language" is not overruled by an older switch.
    """
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )


@require_POST
@login_not_required
def set_language(request):
    """The header's language switch: Django's ``set_language`` (the cookie and
    the way back), and for a logged-in user the saved preference too.
    """
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.profile_update(user=request.user, language=language)
    return response


@require_http_methods(["GET", "POST"])
@login_required
def account(request):
    form = forms.ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={"language": saved_language(request.user)},
    )
    if form.is_valid():
        language = form.cleaned_data["language"]
        services.profile_update(user=request.user, language=language)
        # Said in the language the next page will speak.
        with translation.override(language or translation.get_language()):
            messages.success(request, _("Your preferences are saved."))
        response = redirect("annotations:account")
        _remember_language(response, language)
        return response
    roles = permissions.roles(request.user)
    context = {
        "form": form,
        "roles": [label for value, label in Role.choices if value in roles],
        "is_admin": permissions.is_admin(request.user),
    }
    return render(request, "annotations/account.html", context)
