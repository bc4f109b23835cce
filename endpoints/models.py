"""Workflows, their endpoints and steps, and the activity stream."""

import hashlib
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from fernet_fields import EncryptedField

from .fields import UNREADABLE, SecretJSONField, SecretTextField
from .validators import (
    NAME_MAX_LENGTH,
    name_key,
    validate_base_url,
    validate_display_name,
    validate_label,
    validate_not_blocked_address,
)

logger = logging.getLogger(__name__)

BUILTIN_ENDPOINT_NAME = "Console"


class BuiltinEndpointError(ValidationError):
    """Raised when code tries to delete or rename a built-in endpoint."""


class AuthTypeLockedError(ValidationError):
    """Raised when code tries to change the auth type of an endpoint."""


class EditConflictError(Exception):
    """Raised when someone else saved the endpoint since it was loaded."""

    def __init__(self, endpoint_id: int, expected_version: int):
        super().__init__(
            f"Endpoint {endpoint_id} has changed since version {expected_version}."
        )
        self.endpoint_id = endpoint_id
        self.expected_version = expected_version


def builtin_base_url() -> str:
    """Return the URL of the console's own JSON API, from CONSOLE_BASE_URL."""
    return settings.CONSOLE_BASE_URL.rstrip("/") + "/api"


class WorkflowQuerySet(models.QuerySet):
    def matching(self, query: str) -> "WorkflowQuerySet":
        """Return the workflows whose name contains ``query``, in any case.

        Compared on the name keys, so that the case of every script is
        ignored, not only ASCII's, as SQLite's LIKE would.
        """
        return self.filter(name_key__contains=name_key(query))

    def delete(self):
        # Steps go first: their usages protect the endpoints, which the
        # workflow's own cascade deletes next.
        with transaction.atomic(using=self.db):
            Step.objects.filter(workflow__in=self).delete()
            return super().delete()


