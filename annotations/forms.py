import datetime
import json

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import furniture, ingest, permissions
from .models import ApiToken, Article, Label, Span
from .text import sha256_hex

COMMON_LANGUAGES = ["fr", "en", "de", "es", "it", "nl", "pt", "ar"]


class PlainErrorsMixin:
    def error_text(self) -> str:
        """Return every error message of the form as one sentence-separated line."""
        return " ".join(
            str(message) for errors in self.errors.values() for message in errors
        )


class IndexListField(forms.Field):
    """Zero or more non-negative integers sent under one name (checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            numbers = [int(item) for item in value or ()]
        except (TypeError, ValueError):
            raise ValidationError(
                _("The paragraphs to keep are not a list of numbers.")
            ) from None
        if any(number < 0 for number in numbers):
            raise ValidationError(
                _("The paragraphs to keep are not a list of numbers.")
            )
        return numbers


class ArticleForm(forms.ModelForm):
    """Upload: pasted ``text`` or a ``file``, checked and canonicalised in ``clean``.

    ``cleaned_data["text"]`` is the canonical text whichever way it came; the file
    itself is never kept. After a preview, ``text`` holds the whole canonical
    text, ``previewed`` its sha256 and ``keep`` the indices of the paragraphs
    (``furniture.paragraphs``) the editor kept: the stored text is exactly those.
    """

    source_url = forms.URLField(
        label=gettext_lazy("Source URL"),
        required=False,
        max_length=2000,
        assume_scheme="https",
    )
    file = forms.FileField(
        label=gettext_lazy("…or upload a file"),
        required=False,
        help_text=gettext_lazy(".txt (UTF-8), .html (a saved web page) or .docx"),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.html,.htm,.docx"}),
    )
    keep = IndexListField(required=False)
    previewed = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    class Meta:
        model = Article
        fields = [
            "title",
            "language",
            "source_url",
            "outlet",
            "byline",
            "published_on",
            "text",
        ]
        labels = {
            "title": gettext_lazy("Title"),
            "language": gettext_lazy("Language"),
            "outlet": gettext_lazy("Outlet"),
            "byline": gettext_lazy("Byline"),
            "published_on": gettext_lazy("Published on"),
            "text": gettext_lazy("Article text"),
        }
        widgets = {
            "language": forms.TextInput(
                attrs={"list": "language-codes", "size": 6, "autocomplete": "off"}
            ),
            "published_on": forms.DateInput(attrs={"type": "date"}),
            "text": forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        }

    def __init__(self, *args, require_title=True, choosing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.require_title = require_title
        # The title the file carries, and the one it is saved under untitled.
        self.title_hint = self.upload_title = ""
        self.full_text = ""
        self.stale_preview = False
        # Both are checked in clean(): an uploaded file always gives a title (see
        # ingest.upload_title), and the text comes from the box or the file.
        self.fields["title"].required = False
        self.fields["text"].required = False
        self.fields["text"].strip = False
        if choosing:
            # The paragraphs are chosen with checkboxes; the text rides along.
            self.fields["text"].widget = forms.HiddenInput()

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded:
            self.file_text, self.title_hint = ingest.text_from_upload(uploaded)
            self.upload_title = ingest.upload_title(uploaded, self.title_hint)
        return uploaded

    def clean(self):
        cleaned = super().clean()
        if "file" in self.errors:
            return cleaned
        pasted = cleaned.get("text") or ""
        if cleaned.get("file"):
            if pasted.strip():
                raise ValidationError(
                    _("Either paste the text or choose a file, not both."),
                    code="both",
                )
            pasted = self.file_text
        elif not pasted.strip():
            self.add_error(
                "text", _("Paste the article text here, or choose a file below.")
            )
            return cleaned
        # The model's own rules (canonical form, length limit) decide what is stored.
        probe = Article()
        try:
            probe.set_text(pasted)
            self.full_text = probe.text
            if cleaned.get("previewed"):
                probe.set_text(self._kept_text(cleaned))
        except ValidationError as error:
            self.add_error(None if hasattr(error, "error_dict") else "text", error)
            return cleaned
        cleaned["text"] = probe.text
        if not cleaned.get("title") and self.title_hint:
            cleaned["title"] = self.title_hint
        if self.require_title and not cleaned.get("title") and self.upload_title:
            # Saving an untitled file; a preview suggests a headline first.
            cleaned["title"] = self.upload_title
        if self.require_title and not cleaned.get("title"):
            self.add_error("title", _("Give the article a title."))
        return cleaned

    def _kept_text(self, cleaned) -> str:
        if cleaned["previewed"] != sha256_hex(self.full_text):
            self.stale_preview = True
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _(
                        "The text is not the one previewed any more. Preview it "
                        "again, then choose the paragraphs to keep."
                    )
                }
            )
        kept = furniture.join(self.full_text, cleaned.get("keep") or ())
        if not kept:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _(
                        "Keep at least one paragraph: every one is marked to drop."
                    )
                }
            )
        return kept

    def article_fields(self) -> dict:
        """Return the keyword arguments ``services.article_create`` takes."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class NewSpanForm(PlainErrorsMixin, forms.ModelForm):
    """A selection to tag: the label's slug, code-point offsets, the text seen,
    and optionally an entity's type or a statement's source (an entity's id).
    """

    label = forms.ModelChoiceField(
        queryset=Label.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": gettext_lazy("Choose one of the labels.")},
    )

    class Meta:
        model = Span
        fields = ["label", "start", "end", "text", "entity_type", "source"]

    def __init__(self, *args, article=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].required = False
        self.fields["text"].strip = False
        self.fields["entity_type"].required = False
        self.fields["source"].required = False
        self.fields["source"].error_messages["invalid_choice"] = _(
            "The source must be a span of this article."
        )
        if article is not None:
            self.fields["source"].queryset = Span.objects.filter(article=article)

    def _post_clean(self):
        # services.span_create checks the span against its article.
        pass


