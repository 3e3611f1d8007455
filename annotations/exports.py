"""Exports: spans as training data, streamed in four formats (DESIGN.md section 6).

Pipeline: ``ExportQuery`` (validated filters) -> ``records()`` (articles with their
spans, fetched in keyset-paginated chunks: two queries per ``CHUNK_SIZE``
articles, never one per article) -> one writer per format (generators of
``str``) -> ``encode()`` (UTF-8 bytes in blocks of about 64 kB). ``stream()``
wires it together for a ``StreamingHttpResponse`` or a management command;
``manifest()`` describes an export. Memory stays constant in the number of
articles: at most one chunk of rows is held at a time.

Offsets are Unicode code points into the canonical (NFC, ``\\n``) article text,
``end`` exclusive; every format carries them unchanged.

Filters (``ExportQuery.from_params``; unknown keys are refused)
---------------------------------------------------------------
``status`` approved (default), pending, rejected, all (approved, pending and
rejected) or suggested (the suggesters' proposals nobody accepted yet; data
consumers: approved only, anything else is refused); dismissed suggestions are
never exported; ``label`` and ``article``, repeatable or comma-separated;
``language``; ``include_empty`` to keep articles without a matching span
(jsonl and conll; csv and w3c have no row for them). ``since`` (an ISO 8601
date or date-time) selects the articles changed after it: the article edited,
or one of its spans created, edited, approved, rejected or deleted (the audit
trail records deletions). Such an article is exported with all its spans that
match the other filters, so a consumer replaces what it had for that article.
Deleted articles are never exported. In an export of approved spans (and in
whatever a data consumer exports), ``source_span`` names an approved source
only, else it is null: approved training data never points at a span that is
still pending or was rejected.

Formats
-------
jsonl
    One article a line, exactly the DESIGN.md shape, each span with its
    ``status`` and ``origin`` too (``manual``, ``rule:<name>`` or
    ``model:<name>@<version>``); spans sorted by (start, end, label).
csv
    One span a row, RFC 4180: a header row, CRLF line ends, fields quoted when
    they hold ``"``, ``,`` or a line break; UTF-8 without a byte-order mark.
    Empty values (no entity type, no reviewer) are empty fields. Every value is
    written exactly as stored, whatever it starts with: training data.
    ``excel=1`` is the variant for spreadsheets (OWASP's advice on CSV
    injection): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'``, every cell is quoted and a UTF-8
    byte-order mark comes first; the manifest says so and counts the cells.
conll
    CoNLL-2003 layout with BIO tags, entity types as tags (``B-PER``,
    untyped entities ``B-ENTITY``, other labels ``B-QUOTE``…): see
    ``annotations/conll.py``, which also holds the tokenizer.
w3c
    W3C Web Annotation JSON-LD: an ``AnnotationCollection`` whose ``first``
    ``AnnotationPage`` holds every annotation, or (``lines=1``) one annotation a
    line. Each span is an ``Annotation`` with a ``tagging`` body (the label), a
    ``classifying`` body (the entity type, if any), a ``linking`` body (the
    source span, if any), an ``assessing`` body (the review state, created by
    the reviewer at the review time), and a target with a
    ``TextPositionSelector`` (code points) and a ``TextQuoteSelector`` (exact
    text and up to 32 code points of prefix and suffix).

The same field has the same name in jsonl keys and csv columns: ``start``,
``end``, ``label`` (the slug), ``text``, ``entity_type``, ``source_span``,
``status``, ``annotator``, ``reviewer``, ``reviewed_at``, ``origin`` (csv says
``span_id`` for the span's own id, beside ``article_id``). W3C carries the same
values in its own vocabulary: selector ``start``/``end``, the ``tagging``,
``classifying``, ``linking`` and ``assessing`` bodies, the annotation's
``creator`` (the annotator) and the assessing body's ``creator`` and
``created`` (reviewer and review time), all with the same value formats, and
for a span a rule or a model proposed its ``generator`` (the origin).

"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import CharField, Exists, F, Func, OuterRef, Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import conll
from .models import (
    MANUAL_ORIGIN,
    Article,
    AuditEvent,
    Label,
    Span,
    language_validator,
    normalize_language,
)
from .permissions import require, sees_approved_only

# Raise it when the manifest or the writers change in a way a reader would notice.
FORMAT_VERSION = 1
CHUNK_SIZE = 500
BLOCK_SIZE = 64 * 1024
QUOTE_CONTEXT = 32

STATUSES = ("approved", "pending", "rejected", "all", "suggested")
FILTER_KEYS = ("status", "label", "article", "language", "since", "include_empty")
PARAM_KEYS = (*FILTER_KEYS, "format", "lines", "excel", "manifest")

# The DESIGN.md jsonl shape, in order; records carry one more span key
# (created_at) that only w3c prints.
ARTICLE_KEYS = ("article_id", "title", "language", "source_url", "text", "text_sha256")
SPAN_KEYS = (
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
    "status",
    "origin",
)
CSV_COLUMNS = (
    "article_id",
    "span_id",
    "label",
    "start",
    "end",
    "text",
    "entity_type",
    "source_span",
    "status",
    "annotator",
    "reviewer",
    "reviewed_at",
    "origin",
)
W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    content_type: str
    needs_text: bool


FORMATS = {
    "jsonl": Format("jsonl", ".jsonl", "application/x-ndjson; charset=utf-8", True),
    "csv": Format("csv", ".csv", "text/csv; charset=utf-8; header=present", False),
    "conll": Format("conll", ".conll", "text/plain; charset=utf-8", True),
    "w3c": Format(
        "w3c",
        ".w3c.jsonld",
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
        True,
    ),
}
W3C_LINES = Format("w3c", ".w3c.jsonl", "application/x-ndjson; charset=utf-8", True)


def format_for(name: str, *, lines: bool = False) -> Format:
    return W3C_LINES if name == "w3c" and lines else FORMATS[name]


class _System:
    """The operator's unrestricted view, for management commands only."""

    def __repr__(self):
        return "SYSTEM"