class Workflow(models.Model):
    """A set of steps and the endpoints that they call."""

    name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_display_name],
        help_text="Unique across the console.",
    )
    name_key = models.CharField(max_length=4 * NAME_MAX_LENGTH, editable=False)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkflowQuerySet.as_manager()

    class Meta:
        ordering = ["name_key"]
        constraints = [
            models.UniqueConstraint(fields=["name_key"], name="workflow_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        with transaction.atomic():
            adding = self._state.adding
            super().save(*args, **kwargs)
            if adding:
                self._create_builtin_endpoint()

    def get_absolute_url(self) -> str:
        return reverse("endpoints:workflow_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            self.steps.all().delete()
            return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        clash = Workflow.objects.filter(name_key=name_key(self.name or ""))
        if clash.exclude(pk=self.pk).exists():
            raise ValidationError(
                {
                    "name": ValidationError(
                        "A workflow with this name already exists; choose another "
                        "name.",
                        code="duplicate_name",
                    )
                }
            )

    def _create_builtin_endpoint(self) -> None:
        endpoint = Endpoint(
            workflow=self,
            name=BUILTIN_ENDPOINT_NAME,
            base_url=builtin_base_url(),
            is_builtin=True,
        )
        endpoint.save()
        AuthConfig.objects.create(endpoint=endpoint, auth_type="console")


class EndpointQuerySet(models.QuerySet):
    def matching(self, query: str) -> "EndpointQuerySet":
        """Return the endpoints whose name or base URL contains ``query``.

        Names are compared on their keys, in any case of any script. Base
        URLs are compared ignoring case, which on SQLite is ASCII's only.
        """
        return self.filter(
            Q(name_key__contains=name_key(query)) | Q(base_url__icontains=query)
        )

    def create_with_auth(
        self,
        *,
        auth_type: str = "none",
        params: dict | None = None,
        secrets: dict | None = None,
        **fields,
    ) -> "Endpoint":
        """Create an endpoint and its auth configuration in one transaction.

        ``params`` and ``secrets`` are stored as given, so callers pass what
        the auth type stores (Basic's encoded ``credential``, for example).
        """
        with transaction.atomic(using=self.db):
            endpoint = self.create(**fields)
            AuthConfig.objects.create(
                endpoint=endpoint,
                auth_type=auth_type,
                params=params or {},
                secrets=secrets or {},
            )
        return endpoint

    def update(self, **kwargs):
        if (
            "name" in kwargs
            and self.filter(is_builtin=True).exclude(name=kwargs["name"]).exists()
        ):
            raise BuiltinEndpointError(
                "The built-in Console endpoint cannot be renamed.",
                code="builtin_rename",
            )
        return super().update(**kwargs)

    def delete(self):
        if self.filter(is_builtin=True).exists():
            raise BuiltinEndpointError(
                "The built-in Console endpoint cannot be deleted.",
                code="builtin_delete",
            )
        return super().delete()


class Endpoint(models.Model):
    """The base URL, authentication and TLS trust that steps call through."""

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="endpoints"
    )
    name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_display_name],
        help_text="Steps refer to the endpoint by this name. Unique within the "
        "workflow, ignoring letter case.",
    )
    name_key = models.CharField(max_length=4 * NAME_MAX_LENGTH, editable=False)
    base_url = models.CharField(
        "base URL",
        max_length=2000,
        validators=[validate_base_url],
        help_text="http:// or https://, the host, an optional port and path. "
        "Steps append their own paths to it.",
    )
    trust_self_signed = models.BooleanField(
        "trust self-signed certificates",
        default=False,
        help_text="For https only. Accept a certificate not signed by a known "
        "authority. Its host name and validity period are still checked.",
    )
    is_builtin = models.BooleanField("built-in", default=False, editable=False)
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="assigned user (deprecated)",
        help_text="Deprecated. Older integrations authenticated as this user.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # The self-signed certificate that this endpoint trusts, pinned the first
    # time one was accepted, and a different one that a server presented
    # since, which waits for a manager to trust it. Certificates are public,
    # so they are stored in plain text.
    pinned_certificate_sha256 = models.CharField(
        "pinned certificate SHA-256",
        max_length=64,
        blank=True,
        editable=False,
        help_text="Fingerprint of the self-signed certificate accepted first.",
    )
    pinned_certificate_pem = models.TextField(
        "pinned certificate", blank=True, editable=False
    )
    pinned_certificate_at = models.DateTimeField(
        "certificate pinned at", null=True, blank=True, editable=False
    )
    offered_certificate_pem = models.TextField(
        "offered certificate",
        blank=True,
        editable=False,
        help_text="A different self-signed certificate that a manager has not "
        "trusted yet.",
    )
    offered_certificate_at = models.DateTimeField(
        "certificate offered at", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-is_builtin", "name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "name_key"],
                name="endpoint_name_unique_per_workflow",
            ),
            models.UniqueConstraint(
                fields=["workflow"],
                condition=Q(is_builtin=True),
                name="one_builtin_endpoint_per_workflow",
            ),
        ]
        indexes = [
            # The workflow page's order, so that a page of 100 rows is read
            # from the index without sorting every endpoint of the workflow.
            models.Index(
                fields=["workflow", "-is_builtin", "name_key", "id"],
                name="endpoint_page_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.is_builtin and self.name != BUILTIN_ENDPOINT_NAME:
            raise BuiltinEndpointError(
                "The built-in Console endpoint cannot be renamed.",
                code="builtin_rename",
            )
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("endpoints:endpoint_edit", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self.is_builtin:
            raise BuiltinEndpointError(
                "The built-in Console endpoint cannot be deleted.",
                code="builtin_delete",
            )
        return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        if self.is_builtin and self.name != BUILTIN_ENDPOINT_NAME:
            errors["name"] = ValidationError(
                "The built-in Console endpoint cannot be renamed.",
                code="builtin_rename",
            )
        elif self.workflow_id and self.name:
            clash = Endpoint.objects.filter(
                workflow_id=self.workflow_id, name_key=name_key(self.name)
            ).exclude(pk=self.pk)
            existing = clash.values_list("name", flat=True).first()
            if existing is not None:
                errors["name"] = ValidationError(
                    "This workflow already has an endpoint named “%(existing)s”; "
                    "names must differ by more than letter case or Unicode "
                    "compatibility form (a no-break space for a space, say).",
                    code="duplicate_name",
                    params={"existing": existing},
                )
        # The console form and the admin both validate through this. The
        # built-in endpoint's URL comes from CONSOLE_BASE_URL, which may be
        # anywhere.
        if not self.is_builtin and self.base_url and "base_url" not in errors:
            try:
                validate_not_blocked_address(self.base_url)
            except ValidationError as error:
                errors["base_url"] = error
        # The trust rule holds for the built-in endpoint as well.
        if self.trust_self_signed and not self.target_url.lower().startswith(
            "https://"
        ):
            errors["trust_self_signed"] = ValidationError(
                "Trusting self-signed certificates applies only to https:// base "
                "URLs; clear it or use https.",
                code="trust_needs_https",
            )
        if errors:
            raise ValidationError(errors)

    def clear_certificates(self) -> None:
        """Forget the pinned and offered certificates, without saving.

        Called when the base URL's origin changes or trust is switched off,
        since a pin belongs to one host and to the switch being on.
        """
        self.pinned_certificate_sha256 = ""
        self.pinned_certificate_pem = ""
        self.pinned_certificate_at = None
        self.offered_certificate_pem = ""
        self.offered_certificate_at = None

    @property
    def target_url(self) -> str:
        """Base URL that requests go to; the built-in one follows settings."""
        return builtin_base_url() if self.is_builtin else self.base_url

    def save_version(self, expected_version: int, **save_kwargs) -> None:
        """Save the endpoint if nobody saved it since ``expected_version``.

        The version check and the increment are one UPDATE, so of two
        concurrent saves from the same version exactly one succeeds.
        Raises `EditConflictError` for the other.
        """
        with transaction.atomic():
            claimed = Endpoint.objects.filter(
                pk=self.pk, version=expected_version
            ).update(version=F("version") + 1)
            if not claimed:
                raise EditConflictError(self.pk, expected_version)
            self.version = expected_version + 1
            self.save(**save_kwargs)


# The fields of an AuthConfig that OAuth 2.0 token requests and Connect
# write, apart from the auth type's settings.
CONNECTION_FIELDS = (
    "access_token",
    "refresh_token",
    "token_expires_at",
    "token_lifetime",
    "granted_scope",
    "instance_url",
    "reconnect_needed",
    "connected_at",
    "connected_by",
)


class AuthConfig(models.Model):
    """An endpoint's authentication: its type, settings, secrets and tokens.

    Non-secret settings live in ``params`` and secrets in the encrypted
    ``secrets`` object, each keyed by the auth type's field names, so a new
    auth type needs no migration.
    """

    endpoint = models.OneToOneField(
        Endpoint, on_delete=models.CASCADE, primary_key=True, related_name="auth"
    )
    auth_type = models.CharField(max_length=40, default="none")
    awaiting_configuration = models.BooleanField(
        default=False,
        help_text="Set on imported endpoints: the auth type may be chosen once.",
    )
    params = models.JSONField(default=dict, blank=True)
    secrets = SecretJSONField(default=dict, blank=True)
    access_token = SecretTextField(blank=True, default="")
    refresh_token = SecretTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    token_lifetime = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds the access token was issued for (expires_in), or "
        "empty when the provider did not say.",
    )
    granted_scope = models.TextField(blank=True)
    instance_url = models.CharField("instance URL", max_length=2000, blank=True)
    reconnect_needed = models.BooleanField(default=False)
    connected_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_detail = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "authentication configuration"

    def __str__(self) -> str:
        return f"{self.endpoint} ({self.type_label})"

    def save(self, *args, **kwargs):
        from .auth import registry

        if not registry.is_registered(self.auth_type):
            raise ValidationError(
                "Unknown auth type %(key)s.",
                code="unknown_auth_type",
                params={"key": self.auth_type},
            )
        self._check_auth_type_change()
        unreadable = self.unreadable_fields()
        if unreadable and not self._state.adding:
            # A column that no key decrypts keeps its stored value, which a
            # corrected FERNET_KEYS can still read; every other field saves.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in unreadable
                and (
                    kwargs.get("update_fields") is None
                    or field.name in kwargs["update_fields"]
                )
            ]
        super().save(*args, **kwargs)

    def _check_auth_type_change(self) -> None:
        if self.pk is None:
            return
        stored = (
            AuthConfig.objects.filter(pk=self.pk)
            .values("auth_type", "awaiting_configuration")
            .first()
        )
        if stored is None or stored["auth_type"] == self.auth_type:
            return
        if not stored["awaiting_configuration"]:
            raise AuthTypeLockedError(
                "The auth type of an endpoint cannot be changed after it is "
                "created. Create a new endpoint for the other type.",
                code="auth_type_locked",
            )
        # An imported endpoint chooses its type once; after that it is locked
        # like any other.
        self.awaiting_configuration = False

    @property
    def type(self):
        """The auth type object bound to this configuration."""
        from .auth import registry

        return registry.get(self.auth_type)(self)

    @property
    def type_label(self) -> str:
        from .auth import registry

        return registry.label(self.auth_type)

    def unreadable_fields(self) -> list[str]:
        """Return the names of the encrypted fields that no key decrypts."""
        return [
            field.name
            for field in self._meta.concrete_fields
            if isinstance(field, EncryptedField)
            and getattr(self, field.attname) is UNREADABLE
        ]

    @property
    def secrets_readable(self) -> bool:
        return not self.unreadable_fields()

    def stored_secrets(self) -> dict:
        """Return the decrypted secrets, or {} when they cannot be read."""
        return self.secrets if isinstance(self.secrets, dict) else {}

    def clear_connection(self) -> None:
        """Forget the OAuth tokens and who connected, without saving."""
        self.access_token = ""
        self.refresh_token = ""
        self.token_expires_at = None
        self.token_lifetime = None
        self.granted_scope = ""
        self.instance_url = ""
        self.reconnect_needed = False
        self.connected_at = None
        self.connected_by = None

    def save_settings(self, *, clear_connection: bool = False) -> None:
        """Save the auth type and its settings, but not the stored tokens.

        The tokens are left as stored because a request may have refreshed
        them since this object was loaded, and a provider that rotates
        refresh tokens accepts only the newest. With ``clear_connection``
        the tokens are deleted instead.
        """
        if clear_connection:
            self.clear_connection()
        excluded = set() if clear_connection else set(CONNECTION_FIELDS)
        fields = [
            field.name
            for field in self._meta.concrete_fields
            if not field.primary_key and field.name not in excluded
        ]
        self.save(update_fields=fields)


class Step(models.Model):
    """A flow step, integration script or custom step of a workflow."""

    class Kind(models.TextChoices):
        FLOW_STEP = "flow_step", "Flow step"
        INTEGRATION_SCRIPT = "integration_script", "Integration script"
        CUSTOM_STEP = "custom_step", "Custom step"

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="steps"
    )
    name = models.CharField(
        max_length=NAME_MAX_LENGTH, validators=[validate_display_name]
    )
    name_key = models.CharField(max_length=4 * NAME_MAX_LENGTH, editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.FLOW_STEP)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "name_key"], name="step_name_unique_per_workflow"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("endpoints:step_edit", args=[self.pk])

    def clean(self):
        super().clean()
        if not (self.workflow_id and self.name):
            return
        clash = Step.objects.filter(
            workflow_id=self.workflow_id, name_key=name_key(self.name)
        ).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError(
                {
                    "name": ValidationError(
                        "This workflow already has a step with this name.",
                        code="duplicate_name",
                    )
                }
            )


