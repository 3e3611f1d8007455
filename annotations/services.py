"""Workflows that touch several models: every write goes through here.

Each function checks the caller's permission, validates, writes, and records an
audit event in the same transaction, so the HTML views, the API and the
management commands cannot drift apart.
"""

import secrets
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ApiToken, Article, AuditEvent, Label, Profile, Span
from .permissions import can, is_admin, require

ARTICLE_EDITABLE = {
    "title",
    "text",
    "language",
    "source_url",
    "outlet",
    "byline",
    "published_on",
}
DUPLICATE = gettext_lazy(
    "This article already has a span with this label at these offsets."
)
SPAN_EDITABLE = {"label", "start", "end", "text", "entity_type", "source"}
_DECISION_FIELDS = ("status", "rejection_reason", "reviewed_by", "reviewed_at")


class Conflict(Exception):
    """A write based on a stale version of a span; ``span`` is the current state."""

    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.message = message
        self.span = span


def _validation_error(**errors):
    return ValidationError(errors)


# Articles


@transaction.atomic
def article_create(*, user, title: str, text: str | bytes, **fields) -> Article:
    require(user, "add_article")
    unknown = set(fields) - ARTICLE_EDITABLE
    if unknown:
        raise TypeError(f"Unknown article fields: {sorted(unknown)}")
    article = Article(title=title, uploaded_by=user, **fields)
    article.set_text(text)
    article.full_clean()
    article.save()
    AuditEvent.record(
        actor=user,
        action=AuditEvent.Action.CREATE,
        obj=article,
        after=article.snapshot(),
        article_id=article.pk,
    )
    return article


@transaction.atomic
def article_update(*, article: Article, user, **changes) -> Article:
    """Apply ``changes``; the text may change only while the article has no spans."""
    require(user, "change_article", article)
    unknown = set(changes) - ARTICLE_EDITABLE
    if unknown:
        raise TypeError(f"Unknown article fields: {sorted(unknown)}")
    # The lock orders this edit against a span being created at the same moment.
    article = Article.objects.select_for_update().get(pk=article.pk)
    before = article.snapshot()
    if "text" in changes:
        article.set_text(changes.pop("text"))
    for name, value in changes.items():
        setattr(article, name, value)
    article.full_clean()
    after = article.snapshot()
    if after != before:
        article.save()
        AuditEvent.record(
            actor=user,
            action=AuditEvent.Action.UPDATE,
            obj=article,
            before=before,
            after=after,
            article_id=article.pk,
        )
    return article


@transaction.atomic
def article_delete(*, article: Article, user) -> None:
    """Soft-delete the article; an admin's delete removes it and its spans for good."""
    require(user, "delete_article", article)
    before = article.snapshot()
    if is_admin(user):
        AuditEvent.record(
            actor=user,
            action=AuditEvent.Action.DELETE,
            obj=article,
            before=before,
            article_id=article.pk,
        )
        article.delete()
        return
    article.soft_delete()
    AuditEvent.record(
        actor=user,
        action=AuditEvent.Action.DELETE,
        obj=article,
        before=before,
        after=article.snapshot(),
        article_id=article.pk,
    )


# Spans


def _save_span(span: Span, expected_version: int, fields: list[str]) -> None:
    """Write ``fields`` only if nobody changed the span since ``expected_version``."""
    attnames = [span._meta.get_field(name).attname for name in fields]
    values = {attname: getattr(span, attname) for attname in attnames}
    values["version"] = span.version
    try:
        with transaction.atomic():
            updated = Span.objects.filter(pk=span.pk, version=expected_version).update(
                **values
            )
    except IntegrityError:
        raise _validation_error(__all__=DUPLICATE) from None
    if not updated:
        current = Span.objects.select_related("reviewed_by").get(pk=span.pk)
        raise Conflict(_stale_message(current, expected_version), current)


def _stale_message(current: Span, expected_version: int) -> str:
    if current.status != Span.Status.PENDING and current.reviewed_by:
        return _(
            "This span was already %(status)s by %(user)s at %(when)s "
            "(version %(current)d; you sent %(sent)d)."
        ) % {
            "status": current.get_status_display().lower(),
            "user": current.reviewed_by.get_username(),
            "when": date_format(
                timezone.localtime(current.reviewed_at), "DATETIME_FORMAT"
            ),
            "current": current.version,
            "sent": expected_version,
        }
    return _(
        "This span changed since you loaded it (version %(current)d; you sent "
        "%(sent)d). Reload it and try again."
    ) % {"current": current.version, "sent": expected_version}


