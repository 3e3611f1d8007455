"""Import articles with their spans: our jsonl, Label Studio JSON, doccano JSONL.

Formats (``source``)
--------------------
``jsonl`` (default)
    Our export shape, one article a line (DESIGN.md section 6): ``title`` and
    ``text`` are required; ``language``, ``source_url``, ``outlet``, ``byline``
    and ``published_on`` are optional; ``article_id`` (the exporting system's
    id) is ignored and ``text_sha256``, when present, must match the canonical
    text. Spans need ``start``, ``end`` and ``label``; ``text`` is checked
    against the article, ``entity_type`` and ``source_span`` are optional, and
    ``source_span`` names the ``id`` of another span of the same line.
    ``annotator``, ``reviewer`` and ``reviewed_at`` describe the exporting
    system and are ignored: the importing user is the annotator, and the
    reviewer of spans imported as approved.
``label-studio``
    A Label Studio JSON export: a list of tasks with ``data.text`` (and
    optionally ``data.title``, ``data.source_url``, ``data.language``) and
    ``annotations[].result[]``. The latest annotation that was not cancelled
    (by ``updated_at``, then ``created_at``, then ``id``) gives the spans: its
    results of type ``labels``, one span per label in ``value.labels`` at
    ``value.start``/``value.end``; ``value.text``, when present, is checked.
    Results of other types are counted and reported once. Problems are
    reported by task number (1 for the first task of the list).
``doccano``
    doccano's JSONL: ``text`` with ``label`` or ``entities`` as
    ``[start, end, "LABEL"]`` lists (or ``{"start_offset", "end_offset",
    "label"}`` objects); other keys are doccano's metadata and are ignored.

Without a ``title``, an article from Label Studio or doccano is titled by the
first line of its text (cut at a word before 80 characters).

Labels
------
A label map (``--map SRC=label[:TYPE]``, repeatable, or a JSON object
``{"SRC": "label[:TYPE]"}`` in a file) names our label, and for entities
their type, for each label of the source file. A source label the map does
not name is taken as is when it is one of our label slugs or names (any case),
or an entity type (``PER``, ``ORG``, ``LOC``, ``MISC``: an entity of that
type). In our jsonl any other label refuses the line; from the other tools the
spans of labels left unmapped are not imported and each such label is reported
once, with its number of spans.

Offsets
-------
Offsets count code points, or UTF-16 code units with ``offsets="utf16"``
(doccano's and most browser tools' count: an emoji is two). They point into
the source text, which may differ from our canonical text (``text.py``) by
CRLF line ends, decomposed accents or whitespace around it: each offset is
mapped through that normalisation (``text.OffsetMap``). A span with a
boundary inside a sequence that normalisation rewrites (between ``\\r`` and
``\\n``, between a letter and its accent, between the halves of an emoji) is
refused with its reason, never moved.

Statuses
--------
Spans are imported pending, or approved with ``status="approved"`` (admins
only; the importing admin is the reviewer). A span the file itself marks
``"status": "pending"`` stays pending, and one marked ``"rejected"`` is not
imported (counted and reported once): an import never approves what was
rejected or not yet reviewed elsewhere.

The per-line contract
---------------------
Every line (or task) is checked in full in Python first, by the same pure
checks as a single write (``models.span_problems``, the article fields' own
validators). A refused line is reported with its number and every problem
found, and nothing of that article is stored; the other lines are stored. An
article whose canonical text (sha256) and source URL match a live article is
not created again; its spans that already exist (same start, end and label)
are skipped and new ones added, so importing a file twice creates nothing the
second time. Accepted lines are written by ``services.articles_import`` in
batches of a few hundred articles, one transaction each (``COPY`` on
PostgreSQL), with their audit rows. The file is read as a stream: memory
stays flat whatever its size.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import bulk, parsers, services
from . import text as text_utils
from .models import (
    MANUAL_ORIGIN,
    Article,
    AuditEvent,
    Label,
    Span,
    origin_validator,
    span_problems,
)
from .permissions import is_admin, require

SOURCES = ("jsonl", "label-studio", "doccano")
OFFSET_UNITS = ("codepoints", "utf16")
STATUSES = (Span.Status.PENDING, Span.Status.APPROVED)
# A batch is written in one transaction: big enough for COPY to pay off,
# small enough that a refused batch (a concurrent write) is cheap to retry.
BATCH_ARTICLES = 250
BATCH_SPANS = 10000
TITLE_LENGTH = 80
# Rows written past which the import refreshes the planner's statistics.
ANALYZE_AFTER = 5000

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
    "status",
    # Provenance survives a round trip: manual, rule:<name>, model:<name>@<v>.
    "origin",
}
STRING_FIELDS = ("title", "language", "source_url", "outlet", "byline")
_ENTITY_TYPES = set(Span.EntityType.values)


@dataclass
class LineError:
    line: int
    messages: list[str]
    unit: str = "line"

    def __str__(self):
        where = (_("task %(n)d") if self.unit == "task" else _("line %(n)d")) % {
            "n": self.line
        }
        return f"{where}: " + " ".join(self.messages)

    @property
    def key(self) -> str:
        return f"{self.unit} {self.line}"


@dataclass
class ImportResult:
    articles_created: int = 0
    articles_existing: int = 0
    spans_created: int = 0
    spans_existing: int = 0
    errors: list[LineError] = field(default_factory=list)
    # Source labels without a mapping, with their number of spans.
    unmapped: Counter = field(default_factory=Counter)
    # Spans or results left out on purpose, by reason, e.g. "rejected".
    skipped: Counter = field(default_factory=Counter)

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

    def notes(self) -> list[str]:
        """Return what was left out on purpose, one sentence per reason."""
        notes = []
        if self.unmapped:
            labels = ", ".join(
                f"{name} ({count})" for name, count in sorted(self.unmapped.items())
            )
            notes.append(
                _(
                    "Spans of labels with no mapping were not imported: %(labels)s. "
                    "Map them with --map SOURCE=label[:TYPE]."
                )
                % {"labels": labels}
            )
        if self.skipped["rejected"]:
            count = self.skipped["rejected"]
            notes.append(
                ngettext(
                    "%(n)d span marked rejected in the file was not imported.",
                    "%(n)d spans marked rejected in the file were not imported.",
                    count,
                )
                % {"n": count}
            )
        other = {k: n for k, n in self.skipped.items() if k != "rejected"}
        if other:
            kinds = ", ".join(f"{kind} ({n})" for kind, n in sorted(other.items()))
            notes.append(
                _("Label Studio results of other types were ignored: %(kinds)s.")
                % {"kinds": kinds}
            )
        return notes


class _LineRefused(Exception):
    def __init__(self, messages):
        super().__init__(messages)
        self.messages = messages


# Label maps


class LabelMap:
    """Source label -> (our Label, entity type or None)."""

    def __init__(self, labels: Mapping[str, Label], entries: Mapping | None = None):
        self.labels = dict(labels)
        self.entries = {}
        errors = []
        for source, target in (entries or {}).items():
            resolved = self._target(str(source), target)
            if isinstance(resolved, str):
                errors.append(resolved)
            else:
                self.entries[str(source)] = resolved
        if errors:
            raise ValidationError({"map": errors})
        self._defaults = {}
        for label in self.labels.values():
            self._defaults[label.slug.lower()] = (label, None)
            self._defaults[label.name.lower()] = (label, None)
        entity = next((lab for lab in self.labels.values() if lab.is_entity), None)
        if entity is not None:
            for entity_type in _ENTITY_TYPES:
                self._defaults.setdefault(entity_type.lower(), (entity, entity_type))

    def _target(self, source, target):
        if not isinstance(target, str):
            return _("%(src)s: the target must be a string such as entity:PER.") % {
                "src": source
            }
        slug, _colon, entity_type = target.partition(":")
        label = self.labels.get(slug.strip())
        if label is None:
            return _(
                "%(src)s=%(target)s: unknown label %(slug)s; the labels are %(known)s."
            ) % {
                "src": source,
                "target": target,
                "slug": repr(slug),
                "known": ", ".join(sorted(self.labels)),
            }
        entity_type = entity_type.strip() or None
        if entity_type and not label.is_entity:
            return _("%(src)s=%(target)s: only entities have a type.") % {
                "src": source,
                "target": target,
            }
        if entity_type and entity_type not in _ENTITY_TYPES:
            return _("%(src)s=%(target)s: the entity types are %(types)s.") % {
                "src": source,
                "target": target,
                "types": ", ".join(Span.EntityType.values),
            }
        return label, entity_type

    @classmethod
    def parse(cls, values: Iterable[str] | Mapping | None, labels) -> LabelMap:
        """Read ``SRC=label[:TYPE]`` strings, JSON files of them, or a mapping."""
        if values is None or isinstance(values, Mapping):
            return cls(labels, values)
        entries = {}
        for value in values:
            if "=" in value:
                source, _eq, target = value.partition("=")
                entries[source.strip()] = target.strip()
                continue
            try:
                with open(value, encoding="utf-8") as handle:
                    loaded = json.load(handle)
            except (OSError, ValueError) as exc:
                raise ValidationError(
                    {
                        "map": _(
                            "%(value)s is neither SRC=label[:TYPE] nor a readable JSON "
                            "file (%(error)s)."
                        )
                        % {"value": value, "error": exc}
                    }
                ) from None
            if not isinstance(loaded, dict):
                raise ValidationError(
                    {"map": _("%(value)s must hold a JSON object.") % {"value": value}}
                )
            entries.update(loaded)
        return cls(labels, entries)

    def resolve(self, name, *, own_slugs_only: bool = False):
        """Return (Label, entity type) for a source label, or None if unmapped."""
        if not isinstance(name, str):
            return None
        if name in self.entries:
            return self.entries[name]
        if own_slugs_only:
            label = self.labels.get(name)
            return (label, None) if label else None
        return self._defaults.get(name.strip().lower())


# Reading the source


def _parse_json(raw, number: int):
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, bytes):
        if number == 1:
            # Files saved by some editors start with a byte-order mark.
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _LineRefused(
                [
                    _("Not valid UTF-8 (byte %(pos)d of the line).")
                    % {"pos": exc.start + 1}
                ]
            ) from None
    elif number == 1:
        raw = raw.removeprefix("\ufeff")
    try:
        data = parsers.loads(raw)
    except json.JSONDecodeError as exc:
        raise _LineRefused(
            [
                _("Not valid JSON: %(msg)s at column %(col)d.")
                % {"msg": exc.msg, "col": exc.colno}
            ]
        ) from None
    except parsers.TooDeep as exc:
        raise _LineRefused([str(exc)]) from None
    if not isinstance(data, dict):
        raise _LineRefused([_("Each line must be a JSON object (one article).")])
    return data


def _lines(lines: Iterable) -> Iterator[tuple[int, object]]:
    """Yield (line number, raw line) for every line that is not blank."""
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes | str) and not raw.strip():
            continue
        yield number, raw


def _tasks(source) -> Iterator[tuple[int, object]]:
    """Yield (task number, task) from a Label Studio export, read as a stream."""
    if isinstance(source, list | tuple):
        yield from enumerate(source, start=1)
        return
    import ijson

    try:
        yield from enumerate(ijson.items(source, "item"), start=1)
    except ijson.JSONError as exc:
        raise ValidationError(
            {
                "file": _(
                    "The file is not a Label Studio JSON export (a list of tasks): "
                    "%(error)s"
                )
                % {"error": exc}
            }
        ) from None


# From each format to one shape: fields, source text, spans with source offsets


def _from_jsonl(data: dict, labels: LabelMap, result) -> tuple[dict, object, list]:
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
    spans = data.get("spans") or []
    if not isinstance(spans, list):
        problems.append(_("spans must be a list."))
        spans = []
    raw_spans = []
    for index, span in enumerate(spans, start=1):
        if isinstance(span, dict):
            unknown = sorted(set(span) - SPAN_KEYS)
            if unknown:
                problems.append(
                    _("%(where)s: unknown keys %(keys)s.")
                    % {"where": _where(index), "keys": ", ".join(unknown)}
                )
            slug = span.get("label")
            target = labels.resolve(slug, own_slugs_only=True)
            if target is None:
                problems.append(
                    _("%(where)s: unknown label %(label)s; the labels are %(known)s.")
                    % {
                        "where": _where(index),
                        "label": repr(slug),
                        "known": ", ".join(sorted(labels.labels)),
                    }
                )
            span = {**span, "label": target}
        raw_spans.append(span)
    if problems:
        data = {**data, "_problems": problems}
    return data, data.get("text"), raw_spans


def _from_doccano(data: dict, labels: LabelMap, result) -> tuple[dict, object, list]:
    entities = data.get("entities", data.get("label")) or []
    raw_spans, problems = [], []
    if not isinstance(entities, list):
        problems.append(_("label (or entities) must be a list."))
        entities = []
    for index, entity in enumerate(entities, start=1):
        if isinstance(entity, list | tuple) and len(entity) == 3:
            start, end, name = entity
            ref = None
        elif isinstance(entity, dict):
            start, end = entity.get("start_offset"), entity.get("end_offset")
            name, ref = entity.get("label"), entity.get("id")
        else:
            problems.append(
                _('%(where)s must be [start, end, "LABEL"].') % {"where": _where(index)}
            )
            continue
        target = labels.resolve(name)
        if target is None:
            result.unmapped[str(name)] += 1
            continue
        raw_spans.append({"start": start, "end": end, "label": target, "id": ref})
    fields = {
        key: data[key] for key in ("title", "source_url", "language") if key in data
    }
    if problems:
        fields["_problems"] = problems
    return fields, data.get("text"), raw_spans


def _latest_annotation(annotations):
    kept = [
        a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")
    ]
    if not kept:
        return None
    return max(
        kept,
        key=lambda a: (
            str(a.get("updated_at") or ""),
            str(a.get("created_at") or ""),
            a.get("id") if isinstance(a.get("id"), int) else 0,
        ),
    )


def _from_label_studio(task, labels: LabelMap, result) -> tuple[dict, object, list]:
    if not isinstance(task, dict):
        raise _LineRefused([_("Each task must be a JSON object.")])
    data = task.get("data")
    if not isinstance(data, dict):
        raise _LineRefused([_("The task has no data object.")])
    if "text" not in data:
        raise _LineRefused(
            [
                _("The task's data has no text; its keys are %(keys)s.")
                % {"keys": ", ".join(sorted(map(str, data))) or "—"}
            ]
        )
    fields = {
        key: data[key] for key in ("title", "source_url", "language") if key in data
    }
    annotation = _latest_annotation(task.get("annotations") or [])
    raw_spans = []
    results = (annotation or {}).get("result") or []
    for item in results if isinstance(results, list) else []:
        if not isinstance(item, dict) or item.get("type") != "labels":
            kind = item.get("type") if isinstance(item, dict) else None
            result.skipped[str(kind or "unknown")] += 1
            continue
        value = item.get("value") or {}
        names = value.get("labels") or []
        for name in names if isinstance(names, list) else [names]:
            target = labels.resolve(name)
            if target is None:
                result.unmapped[str(name)] += 1
                continue
            raw_spans.append(
                {
                    "start": value.get("start"),
                    "end": value.get("end"),
                    "label": target,
                    "text": value.get("text"),
                    "id": item.get("id"),
                }
            )
    return fields, data.get("text"), raw_spans


_CONVERTERS = {
    "jsonl": _from_jsonl,
    "doccano": _from_doccano,
    "label-studio": _from_label_studio,
}


# Checking one article


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _where(index: int) -> str:
    return _("span %(n)d") % {"n": index}


class _Where:
    """Name a span in a message ("span 3 (quote 10–24)"), translated when shown."""

    __slots__ = ("index", "label", "start", "end")

    def __init__(self, index, label=None, start=None, end=None):
        self.index, self.label, self.start, self.end = index, label, start, end

    def __str__(self):
        if self.label is None:
            return _where(self.index)
        return _("span %(n)d (%(label)s %(start)d–%(end)d)") % {
            "n": self.index,
            "label": self.label,
            "start": self.start,
            "end": self.end,
        }


def _title_from(text: str) -> str:
    line = text.split("\n", 1)[0].strip()
    if len(line) <= TITLE_LENGTH:
        return line
    cut = line[: TITLE_LENGTH - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _check_fields(data: dict, problems: list) -> dict:
    fields = {}
    for key in STRING_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(_("%(key)s must be a string.") % {"key": key})
            continue
        try:
            text_utils.check_storable(value, name=key)
        except ValidationError as error:
            problems.extend(error.messages)
            continue
        fields[key] = value
    if data.get("published_on") is not None:
        try:
            day = parse_date(str(data["published_on"]))
        except ValueError:
            day = None
        if day is None:
            problems.append(_("published_on must be a date such as 2026-01-31."))
        fields["published_on"] = day
    return fields


def _check_article(fields: dict, problems: list) -> None:
    """Run the model fields' own validators (as full_clean would) on ``fields``."""
    for key in (*STRING_FIELDS, "published_on"):
        if key not in fields or (key == "title" and not fields[key].strip()):
            continue
        try:
            fields[key] = Article._meta.get_field(key).clean(fields[key], None)
        except ValidationError as exc:
            problems.extend(f"{key}: {message}" for message in exc.messages)