SYSTEM = _System()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


# Query parameters


def param_values(params: Mapping, key: str) -> list:
    """Return every value of ``key``: repeated keys, lists and commas all count."""
    if hasattr(params, "getlist"):
        raw = params.getlist(key)
    else:
        value = params.get(key)
        if value is None:
            raw = []
        elif isinstance(value, list | tuple):
            raw = list(value)
        else:
            raw = [value]
    values = []
    for item in raw:
        if isinstance(item, str):
            values.extend(piece.strip() for piece in item.split(",") if piece.strip())
        elif item is not None:
            values.append(item)
    return values


def param_value(params: Mapping, key: str, errors: dict):
    """Return the one value of ``key`` (or None); record an error if repeated."""
    values = param_values(params, key)
    if len(values) > 1:
        errors[key] = _("Give %(key)s once; got %(values)s.") % {
            "key": key,
            "values": ", ".join(map(str, values)),
        }
        return None
    return values[0] if values else None


def parse_bool(value, key: str, errors: dict) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors[key] = _("%(key)s must be 1 or 0 (or true/false); got %(value)s.") % {
        "key": key,
        "value": repr(value),
    }
    return False


def _parse_since(value, errors: dict) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = parse_datetime(text.replace(" ", "T"))
            if moment is None:
                day = parse_date(text)
                moment = datetime.combine(day, time.min) if day else None
        except ValueError:
            moment = None
        if moment is None:
            errors["since"] = _(
                "since must be an ISO 8601 date or date-time such as 2026-01-31 or "
                "2026-01-31T12:00:00Z; got %(value)s."
            ) % {"value": repr(value)}
            return None
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # In UTC here: PostgreSQL refuses offsets past ±15:59 that Python reads.
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        errors["since"] = _("since is out of range; got %(value)s.") % {
            "value": repr(value)
        }
        return None


