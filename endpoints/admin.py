"""Django admin for every model, with secrets masked and the guards intact.

Secrets are never shown or editable in the admin: the authentication
configuration is read-only and shows only which secrets are set. Auth
settings are changed on the console's endpoint page, where the auth type's
form validates them.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Count, F

from .models import (
    ActivityEntry,
    AuthConfig,
    Endpoint,
    Step,
    StepUsage,
    Workflow,
)

admin.site.site_header = "Endpoint Console administration"
admin.site.site_title = "Endpoint Console admin"
admin.site.index_title = "Administration"


class AuthConfigInline(admin.StackedInline):
    model = AuthConfig
    can_delete = False
    fields = ["auth_type", "awaiting_configuration", "settings", "secrets_set"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def settings(self, obj):
        return _format_params(obj)

    def secrets_set(self, obj):
        return _format_secrets(obj)


def _format_params(config: AuthConfig) -> str:
    return ", ".join(f"{key}: {value}" for key, value in sorted(config.params.items()))


def _format_secrets(config: AuthConfig) -> str:
    if not config.secrets_readable:
        return "Unreadable with the current FERNET_KEYS"
    names = sorted(name for name, value in config.stored_secrets().items() if value)
    for name in ("access_token", "refresh_token"):
        if getattr(config, name):
            names.append(name)
    return ", ".join(f"{name} (set)" for name in names) or "none"


def _cascade_perms_needed(request, perms_needed, cascaded_models) -> set:
    """Remove the cascaded models that the user may delete from perms_needed.

    AuthConfigAdmin rejects every delete and EndpointAdmin rejects the delete
    of a built-in endpoint, so that neither is deleted on its own. The admin
    checks the same permission for every object that a delete cascades to,
    but a configuration goes with its endpoint and a built-in endpoint goes
    with its workflow, so for those the model's delete permission decides.
    A built-in endpoint selected on its own is still listed as protected.
    """
    allowed = set()
    for model in cascaded_models:
        opts = model._meta
        codename = get_permission_codename("delete", opts)
        if request.user.has_perm(f"{opts.app_label}.{codename}"):
            allowed.add(str(opts.verbose_name))
    return {name for name in perms_needed if str(name) not in allowed}


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ["name", "endpoint_count", "created_at", "updated_at"]
    search_fields = ["name"]
    fields = ["name", "description"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(_endpoint_count=Count("endpoints"))
        )

    @admin.display(description="endpoints", ordering="_endpoint_count")
    def endpoint_count(self, obj):
        return obj._endpoint_count

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        # The collector reports the workflows' own step usages as protecting
        # their endpoints, but Workflow.delete removes the steps first. A
        # usage always belongs to a step of the endpoint's workflow, so none
        # is left to protect anything.
        workflow_ids = [obj.pk for obj in objs]
        outside_usages = StepUsage.objects.filter(
            endpoint__workflow__in=workflow_ids
        ).exclude(step__workflow__in=workflow_ids)
        if not outside_usages.exists():
            protected = []
        perms_needed = _cascade_perms_needed(
            request, perms_needed, [Endpoint, AuthConfig]
        )
        return deleted, model_count, perms_needed, protected


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "workflow", "auth_type", "base_url", "is_builtin"]
    list_filter = ["is_builtin", "trust_self_signed", "workflow"]
    list_select_related = ["workflow", "auth"]
    search_fields = ["name", "base_url"]
    fields = [
        "workflow",
        "name",
        "base_url",
        "trust_self_signed",
        "assigned_user",
        "is_builtin",
        "version",
        "pinned_certificate_sha256",
        "pinned_certificate_at",
        "offered_certificate_at",
    ]
    # A certificate is pinned or trusted on the console's endpoint page,
    # where the manager sees its facts first.
    readonly_fields = [
        "is_builtin",
        "version",
        "pinned_certificate_sha256",
        "pinned_certificate_at",
        "offered_certificate_at",
    ]
    inlines = [AuthConfigInline]

    @admin.display(description="auth type", ordering="auth__auth_type")
    def auth_type(self, obj):
        return obj.auth.type_label

    def has_add_permission(self, request):
        # An endpoint needs an auth type and its validated settings, which
        # only the console's endpoint page collects.
        return False

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("workflow")
            if obj.is_builtin:
                readonly += ["name", "base_url"]
        return readonly

    def save_model(self, request, obj, form, change):
        if change:
            # Counts as an edit like one on the console page, so a console
            # form loaded before this save detects the conflict.
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if change:
            obj.refresh_from_db(fields=["version"])

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_builtin:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        builtin = [
            f"{obj.workflow}: the built-in Console endpoint cannot be deleted"
            for obj in objs
            if obj.is_builtin
        ]
        perms_needed = _cascade_perms_needed(
            request, perms_needed, [Endpoint, AuthConfig]
        )
        return deleted, model_count, perms_needed, list(protected) + builtin

    def delete_queryset(self, request, queryset):
        builtin_count = queryset.filter(is_builtin=True).count()
        if builtin_count:
            messages.error(
                request,
                "Nothing was deleted: the selection contains built-in Console "
                "endpoints, which cannot be deleted.",
            )
            return
        super().delete_queryset(request, queryset)


@admin.register(AuthConfig)
class AuthConfigAdmin(admin.ModelAdmin):
    list_display = ["endpoint", "auth_type", "reconnect_needed", "updated_at"]
    list_filter = ["auth_type", "reconnect_needed"]
    list_select_related = ["endpoint", "endpoint__workflow"]
    fields = [
        "endpoint",
        "auth_type",
        "awaiting_configuration",
        "settings",
        "secrets_set",
        "token_expires_at",
        "granted_scope",
        "instance_url",
        "reconnect_needed",
        "connected_at",
        "connected_by",
        "last_tested_at",
        "last_test_ok",
        "last_test_detail",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def settings(self, obj):
        return _format_params(obj)

    def secrets_set(self, obj):
        return _format_secrets(obj)


class StepUsageInline(admin.TabularInline):
    model = StepUsage
    extra = 0
    autocomplete_fields = ["endpoint"]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["name", "workflow", "kind"]
    list_filter = ["kind", "workflow"]
    list_select_related = ["workflow"]
    search_fields = ["name"]
    fields = ["workflow", "name", "kind"]
    inlines = [StepUsageInline]


@admin.register(StepUsage)
class StepUsageAdmin(admin.ModelAdmin):
    list_display = ["label", "step", "endpoint"]
    list_select_related = ["step", "endpoint"]
    search_fields = ["label", "step__name", "endpoint__name"]
    autocomplete_fields = ["step", "endpoint"]


@admin.register(ActivityEntry)
class ActivityEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "outcome",
        "workflow_name",
        "endpoint_name",
        "actor",
        "detail",
    ]
    list_filter = ["event", "outcome"]
    list_select_related = ["actor"]
    search_fields = ["workflow_name", "endpoint_name", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
