"""ServiceNow: Basic authentication or OAuth 2.0 authorization code.

The endpoint's base URL is the instance, such as
``https://acme.service-now.com``, without a path. With the Basic method
the console sends the credentials of a user with the ``itil`` role
preemptively on every request, and Test Authentication reads one record of
the ``sys_user`` table through the Table API. With the OAuth 2.0 method a
manager presses Connect. Its authorization and token URLs are
``{base URL}/oauth_auth.do`` and ``{base URL}/oauth_token.do`` unless the
form names others, and Test Authentication refreshes the stored token.

ServiceNow responds to a rejected request with a JSON body of its own,
``{"error": {"message": ..., "detail": ...}, "status": "failure"}``, which
Test Authentication quotes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx2
from django import forms

from endpoints.runtime.errors import CredentialUnavailableError
from endpoints.runtime.urls import join_url
from endpoints.validators import validate_basic_username, validate_oauth_url

from .base import AuthTestResult
from .basic import BasicAuth, encode_credential
from .http_status import excerpt
from .oauth.client import CLIENT_SECRET_POST, ClientCredentials
from .oauth_code import OAuth2AuthorizationCode, OAuth2AuthorizationCodeForm
from .secret_field import SecretAction, SecretChange, SecretField

if TYPE_CHECKING:
    from endpoints.models import AuthConfig, Endpoint
    from endpoints.runtime.context import RequestContext

BASIC = "basic"
OAUTH = "oauth"
AUTHORIZATION_PATH = "/oauth_auth.do"
TOKEN_PATH = "/oauth_token.do"  # noqa: S105 (a URL path)
# Test Authentication with Basic reads one record of this table.
TEST_TABLE = "sys_user"
TEST_PATH = f"/api/now/table/{TEST_TABLE}"
OAUTH_PANEL = "endpoints/includes/oauth_panel.html"


def servicenow_error_text(response: httpx2.Response) -> str:
    """Return "message: detail" from ServiceNow's error body, or ""."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return ""
    message = str(error.get("message") or "").strip()
    detail = str(error.get("detail") or "").strip()
    return f"{message}: {detail}" if message and detail else message or detail


def instance_url(base_url: str, path: str) -> str:
    """Return ``path`` below the base URL, such as {base}/oauth_token.do."""
    return join_url(base_url, path) if base_url else ""


def optional_url_field(label: str, path: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=2000,
        validators=[validate_oauth_url],
        widget=forms.URLInput(attrs={"spellcheck": "false"}),
        help_text=f"Leave blank for the instance's {path}, from the base URL.",
    )