@dataclass(frozen=True)
class ExportQuery:
    """What to export and in which format; build it with ``from_params``."""

    format: str = "jsonl"
    status: str = "approved"
    labels: tuple[str, ...] = ()
    articles: tuple[int, ...] = ()
    language: str | None = None
    since: datetime | None = None
    include_empty: bool = False
    lines: bool = False
    excel: bool = False
    manifest: bool = False

    @classmethod
    def from_params(
        cls, params: Mapping | None, *, keys: Iterable[str] = PARAM_KEYS
    ) -> ExportQuery:
        """Validate query parameters (a QueryDict or a plain dict).

        ``label`` and ``article`` may repeat or hold comma-separated values.
        Raise ValidationError keyed by parameter name, naming the bad value;
        unknown keys are refused so that a typo never widens an export.
        """
        params = params if params is not None else {}
        keys = tuple(keys)
        errors = {}
        unknown = sorted(set(params.keys()) - set(keys))
        for key in unknown:
            errors[key] = _(
                "Unknown parameter %(key)s; the parameters are %(keys)s."
            ) % {
                "key": repr(key),
                "keys": ", ".join(keys),
            }

        fmt = param_value(params, "format", errors) or "jsonl"
        if fmt not in FORMATS:
            errors["format"] = _(
                "Unknown format %(value)s; choose one of %(choices)s."
            ) % {"value": repr(fmt), "choices": ", ".join(FORMATS)}

        status = param_value(params, "status", errors) or "approved"
        if status not in STATUSES:
            errors["status"] = _(
                "Unknown status %(value)s; choose one of %(choices)s."
            ) % {"value": repr(status), "choices": ", ".join(STATUSES)}

        labels = sorted({str(slug) for slug in param_values(params, "label")})
        if labels:
            known = set(Label.objects.values_list("slug", flat=True))
            bad = [slug for slug in labels if slug not in known]
            if bad:
                errors["label"] = _(
                    "Unknown label %(bad)s; the labels are %(known)s."
                ) % {
                    "bad": ", ".join(map(repr, bad)),
                    "known": ", ".join(sorted(known)),
                }

        articles = set()
        for value in param_values(params, "article"):
            try:
                number = int(value)
                # Ids are 64-bit: a larger number would overflow the query.
                if not 1 <= number < 2**63 or isinstance(value, bool | float):
                    raise ValueError
            except (TypeError, ValueError):
                errors["article"] = _(
                    "article must be an article id (a positive whole number); "
                    "got %(value)s."
                ) % {"value": repr(value)}
                break
            articles.add(number)

        language = param_value(params, "language", errors) or None
        if language is not None:
            try:
                language_validator(str(language))
                language = normalize_language(str(language))
            except ValidationError as exc:
                errors["language"] = (
                    exc.messages[0]
                    + " "
                    + _("Got %(value)s.") % {"value": repr(language)}
                )

        since = _parse_since(param_value(params, "since", errors), errors)
        flags = {
            key: parse_bool(param_value(params, key, errors), key, errors)
            for key in ("include_empty", "lines", "excel", "manifest")
        }
        if flags.get("excel") and fmt != "csv":
            errors["excel"] = _(
                "excel=1 is the spreadsheet-safe variant of format=csv; got "
                "format=%(format)s."
            ) % {"format": fmt}
        if errors:
            raise ValidationError(errors)
        return cls(
            format=fmt,
            status=status,
            labels=tuple(labels),
            articles=tuple(sorted(articles)),
            language=language,
            since=since,
            **flags,
        )

    def filters(self) -> dict:
        """Return the filters as JSON-ready parameters ``from_params`` accepts."""
        return {
            "status": self.status,
            "label": list(self.labels),
            "article": list(self.articles),
            "language": self.language,
            "since": iso(self.since),
            "include_empty": self.include_empty,
        }


def check_status_allowed(user, status: str) -> None:
    """Raise PermissionDenied unless ``user`` may export spans of ``status``.

    Exporting needs a role; data consumers get approved spans only.
    """
    if user is SYSTEM:
        return
    require(user, "export")
    if status != "approved" and sees_approved_only(user):
        raise PermissionDenied(
            _(
                "Data consumers can export approved spans only; ask for "
                "status=approved (the default)."
            )
        )


# Rows from the database


