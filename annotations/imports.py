"""Import articles, with optional spans, in the jsonl export shape.

Each line is one article (DESIGN.md section 6): ``title`` and ``text`` are
required; ``language``, ``source_url``, ``outlet``, ``byline`` and
``published_on`` are optional; ``article_id`` (the exporting system's id) is
ignored and ``text_sha256``, when present, must match the text. Spans need
``start``, ``end`` and ``label``; ``text`` is checked against the article,
``entity_type`` and ``source_span`` are optional, and ``source_span`` names the
``id`` of another span of the same line (ids of the exporting system, mapped
within the line). ``annotator``, ``reviewer`` and ``reviewed_at`` describe the
exporting system and are ignored: the importing user is the annotator, and the
reviewer of spans imported as approved.

Every line is checked in full and stored in its own transaction: a bad line is
reported with its number and every problem found, and nothing of that article
is stored; the other lines are imported. An article whose text (sha256) and
source URL match a live article is not created again; its spans that already
exist (same start, end and label) are skipped, new ones are added, so
importing a file twice changes nothing the second time.

Export then import then export gives the same jsonl except for the article and
span ids (``article_id``, ``id``, ``source_span``), ``annotator``, ``reviewer``
and ``reviewed_at``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from . import services
from . import text as text_utils
from .models import Article, AuditEvent, Label, Span
from .permissions import is_admin, require

ARTICLE_KEYS = {
    "article_id",
    "title",
    "language",
    "source_url",
    "outlet",
    "byline",
    "published_on",
    "text",
    "text_sha256",
    "spans",
}
SPAN_KEYS = {
    "id",
    "start",
    "end",
    "label",
    "text",
    "source_span",
    "entity_type",
    "annotator",
    "reviewer",
    "reviewed_at",
}
STATUSES = (Span.Status.PENDING, Span.Status.APPROVED)
# Relations are set from rows fetched here; checking each would cost a query.
_NOT_CHECKED = [f.name for f in Span._meta.fields if f.is_relation] + ["text"]


@dataclass
class LineError:
    line: int
    messages: list[str]

    def __str__(self):
        return f"line {self.line}: " + " ".join(self.messages)


@dataclass
class ImportResult:
    articles_created: int = 0
    articles_existing: int = 0
    spans_created: int = 0
    spans_existing: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return _(
            "%(ac)d articles created, %(ae)d already present; %(sc)d spans created, "
            "%(se)d already present; %(errors)d lines refused."
        ) % {
            "ac": self.articles_created,
            "ae": self.articles_existing,
            "sc": self.spans_created,
            "se": self.spans_existing,
            "errors": len(self.errors),
        }


class _LineRefused(Exception):
    def __init__(self, messages):
        super().__init__(messages)
        self.messages = messages


def import_articles(
    *,
    lines: Iterable[str | bytes | Mapping],
    user,
    status: str = Span.Status.PENDING,
) -> ImportResult:
    """Import jsonl ``lines`` (or already parsed objects) as ``user``.

    Spans are created ``pending``, or ``approved`` (admins only) with the
    importing admin as reviewer. Line numbers count from 1, blank lines
    included. Raise PermissionDenied (nothing imported) if ``user`` may not
    import; problems with a line are in the result's ``errors``.
    """
    if status not in STATUSES:
        raise ValidationError(
            {
                "status": _("Import spans as pending or approved; got %(value)s.")
                % {"value": repr(status)}
            }
        )
    require(user, "add_article")
    if status == Span.Status.APPROVED and not is_admin(user):
        raise PermissionDenied(_("Only admins may import spans as approved."))
    labels = {label.slug: label for label in Label.objects.all()}
    result = ImportResult()
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes | str) and not raw.strip():
            continue
        if number == 1 and isinstance(raw, bytes | str):
            # Files saved by some editors start with a byte-order mark.
            raw = raw.removeprefix(
                b"\xef\xbb\xbf" if isinstance(raw, bytes) else "\ufeff"
            )
        try:
            data = _parse_line(raw)
            article, spans = _check_line(data, labels)
            with transaction.atomic():
                created, spans_created = _store(
                    article, spans, user=user, status=status
                )
            if created:
                result.articles_created += 1
            else:
                result.articles_existing += 1
            result.spans_created += spans_created
            result.spans_existing += len(spans) - spans_created
        except _LineRefused as exc:
            result.errors.append(LineError(number, exc.messages))
        except IntegrityError:
            # Someone else wrote the same span between the checks and the insert.
            message = _(
                "A concurrent change conflicts with this line; import it again."
            )
            result.errors.append(LineError(number, [message]))
    return result


def _parse_line(raw) -> dict:
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _LineRefused(
                [
                    _("Not valid UTF-8 (byte %(pos)d of the line).")
                    % {"pos": exc.start + 1}
                ]
            ) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _LineRefused(
            [
                _("Not valid JSON: %(msg)s at column %(col)d.")
                % {"msg": exc.msg, "col": exc.colno}
            ]
        ) from None
    if not isinstance(data, dict):
        raise _LineRefused([_("Each line must be a JSON object (one article).")])
    return data


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_line(data: dict, labels: dict) -> tuple[dict, list[dict]]:
    """Return (article fields, span specs) or raise _LineRefused with all problems."""
    problems = []
    unknown = sorted(set(data) - ARTICLE_KEYS)
    if unknown:
        problems.append(
            _("Unknown keys %(keys)s; an article has %(known)s.")
            % {
                "keys": ", ".join(unknown),
                "known": ", ".join(sorted(ARTICLE_KEYS)),
            }
        )
    fields = {}
    for key in ("title", "language", "source_url", "outlet", "byline"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(_("%(key)s must be a string.") % {"key": key})
        elif value is not None:
            fields[key] = value
    if not (fields.get("title") or "").strip():
        problems.append(_("title is missing or empty."))
    if data.get("published_on") is not None:
        try:
            fields["published_on"] = parse_date(str(data["published_on"]))
        except ValueError:
            fields["published_on"] = None
        if fields["published_on"] is None:
            problems.append(_("published_on must be a date such as 2026-01-31."))
    text = data.get("text")
    spans = data.get("spans") or []
    if not isinstance(text, str):
        raise _LineRefused([*problems, _("text is missing or not a string.")])
    try:
        canonical = text_utils.canonicalize(text)
    except ValidationError as exc:
        raise _LineRefused([*problems, *exc.messages]) from None
    if spans and canonical != text:
        problems.append(
            _(
                "The text is not in canonical form (UTF-8, NFC, \\n line ends, no "
                "surrounding whitespace), so the span offsets cannot be trusted. "
                "Normalise the text and recompute the offsets."
            )
        )
    sha256 = text_utils.sha256_hex(canonical)
    if data.get("text_sha256") not in (None, sha256) and canonical == text:
        problems.append(
            _(
                "text_sha256 %(given)s does not match the text, whose sha256 is %(real)s."
            )
            % {"given": data["text_sha256"], "real": sha256}
        )
    fields["text"] = canonical
    fields["text_sha256"] = sha256
    if not isinstance(spans, list):
        problems.append(_("spans must be a list."))
        spans = []
    specs = []
    ids = {}
    for index, span in enumerate(spans, start=1):
        spec, span_problems = _check_span(index, span, labels, len(canonical))
        problems.extend(span_problems)
        if spec is None:
            continue
        if spec["id"] is not None:
            if spec["id"] in ids:
                problems.append(
                    _("span %(n)d: id %(id)s is also used by span %(other)d.")
                    % {"n": index, "id": spec["id"], "other": ids[spec["id"]]}
                )
            ids[spec["id"]] = index
        specs.append(spec)
    for spec in specs:
        source = spec["source_span"]
        if source is not None and source not in ids:
            problems.append(
                _(
                    "span %(n)d: source_span %(id)s is not the id of a span on this "
                    "line."
                )
                % {"n": spec["index"], "id": source}
            )
    seen = {}
    for spec in specs:
        key = (spec["start"], spec["end"], spec["label"].slug)
        if key in seen:
            problems.append(
                _("span %(n)d repeats span %(other)d (same start, end and label).")
                % {"n": spec["index"], "other": seen[key]}
            )
        seen.setdefault(key, spec["index"])
    if problems:
        raise _LineRefused(problems)
    return fields, specs


def _check_span(index, span, labels, length) -> tuple[dict | None, list[str]]:
    where = _("span %(n)d") % {"n": index}
    if not isinstance(span, dict):
        return None, [_("%(where)s is not an object.") % {"where": where}]
    problems = []
    unknown = sorted(set(span) - SPAN_KEYS)
    if unknown:
        problems.append(
            _("%(where)s: unknown keys %(keys)s.")
            % {"where": where, "keys": ", ".join(unknown)}
        )
    for key in ("start", "end"):
        if not _is_int(span.get(key)):
            problems.append(
                _("%(where)s: %(key)s must be a whole number (a code point offset).")
                % {"where": where, "key": key}
            )
    slug = span.get("label")
    if slug not in labels:
        problems.append(
            _("%(where)s: unknown label %(label)s; the labels are %(known)s.")
            % {
                "where": where,
                "label": repr(slug),
                "known": ", ".join(sorted(labels)),
            }
        )
    for key in ("id", "source_span"):
        if span.get(key) is not None and not _is_int(span[key]):
            problems.append(
                _("%(where)s: %(key)s must be a whole number.")
                % {"where": where, "key": key}
            )
    for key in ("text", "entity_type"):
        if span.get(key) is not None and not isinstance(span[key], str):
            problems.append(
                _("%(where)s: %(key)s must be a string.") % {"where": where, "key": key}
            )
    if problems:
        return None, problems
    return {
        "index": index,
        "id": span.get("id"),
        "start": span["start"],
        "end": span["end"],
        "label": labels[slug],
        "text": span.get("text") or "",
        "entity_type": span.get("entity_type") or None,
        "source_span": span.get("source_span"),
    }, []


def _store(fields: dict, specs: list[dict], *, user, status) -> tuple[bool, int]:
    """Create the article (or find it) and its new spans; refuse on any error.

    Return whether the article was created and how many spans were.
    """
    found = (
        Article.objects.alive()
        .filter(
            text_sha256=fields["text_sha256"],
            source_url=fields.get("source_url", ""),
        )
        .order_by("pk")
        .first()
    )
    if found is None:
        values = {k: v for k, v in fields.items() if k not in ("text_sha256",)}
        try:
            article = services.article_create(user=user, **values)
        except ValidationError as exc:
            raise _LineRefused(_messages(exc)) from None
        existing = {}
    else:
        article = Article.objects.select_for_update().get(pk=found.pk)
        try:
            require(user, "add_span", article)
            require(user, "change_article", article)
        except PermissionDenied as exc:
            raise _LineRefused([str(exc)]) from None
        existing = {
            (span.start, span.end, span.label.slug): span
            for span in article.spans.select_related("label")
        }
    created = _create_spans(article, specs, existing, user=user, status=status)
    return found is None, created


def _messages(exc: ValidationError, where: str = "") -> list[str]:
    prefix = f"{where}: " if where else ""
    if hasattr(exc, "error_dict"):
        # Model messages mostly name their field already ("end (9) is past…").
        return [
            prefix + message
            if key == "__all__" or message.startswith(key)
            else f"{prefix}{key}: {message}"
            for key, messages in exc.message_dict.items()
            for message in messages
        ]
    return [prefix + message for message in exc.messages]


def _create_spans(article, specs, existing, *, user, status) -> int:
    """Check every span; create those not in ``existing``; return how many.

    Spans without a source go first so that the others can point at them.
    """
    by_id = {}
    problems = []
    created = 0
    now = timezone.now()
    for with_source in (False, True):
        batch = []
        for spec in specs:
            if (spec["source_span"] is not None) != with_source:
                continue
            span = Span(
                article=article,
                label=spec["label"],
                start=spec["start"],
                end=spec["end"],
                text=spec["text"],
                entity_type=spec["entity_type"],
                source=by_id.get(spec["source_span"]),
                created_by=user,
                created_at=now,
                updated_at=now,
            )
            if status == Span.Status.APPROVED:
                span.status = Span.Status.APPROVED
                span.reviewed_by = user
                span.reviewed_at = now
            where = _("span %(n)d (%(label)s %(start)d–%(end)d)") % {
                "n": spec["index"],
                "label": spec["label"].slug,
                "start": spec["start"],
                "end": spec["end"],
            }
            try:
                span.clean_fields(exclude=_NOT_CHECKED)
                span.clean()
            except ValidationError as exc:
                problems.extend(_messages(exc, where))
                continue
            # Checked like a new one (offsets, text), but never written twice.
            key = (spec["start"], spec["end"], spec["label"].slug)
            if key in existing:
                if spec["id"] is not None:
                    by_id[spec["id"]] = existing[key]
                continue
            if spec["source_span"] is not None and span.source is None:
                problems.append(
                    _("%(where)s: its source span could not be created.")
                    % {"where": where}
                )
                continue
            batch.append((spec, span))
        if problems:
            raise _LineRefused(problems)
        Span.objects.bulk_create([span for _spec, span in batch])
        AuditEvent.objects.bulk_create(
            [_create_event(user, span, article.pk) for _spec, span in batch]
        )
        for spec, span in batch:
            if spec["id"] is not None:
                by_id[spec["id"]] = span
        created += len(batch)
    return created


def _create_event(user, span: Span, article_id: int) -> AuditEvent:
    """Return the event ``AuditEvent.record`` would write, for a bulk insert."""
    return AuditEvent(
        actor=user,
        actor_username=user.get_username(),
        action=AuditEvent.Action.CREATE,
        object_type=span._meta.model_name,
        object_id=span.pk,
        object_repr=str(span)[:200],
        article_id=article_id,
        after=span.snapshot(),
    )