class ServiceNowForm(OAuth2AuthorizationCodeForm):
    identity_fields = (
        "method",
        "authorization_url",
        "token_url",
        "client_id",
        "username",
        "password",
    )

    method = forms.ChoiceField(
        label="Method",
        choices=[
            (BASIC, "Basic: a user with the itil role"),
            (OAUTH, "OAuth 2.0 (Authorization Code): Connect in the browser"),
        ],
        initial=BASIC,
        widget=forms.RadioSelect,
        help_text="How the console authenticates at the instance.",
    )
    username = forms.CharField(
        max_length=200,
        strip=False,
        validators=[validate_basic_username],
        help_text="A ServiceNow user with the itil role, such as an integration "
        "user. It must not contain a colon.",
    )
    password = SecretField(help_text="Stored encrypted and never shown again.")
    authorization_url = optional_url_field("Authorization URL", AUTHORIZATION_PATH)
    token_url = optional_url_field("Access token URL", TOKEN_PATH)
    client_id = forms.CharField(
        label="Client ID",
        max_length=500,
        help_text="The Client ID of the OAuth API endpoint in the instance's "
        "Application Registry.",
    )
    client_secret = SecretField(
        label="Client secret",
        help_text="The registry entry's client secret. Stored encrypted and never "
        "shown again.",
    )
    # ServiceNow takes the client in the form body and sends 401 for an
    # expired token; its scopes are optional.
    token_endpoint_auth_method = None
    token_prefix = None
    expired_status = None

    conditional_fields = {
        "username": ("method", BASIC),
        "password": ("method", BASIC),
        "authorization_url": ("method", OAUTH),
        "token_url": ("method", OAUTH),
        "client_id": ("method", OAUTH),
        "client_secret": ("method", OAUTH),
        "scope": ("method", OAUTH),
    }

    field_order = [
        "method",
        "username",
        "password",
        "authorization_url",
        "token_url",
        "client_id",
        "client_secret",
        "scope",
    ]

    def __init__(self, *args, config, **kwargs):
        super().__init__(*args, config=config, **kwargs)
        # The URLs are shown filled in from the saved base URL, so they can
        # be edited from there.
        base_url = _saved_base_url(config)
        if base_url:
            for name, path in (
                ("authorization_url", AUTHORIZATION_PATH),
                ("token_url", TOKEN_PATH),
            ):
                if not self.initial.get(name):
                    self.initial[name] = instance_url(base_url, path)

    def _clean_derived_url(self, name: str, path: str) -> str:
        # A URL equal to the one derived from the saved base URL is stored
        # blank, so that it follows the base URL.
        value = self.cleaned_data[name]
        base_url = _saved_base_url(self.config)
        if base_url and value == instance_url(base_url, path):
            return ""
        return value

    def clean_authorization_url(self) -> str:
        return self._clean_derived_url("authorization_url", AUTHORIZATION_PATH)

    def clean_token_url(self) -> str:
        return self._clean_derived_url("token_url", TOKEN_PATH)

    def clears_tokens(self) -> bool:
        if not hasattr(self, "cleaned_data"):
            return False
        stored = self.config.params
        for name in self.identity_fields:
            value = self.cleaned_data.get(name)
            if isinstance(value, SecretChange):
                if value.action is SecretAction.SET:
                    return True
            elif name in self.cleaned_data and (stored.get(name) or "") != (
                value or ""
            ):
                return True
        return False


def _saved_base_url(config) -> str:
    if config.pk is None:
        return ""
    return config.endpoint.target_url


