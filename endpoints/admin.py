"""Django admin for every model, with secrets masked and the guards intact.

Secrets are never shown or editable in the admin: the authentication
configuration is read-only and shows only which secrets are set. Auth
settings are changed on the console's endpoint page, where the auth type's
form validates them.
"""

import copy
import io
import logging
import zipfile

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db import transaction
from django.db.models import Count, F
from django.http import HttpResponse
from django.template.defaultfilters import pluralize
from django.utils.http import content_disposition_header

from . import activity, throttling
from .export import ExportCheckError, build_export
from .models import (
    ActivityEntry,
    ApiToken,
    AuthConfig,
    Endpoint,
    LoginFailure,
    OAuthState,
    Step,
    StepUsage,
    Workflow,
)
from .origins import (
    TOKENS_CLEARED_DETAIL,
    new_credential_origin,
    origin_change_details,
    tokens_would_move,
)

logger = logging.getLogger(__name__)


class LoggedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin that logs each change as one key=value line.

    The admin's own history (LogEntry) keeps the details; the log line has
    the ids and the outcome, for operators who read the logs.
    """

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._log_change("addition", request, obj)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._log_change("change", request, obj)
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._log_change("deletion", request, obj)
        return entries

    def _log_change(self, action: str, request, obj) -> None:
        logger.info(
            "event=admin_change action=%s model=%s object_id=%s actor_id=%s "
            "outcome=success",
            action,
            obj._meta.label,
            obj.pk,
            request.user.pk,
        )


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


def unique_filenames(names: list[str]) -> list[str]:
    """Return the names with " (2)", " (3)" … added to repeated ones."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        count = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = count
        if count > 1:
            stem, dot, extension = name.rpartition(".")
            name = f"{stem} ({count}).{extension}" if dot else f"{name} ({count})"
        unique.append(name)
    return unique


@admin.action(description="Export selected workflows", permissions=["view"])
def export_workflows(modeladmin, request, queryset):
    """Download one export file, or a zip of them for several workflows.

    Each file passes the same checks as on the export page; if one fails,
    nothing is downloaded.
    """
    workflows = list(queryset.order_by("name_key"))
    exports = []
    for workflow in workflows:
        try:
            exports.append(build_export(workflow))
        except ExportCheckError as error:
            activity.record(
                ActivityEntry.Event.EXPORTED,
                actor=request.user,
                workflow=workflow,
                outcome=ActivityEntry.Outcome.FAILURE,
                detail=f"From the admin. {error.activity_detail()}",
            )
            modeladmin.message_user(
                request,
                f"Nothing was exported. Workflow “{workflow.name}”: "
                f"{error.user_message()}",
                messages.ERROR,
            )
            return None

    for workflow in workflows:
        activity.record(
            ActivityEntry.Event.EXPORTED,
            actor=request.user,
            workflow=workflow,
            detail="Exported from the admin with all authentication cleared.",
        )
    if len(exports) == 1:
        response = HttpResponse(exports[0].content, content_type="application/json")
        filename = exports[0].filename
    else:
        buffer = io.BytesIO()
        names = unique_filenames([export.filename for export in exports])
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, export in zip(names, exports, strict=True):
                archive.writestr(name, export.content)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        filename = "workflows.zip"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


@admin.register(Workflow)
class WorkflowAdmin(LoggedModelAdmin):
    list_display = ["name", "endpoint_count", "created_at", "updated_at"]
    search_fields = ["name"]
    fields = ["name", "description"]
    actions = [export_workflows]

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


