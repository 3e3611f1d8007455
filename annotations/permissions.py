"""Who may do what: the one place that answers it (DESIGN.md section 5).

HTML views, the API and the domain services all ask ``explain``/``can``/``require``
so the browser and scripts always get the same answer.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .choices import SUGGESTION_STATUSES, ApiTokenScope, Role, SpanStatus

ADMIN = "admin"
ANY_ROLE = frozenset({Role.EDITOR, Role.REVIEWER, Role.CONSUMER, ADMIN})


def roles(user) -> frozenset[str]:
    """Return the user's role names, "admin" for active staff; cached on the user."""
    # The cache first: request.user is a lazy object, and a page with 1,000
    # spans asks this several thousand times.
    cached = getattr(user, "_newsroom_roles", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = set(user.groups.values_list("name", flat=True)) & set(Role.values)
    if user.is_staff:
        cached.add(ADMIN)
    cached = user._newsroom_roles = frozenset(cached)
    return cached


def annotator_candidates():
    """Return the active users who may annotate (editors and admins)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name=Role.EDITOR) | Q(is_staff=True))
        .distinct()
        .order_by("username")
    )


def is_admin(user) -> bool:
    return ADMIN in roles(user)


def sees_approved_only(user) -> bool:
    """True for data consumers (and no one else): they read approved spans only."""
    return not can(user, "read_undecided")


def _has(user, *names) -> bool:
    return bool(roles(user) & set(names))


def _read_article(user, article=None):
    if not _has(user, *ANY_ROLE):
        return _(
            "You need a role (editor, reviewer or data consumer) to read articles."
        )
    if article is not None and article.is_deleted and not is_admin(user):
        return _("This article has been deleted.")
    return None


def _read_span(user, span=None):
    if span is not None and span.status == SpanStatus.DISMISSED:
        return _("This suggestion was dismissed.")
    if _has(user, Role.EDITOR, Role.REVIEWER, ADMIN):
        return None
    if _has(user, Role.CONSUMER):
        if span is None or span.status == SpanStatus.APPROVED:
            return None
        return _("Data consumers see approved spans only.")
    return _("You need a role to read spans.")


def _read_undecided(user, obj=None):
    if not _has(user, Role.EDITOR, Role.REVIEWER, ADMIN):
        return _("Data consumers see approved spans only.")
    return None


def _filter_work_status(user, obj=None):
    # The status of work counts every span, approved or not.
    if _read_undecided(user):
        return _(
            "Data consumers see approved spans only, so the status of work, which "
            "counts every span, is not theirs to filter on."
        )
    return None


def _view_stats(user, obj=None):
    # Editors too: their approval rate and the labels that get rejected most
    # help them annotate better. Consumers see approved spans only.
    if not _has(user, Role.EDITOR, Role.REVIEWER, ADMIN):
        return _("The dashboard is for editors, reviewers and admins.")
    return None


def _write_article(user, article=None):
    if not _has(user, Role.EDITOR, ADMIN):
        return _("Only editors and admins may upload or edit articles.")
    if article is not None and article.is_deleted and not is_admin(user):
        return _("This article has been deleted.")
    return None


def _delete_article(user, article):
    if is_admin(user):
        return None
    if not _has(user, Role.EDITOR):
        return _("Only editors and admins may delete articles.")
    if article.uploaded_by_id != user.pk:
        return _(
            "Only the editor who uploaded this article (or an admin) may delete it."
        )
    return None


def _restore_article(user, article=None):
    if not is_admin(user):
        return _("Only admins may restore a deleted article.")
    return None


def assigned_ids(article) -> set[int]:
    """Return the ids of the article's assigned annotators, read once per object."""
    cached = getattr(article, "_assigned_ids", None)
    if cached is None:
        cached = set(article.assignments.values_list("annotator_id", flat=True))
        article._assigned_ids = cached
    return cached


def _create_span(user, article=None):
    if not _has(user, Role.EDITOR, ADMIN):
        return _("Only editors and admins may annotate articles.")
    if article is not None and article.is_deleted and not is_admin(user):
        return _("This article has been deleted.")
    if (
        article is not None
        and article.in_blind_round
        and user.pk not in assigned_ids(article)
    ):
        return _(
            "This article is annotated blind by its assigned annotators; only they "
            "may add spans until it is adjudicated."
        )
    return None


def _not_a_suggestion(span):
    if span.status == SpanStatus.SUGGESTED:
        return _(
            "This span is a suggestion: accept it (with your corrections) or "
            "dismiss it."
        )
    if span.status == SpanStatus.DISMISSED:
        return _("This suggestion was dismissed.")
    return None


def _import_spans(user, article):
    refusal = _create_span(user, article) or _write_article(user, article)
    if refusal is None and article.in_blind_round:
        return _(
            "Article %(id)d is annotated blind: each annotator writes their own "
            "version, so spans cannot be imported into it until it is adjudicated."
        ) % {"id": article.pk}
    return refusal


def _change_span(user, span):
    """The author may edit their span whatever its status; an admin any span.

    An edit of an approved or rejected span sends it back to pending
    (``services.span_update``), so it is reviewed again before anyone exports
    it; the author need not wait for an admin to fix their own mistake.
    Deleting an approved span is stricter (``_delete_span``).
    """
    refusal = _not_a_suggestion(span)
    if refusal:
        return refusal
    if span.status == SpanStatus.SUPERSEDED:
        return _(
            "This version was superseded by the adjudicated spans; it is kept as "
            "it was."
        )
    if span.blind and span.created_by_id != user.pk:
        # Not even an admin: a change would make it someone else's version.
        return _("This is another annotator's own version; only they may change it.")
    if is_admin(user):
        return None
    if not _has(user, Role.EDITOR):
        return _("Only editors and admins may change spans.")
    if span.created_by_id != user.pk:
        return _("Only the span's author (or an admin) may change it.")
    return None


def _delete_span(user, span):
    # Deleting discards the review without a new one, so an approved span
    # stays unless an admin removes it.
    refusal = _change_span(user, span)
    if refusal or is_admin(user):
        return refusal
    if span.status == SpanStatus.APPROVED:
        return _("This span is approved; only an admin may delete it.")
    return None


def _undo_span_change(user, event):
    refusal = _create_span(user)
    if refusal:
        return refusal
    if event.actor_id != user.pk:
        return _("Only the person who made a change may undo it.")
    if event.object_type != "span" or event.action not in (
        "create",
        "update",
        "delete",
        "accept",
        "dismiss",
    ):
        return _(
            "Only the creation, edit or deletion of a span, or a decision on a "
            "suggestion, can be undone."
        )
    return None


def _review_span(user, span=None):
    if not _has(user, Role.REVIEWER, ADMIN):
        return _("Only reviewers and admins may approve or reject spans.")
    if span is not None and span.status in SUGGESTION_STATUSES:
        return _(
            "Suggestions are not reviewed: an editor accepts or dismisses them first."
        )
    if span is not None and span.blind:
        return _(
            "This span is one annotator's version in a blind article; it is "
            "decided by adjudication."
        )
    if span is None or settings.ALLOW_SELF_REVIEW:
        return None
    if span.created_by_id == user.pk:
        return _("You created this span; another reviewer must decide on it.")
    # Whoever changed the label or offsets is an annotator too (four-eyes).
    if user.pk in span.annotator_ids:
        return _(
            "You changed this span's label or offsets; another reviewer must "
            "decide on it."
        )
    return None


def _read_all_versions(user, obj=None):
    if not _has(user, Role.REVIEWER, ADMIN):
        return _(
            "In a blind article each annotator sees only their own spans; reviewers "
            "and admins see every version."
        )
    return None


def _assign(user, article=None):
    if not _has(user, Role.REVIEWER, ADMIN):
        return _("Only reviewers and admins may assign articles.")
    if article is not None:
        if article.is_deleted:
            return _("This article has been deleted.")
        if article.adjudicated_at is not None:
            return _("This article is already adjudicated; its assignment is final.")
    return None


def _adjudicate(user, article=None):
    if not _has(user, Role.REVIEWER, ADMIN):
        return _("Only reviewers and admins may adjudicate.")
    if article is None:
        return None
    if article.is_deleted:
        return _("This article has been deleted.")
    if not article.is_blind:
        return _(
            "This article is annotated shared: there are no versions to adjudicate."
        )
    if article.adjudicated_at is not None:
        return _("This article is already adjudicated.")
    if user.pk in assigned_ids(article) and not settings.ALLOW_SELF_REVIEW:
        return _(
            "You annotated a version of this article; a reviewer who annotated "
            "none of them must adjudicate it."
        )
    return None


def _view_agreement(user, obj=None):
    if not _has(user, *ANY_ROLE):
        return _("You need a role to see agreement figures.")
    return None


def _suggest(user, article=None):
    if not _has(user, Role.EDITOR, ADMIN):
        return _("Only editors and admins may ask for suggestions.")
    if article is not None and article.is_deleted and not is_admin(user):
        return _("This article has been deleted.")
    if (
        article is not None
        and article.in_blind_round
        and user.pk not in assigned_ids(article)
    ):
        return _(
            "This article is annotated blind: only its assigned annotators may ask "
            "for suggestions, each for their own version."
        )
    return None


def _decide_on_suggestion(user, span=None):
    # Accepting makes the span the editor's own work, so the rule is that of
    # annotating; whether it is still a suggestion is a matter of its version.
    if not _has(user, Role.EDITOR, ADMIN):
        return _("Only editors and admins may accept or dismiss suggestions.")
    if span is not None and span.article.is_deleted and not is_admin(user):
        return _("This article has been deleted.")
    if span is not None and span.blind and span.created_by_id != user.pk:
        # Not even an admin: accepting would make it someone else's version.
        return _(
            "This suggestion belongs to another annotator's own version; only they "
            "may accept or dismiss it."
        )
    return None


def _export(user, obj=None):
    if not _has(user, *ANY_ROLE):
        return _("You need a role to download datasets.")
    return None


def _hold_write_token(user, obj=None):
    if not _has(user, Role.EDITOR, Role.REVIEWER, ADMIN):
        return _("Data consumers can only hold read tokens.")
    return None


def _manage(user, obj=None):
    if not is_admin(user):
        return _("Only admins may manage users, roles and labels.")
    return None


def _own_profile(user, obj=None):
    # Anyone logged in, with or without a role, chooses their own language.
    return None


RULES = {
    "read_article": _read_article,
    "add_article": _write_article,
    "change_article": _write_article,
    "delete_article": _delete_article,
    "restore_article": _restore_article,
    "read_span": _read_span,
    "read_undecided": _read_undecided,
    "filter_work_status": _filter_work_status,
    "view_stats": _view_stats,
    "add_span": _create_span,
    "import_spans": _import_spans,
    "change_span": _change_span,
    "delete_span": _delete_span,
    "undo_span_change": _undo_span_change,
    "review_span": _review_span,
    "suggest": _suggest,
    "accept_suggestion": _decide_on_suggestion,
    "dismiss_suggestion": _decide_on_suggestion,
    "read_all_versions": _read_all_versions,
    "assign": _assign,
    "adjudicate": _adjudicate,
    "view_agreement": _view_agreement,
    "export": _export,
    "use_api_tokens": _export,
    "hold_write_token": _hold_write_token,
    "manage": _manage,
    "change_own_profile": _own_profile,
}


def explain(user, action: str, obj=None) -> str | None:
    """Return None if ``user`` may do ``action`` (to ``obj``), else the reason why not."""
    if not getattr(user, "is_authenticated", False):
        return _("Log in first.")
    rule = RULES[action]
    return rule(user, obj) if obj is not None else rule(user)


def can(user, action: str, obj=None) -> bool:
    return explain(user, action, obj) is None


def require(user, action: str, obj=None) -> None:
    """Raise PermissionDenied with the reason if ``user`` may not do ``action``."""
    refusal = explain(user, action, obj)
    if refusal is not None:
        raise PermissionDenied(refusal)


class HasAnyRole(BasePermission):
    """API access needs one of the product's roles; object rules are in the services."""

    def has_permission(self, request, view):
        refusal = explain(request.user, "read_article")
        if refusal:
            self.message = refusal
            return False
        return True


def writes_need(action: str) -> type[BasePermission]:
    """Return an API permission: reads pass, writes need ``action``.

    It refuses before the body is validated, so a caller without the right
    learns nothing from a 400.
    """

    class WritesNeed(BasePermission):
        def has_permission(self, request, view):
            if request.method in SAFE_METHODS:
                return True
            refusal = explain(request.user, action)
            if refusal:
                self.message = refusal
                return False
            return True

    WritesNeed.__name__ = f"WritesNeed_{action}"
    return WritesNeed


class TokenScope(BasePermission):
    """A read-scoped token may only read, plus any view that opts in to it."""

    message = gettext_lazy(
        "This token is read-only; create a write token to change data."
    )

    def has_permission(self, request, view):
        # Sessions carry no token; tokens carry their scope.
        scope = getattr(request.auth, "scope", ApiTokenScope.WRITE)
        if scope == ApiTokenScope.WRITE:
            return True
        if request.method in SAFE_METHODS:
            return True
        return getattr(view, "allow_read_scope_writes", False)