def _validate_span(span: Span) -> None:
    """Run the span's field checks, its rules and the duplicate check.

    Not ``full_clean``: its relation lookups and one query per check constraint
    would re-check what ``clean`` and the database already hold.
    """
    errors = {}
    relations_and_text = [
        "article",
        "label",
        "source",
        "created_by",
        "reviewed_by",
        "text",
    ]
    for check in (lambda: span.clean_fields(exclude=relations_and_text), span.clean):
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if not errors:
        duplicate = Span.objects.filter(
            article_id=span.article_id,
            start=span.start,
            end=span.end,
            label_id=span.label_id,
        ).exclude(pk=span.pk)
        if duplicate.exists():
            errors["__all__"] = [DUPLICATE]
    if errors:
        raise ValidationError(errors)


def _lock_span(span: Span) -> Span:
    # No join on reviewed_by: after waiting for a lock, PostgreSQL re-reads the
    # locked row but not the joined ones, so the reviewer would come back stale.
    return (
        Span.objects.select_for_update(of=("self",))
        .select_related("article", "label")
        .get(pk=span.pk)
    )


@transaction.atomic
def span_create(
    *,
    user,
    article: Article,
    label: Label,
    start: int,
    end: int,
    text: str = "",
    entity_type: str | None = None,
    source: Span | None = None,
) -> Span:
    require(user, "add_span", article)
    article = Article.objects.select_for_update().get(pk=article.pk)
    require(user, "change_article", article)
    span = Span(
        article=article,
        label=label,
        start=start,
        end=end,
        text=text or "",
        entity_type=entity_type or None,
        source=source,
        created_by=user,
    )
    _validate_span(span)
    try:
        with transaction.atomic():
            span.save()
    except IntegrityError:
        raise _validation_error(__all__=DUPLICATE) from None
    # The page offers to undo this very event.
    span.audit_event = AuditEvent.record(
        actor=user,
        action=AuditEvent.Action.CREATE,
        obj=span,
        after=span.snapshot(),
        article_id=article.pk,
    )
    return span


@transaction.atomic
def span_update(*, span: Span, user, version: int | None = None, **changes) -> Span:
    """Edit a span; an edit of a decided span sends it back to pending.

    ``version``, when given, must be the span's current version (else Conflict).
    """
    unknown = set(changes) - SPAN_EDITABLE
    if unknown:
        raise TypeError(f"Unknown span fields: {sorted(unknown)}")
    span = _lock_span(span)
    require(user, "change_span", span)
    if version is not None and version != span.version:
        raise Conflict(_stale_message(span, version), span)
    before = span.snapshot()
    expected_version = span.version
    for name, value in changes.items():
        setattr(span, name, value)
    if "label" in changes and not span.label.is_entity:
        if "entity_type" not in changes:
            span.entity_type = None
        if span.attributed_spans.exists():
            raise _validation_error(
                label=_(
                    "This entity is the source of %(n)d other spans; it must stay an "
                    "entity. Change their source first."
                )
                % {"n": span.attributed_spans.count()}
            )
    if ("start" in changes or "end" in changes) and "text" not in changes:
        span.text = ""
    span.entity_type = span.entity_type or None
    _validate_span(span)
    span.audit_event = None
    if span.snapshot() == before:
        return span
    if span.status != Span.Status.PENDING:
        span.status = Span.Status.PENDING
        span.reviewed_by = None
        span.reviewed_at = None
        span.rejection_reason = ""
    span.version += 1
    span.updated_at = timezone.now()
    _save_span(
        span,
        expected_version,
        [
            "label",
            "start",
            "end",
            "text",
            "entity_type",
            "source",
            "status",
            "reviewed_by",
            "reviewed_at",
            "rejection_reason",
            "updated_at",
        ],
    )
    span.audit_event = AuditEvent.record(
        actor=user,
        action=AuditEvent.Action.UPDATE,
        obj=span,
        before=before,
        after=span.snapshot(),
        article_id=span.article_id,
    )
    return span


@transaction.atomic
def span_delete(*, span: Span, user) -> AuditEvent:
    """Delete the span; return the audit event, which ``span_undo`` can revert."""
    span = _lock_span(span)
    require(user, "delete_span", span)
    cited_by = span.attributed_spans.count()
    if cited_by:
        raise _validation_error(
            __all__=_(
                "This entity is the source of %(n)d other spans; change their source "
                "before deleting it."
            )
            % {"n": cited_by}
        )
    event = AuditEvent.record(
        actor=user,
        action=AuditEvent.Action.DELETE,
        obj=span,
        before=span.snapshot(),
        article_id=span.article_id,
    )
    span.delete()
    return event