class EndpointAdminForm(forms.ModelForm):
    """The admin's endpoint form, which rejects a save from a stale page.

    ``loaded_version`` carries the version that the page showed. The admin
    runs the whole POST in one transaction, so on PostgreSQL the row lock
    taken by the check holds until the save that increments the version.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Endpoint
        fields = ["workflow", "name", "base_url", "trust_self_signed", "assigned_user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        # A missing or damaged version counts as stale, as on the console's
        # endpoint page. The field is hidden, so its own error would not show.
        self._errors.pop("loaded_version", None)
        loaded = cleaned.get("loaded_version")
        if loaded is None:
            raise forms.ValidationError(
                "This page is out of date; reload it and make your changes again.",
                code="edit_conflict",
            )
        # NOTE: Django skips select_for_update on SQLite, so there the check
        # and the save are not one locked step, and a save that lands between
        # them is not detected here. The console's form checks and increments
        # the version in one UPDATE instead.
        current = (
            Endpoint.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if loaded != current:
            raise forms.ValidationError(
                "Someone else saved this endpoint after you opened this page "
                "(version %(loaded)s was loaded, version %(current)s is stored). "
                "Nothing was saved. Reload the page to see the stored values, then "
                "make your changes again.",
                code="edit_conflict",
                params={"loaded": loaded, "current": current},
            )
        return cleaned

    def _post_clean(self):
        # After the model's validators, so that a base URL they reject (such
        # as a blocked address) gets their error rather than this one.
        super()._post_clean()
        if self.instance.pk and not self.has_error("base_url"):
            self._check_credential_origin()

    def _check_credential_origin(self) -> None:
        # The admin cannot take secrets, so every stored one is kept, and a
        # base URL that moves them to another origin must be saved on the
        # console's endpoint page with the secrets typed again.
        if "base_url" not in self.cleaned_data or not hasattr(self.instance, "auth"):
            return
        stored = Endpoint.objects.get(pk=self.instance.pk)
        submitted = copy.copy(self.instance)
        submitted.base_url = self.cleaned_data["base_url"]
        auth_type = self.instance.auth.type
        problem = auth_type.base_url_problem(submitted.target_url)
        if problem is not None:
            self.add_error("base_url", problem)
            return
        kept = auth_type.get_form().stored_secret_labels()
        change = new_credential_origin(stored, auth_type, submitted, auth_type, kept)
        if change is not None:
            self.add_error(
                "base_url",
                change.message("save the endpoint for")
                + " Secrets are typed on the console's endpoint page, so change "
                "the base URL there.",
            )


@admin.register(Endpoint)
class EndpointAdmin(LoggedModelAdmin):
    list_display = ["name", "workflow", "auth_type", "base_url", "is_builtin"]
    list_filter = ["is_builtin", "trust_self_signed", "workflow"]
    list_select_related = ["workflow", "auth"]
    search_fields = ["name", "base_url"]
    form = EndpointAdminForm
    fields = [
        "workflow",
        "name",
        "base_url",
        "trust_self_signed",
        "assigned_user",
        "is_builtin",
        "version",
        "loaded_version",
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
        if not change:
            super().save_model(request, obj, form, change)
            return
        stored = Endpoint.objects.select_related("auth").get(pk=obj.pk)
        config = stored.auth
        origin_details = origin_change_details(stored, config.type, obj, config.type)
        # Counts as an edit like one on the console page, so a console form
        # loaded before this save detects the conflict.
        obj.version = F("version") + 1
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            obj.refresh_from_db(fields=["version"])
            if tokens_would_move(config, stored.base_url, obj.base_url):
                config.save_settings(clear_connection=True)
                origin_details.append(TOKENS_CLEARED_DETAIL)
            if origin_details:
                activity.record(
                    ActivityEntry.Event.CHANGED,
                    actor=request.user,
                    endpoint=obj,
                    detail=" ".join(["Changed in the admin.", *origin_details]),
                )

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
class AuthConfigAdmin(LoggedModelAdmin):
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
        "token_lifetime",
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
class StepAdmin(LoggedModelAdmin):
    list_display = ["name", "workflow", "kind"]
    list_filter = ["kind", "workflow"]
    list_select_related = ["workflow"]
    search_fields = ["name"]
    fields = ["workflow", "name", "kind"]
    inlines = [StepUsageInline]


@admin.register(StepUsage)
class StepUsageAdmin(LoggedModelAdmin):
    list_display = ["label", "step", "endpoint"]
    list_select_related = ["step", "endpoint"]
    search_fields = ["label", "step__name", "endpoint__name"]
    autocomplete_fields = ["step", "endpoint"]


@admin.register(ActivityEntry)
class ActivityEntryAdmin(LoggedModelAdmin):
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


@admin.action(description="Revoke selected API tokens", permissions=["change"])
def revoke_tokens(modeladmin, request, queryset):
    revoked = 0
    for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
        if token.revoke():
            revoked += 1
            activity.record(
                ActivityEntry.Event.TOKEN_REVOKED,
                actor=request.user,
                detail=f"API token “{token.name}” ({token.key_prefix}…) of "
                f"{token.user.get_username()} revoked in the admin.",
            )
    modeladmin.message_user(
        request, f"{revoked} API token{pluralize(revoked)} revoked."
    )


@admin.register(ApiToken)
class ApiTokenAdmin(LoggedModelAdmin):
    """API tokens: listed and revocable, never created or shown here.

    Users create their tokens on their own API tokens page, which shows the
    key once. Only the key's first characters are stored in readable form.
    """

    list_display = [
        "name",
        "user",
        "key_prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "key_prefix"]
    fields = list_display
    readonly_fields = list_display
    actions = [revoke_tokens]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission enables the revoke action; the form itself
        # is read-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Revoked tokens stay listed as a record.
        return False


@admin.register(OAuthState)
class OAuthStateAdmin(admin.ModelAdmin):
    """Connects in progress, read-only; the PKCE verifier is never shown.

    Only hashes of the state and the session key are stored, so nothing
    listed here lets anyone complete a Connect.
    """

    list_display = ["endpoint", "user", "created_at", "used_at", "popup"]
    list_select_related = ["endpoint", "user"]
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(LoggedModelAdmin):
    """Failed sign-ins that the login throttle counts.

    Rows store digests only, so the search takes a whole username or client
    address and finds the rows of its digest. Deleting a username's rows
    lets it sign in again at once.
    """

    list_display = ["created_at", "username_digest", "address_digest"]
    fields = list_display
    readonly_fields = list_display
    search_fields = ["username_digest"]
    search_help_text = "Enter a whole username or client address."

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        matching = queryset.filter(
            username_digest=throttling.username_digest(term)
        ) | queryset.filter(address_digest=throttling.address_digest(term))
        return matching, False