class SpanBoundsForm(PlainErrorsMixin, forms.Form):
    """New boundaries for a span, and the version they were computed from."""

    start = forms.IntegerField(label=gettext_lazy("start"), min_value=0)
    end = forms.IntegerField(label=gettext_lazy("end"), min_value=1)
    version = forms.IntegerField(label=gettext_lazy("version"), min_value=1)


class IdListField(forms.Field):
    """One or more ids sent under one name."""

    widget = forms.MultipleHiddenInput
    MAX_ITEMS = 5000

    def to_python(self, value):
        try:
            ids = [int(item) for item in value or ()]
        except (TypeError, ValueError):
            raise ValidationError(_("The spans are not a list of ids.")) from None
        if not ids or any(not 1 <= pk < 2**63 for pk in ids):
            raise ValidationError(_("The spans are not a list of ids."))
        if len(ids) > self.MAX_ITEMS:
            raise ValidationError(
                _("Send at most %(max)d spans at once.") % {"max": self.MAX_ITEMS}
            )
        return ids


class AcceptSuggestionsForm(PlainErrorsMixin, forms.Form):
    """Shift+Y: the suggestions the page shows of one label, from a score up."""

    label = forms.ModelChoiceField(
        queryset=Label.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": gettext_lazy("Choose one of the labels.")},
    )
    min_score = forms.FloatField(min_value=0, max_value=1)
    spans = IdListField()


