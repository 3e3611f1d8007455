"""REST API v1: viewsets, the router, errors, throttles and pagination.

Every write calls the same service functions as the HTML views, so the API and
the browser answer alike (DESIGN.md sections 4 to 6).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import (
    adjudication,
    agreement,
    datasets,
    exports,
    imports,
    ingest,
    permissions,
    services,
)
from .filters import AgreementFilter, ArticleFilter, SpanFilter
from .models import Article, Assignment, AuditEvent, Dataset, Label, Span
from .parsers import JSONParser
from .serializers import (
    SPAN_VALUES,
    AcceptSerializer,
    AdjudicateSerializer,
    AdjudicationResultSerializer,
    AgreementSerializer,
    ApprovePendingResultSerializer,
    ApproveSerializer,
    ArticleCreateSerializer,
    ArticleSerializer,
    ArticleUploadSerializer,
    ArticleWithSpansSerializer,
    AssignSerializer,
    AuditEventSerializer,
    DatasetCreateSerializer,
    DatasetSerializer,
    DismissSerializer,
    ErrorSerializer,
    ImportResultSerializer,
    LabelSerializer,
    ProposalSerializer,
    RejectSerializer,
    SpanCreateSerializer,
    SpanSerializer,
    SpanUpdateSerializer,
    SuggestionRunSerializer,
    span_rows,
)

BULK_MAX_ITEMS = 1000


# Errors: one shape everywhere, {"error": {"code", "message", "fields"?, "current"?}}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class BulkError(exceptions.ValidationError):
    """Per-item errors of a bulk request, keyed by item index (or "line N")."""

    def __init__(self, errors: dict):
        first = next(iter(errors))
        super().__init__({str(key): value for key, value in errors.items()})
        where = f"item {first}" if isinstance(first, int) or first.isdigit() else first
        self.summary = _(
            "Nothing was stored: %(where)s is invalid (%(n)d invalid in all)."
        ) % {"where": where, "n": len(errors)}


def _first_message(detail, path="") -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            label = "" if key in ("non_field_errors", "__all__") else str(key)
            return _first_message(
                value, f"{path}.{label}" if path and label else label or path
            )
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    return f"{path}: {detail}" if path else str(detail)


def exception_handler(exc, context):
    if isinstance(exc, services.DuplicateArticle):
        data = {
            "error": {
                "code": "duplicate",
                "message": _duplicate_message(exc.message),
                "existing_id": exc.existing.pk,
            }
        }
        return Response(data, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, services.Conflict):
        data = {"error": {"code": "conflict", "message": exc.message}}
        if exc.span is not None:
            data["error"]["current"] = SpanSerializer(exc.span).data
        return Response(data, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    error = {"code": getattr(exc, "default_code", "error"), "message": ""}
    if isinstance(exc, exceptions.ValidationError):
        detail = response.data
        error["message"] = getattr(exc, "summary", None) or _first_message(detail)
        if isinstance(detail, dict):
            fields = {k: v for k, v in detail.items() if k != "non_field_errors"}
            if fields:
                error["fields"] = fields
    else:
        codes = exc.get_codes()
        error["code"] = codes if isinstance(codes, str) else error["code"]
        error["message"] = str(exc.detail)
    response.data = {"error": error}
    return response


def _duplicate_message(message: str) -> str:
    return message + " " + _("Send allow_duplicate=true to store it anyway.")


def _query_flag(request, name: str) -> bool:
    """Return the yes/no query parameter ``name`` (absent: no)."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    try:
        return serializers.BooleanField().to_internal_value(raw)
    except exceptions.ValidationError:
        raise exceptions.ValidationError(
            {name: [_("Give true or false; got %(raw)s.") % {"raw": repr(raw)}]}
        ) from None


def not_found(request, exception):
    """Answer unknown /api/ URLs in the API's error shape; HTML elsewhere."""
    if request.path_info.startswith("/api/"):
        message = _("No such API endpoint: %(path)s") % {"path": request.path_info}
        return JsonResponse(
            {"error": {"code": "not_found", "message": message}}, status=404
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "server_error", "message": _("Server error.")}},
            status=500,
        )
    return defaults.server_error(request)