class ServiceNow(OAuth2AuthorizationCode):
    key = "servicenow"
    label = "ServiceNow"
    description = (
        "A ServiceNow instance, with the username and password of an itil user "
        "or with OAuth 2.0 and Connect."
    )
    form_class = ServiceNowForm
    test_description = (
        "Basic: reads one record of the sys_user table through the Table API. "
        "OAuth 2.0: refreshes the access token with the stored refresh token."
    )
    grant_label = "Authorization code"
    connection_params = ("method", "authorization_url", "token_url", "client_id")

    @property
    def is_oauth(self) -> bool:
        return self.params.get("method", BASIC) == OAUTH

    # The method decides what the endpoint page shows and what the runtime
    # needs, so these are properties of the configured type.
    @property
    def uses_connect(self) -> bool:  # type: ignore[override]
        return self.is_oauth

    @property
    def uses_tokens(self) -> bool:  # type: ignore[override]
        return self.is_oauth

    @property
    def panel_template(self) -> str | None:  # type: ignore[override]
        return OAUTH_PANEL if self.is_oauth else None

    # -- OAuth 2.0 settings --------------------------------------------------

    def _connection_changed(self, stored: AuthConfig) -> bool:
        # URLs are compared as resolved, since a blank one means the one
        # derived from the base URL.
        saved = stored.type
        assert isinstance(saved, ServiceNow)
        return (
            self.params.get("method", BASIC) != saved.params.get("method", BASIC)
            or self.params.get("client_id") != saved.params.get("client_id")
            or self.authorization_url() != saved.authorization_url()
            or self.token_url() != saved.token_url()
            or self.secrets.get("client_secret") != saved.secrets.get("client_secret")
        )

    def _instance_url(self, path: str, endpoint: Endpoint | None = None) -> str:
        if endpoint is not None:
            return instance_url(endpoint.target_url, path)
        return instance_url(_saved_base_url(self.config), path)

    def authorization_url(self) -> str:
        return str(self.params.get("authorization_url") or "") or self._instance_url(
            AUTHORIZATION_PATH
        )

    def token_url(self, endpoint: Endpoint | None = None) -> str:
        return str(self.params.get("token_url") or "") or self._instance_url(
            TOKEN_PATH, endpoint
        )

    def client_credentials(self) -> ClientCredentials:
        return ClientCredentials(
            token_url=self.token_url(),
            client_id=str(self.params.get("client_id", "")),
            client_secret=str(self.secrets.get("client_secret", "")),
            auth_method=CLIENT_SECRET_POST,
            scope=str(self.params.get("scope", "")),
        )

    def token_prefix(self) -> str:
        return "Bearer"

    def expired_statuses(self) -> frozenset[int]:
        return frozenset({401})

    # -- Basic ---------------------------------------------------------------

    def basic_credential(self) -> str:
        username = str(self.params.get("username", ""))
        password = self.secrets.get("password")
        if not (username and password):
            return ""
        return encode_credential(username, str(password))

    def credential_url(self, endpoint: Endpoint) -> str:
        if self.is_oauth:
            return self.token_url(endpoint)
        return endpoint.target_url

    def secret_values(self) -> list[str]:
        values = super().secret_values()
        credential = self.basic_credential()
        if credential:
            values.append(credential)
        return values

    # -- The runtime's interface ---------------------------------------------

    def prepare(self, context: RequestContext) -> None:
        if self.is_oauth:
            super().prepare(context)

    def build_auth(self, context: RequestContext | None = None) -> httpx2.Auth | None:
        if self.is_oauth:
            return super().build_auth(context)
        credential = self.basic_credential()
        return BasicAuth(credential, preemptive=True) if credential else None

    def authenticate(self, context: RequestContext) -> str:
        """Return the access token, or with Basic the base64 credential."""
        if self.is_oauth:
            return super().authenticate(context)
        credential = self.basic_credential()
        if not credential:
            raise CredentialUnavailableError(
                "No ServiceNow username and password are stored for this endpoint."
            )
        return credential

    def is_connected(self) -> bool:
        if self.is_oauth:
            return super().is_connected()
        return bool(self.basic_credential())

    def summary(self) -> str:
        if self.is_oauth:
            return super().summary()
        return f"Basic, user {self.params.get('username', '')}"

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        if self.is_oauth:
            return super().test_authentication(context)
        url = join_url(context.endpoint.target_url, TEST_PATH, {"sysparm_limit": "1"})
        request = context.client.build_request("GET", url, timeout=context.timeout)
        response = context.send(request, self.build_auth(context))
        return self._classify(response)

    def _classify(self, response: httpx2.Response) -> AuthTestResult:
        status = response.status_code
        status_line = f"{status} {response.reason_phrase}".strip()
        error_text = servicenow_error_text(response)
        returned = f" ServiceNow returned: {error_text}." if error_text else ""
        if status == 200:
            count = _record_count(response)
            records = "no record" if count == 0 else f"{count} record(s)"
            return AuthTestResult(
                ok=True,
                message=f"ServiceNow accepted the credentials and returned {records} "
                f"of the {TEST_TABLE} table ({status_line}).",
                status_code=status,
                detail=excerpt(response),
            )
        if status == 401:
            return AuthTestResult(
                ok=False,
                stage="authentication",
                message=f"ServiceNow rejected the username or password "
                f"({status_line}).{returned}",
                status_code=status,
                detail=excerpt(response),
            )
        if status == 403:
            return AuthTestResult(
                ok=False,
                stage="authentication",
                message=f"ServiceNow accepted the login but denied reading the "
                f"{TEST_TABLE} table ({status_line}). Give the user the itil "
                f"role.{returned}",
                status_code=status,
                detail=excerpt(response),
            )
        return AuthTestResult(
            ok=False,
            stage="http",
            message=f"The Table API at {TEST_PATH} responded with {status_line}. "
            "Check that "
            f"the base URL is the instance's address, such as "
            f"https://acme.service-now.com.{returned}",
            status_code=status,
            detail=excerpt(response),
        )


def _record_count(response: httpx2.Response) -> int:
    try:
        data = json.loads(response.content)
    except ValueError:
        return 0
    result = data.get("result") if isinstance(data, dict) else None
    return len(result) if isinstance(result, list) else 0


AUTH_TYPE = ServiceNow