class UndoForm(PlainErrorsMixin, forms.Form):
    """The audit event of the change to undo."""

    event = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class SpanForm(PlainErrorsMixin, forms.ModelForm):
    """Relabel a span, set an entity's type or a statement's source."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Span
        fields = ["label", "entity_type", "source"]
        labels = {
            "label": gettext_lazy("Label"),
            "entity_type": gettext_lazy("Entity type"),
            "source": gettext_lazy("Source"),
        }

    def __init__(self, *args, entities=(), **kwargs):
        # Several rows may be in edit mode at once: keep their ids apart.
        kwargs.setdefault("auto_id", f"span-{kwargs['instance'].pk}-%s")
        super().__init__(*args, **kwargs)
        self.fields["label"].queryset = Label.objects.all()
        self.fields["label"].empty_label = None
        self.fields["entity_type"].required = False
        self.fields["source"].required = False
        self.fields["source"].empty_label = _("No source")
        # Choices from the spans already loaded for the page: no query per option.
        entities = [e for e in entities if e.pk != self.instance.pk]
        self.fields["source"].queryset = Span.objects.filter(
            pk__in=[e.pk for e in entities]
        )
        self.fields["source"].choices = [("", _("No source"))] + [
            (e.pk, f"{e.text[:60]} (#{e.pk})") for e in entities
        ]
        if "version" not in self.initial:
            self.initial["version"] = self.instance.version

    def _post_clean(self):
        # services.span_update validates against the article and audits the change.
        pass

    def changes(self) -> dict:
        """Return the fields the user changed, for ``services.span_update``.

        Only those: the service decides what a new label drops.
        """
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name in self.changed_data
        }


class DecisionForm(PlainErrorsMixin, forms.Form):
    """Approve a span: the version the reviewer saw, so nothing is decided twice."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RejectForm(DecisionForm):
    """Reject a span: a one-click reason, words of one's own, or both.

    The one-click reasons depend on the span's label: no "not a quote" on an
    entity. Their order is the digit that picks them in the review keys, so the
    first two stay the same for every label.
    """

    REASONS = [
        ("wrong_boundaries", gettext_lazy("wrong boundaries")),
        ("wrong_label", gettext_lazy("wrong label")),
        ("not_a_quote", gettext_lazy("not a quote")),
        ("not_a_claim", gettext_lazy("not a claim")),
        ("not_an_opinion", gettext_lazy("not an opinion")),
        ("not_an_entity", gettext_lazy("not an entity")),
        ("wrong_type", gettext_lazy("wrong entity type")),
        ("wrong_source", gettext_lazy("wrong source")),
    ]
    BY_LABEL = {
        "quote": ["not_a_quote", "wrong_source"],
        "claim": ["not_a_claim", "wrong_source"],
        "opinion": ["not_an_opinion", "wrong_source"],
        "entity": ["not_an_entity", "wrong_type"],
    }
    EVERY_LABEL = ["wrong_boundaries", "wrong_label"]

    preset = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=REASONS,
        required=False,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("In your own words"), required=False, max_length=500
    )

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["preset"].choices = self.reasons_for(label.slug)

    @classmethod
    def reasons_for(cls, slug: str) -> list[tuple[str, str]]:
        """Return the (value, name) one-click reasons for a span labelled ``slug``."""
        names = dict(cls.REASONS)
        values = cls.EVERY_LABEL + cls.BY_LABEL.get(slug, [])
        return [(value, names[value]) for value in values]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.reason_text():
            self.add_error("reason", _("Pick a reason or write one."))
        return cleaned

    def reason_text(self) -> str:
        """Return the reason to store: the picked one, then the reviewer's words."""
        preset = dict(self.REASONS).get(self.cleaned_data.get("preset"))
        words = self.cleaned_data.get("reason", "")
        if preset and words:
            return f"{preset}: {words}"
        return str(preset or words)


class ApiTokenForm(forms.ModelForm):
    expires_on = forms.DateField(
        label=gettext_lazy("Valid until (optional)"),
        required=False,
        help_text=gettext_lazy("The token stops working at the end of this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scope"]
        labels = {"name": gettext_lazy("Name"), "scope": gettext_lazy("Scope")}
        help_texts = {
            "name": gettext_lazy("What the token is for, e.g. “nightly export”."),
        }
        widgets = {"scope": forms.RadioSelect}

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise ValidationError(_("The date must be today or later."))
        try:
            self._expires_at = self._end_of(day)
        except OverflowError:
            raise ValidationError(
                _("Choose an earlier date: %(day)s is beyond the last date stored.")
                % {"day": day.isoformat()}
            ) from None
        return day

    @staticmethod
    def _end_of(day) -> datetime.datetime | None:
        if day is None:
            return None
        end_of_day = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min
        )
        # Checked in UTC, as stored: the last day may not fit once converted.
        return timezone.make_aware(end_of_day).astimezone(datetime.UTC)

    def expires_at(self) -> datetime.datetime | None:
        return self._expires_at