# Pagination


class StrictPageSize:
    """Refuse a malformed ``page_size`` instead of quietly using the default."""

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d; got %(raw)s.")
                        % {"max": self.max_page_size, "raw": repr(raw)}
                    ]
                }
            )
        return min(value, self.max_page_size)


class NumberedPagination(StrictPageSize, PageNumberPagination):
    """Numbered pages, for lists that grow slowly (articles, dataset snapshots)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


class SpanPagination(StrictPageSize, CursorPagination):
    """Cursor pages in id order: stable while spans are added."""

    ordering = ("id",)
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def _check_bulk_size(items) -> None:
    if not isinstance(items, list) or not items:
        raise exceptions.ValidationError(_("Send a JSON list of at least one item."))
    if len(items) > BULK_MAX_ITEMS:
        raise exceptions.ValidationError(
            _("Send at most %(max)d items at once; this request has %(n)d.")
            % {"max": BULK_MAX_ITEMS, "n": len(items)}
        )


def _bulk(items, create_one) -> list:
    """Create every item in one transaction, or none; report errors by index."""
    _check_bulk_size(items)
    errors, created = {}, []
    with transaction.atomic():
        for index, item in enumerate(items):
            try:
                with transaction.atomic():
                    created.append(create_one(item))
            except exceptions.ValidationError as exc:
                errors[index] = exc.detail
            except DjangoValidationError as exc:
                errors[index] = as_serializer_error(exc)
            except services.DuplicateArticle as exc:
                errors[index] = {"text": [_duplicate_message(exc.message)]}
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise BulkError(errors)
    return created


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input"),
    409: OpenApiResponse(
        ErrorSerializer, description="Stale version: the span changed"
    ),
}


class NdjsonParser(BaseParser):
    """``application/x-ndjson``: the jsonl export file, one article a line."""

    media_type = "application/x-ndjson"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            body = stream.read().decode("utf-8") if stream else ""
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(
                _("The body is not UTF-8 (byte %(pos)d).") % {"pos": exc.start}
            ) from None
        # Only "\n" ends a line: JSON strings may hold U+2028 and friends.
        return body.split("\n")


class AnyAcceptContentNegotiation(BaseContentNegotiation):
    """Streams choose their own content type; errors are always JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _with_manifest_flag(request) -> str:
    params = request.GET.copy()
    params["manifest"] = "1"
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


STREAM_RESPONSES = {
    (200, "application/x-ndjson"): OpenApiResponse(
        OpenApiTypes.STR, description="jsonl (or w3c with lines=1)"
    ),
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="csv"),
    (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="conll"),
    (200, "application/ld+json"): OpenApiResponse(
        OpenApiTypes.OBJECT, description="w3c Web Annotation collection"
    ),
    (200, "application/json"): OpenApiResponse(
        OpenApiTypes.OBJECT, description="the manifest, with manifest=1"
    ),
}
FORMAT_PARAMETERS = [
    OpenApiParameter("format", str, enum=list(exports.FORMATS), default="jsonl"),
    OpenApiParameter("lines", bool, description="w3c: one annotation a line"),
    OpenApiParameter(
        "excel",
        bool,
        description=(
            "csv: the spreadsheet-safe variant (cells starting with = + - @ tab "
            "or CR get a leading ', every cell quoted, UTF-8 byte-order mark); "
            "plain csv is byte-exact"
        ),
    ),
    OpenApiParameter(
        "manifest",
        bool,
        description="Return the manifest (counts, sha256) instead of the data",
    ),
]


