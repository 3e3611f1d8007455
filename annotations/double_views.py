"""Pages of double annotation (DESIGN.md section 7): assigning articles from
the list, the agreement page, adjudication, and each annotator's feedback.

The rules are in ``permissions`` and the QuerySets, the writes in
``services``, the figures in ``agreement`` and the proposal in
``adjudication``; these views only put them on the page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import adjudication, agreement, forms, permissions, services, views
from .filters import AgreementFilter
from .models import Article, Assignment, Label, Span

# Annotators get colours 1 to 6 (static/annotations/app.css), in name order.
ANNOTATOR_COLOURS = 6
CONTEXT_CHARS = 60


def colour_slots(names) -> dict[str, int]:
    return {
        name: index % ANNOTATOR_COLOURS + 1 for index, name in enumerate(sorted(names))
    }


# The article list and the annotate page


def assignments_prefetch() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.select_related("annotator").order_by(
            "annotator__username"
        ),
    )


def list_context(request) -> dict:
    """Return what the article list adds for assignment: the bulk form."""
    if not permissions.can(request.user, "assign"):
        return {"may_assign": False}
    form = forms.AssignArticlesForm(
        user=request.user, initial={"next": request.get_full_path()}
    )
    return {"may_assign": True, "assign_form": form}


def blind_context(user, article, spans) -> dict | None:
    """Return what the annotate page says of a blind article, and give each
    span row its annotator's colour where the user sees every version."""
    # Consumers see approved spans only, and nothing of how they were made.
    if not article.is_blind or permissions.sees_approved_only(user):
        return None
    assigned = dict(
        article.assignments.values_list("annotator_id", "annotator__username")
    )
    article._assigned_ids = set(assigned)
    is_annotator = user.pk in assigned
    sees_all = permissions.can(user, "read_all_versions") and not (
        article.in_blind_round and is_annotator
    )
    slots = colour_slots(assigned.values())
    if sees_all and article.in_blind_round:
        for span in spans:
            span.annotator_slot = slots.get(span.username)
    return {
        "round_open": article.in_blind_round,
        "annotators": sorted(slots.items()),
        "sees_all": sees_all,
        "is_annotator": is_annotator,
        "may_adjudicate": permissions.can(user, "adjudicate", article),
        "adjudicate_url": reverse("annotations:article_adjudicate", args=[article.pk]),
        "feedback_url": reverse("annotations:article_feedback", args=[article.pk]),
    }


def _back(request, fallback: str) -> str:
    url = request.POST.get("next", "")
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


@require_POST
@login_required
def articles_assign(request):
    permissions.require(request.user, "assign")
    form = forms.AssignArticlesForm(request.POST, user=request.user)
    back = _back(request, reverse("annotations:article_list"))
    if not form.is_valid():
        messages.error(request, form.error_text())
        return redirect(back)
    try:
        assigned, refused = services.articles_assign(
            articles=list(form.cleaned_data["articles"]),
            user=request.user,
            **form.assignment(),
        )
    except ValidationError as error:
        messages.error(request, views._messages_of(error))
        return redirect(back)
    if assigned:
        messages.success(
            request,
            ngettext(
                "Assigned %(n)d article.", "Assigned %(n)d articles.", len(assigned)
            )
            % {"n": len(assigned)},
        )
    titles = dict(Article.objects.filter(pk__in=refused).values_list("pk", "title"))
    for pk, reason in refused.items():
        messages.error(
            request,
            _("Not assigned “%(title)s”: %(reason)s")
            % {"title": titles.get(pk, pk), "reason": reason},
        )
    return redirect(back)


# Agreement