def new_article(fields: Mapping) -> services.ImportArticle:
    """Check the fields of one article to create, as a single create would.

    Raise ValidationError keyed by field name.
    """
    fields = dict(fields)
    problems = {}
    text = fields.pop("text", "")
    canonical = ""
    try:
        canonical = text_utils.canonicalize(text)
    except ValidationError as exc:
        problems["text"] = exc.messages
    else:
        if not canonical:
            problems["text"] = [_("The article text is empty.")]
        elif len(canonical) > settings.ARTICLE_MAX_CHARS:
            problems["text"] = [
                _("The article text has %(n)d characters; the limit is %(max)d.")
                % {"n": len(canonical), "max": settings.ARTICLE_MAX_CHARS}
            ]
    for key, value in fields.items():
        try:
            fields[key] = Article._meta.get_field(key).clean(value, None)
        except ValidationError as exc:
            problems[key] = exc.messages
    if problems:
        raise ValidationError(problems)
    fields.update(text=canonical, text_sha256=text_utils.sha256_hex(canonical))
    return services.ImportArticle(fields=fields, spans=[])


def check_item(
    number: int, raw, *, source: str, labels: LabelMap, utf16: bool, result
) -> services.ImportArticle:
    """Return the article of one line, checked, or raise _LineRefused."""
    data = raw if source == "label-studio" else _parse_json(raw, number)
    data, raw_text, raw_spans = _CONVERTERS[source](data, labels, result)
    problems = list(data.pop("_problems", []))
    fields = _check_fields(data, problems)
    if not isinstance(raw_text, str):
        raise _LineRefused([*problems, _("text is missing or not a string.")])
    try:
        mapping = text_utils.OffsetMap(raw_text, utf16=utf16)
    except ValidationError as exc:
        raise _LineRefused([*problems, *exc.messages]) from None
    canonical = mapping.canonical
    if not canonical:
        raise _LineRefused([*problems, _("The article text is empty.")])
    if source != "jsonl" and not (fields.get("title") or "").strip():
        fields["title"] = _title_from(canonical)
    if not (fields.get("title") or "").strip():
        problems.append(_("title is missing or empty."))
    sha256 = text_utils.sha256_hex(canonical)
    given_sha = data.get("text_sha256")
    if given_sha is not None and given_sha != sha256:
        problems.append(
            _(
                "text_sha256 %(given)s does not match the text, whose sha256 is %(real)s."
            )
            % {"given": given_sha, "real": sha256}
        )
    fields["text"] = canonical
    fields["text_sha256"] = sha256
    _check_article(fields, problems)
    if len(canonical) > settings.ARTICLE_MAX_CHARS:
        problems.append(
            _("The article text has %(n)d characters; the limit is %(max)d.")
            % {"n": len(canonical), "max": settings.ARTICLE_MAX_CHARS}
        )
    spans = _check_spans(
        raw_spans, canonical, mapping, problems, result, source == "jsonl"
    )
    if problems:
        raise _LineRefused(problems)
    return services.ImportArticle(fields=fields, spans=spans)


