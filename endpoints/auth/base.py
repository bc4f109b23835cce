"""The interface that every auth type implements.

An auth type is a subclass of `AuthType` in its own module, listed in
`registry.AUTH_TYPE_MODULES`. It declares its form (which fields exist and
which are secret), how it stores what the form returns, how it applies
itself to an outgoing httpx2 request, and how Test Authentication checks it.
Forms, views, templates, the runtime, export and admin use only this
interface, so a new type changes nothing outside its module and the list.

For every request through an endpoint the runtime calls, in this order:

1. `AuthType.prepare(context)`: make the credential ready. Token types
   refresh here when the token is about to expire, under a row lock on the
   `AuthConfig` (``select_for_update``) so that concurrent requests cause
   one refresh, and store the new token only when ``context.persist`` is
   true.
2. `AuthType.request_base_url(context)`: the base URL that the request's
   path is joined to. It is the endpoint's base URL unless the type's token
   response names another one (Salesforce's ``instance_url``). Credentials
   go only to this URL's origin.
3. `AuthType.build_auth(context)`: the httpx2 auth flow for the request. A
   flow that must retry (Basic after a challenge, a token type after a 401
   or its provider's "expired" response) yields the request once more from
   ``auth_flow``; the runtime sends it.

`AuthType.authenticate(context)` returns the credential for scripts that
place it themselves, and `AuthType.test_authentication(context)` runs Test
Authentication. ``context`` is a `endpoints.runtime.context.RequestContext`:
the endpoint, the pooled client (use it for token requests, so that they
pass the same network guard and TLS trust), the timeout, the acting user on
whose behalf the step runs, the actor to record, and ``persist``. Errors
that an auth type raises come from `endpoints.runtime.errors`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import httpx2
from django import forms

from endpoints.runtime.errors import STAGE_LABELS, CredentialUnavailableError

from .secret_field import SecretAction, SecretChange, SecretField, typed_value

if TYPE_CHECKING:
    from endpoints.models import AuthConfig, Endpoint
    from endpoints.runtime.context import RequestContext


# The characters of the target's response body that Test Authentication shows.
BODY_EXCERPT_CHARS = 300


@dataclass(frozen=True)
class AuthTestResult:
    """Outcome of Test Authentication.

    ``stage`` names the step that failed, as in
    `endpoints.runtime.errors.STAGE_LABELS`: ``dns``, ``connect``, ``tls``,
    ``timeout``, ``authentication`` or ``http`` most often; it is empty on
    success. ``detail`` is text from the target (the start of a body, a
    provider's error code and description). An auth type may return more
    than BODY_EXCERPT_CHARS of it: the runtime removes every secret from
    ``message`` and ``detail``, then cuts ``detail`` to that length.
    """

    ok: bool
    message: str
    stage: str = ""
    status_code: int | None = None
    detail: str = ""
    # False when the console refused to run the test and sent nothing.
    attempted: bool = True

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage)


class AuthForm(forms.Form):
    """Base form for one auth type's fields.

    Non-secret fields start from the stored ``params``. A `SecretField`
    starts empty and shows whether a value is stored. `apply` writes the
    cleaned data into a configuration without saving it, which Test
    Authentication uses on values that are typed but not yet saved.
    """

    # Fields shown only while another field has a given value, as
    # {field: (controlling field, value)}. Hidden fields are not required.
    conditional_fields: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init__(self, *args, config: AuthConfig, **kwargs):
        self.config = config
        initial = dict(kwargs.pop("initial", None) or {})
        for name, value in config.params.items():
            initial.setdefault(name, value)
        super().__init__(*args, initial=initial, **kwargs)
        # When the stored secrets cannot be decrypted, the form cannot tell
        # which of them were set. So each secret field must be entered again,
        # or cleared on purpose if it is optional.
        self.secrets_unreadable = "secrets" in config.unreadable_fields()
        for name, form_field in self.fields.items():
            if isinstance(form_field, SecretField):
                form_field.bind_stored(
                    self.secret_is_set(name), unreadable=self.secrets_unreadable
                )
            condition = self.conditional_fields.get(name)
            if condition:
                controller, expected = condition
                # Read by the field template and console.js, which hide the
                # field while the controlling field has another value.
                form_field.show_when = f"{self.add_prefix(controller)}={expected}"

    def secret_is_set(self, name: str) -> bool:
        """Return whether a value is stored for the secret field ``name``."""
        return bool(self.config.stored_secrets().get(name))

    def is_shown(self, name: str) -> bool:
        """Return whether a conditional field applies to the submitted data."""
        condition = self.conditional_fields.get(name)
        if condition is None:
            return True
        controller, expected = condition
        return str(self._controller_value(controller)) == expected

    def _controller_value(self, controller: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(controller), "")
        return self.initial.get(controller, self.fields[controller].initial)

    def hidden_fields_for_data(self) -> list[str]:
        """Return the conditional fields that do not apply to the data."""
        return [name for name in self.conditional_fields if not self.is_shown(name)]

    def typed_secret_labels(self) -> list[str]:
        """Return the labels of the secret fields that have a typed value.

        A page that shows the bound form again without saving it uses this
        to say which values must be typed again, since none is rendered back.
        """
        if not self.is_bound:
            return []
        hidden = self.hidden_fields_for_data()
        return [
            str(bound_field.label)
            for bound_field in self
            if isinstance(bound_field.field, SecretField)
            and bound_field.name not in hidden
            and typed_value(bound_field.data)
        ]

    def kept_secret_labels(self) -> list[str]:
        """Return the labels of the secret fields that keep a stored value.

        These are the fields left blank while a value is stored, so Test
        Authentication would send the stored value. Call it on a valid form.
        """
        hidden = self.hidden_fields_for_data()
        return [
            str(self[name].label)
            for name, value in self.cleaned_data.items()
            if isinstance(value, SecretChange)
            and value.action is SecretAction.KEEP
            and name not in hidden
            and self.secret_is_set(name)
        ]

    def stored_secret_labels(self) -> list[str]:
        """Return the labels of the secret fields that have a stored value.

        Only fields that apply to the stored settings count. A save path
        that cannot take typed secrets, such as the admin, keeps all of them.
        """
        hidden = self.hidden_fields_for_data()
        return [
            str(self[name].label)
            for name, form_field in self.fields.items()
            if isinstance(form_field, SecretField)
            and name not in hidden
            and self.secret_is_set(name)
        ]

    def full_clean(self):
        # A field that does not apply is neither required nor validated, and
        # `apply` removes its stored value.
        hidden = self.hidden_fields_for_data() if self.is_bound else []
        for name in hidden:
            self.fields[name].required = False
        super().full_clean()
        if not hidden or not hasattr(self, "cleaned_data"):
            return
        for name in hidden:
            self.cleaned_data.pop(name, None)
            self._errors.pop(name, None)

    def clears_tokens(self) -> bool:
        """Return whether saving this form must forget the stored tokens.

        OAuth 2.0 forms return True when the provider, the client or the
        user changes, because the stored tokens belong to the old ones. Call
        it before `apply`, which overwrites the stored settings.
        """
        return False

    def apply(self, config: AuthConfig) -> None:
        """Copy the cleaned data into ``config`` without saving it."""
        secrets = dict(config.stored_secrets())
        params = dict(config.params)
        for name, value in self.cleaned_data.items():
            if isinstance(value, SecretChange):
                value.apply(secrets, name)
            else:
                params[name] = value
        for name in self.hidden_fields_for_data():
            params.pop(name, None)
            secrets.pop(name, None)
        config.params = params
        config.secrets = secrets


def discard_unused_unreadable_tokens(config: AuthConfig) -> bool:
    """Empty the token fields that no key decrypts, for types without tokens.

    Such a type never sends them, so nothing is lost. The endpoint page
    calls this when a manager saves the form, whose secrets were then
    entered again; otherwise the page would go on reporting values that
    nobody can read or needs. Returns whether a field was emptied.
    """
    if config.type.uses_tokens:
        return False
    discarded = False
    for name in ("access_token", "refresh_token"):
        if name in config.unreadable_fields():
            setattr(config, name, "")
            discarded = True
    return discarded


class AuthType:
    """One way of authenticating requests, bound to a stored configuration."""

    # Templates list the type classes themselves (the type picker), and
    # Django's templates would otherwise call them without a configuration.
    do_not_call_in_templates: ClassVar[bool] = True
    key: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    # Shown in the type picker, below the current types.
    legacy: ClassVar[bool] = False
    # False for types that users do not choose, such as the built-in one.
    selectable: ClassVar[bool] = True
    form_class: ClassVar[type[AuthForm]] = AuthForm
    # What Test Authentication does, for the button's help text, or None
    # when the type offers no test.
    test_description: ClassVar[str | None] = None
    # An optional template for type-specific parts of the endpoint page,
    # such as a Connect button. It receives ``endpoint`` and ``auth_type``.
    panel_template: ClassVar[str | None] = None
    # True for types that send the stored access token (and refresh it),
    # which must then be readable for a request.
    uses_tokens: ClassVar[bool] = False

    def __init__(self, config: AuthConfig):
        self.config = config

    @property
    def params(self) -> dict:
        return self.config.params

    @property
    def secrets(self) -> dict:
        return self.config.stored_secrets()

    def get_form(self, *args, **kwargs) -> AuthForm:
        return self.form_class(*args, config=self.config, **kwargs)

    def with_form_values(self, form: AuthForm) -> AuthType:
        """Return this type bound to an unsaved copy with the form's values.

        Test Authentication runs on it, so typed values are used and blank
        secret fields fall back to the stored secrets.
        """
        draft = copy.copy(self.config)
        draft.params = dict(self.config.params)
        draft.secrets = dict(self.config.stored_secrets())
        form.apply(draft)
        return type(self)(draft)

    def summary(self) -> str:
        """Return a short description without secrets, for lists."""
        return ""

    def base_url_problem(self, base_url: str) -> str | None:
        """Return why this type cannot be used with ``base_url``, or None.

        The endpoint pages show it on the base URL field when saving. Types
        whose credentials may go only to one origin override it.
        """
        return None

    def unreadable_fields(self) -> list[str]:
        """Return the encrypted fields this type needs that no key decrypts."""
        needed = {"secrets"}
        if self.uses_tokens:
            needed |= {"access_token", "refresh_token"}
        return [name for name in self.config.unreadable_fields() if name in needed]

    def is_connected(self) -> bool:
        """Return whether the stored configuration can authenticate requests.

        Types that need stored credentials, or a Connect, override this.
        """
        return True

    def secret_values(self) -> list[str]:
        """Return every stored secret, and every credential derived from one.

        Export scans its output for these, and activity details, error
        messages, Test Authentication results and shown responses are
        scrubbed of them (see `endpoints.redaction`, which also matches
        their URL, form, JSON and HTML encodings). Types that send a secret
        in a derived form return that form too (the OAuth 2.0 types their
        client_secret_basic credential), and types that store only a derived
        form return the parts it was made from (Basic's password).
        """
        values = [value for value in self.secrets.values() if isinstance(value, str)]
        for token in (self.config.access_token, self.config.refresh_token):
            if isinstance(token, str):
                values.append(token)
        return [value for value in values if value]

    def credential_url(self, endpoint: Endpoint) -> str:
        """Return the URL that Test Authentication sends the secrets to.

        Only its origin matters: Test Authentication records it, and sends
        stored secrets only to the origin they were saved for.
        """
        return endpoint.target_url

    def prepare(self, context: RequestContext) -> None:
        """Make the credential ready before a request; nothing by default."""

    def request_base_url(self, context: RequestContext) -> str:
        """Return the base URL that request paths are joined to."""
        return context.endpoint.target_url

    def build_auth(self, context: RequestContext | None = None) -> httpx2.Auth | None:
        """Return the httpx2 auth flow that authenticates requests, if any.

        The runtime always passes ``context``. Types whose flow needs neither
        the acting user nor the client accept None as well.
        """
        return None

    def check_api_response(self, response: httpx2.Response) -> None:
        """Raise `APIResponseError` when the response body reports a failure.

        The runtime calls this only when the caller passes
        ``raise_api_errors=True``. Types whose API returns errors with a
        success status (Slack's ``"ok": false``) override it; by default
        every response passes.
        """

    def authenticate(self, context: RequestContext) -> str:
        """Return the current credential, for scripts that place it themselves.

        Raises `CredentialUnavailableError` for types that have none.
        """
        raise CredentialUnavailableError(
            f"{self.label} authentication has no credential that a script could "
            "send itself."
        )

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        """Check the credentials against the target.

        Network and TLS failures propagate as httpx2 exceptions or
        `endpoints.runtime.errors.EndpointError`, which the runtime maps to
        the stage that failed. Only types with a ``test_description`` are
        asked.
        """
        raise NotImplementedError(f"{self.label} offers no Test Authentication.")