FORMAT_CHOICES = [
    ("jsonl", gettext_lazy("JSONL: one article a line, spans with offsets")),
    ("csv", gettext_lazy("CSV: one span a row")),
    ("conll", gettext_lazy("CoNLL: tokens with BIO tags")),
    ("w3c", gettext_lazy("W3C Web Annotation (JSON-LD)")),
]


class ExportFiltersForm(forms.Form):
    """The export query keys (DESIGN.md section 6) as form fields."""

    status = forms.ChoiceField(
        label=gettext_lazy("Spans"),
        choices=[
            ("approved", gettext_lazy("Approved")),
            ("pending", gettext_lazy("Pending")),
            ("rejected", gettext_lazy("Rejected")),
            ("all", gettext_lazy("All")),
            ("suggested", gettext_lazy("Suggestions not yet accepted")),
        ],
        initial="approved",
    )
    label = forms.MultipleChoiceField(
        label=gettext_lazy("Labels (none ticked: all)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.CharField(
        label=gettext_lazy("Language"), required=False, max_length=16
    )
    since = forms.DateField(
        label=gettext_lazy("Changed since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    include_empty = forms.BooleanField(
        label=gettext_lazy("Include articles without spans"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].choices = Label.objects.values_list("slug", "name")
        if permissions.sees_approved_only(user):
            # Data consumers see approved spans only.
            self.fields["status"].choices = self.fields["status"].choices[:1]

    def export_filters(self) -> dict:
        data = self.cleaned_data
        filters = {"status": data["status"], "label": data["label"]}
        if data["language"]:
            filters["language"] = data["language"]
        if data["since"]:
            filters["since"] = data["since"].isoformat()
        if data["include_empty"]:
            filters["include_empty"] = "1"
        return filters


class ExportForm(ExportFiltersForm):
    format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=FORMAT_CHOICES, initial="jsonl"
    )
    lines = forms.BooleanField(
        label=gettext_lazy("W3C: one annotation a line"), required=False
    )
    # On by default here: people open this page's CSV in a spreadsheet.
    excel = forms.BooleanField(
        label=gettext_lazy(
            "CSV: safe to open in a spreadsheet (cells that look like formulas "
            "get a leading ')"
        ),
        required=False,
        initial=True,
    )
    field_order = ["format", "status", "label", "language", "since", "include_empty"]

    def export_params(self) -> dict:
        params = {**self.export_filters(), "format": self.cleaned_data["format"]}
        if self.cleaned_data["lines"]:
            params["lines"] = "1"
        if self.cleaned_data["excel"] and params["format"] == "csv":
            params["excel"] = "1"
        return params


class DatasetForm(ExportFiltersForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    train = forms.IntegerField(
        label=gettext_lazy("Train %"), min_value=0, max_value=100, initial=80
    )
    dev = forms.IntegerField(
        label=gettext_lazy("Dev %"), min_value=0, max_value=100, initial=10
    )
    test = forms.IntegerField(
        label=gettext_lazy("Test %"), min_value=0, max_value=100, initial=10
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Seed (empty: random)"),
        required=False,
        min_value=0,
        max_value=2**63 - 1,
    )
    field_order = ["name", "description", "status", "label", "language", "since"]

    def dataset_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "filters": self.export_filters(),
            "split": {key: data[key] for key in ("train", "dev", "test")},
            "seed": data["seed"],
        }


class ProfileForm(forms.Form):
    """The account page: the language the pages speak to this person."""

    language = forms.ChoiceField(
        label=gettext_lazy("Language of the pages"),
        required=False,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Without a choice, the pages follow your browser's language."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("My browser's language")),
            *settings.LANGUAGES,
        ]


# Double annotation


class AssignArticlesForm(PlainErrorsMixin, forms.Form):
    """Assign the articles ticked in the list: chosen annotators, or a few at
    random among them."""

    CHOSEN = "chosen"
    RANDOM = "random"

    articles = forms.ModelMultipleChoiceField(
        queryset=Article.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": gettext_lazy("Tick the articles to assign.")},
    )
    how = forms.ChoiceField(
        label=gettext_lazy("Assign to"),
        choices=[
            (CHOSEN, gettext_lazy("the annotators ticked below")),
            (RANDOM, gettext_lazy("some at random among those ticked below")),
        ],
        initial=CHOSEN,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label=gettext_lazy("How many at random"), min_value=1, max_value=10, initial=2
    )
    annotators = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Annotators"),
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Tick at least one annotator.")},
    )
    blind = forms.BooleanField(
        label=gettext_lazy(
            "Blind: each sees only their own spans until a reviewer adjudicates"
        ),
        required=False,
        initial=True,
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["articles"].queryset = Article.objects.visible_to(user)
        self.fields["annotators"].queryset = permissions.annotator_candidates()

    def assignment(self) -> dict:
        """Return the keyword arguments of ``services.articles_assign``."""
        data = self.cleaned_data
        people = list(data["annotators"])
        if data["how"] == self.RANDOM:
            return {"pool": people, "count": data["count"], "blind": data["blind"]}
        return {"annotators": people, "blind": data["blind"]}


class AdjudicationForm(PlainErrorsMixin, forms.Form):
    """One decision per item of an adjudication proposal.

    ``d-<item>`` is ``keep:<annotator>``, ``keep:*`` (every version), ``none``
    or ``edit``; an edit's span comes in ``e-<item>`` as JSON (label, start,
    end, entity_type, source), written by the page's script.
    """

    state = forms.CharField(widget=forms.HiddenInput, max_length=64)
    EVERYONE = "keep:*"

    def __init__(self, *args, proposal, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        for item in proposal.items:
            # Keeping an annotator who marked nothing here keeps nothing.
            choices = [(f"keep:{name}", name) for name in item.marks]
            if len(item.annotators_with_marks) > 1 and not item.keeps_all_clash:
                choices.append((self.EVERYONE, _("every version")))
            choices += [("none", _("none")), ("edit", _("edit"))]
            self.fields[f"d-{item.key}"] = forms.ChoiceField(
                choices=choices,
                error_messages={
                    "required": _("Item %(key)s: decide on it.") % {"key": item.key}
                },
            )
            self.fields[f"e-{item.key}"] = forms.CharField(
                required=False, max_length=2000
            )

    def _edited_span(self, key: str, raw: str) -> dict:
        try:
            values = json.loads(raw)
            span = {
                "label": str(values["label"]),
                "start": int(values["start"]),
                "end": int(values["end"]),
                "entity_type": values.get("entity_type") or None,
                "source": int(values["source"]) if values.get("source") else None,
            }
        except (ValueError, TypeError, KeyError):
            raise forms.ValidationError(
                _("Item %(key)s: the edited span is incomplete.") % {"key": key}
            ) from None
        if span["entity_type"] not in (None, *Span.EntityType.values):
            raise forms.ValidationError(
                _("Item %(key)s: unknown entity type.") % {"key": key}
            )
        return span

    def clean(self):
        cleaned = super().clean()
        self.edits = {}
        for item in self.proposal.items:
            if cleaned.get(f"d-{item.key}") != "edit":
                continue
            try:
                self.edits[item.key] = self._edited_span(
                    item.key, cleaned.get(f"e-{item.key}") or ""
                )
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def undecided(self) -> list[str]:
        """Return the keys of the items without a decision (bound forms)."""
        return [
            item.key
            for item in self.proposal.items
            if not self.data.get(f"d-{item.key}")
        ]

    def decisions(self) -> dict:
        """Return the decisions for ``services.article_adjudicate``."""
        from .adjudication import Decision

        result = {}
        for item in self.proposal.items:
            choice = self.cleaned_data[f"d-{item.key}"]
            if choice == "edit":
                result[item.key] = Decision(spans=[self.edits[item.key]])
            elif choice == "none":
                result[item.key] = Decision(keep=())
            elif choice == self.EVERYONE:
                result[item.key] = Decision(keep=tuple(item.annotators_with_marks))
            else:
                result[item.key] = Decision(keep=(choice.removeprefix("keep:"),))
        return result