def _check_spans(raw_spans, canonical, mapping, problems, result, jsonl) -> list:
    specs, refs, seen = [], {}, {}
    identity = mapping.identity
    for index, span in enumerate(raw_spans, start=1):
        # Words for messages are looked up only when there is a problem.
        where = _Where(index)
        if not isinstance(span, dict):
            problems.append(_("%(where)s is not an object.") % {"where": where})
            continue
        status = span.get("status")
        if status == Span.Status.REJECTED:
            result.skipped["rejected"] += 1
            continue
        bad = False
        for key in ("start", "end"):
            if not _is_int(span.get(key)):
                problems.append(
                    _(
                        "%(where)s: %(key)s must be a whole number (a code point offset)."
                    )
                    % {"where": where, "key": key}
                )
                bad = True
        for key in ("id", "source_span") if jsonl else ():
            if span.get(key) is not None and not _is_int(span[key]):
                problems.append(
                    _("%(where)s: %(key)s must be a whole number.")
                    % {"where": where, "key": key}
                )
                bad = True
        for key in ("text", "entity_type", "origin"):
            if span.get(key) is not None and not isinstance(span[key], str):
                problems.append(
                    _("%(where)s: %(key)s must be a string.")
                    % {"where": where, "key": key}
                )
                bad = True
        if status not in (None, Span.Status.PENDING, Span.Status.APPROVED):
            problems.append(
                _("%(where)s: status must be approved, pending or rejected.")
                % {"where": where}
            )
            bad = True
        target = span.get("label")
        if bad or target is None:
            continue
        label, mapped_type = target
        entity_type = span.get("entity_type") or mapped_type
        start, end = span["start"], span["end"]
        where = _Where(index, label.slug, start, end)
        given = span.get("text") or ""
        if not identity:
            try:
                start, end = mapping(start), mapping(end)
            except text_utils.OffsetError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if given:
                given = unicodedata.normalize(
                    "NFC", given.replace("\r\n", "\n").replace("\r", "\n")
                )
        errors = span_problems(
            text=canonical,
            start=start,
            end=end,
            given_text=given,
            label=label,
            entity_type=entity_type,
        )
        if entity_type and entity_type not in _ENTITY_TYPES:
            field_ = Span._meta.get_field("entity_type")
            errors["entity_type"] = field_.error_messages["invalid_choice"] % {
                "value": entity_type
            }
        origin = span.get("origin") or MANUAL_ORIGIN
        try:
            origin_validator(origin)
        except ValidationError as exc:
            errors["origin"] = exc.messages[0]
        if errors:
            problems.extend(_messages(errors, where))
            if "text" in errors and mapping.suggests_utf16(
                span["start"], span["end"], given
            ):
                problems.append(
                    _(
                        "%(where)s: the offsets look like UTF-16 code units; import "
                        "with --offsets utf16."
                    )
                    % {"where": where}
                )
            continue
        ref = span.get("id")
        # Label Studio gives one region id to each label of the region.
        if jsonl and ref is not None and ref in refs:
            problems.append(
                _("span %(n)d: id %(id)s is also used by span %(other)d.")
                % {"n": index, "id": ref, "other": refs[ref][0]}
            )
        key = (start, end, label.slug)
        if key in seen:
            problems.append(
                _("span %(n)d repeats span %(other)d (same start, end and label).")
                % {"n": index, "other": seen[key]}
            )
        seen.setdefault(key, index)
        spec = services.ImportSpan(
            start=start,
            end=end,
            label=label,
            text=canonical[start:end],
            entity_type=entity_type or None,
            status=status or Span.Status.APPROVED,
            origin=origin,
            ref=ref,
            source_ref=span.get("source_span"),
        )
        if ref is not None:
            refs.setdefault(ref, (index, spec))
        specs.append((index, spec))
    for index, spec in specs:
        if spec.source_ref is None:
            continue
        source = refs.get(spec.source_ref)
        if source is None:
            problems.append(
                _(
                    "span %(n)d: source_span %(id)s is not the id of a span on this "
                    "line."
                )
                % {"n": index, "id": spec.source_ref}
            )
            continue
        errors = span_problems(
            text=canonical,
            start=spec.start,
            end=spec.end,
            label=spec.label,
            source=(spec.source_ref, None, source[1].label),
            pk=spec.ref,
        )
        if errors:
            where = _Where(index, spec.label.slug, spec.start, spec.end)
            problems.extend(_messages(errors, where))
    return [spec for _index, spec in specs]