class StepUsage(models.Model):
    """A step's use of an endpoint, under the label the step's script uses."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="usages")
    # PROTECT, so that neither the ORM nor a raw DELETE (through the foreign
    # key constraint) can remove an endpoint that a step still uses.
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.PROTECT, related_name="usages"
    )
    label = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_label],
        help_text="The name the step's script uses for this endpoint.",
    )

    class Meta:
        ordering = ["step__name_key", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["step", "label"], name="usage_label_unique_per_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} uses {self.endpoint} as {self.label}"

    def save(self, *args, **kwargs):
        if self.endpoint.workflow_id != self.step.workflow_id:
            raise ValidationError(
                "A step can only use endpoints of its own workflow.",
                code="other_workflow",
            )
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if (
            self.step_id
            and self.endpoint_id
            and self.endpoint.workflow_id != self.step.workflow_id
        ):
            raise ValidationError(
                {
                    "endpoint": ValidationError(
                        "Choose an endpoint of the step's own workflow.",
                        code="other_workflow",
                    )
                }
            )


class ActivityEntry(models.Model):
    """One event in the activity stream. The detail never contains a secret."""

    class Event(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"
        TESTED = "tested", "Tested"
        CONNECTED = "connected", "Connected"
        DISCONNECTED = "disconnected", "Disconnected"
        RECONNECT_NEEDED = "reconnect_needed", "Reconnect needed"
        REQUEST_FAILED = "request_failed", "Request failed"
        SECURITY_ERROR = "security_error", "Security error"
        EXPORTED = "exported", "Exported"
        IMPORTED = "imported", "Imported"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    workflow = models.ForeignKey(
        Workflow,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activity",
    )
    endpoint = models.ForeignKey(
        Endpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activity",
    )
    # Names as they were at the time, kept after the objects are deleted.
    workflow_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    endpoint_name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    event = models.CharField(max_length=20, choices=Event.choices)
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    detail = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activity entries"
        indexes = [
            models.Index(
                fields=["workflow", "-created_at"], name="activity_workflow_time"
            ),
            models.Index(
                fields=["endpoint", "-created_at"], name="activity_endpoint_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.endpoint_name or self.workflow_name}"


def hash_oauth_value(value: str) -> str:
    """Return the SHA-256 hex digest under which a Connect state is stored.

    The state and the session key are random and long, so a fast hash
    cannot be reversed by trying values.
    """
    return hashlib.sha256(value.encode()).hexdigest()


class OAuthState(models.Model):
    """One Connect in progress: its state, PKCE verifier and who started it.

    The callback accepts the state only from the user and session that
    started it, for its endpoint, once, and within
    OAUTH_STATE_MAX_AGE_SECONDS. The row lives in the database rather than
    in a process, so a callback that reaches another console process or
    host still finds it. Only a hash of the state and of the session key is
    stored, and the verifier is encrypted.
    """

    state_hash = models.CharField(max_length=64, unique=True, editable=False)
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="oauth_states"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    session_key_hash = models.CharField(max_length=64, editable=False)
    code_verifier = SecretTextField(help_text="The PKCE code verifier (RFC 7636).")
    redirect_uri = models.CharField(
        "redirect URI",
        max_length=2000,
        help_text="The redirect URI sent to the provider, which the token "
        "request must repeat.",
    )
    popup = models.BooleanField(
        default=False, help_text="Whether Connect runs in a popup window."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OAuth Connect state"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Connect of {self.endpoint} started {self.created_at:%Y-%m-%d %H:%M}"


API_KEY_PREFIX = "ect_"
# The stored start of a key, long enough to tell a user's tokens apart.
API_KEY_SHOWN_LENGTH = len(API_KEY_PREFIX) + 8


def hash_api_key(key: str) -> str:
    """Return the SHA-256 hex digest that identifies an API token's key.

    A fast hash is enough: the key has 256 random bits, so it cannot be found
    by trying keys, and a lookup by digest is one indexed query.
    """
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def issue(self, *, user, name: str, expires_at=None) -> tuple["ApiToken", str]:
        """Create a token for ``user`` and return it with its key.

        The key is returned this once; only its hash is stored.
        """
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        token = self.create(
            user=user,
            name=name,
            key_prefix=key[:API_KEY_SHOWN_LENGTH],
            key_hash=hash_api_key(key),
            expires_at=expires_at,
        )
        return token, key

    def usable(self):
        """Tokens that are neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A user's key for the JSON API. Only a hash of the key is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_display_name],
        help_text="What the token is for, such as the integration that uses it.",
    )
    key_prefix = models.CharField(max_length=20, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_name_unique_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def revoke(self) -> bool:
        """Revoke the token; return False if it was already revoked.

        One conditional UPDATE, so of two concurrent revocations exactly one
        returns True.
        """
        now = timezone.now()
        revoked = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if revoked:
            self.revoked_at = now
        return bool(revoked)


class LoginFailure(models.Model):
    """A failed sign-in, or one whose password is being checked right now.

    The login throttle counts these rows, so that every process and host of
    the console shares one count. Only keyed digests of the username and of
    the client address are stored: no address, and no username, since users
    sometimes type a password into that field.
    """

    username_digest = models.CharField(max_length=64, editable=False)
    address_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["username_digest", "created_at"],
                name="login_failure_username_time",
            ),
            models.Index(
                fields=["address_digest", "created_at"],
                name="login_failure_address_time",
            ),
            models.Index(fields=["created_at"], name="login_failure_time"),
        ]

    def __str__(self) -> str:
        return f"Failed sign-in at {self.created_at:%Y-%m-%d %H:%M:%S}"