def iso(moment: datetime | None) -> str | None:
    """Return ``moment`` as the exports write it: UTC, microseconds, ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class IsoTimestamp(Func):
    """``iso()`` computed by the database.

    Building and formatting two datetimes a span in Python costs more than
    everything else an export does per span.
    """

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "to_char(%(expressions)s AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; the fraction is
        # left out when it is zero.
        template = (
            "substr(%(expressions)s, 1, 10) || 'T' || substr(%(expressions)s, 12, 8)"
            " || '.' || CASE WHEN length(%(expressions)s) >= 26"
            " THEN substr(%(expressions)s, 21, 6) ELSE '000000' END || 'Z'"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def _timestamp(name: str):
    """Return an expression for ``name`` as an ISO string, and whether it is one."""
    if connection.vendor in ("postgresql", "sqlite"):
        return IsoTimestamp(name), True
    return F(name), False


def _querysets(query: ExportQuery, user):
    """Return (articles, spans) querysets; spans are only read by article id.

    Spans come only from the visible articles, so ``SpanQuerySet.visible_to``'s
    join to skip deleted articles is left out (it would scan every article for
    each chunk); its consumer rule is applied here instead.
    """
    # An article's own spans only: annotators' versions of a blind article
    # (superseded or not) never leave the team.
    spans = Span.objects.filter(blind=False).current()
    if user is SYSTEM:
        articles = Article.objects.alive()
    else:
        articles = Article.objects.visible_to(user)
        if sees_approved_only(user):
            spans = spans.approved()
    if query.status == "all":
        # Suggestions are no one's work yet: only asked for by name.
        spans = spans.accepted()
    else:
        spans = spans.filter(status=query.status)
    # Approved spans name approved sources only: a consumer never learns the
    # id of an entity still pending, nor does a snapshot consumers download.
    spans = spans.with_visible_source(
        approved_only=query.status == "approved"
        or (user is not SYSTEM and sees_approved_only(user))
    )
    if query.labels:
        spans = spans.filter(label__slug__in=query.labels)
    if query.articles:
        articles = articles.filter(pk__in=query.articles)
    if query.language:
        articles = articles.filter(language=query.language)
    if query.since:
        since = query.since
        changed_spans = Span.objects.filter(article_id=OuterRef("pk")).filter(
            Q(updated_at__gt=since) | Q(reviewed_at__gt=since)
        )
        # Audit events also catch span deletions, which leave no row behind.
        changed_events = AuditEvent.objects.filter(
            article_id=OuterRef("pk"), created_at__gt=since
        )
        articles = articles.filter(
            Q(updated_at__gt=since) | Exists(changed_spans) | Exists(changed_events)
        )
    if not query.include_empty:
        articles = articles.filter(Exists(spans.filter(article_id=OuterRef("pk"))))
    return articles, spans


def records(
    query: ExportQuery, user, *, with_text: bool = True, chunk_size: int | None = None
) -> Iterator[dict]:
    """Yield one record per exported article, in article id order.

    A record is the jsonl article (``text`` and ``title``… only ``with_text``)
    whose spans also carry ``status`` and ``created_at``. Articles are read in
    keyset-paginated chunks and each chunk's spans in one query, with label
    slugs and usernames joined in SQL.
    """
    check_status_allowed(user, query.status)
    chunk_size = chunk_size or CHUNK_SIZE
    articles, spans = _querysets(query, user)
    fields = ("id", "title", "language", "source_url", "text", "text_sha256")
    if not with_text:
        fields = ("id",)
    username = "__" + get_user_model().USERNAME_FIELD
    span_fields = (
        "id",
        "article_id",
        "start",
        "end",
        "label__slug",
        "text",
        "visible_source_id",
        "entity_type",
        "created_by" + username,
        "reviewed_by" + username,
        "reviewed_iso",
        "status",
        "created_iso",
        "origin",
    )
    reviewed_at, formatted = _timestamp("reviewed_at")
    created_at, _formatted = _timestamp("created_at")
    spans = spans.annotate(reviewed_iso=reviewed_at, created_iso=created_at)
    to_iso = (lambda value: value) if formatted else iso
    last_id = 0
    while True:
        chunk = list(
            articles.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list(*fields)[:chunk_size]
        )
        if not chunk:
            return
        last_id = chunk[-1][0]
        by_article = defaultdict(list)
        # The range as well as the list: the planner then starts from the
        # chunk's articles, never from the annotators' index (which reads all
        # of a user's spans for every chunk: the export that grew with the
        # table).
        rows = (
            spans.filter(
                article_id__gte=chunk[0][0],
                article_id__lte=last_id,
                article_id__in=[row[0] for row in chunk],
            )
            .order_by("article_id", "start", "end", "label__slug")
            .values_list(*span_fields)
        )
        for row in rows:
            by_article[row[1]].append(
                {
                    "id": row[0],
                    "start": row[2],
                    "end": row[3],
                    "label": row[4],
                    "text": row[5],
                    "source_span": row[6],
                    "entity_type": row[7],
                    "annotator": row[8],
                    "reviewer": row[9],
                    "reviewed_at": to_iso(row[10]),
                    "status": row[11],
                    "created_at": to_iso(row[12]),
                    "origin": row[13],
                }
            )
        for row in chunk:
            record = dict(zip(ARTICLE_KEYS, row, strict=False))
            record["spans"] = by_article.pop(row[0], [])
            yield record
        if len(chunk) < chunk_size:
            return


# Writers: each takes records and an ExportStats and yields str.


@dataclass
class ExportStats:
    """What a stream wrote; complete once the stream is exhausted."""

    articles: int = 0
    spans: int = 0
    labels: Counter = field(default_factory=Counter)
    widened: int = 0
    dropped_overlapping: int = 0
    # Spreadsheet-safe csv: cells given a leading ' so that no formula runs.
    neutralised: int = 0
    complete: bool = False

    def count(self, spans: list[dict]) -> None:
        self.articles += 1
        self.spans += len(spans)
        self.labels.update(span["label"] for span in spans)

    def counts(self) -> dict:
        return {
            "articles": self.articles,
            "spans": self.spans,
            "labels": dict(sorted(self.labels.items())),
        }


def jsonl_line(record: dict) -> str:
    """Return the DESIGN.md jsonl line (with its newline) for one record."""
    line = {key: record[key] for key in ARTICLE_KEYS}
    # Snapshots frozen before spans had an origin lack it and keep their bytes.
    line["spans"] = [
        {key: span[key] for key in SPAN_KEYS if key in span} for span in record["spans"]
    ]
    return json.dumps(line, ensure_ascii=False) + "\n"


def write_jsonl(records: Iterable[dict], stats: ExportStats) -> Iterator[str]:
    for record in records:
        stats.count(record["spans"])
        yield jsonl_line(record)


# A spreadsheet runs a cell starting with one of these as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value, stats: ExportStats):
    """Return ``value`` with a leading ``'`` if a spreadsheet would run it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        stats.neutralised += 1
        return "'" + value
    return value