def _format(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@require_GET
@login_required
def agreement_page(request):
    permissions.require(request.user, "view_agreement")
    found = AgreementFilter(request.GET, queryset=Article.objects.none())
    labels = {label.slug: label for label in Label.objects.all()}
    # The labels just read draw the select; no second query for its options.
    found.form.fields["label"].widget.choices = [
        (label.slug, label.name) for label in labels.values()
    ]
    report = None
    if found.is_valid():
        report = agreement.report(
            user=request.user, labels=labels.values(), **found.report_arguments()
        )
    columns, pairs, details = [], [], []
    if report is not None:
        columns = [(slug, labels[slug].name) for slug in report.labels]
        columns.append((agreement.ALL, _("All labels")))
        for pair in report.pairs:
            cells = []
            for slug, _name in columns:
                figures = pair.figures.get(slug) or agreement.Figures()
                cells.append(
                    {
                        "strict": _format(figures.strict.f1),
                        "partial": _format(figures.partial.f1),
                        "spans": figures.strict.units,
                        "alpha": _format(figures.alpha),
                        "tokens": figures.tokens,
                    }
                )
            overall = pair.figures[agreement.ALL]
            pairs.append({"pair": pair, "cells": cells})
            details.append(
                {
                    "pair": pair,
                    "strict": overall.strict,
                    "entity_type": (
                        _format(overall.entity_type.value),
                        overall.entity_type.units,
                    ),
                    "source": (_format(overall.source.value), overall.source.units),
                    "boundary": (
                        _format(overall.boundary_only.value),
                        overall.boundary_only.units,
                    ),
                }
            )
    adjudicate_url = views._url_pattern("annotations:article_adjudicate")
    disagreements = [
        {
            "row": row,
            "partial": _format(row.partial_f1),
            "url": adjudicate_url.format(row.article.id),
        }
        for row in (report.most_disagreement if report else [])
    ]
    context = {
        "filter": found,
        "report": report,
        "columns": columns,
        "pairs": pairs,
        "details": details,
        "disagreements": disagreements,
        "sees_all": permissions.can(request.user, "read_all_versions"),
    }
    return render(request, "annotations/agreement.html", context)


# Adjudication


def _item_rows(article, proposal, labels, slots, data) -> list[dict]:
    """Return each item as the page shows it: context, versions side by side,
    the choices with their keys, and the edit's starting values."""
    text = article.text
    entity_types = dict(Span.EntityType.choices)
    source_text = {}
    for item in proposal.items:
        for marks in item.marks.values():
            for mark in marks:
                source_text[mark.id] = mark
    for merged in proposal.merged:
        source_text[merged.mark.id] = merged.mark
    rows = []
    for number, item in enumerate(proposal.items, start=1):
        columns = []
        for name in proposal.annotators:
            marks = []
            for mark in item.marks[name]:
                source = source_text.get(mark.source)
                marks.append(
                    {
                        "mark": mark,
                        "label": labels[mark.label],
                        "text": text[mark.start : mark.end],
                        "type": entity_types.get(mark.entity_type, ""),
                        "source": text[source.start : source.end] if source else "",
                    }
                )
            columns.append({"name": name, "slot": slots[name], "marks": marks})
        first = next(marks[0] for marks in item.marks.values() if marks)
        choices = [
            (f"keep:{name}", str(index), _("keep %(name)s's") % {"name": name})
            for index, name in enumerate(proposal.annotators, start=1)
        ]
        if len(item.annotators_with_marks) > 1 and not item.keeps_all_clash:
            both = _("keep both") if len(proposal.annotators) == 2 else _("keep all")
            choices.append((forms.AdjudicationForm.EVERYONE, "b", both))
        choices += [("none", "0", _("keep none")), ("edit", "e", _("edit"))]
        before_start = max(0, item.start - CONTEXT_CHARS)
        after_end = min(len(text), item.end + CONTEXT_CHARS)
        rows.append(
            {
                "item": item,
                "number": number,
                "legend": _("Decision on item %(n)s") % {"n": number},
                "columns": columns,
                "choices": choices,
                "chosen": data.get(f"d-{item.key}", ""),
                "edited": data.get(f"e-{item.key}", ""),
                "before": ("…" if before_start else "")
                + text[before_start : item.start],
                "text": text[item.start : item.end],
                "after": text[item.end : after_end]
                + ("…" if after_end < len(text) else ""),
                "first": first,
            }
        )
    return rows


def _adjudicated_page(request, article):
    """The page of an adjudicated article: who did it, and the feedback links."""
    user = request.user
    names = sorted(article.assignments.values_list("annotator__username", flat=True))
    if not permissions.can(user, "read_all_versions"):
        names = [name for name in names if name == user.get_username()]
    context = {
        "article": article,
        "feedback_url": reverse("annotations:article_feedback", args=[article.pk]),
        "annotators": names,
    }
    return render(request, "annotations/adjudicated.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def article_adjudicate(request, pk):
    article = views._get_article(request, pk)
    if article.adjudicated_at is not None and request.method == "GET":
        article = Article.objects.select_related("adjudicated_by").get(pk=article.pk)
        return _adjudicated_page(request, article)
    permissions.require(request.user, "adjudicate", article)
    proposal = adjudication.proposal_for(article)
    form = forms.AdjudicationForm(
        request.POST if request.method == "POST" else None,
        proposal=proposal,
        initial={"state": proposal.state},
    )
    error = None
    if form.is_bound:
        if form.is_valid():
            try:
                created = services.article_adjudicate(
                    article=article,
                    user=request.user,
                    decisions=form.decisions(),
                    state=form.cleaned_data["state"],
                )
            except services.Conflict as conflict:
                error = conflict.message
                form = forms.AdjudicationForm(
                    proposal=proposal, initial={"state": proposal.state}
                )
            except ValidationError as problem:
                error = views._messages_of(problem)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Adjudicated: %(n)d span approved.",
                        "Adjudicated: %(n)d spans approved.",
                        len(created),
                    )
                    % {"n": len(created)},
                )
                return redirect("annotations:article_detail", pk=article.pk)
        else:
            undecided = form.undecided()
            error = (
                ngettext(
                    "Decide on every item: %(n)d is left.",
                    "Decide on every item: %(n)d are left.",
                    len(undecided),
                )
                % {"n": len(undecided)}
                if undecided
                else form.error_text()
            )
    labels = {label.slug: label for label in Label.objects.all()}
    slots = colour_slots(proposal.annotators)
    data = form.data if form.is_bound else {}
    text = article.text
    context = {
        "article": article,
        "proposal": proposal,
        "annotators": [(name, slots[name]) for name in proposal.annotators],
        "merged": [
            {
                "label": labels[merged.mark.label],
                "text": text[merged.mark.start : merged.mark.end],
                "mark": merged.mark,
            }
            for merged in proposal.merged
        ],
        "items": _item_rows(article, proposal, labels, slots, data),
        # Translated once, not once an item.
        "words": {"source": _("source:"), "nothing": _("nothing here")},
        "labels": list(labels.values()),
        "entity_types": Span.EntityType.choices,
        "state": proposal.state,
        "error": error,
    }
    return render(request, "annotations/adjudicate.html", context, status=200)