def _decided_at(span_id: int):
    """Return when the span's last approval or rejection was recorded, or None."""
    decision = (
        AuditEvent.objects.filter(
            object_type="span",
            object_id=span_id,
            action__in=[AuditEvent.Action.APPROVE, AuditEvent.Action.REJECT],
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return decision.created_at if decision else None


def _put_back(span: Span, snapshot: dict) -> None:
    """Set the span's fields to those of an audit ``snapshot``.

    A source deleted since is left out rather than pointing at nothing.
    """
    span.label = Label.objects.get(slug=snapshot["label"])
    span.start = snapshot["start"]
    span.end = snapshot["end"]
    span.text = snapshot["text"]
    span.entity_type = snapshot.get("entity_type") or None
    source_id = snapshot.get("source")
    span.source = (
        Span.objects.filter(pk=source_id, article_id=span.article_id).first()
        if source_id
        else None
    )
    span.status = snapshot.get("status") or Span.Status.PENDING
    span.rejection_reason = snapshot.get("rejection_reason") or ""
    span.reviewed_by_id = snapshot.get("reviewed_by")
    span.reviewed_at = (
        _decided_at(span.pk) if span.status != Span.Status.PENDING else None
    )


def _gone():
    return _validation_error(
        __all__=_("This span no longer exists, so there is nothing to undo.")
    )


@transaction.atomic
def span_undo(*, user, event: AuditEvent) -> tuple[Span | None, AuditEvent]:
    """Undo ``event``, the creation, edit or deletion of a span by ``user``.

    A created span is deleted, an edited one put back as it was before the
    edit (its review decision included), a deleted one restored with its id,
    label, type, source, status and author. Nothing changed since the event may
    be lost: a span edited since is a Conflict. The undo is itself recorded.
    Return the span as it now is (None once deleted) and the new event.
    """
    require(user, "undo_span_change", event)
    if event.action == AuditEvent.Action.CREATE:
        span = Span.objects.filter(pk=event.object_id).first()
        if span is None:
            raise _gone()
        expected = event.after["version"]
        if span.version != expected:
            raise Conflict(_stale_message(span, expected), span)
        return None, span_delete(span=span, user=user)
    if event.action == AuditEvent.Action.UPDATE:
        current = Span.objects.filter(pk=event.object_id).first()
        if current is None:
            raise _gone()
        span = _lock_span(current)
        require(user, "change_span", span)
        expected = event.after["version"]
        if span.version != expected:
            raise Conflict(_stale_message(span, expected), span)
        before = span.snapshot()
        _put_back(span, event.before)
        _validate_span(span)
        span.version += 1
        span.updated_at = timezone.now()
        _save_span(span, expected, [*SPAN_EDITABLE, *_DECISION_FIELDS, "updated_at"])
        return span, AuditEvent.record(
            actor=user,
            action=AuditEvent.Action.UPDATE,
            obj=span,
            before=before,
            after=span.snapshot(),
            article_id=span.article_id,
        )
    return _span_restore(user=user, event=event)


def _span_restore(*, user, event: AuditEvent) -> tuple[Span, AuditEvent]:
    if Span.objects.filter(pk=event.object_id).exists():
        raise _validation_error(__all__=_("This span was already restored."))
    article = (
        Article.objects.select_for_update().filter(pk=event.article_id).first()
        if event.article_id
        else None
    )
    if article is None:
        raise _validation_error(__all__=_("The span's article no longer exists."))
    require(user, "add_span", article)
    require(user, "change_article", article)
    created = (
        AuditEvent.objects.filter(
            object_type="span",
            object_id=event.object_id,
            action=AuditEvent.Action.CREATE,
        )
        .order_by("created_at", "id")
        .first()
    )
    span = Span(
        pk=event.object_id,
        article=article,
        created_by_id=created.actor_id if created and created.actor_id else user.pk,
        created_at=created.created_at if created else timezone.now(),
        version=event.before["version"] + 1,
    )
    _put_back(span, event.before)
    require(user, "change_span", span)
    _validate_span(span)
    try:
        with transaction.atomic():
            span.save(force_insert=True)
    except IntegrityError:
        raise _validation_error(__all__=DUPLICATE) from None
    return span, AuditEvent.record(
        actor=user,
        action=AuditEvent.Action.CREATE,
        obj=span,
        after=span.snapshot(),
        article_id=article.pk,
    )


def _decide(*, span: Span, user, version, status: str, reason: str = "") -> Span:
    if version is None:
        raise _validation_error(
            version=_("Send the span's current version to decide on it.")
        )
    span = _lock_span(span)
    require(user, "review_span", span)
    if version != span.version or span.status == status:
        raise Conflict(_stale_message(span, version), span)
    before = span.snapshot()
    span.status = status
    span.rejection_reason = reason
    span.reviewed_by = user
    span.reviewed_at = timezone.now()
    span.updated_at = span.reviewed_at
    span.version += 1
    _save_span(
        span,
        version,
        ["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated_at"],
    )
    AuditEvent.record(
        actor=user,
        action=(
            AuditEvent.Action.APPROVE
            if status == Span.Status.APPROVED
            else AuditEvent.Action.REJECT
        ),
        obj=span,
        before=before,
        after=span.snapshot(),
        article_id=span.article_id,
    )
    return span


@transaction.atomic
def span_approve(*, span: Span, user, version: int | None) -> Span:
    """Approve the span if ``version`` is current; raise Conflict otherwise."""
    return _decide(span=span, user=user, version=version, status=Span.Status.APPROVED)


@transaction.atomic
def span_reject(*, span: Span, user, version: int | None, reason: str) -> Span:
    """Reject the span with a reason if ``version`` is current."""
    reason = (reason or "").strip()
    if not reason:
        raise _validation_error(reason=_("Give a reason for rejecting the span."))
    return _decide(
        span=span,
        user=user,
        version=version,
        status=Span.Status.REJECTED,
        reason=reason,
    )


# API tokens


@transaction.atomic
def api_token_create(
    *, user, name: str, scope: str = ApiToken.Scope.READ, expires_at=None
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its key, which is never stored."""
    require(user, "use_api_tokens")
    if scope == ApiToken.Scope.WRITE:
        require(user, "hold_write_token")
    name = (name or "").strip()
    if not name:
        raise _validation_error(
            name=_("Give the token a name, e.g. the script using it.")
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise _validation_error(expires_at=_("The expiry date must be in the future."))
    key = ApiToken.KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        expires_at=expires_at,
        key_start=key[:10],
        key_hash=ApiToken.hash_key(key),
    )
    token.full_clean()
    token.save()
    return token, key


class PendingApproval(NamedTuple):
    approved: list
    left_own: int
    left_untyped: int


@transaction.atomic
def article_approve_pending(*, article: Article, user) -> PendingApproval:
    """Approve every pending span of the article that ``user`` may decide.

    One transaction, one audit event per span. The user's own spans are left
    pending for another reviewer (four-eyes), and so are entities without a
    type (an untyped entity is unfinished work); both are counted.
    """
    require(user, "review_span")
    spans = list(
        Span.objects.select_for_update(of=("self",))
        .select_related("label", "article")
        .filter(article=article, status=Span.Status.PENDING)
        .order_by("start", "end", "id")
    )
    decidable = [span for span in spans if can(user, "review_span", span)]
    typed = [
        span
        for span in decidable
        if not (span.label.is_entity and not span.entity_type)
    ]
    now = timezone.now()
    events = []
    for span in typed:
        before = span.snapshot()
        span.status = Span.Status.APPROVED
        span.reviewed_by = user
        span.reviewed_at = span.updated_at = now
        span.version += 1
        events.append(
            AuditEvent(
                actor=user,
                actor_username=user.get_username(),
                action=AuditEvent.Action.APPROVE,
                object_type="span",
                object_id=span.pk,
                object_repr=str(span)[:200],
                article_id=article.pk,
                before=before,
                after=span.snapshot(),
                created_at=now,
            )
        )
    # The rows are locked, so a plain bulk update cannot lose a concurrent edit.
    Span.objects.bulk_update(
        typed, ["status", "reviewed_by", "reviewed_at", "updated_at", "version"]
    )
    AuditEvent.objects.bulk_create(events)
    return PendingApproval(
        typed, len(spans) - len(decidable), len(decidable) - len(typed)
    )


@transaction.atomic
def profile_update(*, user, language: str) -> Profile:
    """Save ``user``'s language ("" follows the browser); anyone logged in may."""
    require(user, "change_own_profile")
    if language and language not in dict(settings.LANGUAGES):
        raise _validation_error(
            language=_("Choose one of: %(codes)s.")
            % {"codes": ", ".join(code for code, _name in settings.LANGUAGES)}
        )
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return profile