@extend_schema(
    summary="Stream spans as training data",
    description=(
        "Constant memory at any size. Offsets are code points (NFC, LF). "
        "Data consumers may only ask for approved spans. CoNLL tags entities "
        "by type (`B-PER`…, untyped `B-ENTITY`) and other labels by name "
        "(`B-QUOTE`…); its widened and dropped counts are in the manifest. The "
        "`Link` header points at the manifest of the same export."
    ),
    parameters=[
        *FORMAT_PARAMETERS,
        OpenApiParameter(
            "status",
            str,
            enum=["approved", "pending", "rejected", "all"],
            default="approved",
        ),
        OpenApiParameter("label", str, many=True, description="Label slug; repeat"),
        OpenApiParameter("article", int, many=True, description="Article id; repeat"),
        OpenApiParameter("language", str),
        OpenApiParameter(
            "since",
            OpenApiTypes.DATETIME,
            description="Articles changed (text or spans) after this moment",
        ),
        OpenApiParameter(
            "include_empty", bool, description="Keep articles without spans"
        ),
    ],
    responses={**STREAM_RESPONSES, 400: ERRORS[400]},
)
class ExportView(APIView):
    content_negotiation_class = AnyAcceptContentNegotiation

    def get(self, request):
        permissions.require(request.user, "export")
        iri_base = request.build_absolute_uri("/api/v1/")
        query = exports.ExportQuery.from_params(request.GET)
        if query.manifest:
            return Response(exports.manifest(query, request.user, iri_base=iri_base))
        export = exports.stream(query, request.user, iri_base=iri_base)
        return export.as_response(manifest_url=_with_manifest_flag(request))


@extend_schema_view(
    list=extend_schema(summary="List dataset snapshots"),
    retrieve=extend_schema(summary="Get a snapshot: counts, split, content hash"),
)
class DatasetViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = DatasetSerializer
    pagination_class = NumberedPagination
    # Freezing a snapshot reads data; read tokens may do it.
    allow_read_scope_writes = True

    def get_queryset(self):
        return Dataset.objects.visible_to(self.request.user).select_related(
            "created_by"
        )

    @extend_schema(
        summary="Freeze a snapshot",
        description=(
            "Freezes what you would export with `filters` as the next version of "
            "`name`, split by article (default 80/10/10, by a hash of the article "
            "id and the seed). Later edits never change it."
        ),
        request=DatasetCreateSerializer,
        responses={201: DatasetSerializer, **ERRORS},
    )
    def create(self, request):
        permissions.require(request.user, "export")
        serializer = DatasetCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dataset = datasets.dataset_create(
            user=request.user, **serializer.validated_data
        )
        data = DatasetSerializer(dataset).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a snapshot (a split, in a format)",
        description="The same bytes every time; jsonl carries a Repr-Digest header.",
        parameters=[
            *FORMAT_PARAMETERS,
            OpenApiParameter(
                "split", str, enum=["all", *datasets.SPLITS], default="all"
            ),
        ],
        responses={**STREAM_RESPONSES, 400: ERRORS[400]},
    )
    @action(
        detail=True,
        methods=["get"],
        content_negotiation_class=AnyAcceptContentNegotiation,
        pagination_class=None,
    )
    def download(self, request, pk=None):
        dataset = self.get_object()
        iri_base = request.build_absolute_uri("/api/v1/")
        query, _split = datasets.download_query(request.GET)
        if query.manifest:
            return Response(
                datasets.manifest(dataset, request.GET, request.user, iri_base=iri_base)
            )
        export = datasets.stream(dataset, request.GET, request.user, iri_base=iri_base)
        return export.as_response(manifest_url=_with_manifest_flag(request))


# Articles


