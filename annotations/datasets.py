"""Dataset snapshots: named, versioned, immutable freezes of an export query.

Freezing runs the export query once and stores its records (the jsonl article
plus each span's status and creation time, and the article's split) as one
gzip-compressed jsonl file through Django's default storage. Every download,
in any format and split, is rendered from that file by the same writers as a
live export, and nothing in it depends on the clock, so two downloads are
byte-identical and later edits, rejections or deletions change nothing.

Splits are by article: an article goes to train, dev or test by a hash of the
snapshot's seed and its id, so it is never in two splits, and an article keeps
its split across snapshots made with the same seed and percentages.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import exports
from .models import AuditEvent, Dataset
from .permissions import require, sees_approved_only

SPLITS = ("train", "dev", "test")
DEFAULT_SPLIT = {"train": 80, "dev": 10, "test": 10}
DOWNLOAD_KEYS = ("format", "split", "lines", "excel", "manifest")
MAX_SEED = 2**63 - 1


def parse_split(split: Mapping | None) -> dict[str, int]:
    """Return split percentages for train/dev/test (whole numbers adding to 100)."""
    if split is None or split == {}:
        return dict(DEFAULT_SPLIT)
    if not isinstance(split, Mapping):
        raise ValidationError(
            {
                "split": _(
                    'split must be an object such as {"train": 80, "dev": 10, '
                    '"test": 10}.'
                )
            }
        )
    unknown = sorted(set(split) - set(SPLITS))
    if unknown:
        raise ValidationError(
            {
                "split": _("Unknown split %(names)s; the splits are %(known)s.")
                % {"names": ", ".join(map(repr, unknown)), "known": ", ".join(SPLITS)}
            }
        )
    weights = {}
    for name in SPLITS:
        value = split.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | str):
            value = None
        try:
            weights[name] = int(value)
        except (TypeError, ValueError):
            weights[name] = -1
        if weights[name] < 0:
            raise ValidationError(
                {
                    "split": _(
                        "The %(name)s share must be a whole percentage from 0 to "
                        "100; got %(value)s."
                    )
                    % {"name": name, "value": repr(split.get(name))}
                }
            )
    if sum(weights.values()) != 100:
        raise ValidationError(
            {
                "split": _(
                    "The split percentages must add up to 100; they add to %(n)d."
                )
                % {"n": sum(weights.values())}
            }
        )
    return weights


def parse_seed(seed) -> int:
    """Return ``seed`` as a whole number, or a random one when None."""
    if seed is None or seed == "":
        return secrets.randbelow(MAX_SEED)
    try:
        if isinstance(seed, bool | float):
            raise ValueError
        value = int(seed)
        if not 0 <= value <= MAX_SEED:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError(
            {
                "seed": _(
                    "seed must be a whole number from 0 to %(max)d; got %(value)s."
                )
                % {"max": MAX_SEED, "value": repr(seed)}
            }
        ) from None
    return value


def split_of(article_id: int, *, seed: int, weights: Mapping[str, int]) -> str:
    """Return the split of an article: stable for a seed, whatever else exists."""
    digest = hashlib.sha256(f"{seed}:{article_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % 100
    for name in SPLITS:
        point -= weights[name]
        if point < 0:
            return name
    raise AssertionError("split weights must add up to 100")


class _Tally:
    def __init__(self):
        self.articles = 0
        self.spans = 0
        self.labels = Counter()
        self.jsonl = hashlib.sha256()

    def add(self, record: dict, jsonl: bytes) -> None:
        self.articles += 1
        self.spans += len(record["spans"])
        self.labels.update(span["label"] for span in record["spans"])
        self.jsonl.update(jsonl)

    def as_dict(self) -> dict:
        return {
            "articles": self.articles,
            "spans": self.spans,
            "labels": dict(sorted(self.labels.items())),
            "jsonl_sha256": self.jsonl.hexdigest(),
        }


def _freeze(query, user, *, seed, weights, target) -> tuple[str, dict]:
    """Write the canonical records to ``target``; return (sha256, tallies)."""
    content = hashlib.sha256()
    tallies = {name: _Tally() for name in ("all", *SPLITS)}
    # mtime=0 and no file name: the same records give the same bytes. Level 6
    # compresses nearly as well as 9 in a third of the time.
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=target, mtime=0, compresslevel=6
    ) as archive:
        for record in exports.records(query, user):
            split = split_of(record["article_id"], seed=seed, weights=weights)
            line = json.dumps({**record, "split": split}, ensure_ascii=False) + "\n"
            data = line.encode()
            content.update(data)
            archive.write(data)
            jsonl = exports.jsonl_line(record).encode()
            tallies["all"].add(record, jsonl)
            tallies[split].add(record, jsonl)
    return content.hexdigest(), {name: t.as_dict() for name, t in tallies.items()}


def dataset_create(
    *,
    user,
    name: str,
    description: str = "",
    filters: Mapping | None = None,
    split: Mapping | None = None,
    seed: int | str | None = None,
) -> Dataset:
    """Freeze what ``user`` would export with ``filters`` as the next version of ``name``.

    Raise ValidationError (keyed ``name``, ``filters``, ``split``, ``seed``)
    or PermissionDenied.
    """
    # A plain atomic block, not the decorator: on PostgreSQL the outermost
    # transaction first switches to REPEATABLE READ so that the chunked reads
    # all see one moment, as a snapshot should.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _create(
            user=user,
            name=name,
            description=description,
            filters=filters,
            split=split,
            seed=seed,
        )


def _create(*, user, name, description, filters, split, seed) -> Dataset:
    require(user, "export")
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the snapshot a name.")
    elif len(name) > Dataset._meta.get_field("name").max_length:
        errors["name"] = _("The name is longer than 200 characters.")
    weights = _collect(errors, parse_split, split)
    seed = _collect(errors, parse_seed, seed)
    query = _collect(errors, _parse_filters, filters)
    if errors:
        raise ValidationError(errors)
    exports.check_status_allowed(user, query.status)

    # Two snapshots of one name at the same moment: the unique constraint
    # refuses the second, which is told to try again.
    latest = Dataset.objects.filter(name=name).aggregate(latest=Max("version"))
    version = (latest["latest"] or 0) + 1
    stem = slugify(name)[:80].strip("-") or "dataset"
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as target:
        content_sha256, tallies = _freeze(
            query, user, seed=seed, weights=weights, target=target
        )
        target.seek(0)
        stored = default_storage.save(
            f"datasets/{stem}-v{version}.jsonl.gz", File(target)
        )
    try:
        overall = tallies.pop("all")
        dataset = Dataset(
            name=name,
            version=version,
            description=(description or "").strip(),
            filters=query.filters(),
            split=weights,
            seed=seed,
            created_by=user,
            content=stored,
            content_sha256=content_sha256,
            article_count=overall["articles"],
            span_count=overall["spans"],
            label_counts=overall["labels"],
            split_counts={"all": overall, **tallies},
        )
        try:
            with transaction.atomic():
                dataset.save()
        except IntegrityError:
            raise ValidationError(
                {
                    "name": _(
                        "Another snapshot named %(name)s was saved at the same moment; "
                        "try again."
                    )
                    % {"name": repr(name)}
                }
            ) from None
        AuditEvent.record(
            actor=user,
            action=AuditEvent.Action.CREATE,
            obj=dataset,
            after=dataset.snapshot(),
        )
    except BaseException:
        default_storage.delete(stored)
        raise
    return dataset


def _collect(errors: dict, parse, value):
    try:
        return parse(value)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None


def _parse_filters(filters) -> exports.ExportQuery:
    if filters is not None and not isinstance(filters, Mapping):
        raise ValidationError(
            {"filters": _("filters must be an object of export parameters.")}
        )
    try:
        return exports.ExportQuery.from_params(filters or {}, keys=exports.FILTER_KEYS)
    except ValidationError as exc:
        # Keyed "filters" for the API caller, each message naming its key.
        raise ValidationError(
            {
                "filters": [
                    f"{key}: {message}"
                    for key, messages in exc.message_dict.items()
                    for message in messages
                ]
            }
        ) from None


# Downloads


def check_readable(dataset: Dataset, user) -> None:
    """Raise PermissionDenied unless ``user`` may download ``dataset``."""
    require(user, "export")
    if dataset.filters.get("status") != "approved" and sees_approved_only(user):
        raise PermissionDenied(
            _(
                "This snapshot holds unreviewed spans; data consumers cannot download it."
            )
        )


def frozen_records(dataset: Dataset, split: str = "all") -> Iterator[dict]:
    """Yield the snapshot's records, of one split or all, in article id order."""
    # Straight from the storage: FieldFile.open() would share one file object
    # between downloads of the same instance.
    with dataset.content.storage.open(dataset.content.name, "rb") as stored:
        with gzip.GzipFile(fileobj=stored, mode="rb") as archive:
            for line in archive:
                record = json.loads(line)
                if split == "all" or record.pop("split") == split:
                    record.pop("split", None)
                    yield record