def write_csv(
    records: Iterable[dict], stats: ExportStats, *, excel: bool = False
) -> Iterator[str]:
    buffer = io.StringIO()
    if excel:
        # Quoted cells, and a byte-order mark so that Excel reads UTF-8.
        buffer.write("\ufeff")
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    else:
        writer = csv.writer(buffer)  # RFC 4180: QUOTE_MINIMAL, "\r\n" line ends
    writer.writerow(CSV_COLUMNS)
    for record in records:
        spans = record["spans"]
        if not spans:
            continue
        stats.count(spans)
        article_id = record["article_id"]
        rows = (
            (
                article_id,
                span["id"],
                span["label"],
                span["start"],
                span["end"],
                span["text"],
                span["entity_type"],
                span["source_span"],
                span["status"],
                span["annotator"],
                span["reviewer"],
                span["reviewed_at"],
                # Snapshots frozen before spans had an origin: an empty cell.
                span.get("origin", ""),
            )
            for span in spans
        )
        if excel:
            rows = ([neutralise(value, stats) for value in row] for row in rows)
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# W3C Web Annotation


def iri_builder(base: str | None):
    """Return a function naming spans/articles as IRIs under ``base``.

    Without a base (files written offline) the IRIs are ``urn:newsroom:…``.
    """
    if not base:
        return lambda kind, pk: f"urn:newsroom:{kind}:{pk}"
    base = base if base.endswith("/") else base + "/"
    return lambda kind, pk: f"{base}{kind}s/{pk}/"


