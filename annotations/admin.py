from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from . import permissions, services
from .choices import Role
from .models import Article, AuditEvent, Dataset, Label, Span

User = get_user_model()
# Kept by triggers for search; nothing a person reads.
SEARCH_COLUMNS = ["search_vector", "search_text"]


ROLE_CHOICES = [*Role.choices, (permissions.ADMIN, _("Admin"))]


def _role_action_name(role: str, grant: bool) -> str:
    template = _("Grant the %(role)s role") if grant else _("Revoke the %(role)s role")
    return str(template) % {"role": str(Role(role).label).lower()}


def _role_action(role: str, grant: bool):
    def action(modeladmin, request, queryset):
        count = 0
        try:
            with transaction.atomic():
                for user in queryset:
                    held = set(permissions.roles(user))
                    wanted = held | {role} if grant else held - {role}
                    if wanted != held:
                        services.user_set_roles(
                            target=user, user=request.user, roles=wanted
                        )
                        count += 1
        except ValidationError as exc:
            modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        template = (
            ngettext(
                "The %(role)s role was granted to %(n)d user.",
                "The %(role)s role was granted to %(n)d users.",
                count,
            )
            if grant
            else ngettext(
                "The %(role)s role was taken from %(n)d user.",
                "The %(role)s role was taken from %(n)d users.",
                count,
            )
        )
        modeladmin.message_user(
            request,
            template % {"role": str(Role(role).label).lower(), "n": count},
            messages.SUCCESS,
        )

    action.__name__ = f"{'grant' if grant else 'revoke'}_{role}"
    # Lazy: the admin shows the action in each request's language.
    action.short_description = lazy(_role_action_name, str)(role, grant)
    return action


class RolesChangeForm(UserChangeForm):
    """The user form with roles in place of groups, staff and superuser flags."""

    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Admins manage users, roles and labels here."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = sorted(permissions.roles(self.instance))


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [*Role.choices, ("admin", _("Admin")), ("none", _("No role"))]

    def queryset(self, request, queryset):
        if self.value() == "admin":
            return queryset.filter(is_staff=True)
        if self.value() == "none":
            return queryset.filter(is_staff=False, groups__isnull=True)
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


admin.site.unregister(User)


@admin.register(User)
class NewsroomUserAdmin(UserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "roles",
        "is_active",
    ]
    list_filter = [RoleFilter, "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email"]
    actions = [
        _role_action(role, grant) for grant in (True, False) for role in Role.values
    ]
    form = RolesChangeForm
    # Roles change through services.user_set_roles (validated, audited), so the
    # form has no groups, permissions or staff flags of its own.
    fieldsets = [
        (title, {"fields": ["is_active", "roles"]})
        if "groups" in options["fields"]
        else (title, options)
        for title, options in UserAdmin.fieldsets
    ]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "roles" in form.changed_data:
            try:
                services.user_set_roles(
                    target=obj, user=request.user, roles=form.cleaned_data["roles"]
                )
            except ValidationError as exc:
                # The rest of the form is saved; the roles stay as they were.
                self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, user):
        names = [g.name for g in user.groups.all()]
        if user.is_staff:
            names.append("admin")
        return ", ".join(sorted(names)) or "—"


class DeletesThroughServices:
    """Admin deletes call ``delete_through_services``, one object at a time.

    A refusal (a label still in use, an entity cited as a source) becomes a
    message on the list rather than an error page.
    """

    def delete_through_services(self, request, obj):
        raise NotImplementedError

    def delete_model(self, request, obj):
        try:
            self.delete_through_services(request, obj)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        except PermissionDenied as exc:
            # A suggestion, say: accepted or dismissed on the annotate page.
            self.message_user(request, str(exc), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Label)
class LabelAdmin(DeletesThroughServices, TranslationAdmin):
    """A name and a description in each language; the slug is the API's word."""

    list_display = ["name", "slug", "colour", "shortcut", "order"]
    list_editable = ["colour", "shortcut", "order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]

    # Writes go through the services, audited like the API's.

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # services.label_update keeps the slug of a label in use.
        if obj is not None and obj.spans.exists():
            fields.append("slug")
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.spans.exists():
            return {}
        return super().get_prepopulated_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            services.label_update(label=obj, user=request.user, **changes)
        else:
            fields = {
                name: value
                for name, value in form.cleaned_data.items()
                if name in Label.editable_fields()
            }
            obj.pk = services.label_create(user=request.user, **fields).pk

    def delete_through_services(self, request, obj):
        services.label_delete(label=obj, user=request.user)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "outlet",
        "language",
        "uploaded_by",
        "created_at",
        "is_deleted",
    ]
    list_filter = ["is_deleted", "language", "outlet", "uploaded_by"]
    search_fields = ["title", "outlet", "byline", "source_url"]
    date_hierarchy = "created_at"
    list_select_related = ["uploaded_by"]
    actions = ["restore"]
    exclude = SEARCH_COLUMNS
    readonly_fields = [
        f.name for f in Article._meta.fields if f.name not in SEARCH_COLUMNS
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Changes go through the app so they are validated and audited.
        return False

    def delete_model(self, request, obj):
        services.article_delete(article=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for article in queryset:
                services.article_delete(article=article, user=request.user)

    @admin.action(description=_("Restore the selected deleted articles"))
    def restore(self, request, queryset):
        restored = 0
        with transaction.atomic():
            for article in queryset.filter(is_deleted=True):
                services.article_restore(article=article, user=request.user)
                restored += 1
        self.message_user(request, _("%(n)d articles restored.") % {"n": restored})


@admin.register(Span)
class SpanAdmin(DeletesThroughServices, admin.ModelAdmin):
    list_display = [
        "id",
        "article",
        "label",
        "start",
        "end",
        "text",
        "status",
        "origin",
        "score",
        "created_by",
        "reviewed_by",
    ]
    list_filter = [
        "status",
        "origin",
        "label",
        "entity_type",
        "article__language",
        "created_by",
        "reviewed_by",
    ]
    search_fields = ["text", "article__title"]
    list_select_related = ["article", "label", "created_by", "reviewed_by"]
    readonly_fields = [f.name for f in Span._meta.fields]
    raw_id_fields = ["article", "source"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Changes go through the app so they are validated and audited.
        return False

    def delete_through_services(self, request, obj):
        services.span_delete(span=obj, user=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "article_id",
        "object_repr",
    ]
    list_filter = ["action", "object_type", "created_at"]
    search_fields = ["actor_username", "object_repr", "=object_id", "=article_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Changes go through the app so they are validated and audited.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "version",
        "created_by",
        "created_at",
        "article_count",
        "span_count",
    ]
    list_filter = ["created_by", "created_at"]
    search_fields = ["name", "description", "content_sha256"]
    list_select_related = ["created_by"]
    readonly_fields = [f.name for f in Dataset._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Snapshots are immutable; only deleting one is possible.
        return False

    def delete_model(self, request, obj):
        obj.content.delete(save=False)
        obj.delete()

    def delete_queryset(self, request, queryset):
        for dataset in queryset:
            self.delete_model(request, dataset)