def download_query(params: Mapping | None) -> tuple[exports.ExportQuery, str]:
    """Validate download parameters; return the query (format, lines, manifest)
    and the split. Raise ValidationError keyed by parameter.
    """
    params = params if params is not None else {}
    errors = {}
    split = exports.param_value(params, "split", errors) or "all"
    if split not in ("all", *SPLITS):
        errors["split"] = _("Unknown split %(value)s; choose one of %(choices)s.") % {
            "value": repr(split),
            "choices": ", ".join(("all", *SPLITS)),
        }
    rest = {
        key: exports.param_values(params, key)
        for key in params.keys()
        if key not in ("split",)
    }
    try:
        query = exports.ExportQuery.from_params(
            rest, keys=[key for key in DOWNLOAD_KEYS if key != "split"]
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return query, split


def stream(
    dataset: Dataset, params: Mapping | None, user, *, iri_base: str | None = None
) -> exports.Export:
    """Return a download of ``dataset`` (params: format, split, lines, manifest).

    Raise ValidationError (a 400) or PermissionDenied (a 403) before any byte.
    """
    query, split = download_query(params)
    check_readable(dataset, user)
    fmt = exports.format_for(query.format, lines=query.lines)
    stats = exports.ExportStats()
    stem = slugify(dataset.name)[:80].strip("-") or "dataset"
    # The version, said once: "presse-fr-v1", not "presse-fr-v1-v1".
    version = "" if dataset.names_its_version else f"-v{dataset.version}"
    suffix = "" if split == "all" else f"-{split}"
    collection_id = None
    if iri_base:
        collection_id = f"{iri_base.rstrip('/')}/datasets/{dataset.pk}/"
    chunks = exports.encode(
        exports.render(
            frozen_records(dataset, split),
            query.format,
            stats,
            lines=query.lines,
            excel=query.excel,
            iri_base=iri_base,
            collection_id=collection_id or f"urn:newsroom:dataset:{dataset.pk}",
            collection_label=f"{dataset} ({split})",
        )
    )
    sha256 = None
    if query.format == "jsonl":
        sha256 = dataset.split_counts.get(split, {}).get("jsonl_sha256")
    return exports.Export(
        format=fmt,
        filename=f"{stem}{version}{suffix}{fmt.extension}",
        chunks=chunks,
        stats=stats,
        sha256=sha256,
        excel=query.excel,
    )


def manifest(
    dataset: Dataset, params: Mapping | None, user, *, iri_base: str | None = None
) -> dict:
    """Return the manifest of one download of ``dataset``; it is deterministic too."""
    _query, split = download_query(params)
    export = stream(dataset, params, user, iri_base=iri_base)
    result = exports.describe(
        export, filters=dataset.filters, generated_at=dataset.created_at
    )
    result["dataset"] = {
        "id": dataset.pk,
        "name": dataset.name,
        "version": dataset.version,
        "description": dataset.description,
        "split": split,
        "split_weights": dataset.split,
        "seed": dataset.seed,
        "content_sha256": dataset.content_sha256,
        "created_by": dataset.created_by.get_username(),
        "created_at": exports.iso(dataset.created_at),
    }
    return result