def w3c_annotation(record: dict, span: dict, iri, *, context: bool) -> dict:
    text = record["text"]
    start, end = span["start"], span["end"]
    quote = {"type": "TextQuoteSelector", "exact": span["text"]}
    prefix = text[max(0, start - QUOTE_CONTEXT) : start]
    suffix = text[end : end + QUOTE_CONTEXT]
    if prefix:
        quote["prefix"] = prefix
    if suffix:
        quote["suffix"] = suffix
    body = [{"type": "TextualBody", "purpose": "tagging", "value": span["label"]}]
    if span["entity_type"]:
        body.append(
            {
                "type": "TextualBody",
                "purpose": "classifying",
                "value": span["entity_type"],
            }
        )
    if span["source_span"] is not None:
        body.append({"id": iri("span", span["source_span"]), "purpose": "linking"})
    review = {"type": "TextualBody", "purpose": "assessing", "value": span["status"]}
    if span["reviewer"]:
        review["creator"] = {"type": "Person", "nickname": span["reviewer"]}
    if span["reviewed_at"]:
        review["created"] = span["reviewed_at"]
    body.append(review)
    annotation = {"@context": W3C_CONTEXT} if context else {}
    annotation.update(
        {
            "id": iri("span", span["id"]),
            "type": "Annotation",
            "motivation": "tagging",
            "creator": {"type": "Person", "nickname": span["annotator"]},
            "created": span["created_at"],
            "body": body,
            "target": {
                "source": iri("article", record["article_id"]),
                "selector": [
                    {"type": "TextPositionSelector", "start": start, "end": end},
                    quote,
                ],
            },
        }
    )
    origin = span.get("origin")
    if origin and origin != MANUAL_ORIGIN:
        # The Web Annotation model's agent that made it: a rule or a model.
        annotation["generator"] = {"type": "Software", "name": origin}
    return annotation


def write_w3c(
    records: Iterable[dict],
    stats: ExportStats,
    *,
    lines: bool = False,
    iri_base: str | None = None,
    collection_id: str | None = None,
    collection_label: str = "Newsroom export",
) -> Iterator[str]:
    iri = iri_builder(iri_base)
    if lines:
        for record in records:
            spans = record["spans"]
            if spans:
                stats.count(spans)
                yield "".join(
                    json.dumps(
                        w3c_annotation(record, s, iri, context=True), ensure_ascii=False
                    )
                    + "\n"
                    for s in spans
                )
        return
    collection_id = collection_id or iri("export", "all")
    head = {
        "@context": W3C_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": collection_label,
        "first": {
            "id": collection_id + "#page-1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [],
        },
    }
    # Stream the items into the empty list: cut the rendered head at "[]".
    opening = json.dumps(head, ensure_ascii=False, indent=None)
    yield opening[: -len("]}}")] + "\n"
    separator = ""
    for record in records:
        spans = record["spans"]
        if not spans:
            continue
        stats.count(spans)
        parts = []
        for span in spans:
            annotation = w3c_annotation(record, span, iri, context=False)
            parts.append(separator + json.dumps(annotation, ensure_ascii=False))
            separator = ",\n"
        yield "".join(parts)
    yield f'\n]}}, "total": {stats.spans}}}\n'


def render(
    records: Iterable[dict],
    fmt: str,
    stats: ExportStats,
    *,
    lines: bool = False,
    excel: bool = False,
    iri_base: str | None = None,
    collection_id: str | None = None,
    collection_label: str = "Newsroom export",
) -> Iterator[str]:
    """Write ``records`` in ``fmt``; mark ``stats`` complete at the end."""
    if fmt == "jsonl":
        chunks = write_jsonl(records, stats)
    elif fmt == "csv":
        chunks = write_csv(records, stats, excel=excel)
    elif fmt == "conll":
        chunks = conll.write_conll(records, stats)
    elif fmt == "w3c":
        chunks = write_w3c(
            records,
            stats,
            lines=lines,
            iri_base=iri_base,
            collection_id=collection_id,
            collection_label=collection_label,
        )
    else:
        raise ValueError(f"Unknown format {fmt!r}")
    yield from chunks
    stats.complete = True