def _messages(errors: dict, where: str) -> list[str]:
    # Messages mostly name their field already ("end (9) is past…").
    return [
        f"{where}: {message}"
        if message.startswith(key)
        else f"{where}: {key}: {message}"
        for key, message in errors.items()
    ]


# Importing


def import_articles(
    *,
    lines: Iterable,
    user,
    status: str = Span.Status.PENDING,
    source: str = "jsonl",
    label_map: Iterable[str] | Mapping | None = None,
    offsets: str = "codepoints",
    progress: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Import ``lines`` (a file's lines, parsed objects, or a Label Studio
    export as a binary file or a list of tasks) as ``user``.

    Line numbers count from 1, blank lines included (tasks from 1 too). Raise
    PermissionDenied (nothing imported) if ``user`` may not import, and
    ValidationError for bad options (status, source, map, offsets); problems
    with a line are in the result's ``errors``. ``progress`` is called with
    the result so far after each batch.
    """
    options = {}
    if status not in STATUSES:
        options["status"] = _("Import spans as pending or approved; got %(value)s.") % {
            "value": repr(status)
        }
    if source not in SOURCES:
        options["from"] = _("Unknown format %(value)s; choose one of %(choices)s.") % {
            "value": repr(source),
            "choices": ", ".join(SOURCES),
        }
    if offsets not in OFFSET_UNITS:
        options["offsets"] = _("offsets must be %(choices)s; got %(value)s.") % {
            "choices": " or ".join(OFFSET_UNITS),
            "value": repr(offsets),
        }
    if options:
        raise ValidationError(options)
    require(user, "add_article")
    if status == Span.Status.APPROVED and not is_admin(user):
        raise PermissionDenied(_("Only admins may import spans as approved."))
    labels = LabelMap.parse(
        label_map, {label.slug: label for label in Label.objects.all()}
    )
    result = ImportResult()
    unit = "task" if source == "label-studio" else "line"
    numbered = _tasks(lines) if source == "label-studio" else _lines(lines)
    batch, batch_spans = [], 0
    for number, raw in numbered:
        try:
            item = check_item(
                number,
                raw,
                source=source,
                labels=labels,
                utf16=offsets == "utf16",
                result=result,
            )
        except _LineRefused as exc:
            result.errors.append(LineError(number, exc.messages, unit))
            continue
        batch.append((number, item))
        batch_spans += len(item.spans)
        if len(batch) >= BATCH_ARTICLES or batch_spans >= BATCH_SPANS:
            _store(batch, user, status, result, unit)
            batch, batch_spans = [], 0
            if progress:
                progress(result)
    if batch:
        _store(batch, user, status, result, unit)
    if result.articles_created + result.spans_created >= ANALYZE_AFTER:
        bulk.analyze(Article, Span, AuditEvent)
    if progress:
        progress(result)
    result.errors.sort(key=lambda error: error.line)
    return result


def _store(batch, user, status, result, unit) -> None:
    """Write a batch in one transaction; if the database refuses it, line by line."""
    try:
        with transaction.atomic():
            outcomes = services.articles_import(
                user=user, items=[item for _n, item in batch], status=status
            )
    except DatabaseError:
        if len(batch) == 1:
            number = batch[0][0]
            message = _(
                "A concurrent change conflicts with this line, or the database "
                "refused it; import it again."
            )
            result.errors.append(LineError(number, [message], unit))
            return
        for one in batch:
            _store([one], user, status, result, unit)
        return
    for outcome in outcomes:
        if outcome.created:
            result.articles_created += 1
        else:
            result.articles_existing += 1
        result.spans_created += outcome.spans_created
        result.spans_existing += outcome.spans_existing