@extend_schema_view(
    list=extend_schema(summary="List articles"),
    retrieve=extend_schema(
        summary="Get an article with its canonical text",
        description=(
            "With `include=spans`, the spans you may see come in the same "
            "response, in the shape of `spans/` items, ordered by position."
        ),
        parameters=[OpenApiParameter("include", str, enum=["spans"])],
        responses={200: ArticleWithSpansSerializer, 400: ERRORS[400]},
    ),
    partial_update=extend_schema(
        summary="Edit an article",
        description="The text may change only while the article has no spans.",
    ),
    destroy=extend_schema(
        summary="Delete an article",
        description="A soft delete, except for admins, whose delete is final.",
    ),
)
class ArticleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    parser_classes = [JSONParser, NdjsonParser, MultiPartParser]
    pagination_class = NumberedPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        articles = Article.objects.visible_to(self.request.user)
        if self.action in ("history", "suggest", "adjudicate"):
            # They answer with events or spans, not the article itself.
            return articles
        return (
            articles.select_related("uploaded_by")
            .prefetch_related(
                Prefetch(
                    "assignments",
                    queryset=Assignment.objects.select_related("annotator"),
                )
            )
            .with_span_counts(self.request.user)
            .order_by("-created_at", "-id")
        )

    def retrieve(self, request, *args, **kwargs):
        include = request.query_params.getlist("include")
        if include not in ([], ["spans"]):
            raise exceptions.ValidationError(
                {
                    "include": [
                        _("include takes one value, spans; got %(value)s.")
                        % {"value": ", ".join(map(repr, include))}
                    ]
                }
            )
        article = self.get_object()
        data = self.get_serializer(article).data
        if include:
            user = request.user
            spans = (
                Span.objects.visible_to(user)
                .current()
                .with_visible_source(approved_only=permissions.sees_approved_only(user))
                .filter(article_id=article.pk)
                .order_by("start", "end", "label_id", "id")
                .values(*SPAN_VALUES)
            )
            data["spans"] = span_rows(spans)
        return Response(data)

    @extend_schema(
        summary="Create articles",
        description=(
            "One article as JSON; a JSON list of up to 1,000 (all stored or none; "
            "errors are keyed by the item's index); a multipart upload with a "
            "`file` (.txt UTF-8, .html, .docx); or the jsonl export shape with "
            "spans, as a JSON list or an `application/x-ndjson` body: re-importing "
            "is idempotent (same text sha256 and source URL), `?status=approved` "
            "(admins) imports spans as approved, and errors are keyed by item "
            "index or `line N`. `?from=label-studio` takes a Label Studio JSON "
            "export (a list of tasks) and `?from=doccano` doccano JSONL; `map` "
            "(repeatable, `SRC=label[:TYPE]`) maps their labels and "
            "`offsets=utf16` reads offsets as UTF-16 code units. Offsets are "
            "mapped through the canonical text (CRLF, NFD, surrounding "
            "whitespace). A text identical to an article you can already open "
            "is refused with 409 and that article's `existing_id` (in a list, an "
            "error for the item), unless `allow_duplicate` is true in the query "
            "string or the item."
        ),
        parameters=[
            OpenApiParameter("from", str, enum=list(imports.SOURCES), default="jsonl"),
            OpenApiParameter(
                "map", str, many=True, description="SRC=label[:TYPE]; repeat"
            ),
            OpenApiParameter(
                "offsets", str, enum=list(imports.OFFSET_UNITS), default="codepoints"
            ),
            OpenApiParameter(
                "status", str, enum=list(imports.STATUSES), default="pending"
            ),
            OpenApiParameter(
                "allow_duplicate",
                bool,
                description="Store texts identical to an existing article anyway",
            ),
        ],
        request={
            "application/json": PolymorphicProxySerializer(
                component_name="ArticleCreateRequest",
                serializers=[
                    ArticleCreateSerializer,
                    ArticleCreateSerializer(many=True),
                ],
                resource_type_field_name=None,
                many=False,
            ),
            "application/x-ndjson": OpenApiTypes.STR,
            "multipart/form-data": ArticleUploadSerializer,
        },
        responses={
            201: PolymorphicProxySerializer(
                component_name="ArticleCreateResponse",
                serializers=[
                    ArticleSerializer,
                    ArticleSerializer(many=True),
                    ImportResultSerializer,
                ],
                resource_type_field_name=None,
                many=False,
            ),
            200: OpenApiResponse(
                ImportResultSerializer, description="An import that added nothing new"
            ),
            400: ERRORS[400],
            409: OpenApiResponse(
                ErrorSerializer,
                description="The same text is already stored as `existing_id`",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        permissions.require(request.user, "add_article")
        if (
            "from" in request.query_params
            or request.content_type.startswith(NdjsonParser.media_type)
            or (
                isinstance(request.data, list)
                and any(
                    isinstance(item, dict) and "spans" in item for item in request.data
                )
            )
        ):
            return self._import(request)
        allow_duplicate = _query_flag(request, "allow_duplicate")
        if request.content_type.startswith("multipart/"):
            [article] = self._with_counts([self._upload(request, allow_duplicate)])
            data = self.get_serializer(article).data
        elif isinstance(request.data, list):
            articles = self._create_many(request.data, allow_duplicate)
            data = self.get_serializer(self._with_counts(articles), many=True).data
        else:
            [article] = self._with_counts(
                [self._create_one(request.data, allow_duplicate)]
            )
            data = self.get_serializer(article).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _import(self, request):
        """Import our jsonl, Label Studio or doccano, spans included; all or none."""
        params = request.query_params
        source = params.get("from", "jsonl")
        lines = request.data if isinstance(request.data, list) else [request.data]
        if len(lines) > BULK_MAX_ITEMS:
            raise exceptions.ValidationError(
                _("Send at most %(max)d articles at once; this request has %(n)d.")
                % {"max": BULK_MAX_ITEMS, "n": len(lines)}
            )
        with transaction.atomic():
            result = imports.import_articles(
                lines=lines,
                user=request.user,
                status=params.get("status", Span.Status.PENDING),
                source=source,
                label_map=params.getlist("map") or None,
                offsets=params.get("offsets", "codepoints"),
            )
            if not result.ok:
                transaction.set_rollback(True)
        if not result.ok:
            ndjson = request.content_type.startswith(NdjsonParser.media_type)
            errors = {
                (e.key if ndjson else str(e.line - 1)): e.messages
                for e in result.errors
            }
            raise BulkError(errors)
        data = {
            "articles_created": result.articles_created,
            "articles_existing": result.articles_existing,
            "spans_created": result.spans_created,
            "spans_existing": result.spans_existing,
        }
        if result.notes():
            data["notes"] = result.notes()
        code = (
            status.HTTP_201_CREATED
            if result.articles_created or result.spans_created
            else status.HTTP_200_OK
        )
        return Response(data, status=code)

    def _upload(self, request, allow_duplicate: bool):
        serializer = ArticleUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        upload = fields.pop("file")
        try:
            text, file_title = ingest.text_from_upload(upload)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"file": exc.messages}) from None
        fields.setdefault("title", ingest.upload_title(upload, file_title))
        fields["allow_duplicate"] = fields.get("allow_duplicate") or allow_duplicate
        return services.article_upload(user=request.user, text=text, **fields)

    def _create_many(self, items, allow_duplicate: bool):
        """Create every item or none, through the bulk import's one write path."""
        _check_bulk_size(items)
        checked, allowed, errors = [], [], {}
        for index, item in enumerate(items):
            serializer = ArticleCreateSerializer(
                data=item, context=self.get_serializer_context()
            )
            try:
                serializer.is_valid(raise_exception=True)
                fields = dict(serializer.validated_data)
                allowed.append(fields.pop("allow_duplicate", False) or allow_duplicate)
                checked.append(imports.new_article(fields))
            except exceptions.ValidationError as exc:
                errors[index] = exc.detail
            except DjangoValidationError as exc:
                errors[index] = as_serializer_error(exc)
        if errors:
            raise BulkError(errors)
        repeats = services.article_repeats(
            user=self.request.user,
            text_hashes=[item.fields["text_sha256"] for item in checked],
        )
        for index, repeated in repeats.items():
            if not allowed[index]:
                errors[index] = {"text": [_duplicate_message(repeated)]}
        if errors:
            raise BulkError(errors)
        outcomes = services.articles_import(
            user=self.request.user, items=checked, create_always=True
        )
        return [Article(pk=outcome.article_id) for outcome in outcomes]

    def _create_one(self, item, allow_duplicate: bool):
        serializer = ArticleCreateSerializer(
            data=item, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields["allow_duplicate"] = fields.get("allow_duplicate") or allow_duplicate
        # One article is an upload, which suggestions follow; a list is a bulk
        # load through the import (see _create_many).
        return services.article_upload(user=self.request.user, **fields)

    def _with_counts(self, articles):
        by_id = self.get_queryset().in_bulk([a.pk for a in articles])
        return [by_id[a.pk] for a in articles]

    def perform_update(self, serializer):
        permissions.require(self.request.user, "change_article", serializer.instance)
        serializer.instance = services.article_update(
            article=serializer.instance,
            user=self.request.user,
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.article_delete(article=instance, user=self.request.user)

    @extend_schema(
        summary="Approve every pending span of the article",
        description=(
            "One transaction, one audit event per span. Your own spans stay "
            "pending for another reviewer (four-eyes), and entities without a "
            "type stay pending until they have one; both are counted."
        ),
        request=None,
        responses={200: ApprovePendingResultSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="approve-pending")
    def approve_pending(self, request, pk=None):
        article = self.get_object()
        result = services.article_approve_pending(article=article, user=request.user)
        return Response(
            {
                "approved": [span.pk for span in result.approved],
                "left_for_another_reviewer": result.left_own,
                "left_untyped": result.left_untyped,
            }
        )

    @extend_schema(
        summary="Run the suggesters on the article",
        description=(
            "Editors and admins. Proposes quotes with their speaker, entities, "
            "claims and opinions as spans with status `suggested`, an `origin` "
            "and a `score`, and returns the article's suggestions. Running it "
            "again replaces the suggestions nobody touched and never proposes a "
            "span that exists in any status. Approved entities of every article "
            "serve as a gazetteer."
        ),
        request=None,
        responses={200: SuggestionRunSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def suggest(self, request, pk=None):
        article = self.get_object()
        permissions.require(request.user, "suggest", article)
        run = services.article_suggest(article=article, user=request.user)
        suggestions = Span.objects.filter(
            pk__in=[span.pk for span in run.suggestions]
        ).select_related("label", "created_by", "reviewed_by")
        by_id = {span.pk: span for span in suggestions}
        data = {
            "suggestions": SpanSerializer(
                [by_id[span.pk] for span in run.suggestions], many=True
            ).data,
            "created": run.created,
            "updated": run.updated,
            "removed": run.removed,
            "existing": run.existing,
        }
        return Response(data)

    @extend_schema(
        summary="The article's history, its spans' included, oldest first",
        responses={200: AuditEventSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request, pk=None):
        article = self.get_object()
        events = AuditEvent.objects.visible_to(request.user).filter(
            article_id=article.pk
        )
        return Response(AuditEventSerializer(events, many=True).data)

    @extend_schema(
        summary="Assign annotators, shared or blind",
        description=(
            "Reviewers and admins. In a blind article each annotator sees and "
            "edits only their own spans until a reviewer adjudicates it. An "
            "article with spans cannot become blind; someone with a version "
            "stays assigned."
        ),
        request=AssignSerializer,
        responses={200: ArticleSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        article = self.get_object()
        permissions.require(request.user, "assign", article)
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.article_assign(
            article=article, user=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        methods=["GET"],
        summary="The adjudication proposal: merged spans and items to decide",
        description="Reviewers and admins who annotated none of the versions.",
        responses={200: ProposalSerializer},
    )
    @extend_schema(
        methods=["POST"],
        summary="Adjudicate a blind article",
        description=(
            "One decision per item of the proposal: `keep` a list of annotators "
            "(one, several, or none) or `spans` written anew. Spans identical in "
            "every version are merged. The result is approved by you and its "
            "history names the annotators who had each span; the versions "
            "become `superseded`. Send the proposal's `state`: a version changed "
            "since gets 409."
        ),
        request=AdjudicateSerializer,
        responses={200: AdjudicationResultSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def adjudicate(self, request, pk=None):
        article = self.get_object()
        permissions.require(request.user, "adjudicate", article)
        if request.method == "GET":
            proposal = adjudication.proposal_for(article)
            return Response(proposal.as_dict(article.text))
        serializer = AdjudicateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decisions = {
            decision["item"]: adjudication.Decision(
                keep=tuple(decision.get("keep", ())),
                spans=decision.get("spans"),
            )
            for decision in data["decisions"]
        }
        created = services.article_adjudicate(
            article=article,
            user=request.user,
            decisions=decisions,
            state=data.get("state") or None,
        )
        spans = Span.objects.filter(
            pk__in=[span.pk for span in created]
        ).select_related("label", "created_by", "reviewed_by")
        return Response(
            {"article": article.pk, "spans": SpanSerializer(spans, many=True).data}
        )


@extend_schema(
    summary="Inter-annotator agreement",
    description=(
        "Per pair of annotators over the blind articles both annotated, per "
        "label and over all (`all`): span F1 strict and partial (same label, "
        "half the shorter span in common) with counts, Krippendorff's alpha "
        "(nominal) over tokens, entity-type agreement on paired entities, "
        "source agreement on paired spans that name one, and the share of "
        "boundary-only disagreements; each with its number of units. Reviewers "
        "and admins see every double-annotated article; others only adjudicated "
        "ones."
    ),
    parameters=[
        OpenApiParameter("article", int, description="One article id"),
        OpenApiParameter("label", str, many=True, description="Label slug; repeat"),
        OpenApiParameter("annotator", str, description="Pairs with this username"),
    ],
    responses={200: AgreementSerializer, 400: ERRORS[400]},
)
class AgreementView(APIView):
    def get(self, request):
        permissions.require(request.user, "view_agreement")
        found = AgreementFilter(request.GET, queryset=Article.objects.all())
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        report = agreement.report(user=request.user, **found.report_arguments())
        data = report.as_dict()
        adjudicate_url = reverse("annotations:article_adjudicate", args=[0])
        for row in data["most_disagreement"]:
            row["url"] = adjudicate_url.replace("/0/", f"/{row['article']}/")
        return Response(data)


# Spans


@extend_schema_view(
    list=extend_schema(summary="List spans (cursor pages in id order)"),
    retrieve=extend_schema(summary="Get a span"),
    destroy=extend_schema(
        summary="Delete a span",
        description="Authors delete their own pending or rejected spans; admins any.",
    ),
)
class SpanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SpanSerializer
    filterset_class = SpanFilter
    pagination_class = SpanPagination
    # Offsets are JSON numbers: a form body would send every one as a string.
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        # A dismissed suggestion is hidden, but accepting or dismissing it
        # again is a stale write (409), not an unknown span.
        with_dismissed = self.action in ("accept", "dismiss")
        return (
            Span.objects.visible_to(user, with_dismissed=with_dismissed)
            .with_visible_source(approved_only=permissions.sees_approved_only(user))
            .select_related("label", "created_by", "reviewed_by")
        )

    def list(self, request, *args, **kwargs):
        # Plain rows, not a serializer per span: the same JSON, a fraction of
        # the time on pages of 1,000.
        queryset = self.filter_queryset(self.get_queryset()).values(*SPAN_VALUES)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(span_rows(page))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # Superseded versions are history: a list shows them only when its
        # status filter names them; each stays reachable by its id.
        wanted = self.request.query_params.getlist("status")
        if self.action == "list" and Span.Status.SUPERSEDED not in wanted:
            queryset = queryset.current()
        return queryset

    def _output(self, span, status_code=status.HTTP_200_OK):
        span = self.get_queryset().get(pk=span.pk)
        return Response(SpanSerializer(span).data, status=status_code)

    @extend_schema(
        summary="Create spans",
        description=(
            "One span, or a JSON list of up to 1,000 spans of ONE article "
            "(pre-annotations; all stored or none, errors keyed by index). "
            "Offsets are code points; `text`, when sent, must match."
        ),
        request=PolymorphicProxySerializer(
            component_name="SpanCreateRequest",
            serializers=[SpanCreateSerializer, SpanCreateSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: PolymorphicProxySerializer(
                component_name="SpanCreateResponse",
                serializers=[SpanSerializer, SpanSerializer(many=True)],
                resource_type_field_name=None,
                many=False,
            ),
            **ERRORS,
        },
    )
    def create(self, request, *args, **kwargs):
        permissions.require(request.user, "add_span")
        if not isinstance(request.data, list):
            return self._output(self._create_one(request.data), status.HTTP_201_CREATED)
        articles = [
            item.get("article") for item in request.data if isinstance(item, dict)
        ]
        if any(article != articles[0] for article in articles):
            raise exceptions.ValidationError(
                {"article": [_("A bulk request adds spans to one article only.")]}
            )
        spans = _bulk(request.data, self._create_one)
        spans = self.get_queryset().in_bulk([s.pk for s in spans])
        data = SpanSerializer(list(spans.values()), many=True).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _create_one(self, item):
        serializer = SpanCreateSerializer(
            data=item, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return services.span_create(user=self.request.user, **serializer.validated_data)

    @extend_schema(
        summary="Edit a span",
        description=(
            "Authors edit their own spans; an edit of an approved or rejected span "
            "sends it back to pending. Send `version` to refuse a stale edit (409)."
        ),
        request=SpanUpdateSerializer,
        responses={200: SpanSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        span = self.get_object()
        permissions.require(request.user, "change_span", span)
        serializer = SpanUpdateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        span = services.span_update(
            span=span, user=request.user, **serializer.validated_data
        )
        return self._output(span)

    def perform_destroy(self, instance):
        services.span_delete(span=instance, user=self.request.user)

    @extend_schema(
        summary="Approve a span",
        description="Reviewers and admins, not on their own spans (four-eyes).",
        request=ApproveSerializer,
        responses={200: SpanSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decision(request, ApproveSerializer, services.span_approve)

    @extend_schema(
        summary="Reject a span with a reason",
        request=RejectSerializer,
        responses={200: SpanSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decision(request, RejectSerializer, services.span_reject)

    @extend_schema(
        summary="Accept a suggestion",
        description=(
            "Editors and admins. The suggestion becomes an ordinary pending span "
            "created by you, keeping its `origin`. Corrections (`start`, `end`, "
            "`label`, `entity_type`, `source`, and `text` to check) apply in the "
            "same call. A quote's suggested speaker is accepted with it. Send "
            "`version` to refuse a stale accept (409); a span that is no longer "
            "a suggestion also gets 409."
        ),
        request=AcceptSerializer,
        responses={200: SpanSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        span = self.get_object()
        permissions.require(request.user, "accept_suggestion", span)
        serializer = AcceptSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        span = services.span_accept(
            span=span, user=request.user, **serializer.validated_data
        )
        return self._output(span)

    @extend_schema(
        summary="Dismiss a suggestion",
        description=(
            "Editors and admins. The span becomes `dismissed`: counted in the "
            "suggestion figures, shown nowhere else. Send `version` to refuse a "
            "stale dismissal (409)."
        ),
        request=DismissSerializer,
        responses={200: SpanSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        span = self.get_object()
        permissions.require(request.user, "dismiss_suggestion", span)
        serializer = DismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        span = services.span_dismiss(
            span=span, user=request.user, **serializer.validated_data
        )
        data = SpanSerializer(
            Span.objects.select_related("label", "created_by", "reviewed_by").get(
                pk=span.pk
            )
        ).data
        return Response(data)

    def _decision(self, request, serializer_class, decide):
        span = self.get_object()
        # Refuse before validating: a consumer learns nothing from a 400.
        permissions.require(request.user, "review_span", span)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._output(
            decide(span=span, user=request.user, **serializer.validated_data)
        )

    @extend_schema(
        summary="A span's history, oldest first",
        responses={200: AuditEventSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request, pk=None):
        span = self.get_object()
        events = AuditEvent.objects.visible_to(request.user).for_object(span)
        return Response(AuditEventSerializer(events, many=True).data)


# Labels


@extend_schema_view(
    list=extend_schema(summary="List labels"),
    retrieve=extend_schema(summary="Get a label"),
    create=extend_schema(summary="Add a label (admins)"),
    partial_update=extend_schema(summary="Edit a label (admins)"),
    destroy=extend_schema(summary="Delete an unused label (admins)"),
)
class LabelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LabelSerializer
    permission_classes = [
        *viewsets.GenericViewSet.permission_classes,
        permissions.writes_need("manage"),
    ]
    pagination_class = None
    queryset = Label.objects.all()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.label_create(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.label_update(
            label=serializer.instance,
            user=self.request.user,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.label_delete(label=instance, user=self.request.user)


router = DefaultRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("spans", SpanViewSet, basename="span")
router.register("labels", LabelViewSet, basename="label")
router.register("datasets", DatasetViewSet, basename="dataset")