def encode(chunks: Iterable[str], block_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Return UTF-8 bytes in blocks of about ``block_size``: few, large writes."""
    pending, size = [], 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= block_size:
            yield "".join(pending).encode()
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode()


# The interface for views and commands


@dataclass
class Export:
    """A ready-to-send export: iterate ``chunks`` once to get the bytes.

    ``stats`` fills in while ``chunks`` is consumed (CoNLL widened/dropped
    counts included) and is ``complete`` at the end. ``sha256`` is set when the
    digest is known before streaming (dataset jsonl downloads).
    """

    format: Format
    filename: str
    chunks: Iterator[bytes]
    stats: ExportStats
    sha256: str | None = None
    excel: bool = False

    @property
    def content_type(self) -> str:
        return self.format.content_type

    def as_response(self, *, manifest_url: str | None = None) -> StreamingHttpResponse:
        """Return the export as a streaming HTTP response (nothing runs until sent)."""
        response = StreamingHttpResponse(self.chunks)
        for name, value in self.headers().items():
            response[name] = value
        if manifest_url:
            response["Link"] = f'<{manifest_url}>; rel="describedby"'
        return response

    def headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": self.content_type,
            "Content-Disposition": f'attachment; filename="{self.filename}"',
        }
        if self.sha256:
            digest = bytes.fromhex(self.sha256)
            headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(digest).decode()}:"
        return headers


def filename_for(query: ExportQuery, fmt: Format, when: datetime | None = None) -> str:
    parts = ["newsroom", query.status, *query.labels]
    if query.language:
        parts.append(query.language)
    stem = slugify("-".join(parts))[:80].strip("-")
    day = timezone.localdate(when or timezone.now()).isoformat()
    return f"{stem}-{day}{fmt.extension}"


def stream(
    params: Mapping | ExportQuery, user, *, iri_base: str | None = None
) -> Export:
    """Validate ``params`` for ``user`` and return the export, not yet run.

    Raise ValidationError (bad parameters: a 400) or PermissionDenied (a 403)
    before any byte is produced. ``iri_base`` (e.g. the absolute URL of
    ``/api/v1/``) names W3C annotations and their targets.
    """
    query = (
        params if isinstance(params, ExportQuery) else ExportQuery.from_params(params)
    )
    check_status_allowed(user, query.status)
    fmt = format_for(query.format, lines=query.lines)
    stats = ExportStats()
    rows = records(query, user, with_text=fmt.needs_text)
    chunks = encode(
        render(
            rows,
            query.format,
            stats,
            lines=query.lines,
            excel=query.excel,
            iri_base=iri_base,
            collection_id=(iri_base.rstrip("/") + "/export/") if iri_base else None,
        )
    )
    return Export(
        format=fmt,
        filename=filename_for(query, fmt),
        chunks=chunks,
        stats=stats,
        excel=query.excel,
    )


def digest(chunks: Iterable[bytes]) -> tuple[str, int]:
    """Consume ``chunks``; return their sha256 (hex) and length in bytes."""
    hasher, size = hashlib.sha256(), 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def describe(export: Export, *, filters: dict, generated_at: datetime) -> dict:
    """Run ``export`` through a hash and return its manifest."""
    sha256, size = digest(export.chunks)
    manifest = {
        "format": export.format.name,
        "format_version": FORMAT_VERSION,
        "content_type": export.content_type,
        "filename": export.filename,
        "offset_unit": "codepoint",
        "normalisation": {"unicode": "NFC", "newlines": "LF"},
        "filters": filters,
        "generated_at": iso(generated_at),
        "counts": export.stats.counts(),
        "bytes": size,
        "sha256": sha256,
    }
    if export.format.name == "conll":
        manifest["conll"] = {
            "widened": export.stats.widened,
            "dropped_overlapping": export.stats.dropped_overlapping,
        }
    if export.format.name == "csv" and export.excel:
        manifest["csv"] = {
            "excel": True,
            "byte_order_mark": True,
            "quoting": "all",
            "neutralised_cells": export.stats.neutralised,
            "neutralisation": (
                "A cell starting with =, +, -, @, a tab or a carriage return "
                "begins with an added ' so that spreadsheets never run it as a "
                "formula (OWASP CSV injection). For reading by people only: "
                "train on format=csv without excel, which is exact."
            ),
        }
    elif export.format.name == "csv":
        manifest["csv"] = {"excel": False, "exact": True}
    return manifest


def manifest(
    params: Mapping | ExportQuery, user, *, iri_base: str | None = None
) -> dict:
    """Return the manifest of the export ``params`` describe.

    The export is rendered once into a hash (constant memory, as long as the
    download itself) so the counts and sha256 describe exactly those bytes.
    Raise like ``stream``.
    """
    query = (
        params if isinstance(params, ExportQuery) else ExportQuery.from_params(params)
    )
    export = stream(query, user, iri_base=iri_base)
    return describe(export, filters=query.filters(), generated_at=timezone.now())