# Feedback


@require_GET
@login_required
def article_feedback(request, pk):
    """An annotator's version against the adjudicated spans."""
    article = views._get_article(request, pk)
    user = request.user
    name = request.GET.get("annotator") or user.get_username()
    if article.adjudicated_at is None:
        raise Http404(_("This article is not adjudicated yet."))
    visible = Span.objects.visible_to(user).filter(article=article)
    fields = ("id", "start", "end", "label__slug", "entity_type", "source_id")
    version = [
        agreement.Mark(*values)
        for values in visible.filter(blind=True, created_by__username=name)
        .accepted()
        .order_by("start", "end", "id")
        .values_list(*fields)
    ]
    if not version:
        # Someone else's version, or nobody's: nothing the user may compare.
        raise Http404(_("No version of this annotator to compare."))
    result = [
        agreement.Mark(*values)
        for values in visible.filter(blind=False)
        .accepted()
        .exclude(status=Span.Status.REJECTED)
        .order_by("start", "end", "id")
        .values_list(*fields)
    ]
    matching = agreement.match(version, result)
    labels = {label.slug: label for label in Label.objects.all()}
    entity_types = dict(Span.EntityType.choices)
    text = article.text
    rows = []

    def words(mark):
        if mark is None:
            return None
        return {
            "label": labels[mark.label],
            "text": text[mark.start : mark.end],
            "type": entity_types.get(mark.entity_type, ""),
            "start": mark.start,
            "end": mark.end,
        }

    for mine, adjudicated in matching.exact:
        same = mine.entity_type == adjudicated.entity_type
        rows.append(("same" if same else "type", mine, adjudicated))
    for mine, adjudicated in matching.partial:
        rows.append(("boundaries", mine, adjudicated))
    rows += [("dropped", mine, None) for mine in matching.only_a]
    rows += [("missed", None, adjudicated) for adjudicated in matching.only_b]
    rows.sort(key=lambda row: ((row[1] or row[2]).start, (row[1] or row[2]).end))
    verdicts = {
        "same": _("kept as you marked it"),
        "type": _("kept, with another entity type"),
        "boundaries": _("kept with other boundaries"),
        "dropped": _("dropped"),
        "missed": _("missed: in the adjudicated spans, not in yours"),
    }
    figures = agreement.combine(
        [agreement.compare_article(text, version, result, list(labels))]
    )[agreement.ALL]
    context = {
        "article": article,
        "annotator": name,
        "rows": [
            {
                "kind": kind,
                "verdict": verdicts[kind],
                "mine": words(mine),
                "adjudicated": words(adjudicated),
            }
            for kind, mine, adjudicated in rows
        ],
        "summary": [
            (kind, verdict, sum(1 for row in rows if row[0] == kind))
            for kind, verdict in verdicts.items()
        ],
        "strict": _format(figures.strict.f1),
        "partial": _format(figures.partial.f1),
    }
    return render(request, "annotations/feedback.html", context)
