"""Salesforce: the OAuth 2.0 username-password flow of a connected app.

The console requests a session at the org's login host with the password
grant: the username, the password with the user's security token appended
(Salesforce requires it for logins from addresses outside the org's
trusted ranges), and the connected app's consumer key and secret in the
form body.

Salesforce's token response differs from RFC 6749's in two ways that
matter here:

- It names the org's API host in ``instance_url``, such as
  ``https://acme.my.salesforce.com``. Every request goes to that URL
  verbatim instead of the endpoint's base URL, while token requests stay at
  the login host. A response without it, or with one that is not https, is
  an error: the console never falls back to the login host.
- It has no ``expires_in`` and no refresh token. A session lasts until the
  org's timeout, and the API then returns 401 with ``INVALID_SESSION_ID``.
  The console makes one new password grant, takes the new ``instance_url``
  and sends the request once more, to the new host.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from endpoints.runtime.errors import AuthenticationError, TokenRequestError
from endpoints.validators import validate_base_url

from .base import AuthTestResult
from .oauth.client import CLIENT_SECRET_POST, ClientCredentials
from .oauth.forms import oauth_url_field
from .oauth.provider_errors import describe_provider_error
from .oauth.tokens import TokenSet
from .oauth_password import OAuth2Password, OAuth2PasswordForm
from .secret_field import SecretField

if TYPE_CHECKING:
    from endpoints.models import AuthConfig
    from endpoints.runtime.context import RequestContext

PRODUCTION = "production"
SANDBOX = "sandbox"
CUSTOM = "custom"
TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a URL path)
INVALID_SESSION_ID = "INVALID_SESSION_ID"

SALESFORCE_ERROR_MESSAGES = {
    "invalid_grant": "Salesforce rejected the login. Check the username and "
    "password. If the org requires a security token for logins from the "
    "console's address, enter the user's current token (it changes when the "
    "password is reset). Check also that the user may use the connected app.",
    "invalid_client_id": "Salesforce does not know this consumer key. Check the "
    "connected app's consumer key, and that the access token URL is the org's "
    "login host: sandboxes log in at test.salesforce.com.",
    "invalid_client": "Salesforce rejected the consumer secret. Copy it again "
    "from the connected app.",
    "unsupported_grant_type": "Salesforce does not allow the username-password "
    "flow for this org. An administrator must allow it in the OAuth and OpenID "
    "Connect settings.",
}


def check_instance_url(value: Any, token_url: str) -> str:
    """Return the ``instance_url`` of a token response, or raise.

    It must be an https URL without user-info, query or fragment. Plain
    http is accepted only on a loopback host and only when the token URL is
    plain http on a loopback host too, which is a local test server.
    """
    if not isinstance(value, str) or not value:
        raise TokenRequestError(
            "Salesforce's token response has no instance_url, so the console "
            "does not know the org's API host. Check that the access token URL "
            "is a Salesforce login host."
        )
    try:
        validate_base_url(value)
    except ValidationError:
        raise TokenRequestError(
            "Salesforce's token response has an instance_url that is not a valid "
            "http(s) URL without query or user-info."
        ) from None
    parts = urlsplit(value)
    if parts.scheme.lower() == "https":
        return value
    if _is_loopback(parts.hostname) and _is_local_http(token_url):
        return value
    raise TokenRequestError(
        f"Salesforce's token response names the instance {parts.scheme}://"
        f"{parts.hostname}, which is not https. The console sends the session "
        "only over https, so nothing was sent there."
    )


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_local_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and _is_loopback(parts.hostname)


def is_invalid_session(response: httpx2.Response) -> bool:
    """Return whether a response is Salesforce's expired-session error."""
    if response.status_code != 401:
        return False
    try:
        data = json.loads(response.content)
    except ValueError:
        return False
    errors = data if isinstance(data, list) else [data]
    return any(
        isinstance(error, dict) and error.get("errorCode") == INVALID_SESSION_ID
        for error in errors
    )


class SalesforceForm(OAuth2PasswordForm):
    identity_fields = (
        "environment",
        "token_url",
        "client_id",
        "username",
        "password",
        "security_token",
    )

    environment = forms.ChoiceField(
        label="Log in at",
        choices=[
            (PRODUCTION, "Production or Developer Edition (login.salesforce.com)"),
            (SANDBOX, "Sandbox (test.salesforce.com)"),
            (CUSTOM, "Another access token URL, such as a My Domain login"),
        ],
        initial=PRODUCTION,
        widget=forms.RadioSelect,
        help_text="The login host whose token endpoint issues the session.",
    )
    token_url = oauth_url_field(
        "Access token URL",
        "Such as https://acme.my.salesforce.com/services/oauth2/token.",
    )
    username = forms.CharField(
        max_length=500,
        strip=False,
        help_text="The Salesforce username, such as integration@acme.example.",
    )
    password = SecretField(help_text="Stored encrypted and never shown again.")
    security_token = SecretField(
        label="Security token",
        required=False,
        help_text="Optional. Appended to the password when the org requires a "
        "security token for logins from the console's address.",
    )
    client_id = forms.CharField(
        label="Consumer key",
        max_length=500,
        help_text="The connected app's consumer key (its OAuth client ID).",
    )
    client_secret = SecretField(
        label="Consumer secret",
        help_text="The connected app's consumer secret. Stored encrypted and "
        "never shown again.",
    )
    # Salesforce fixes these: the client authenticates in the form body, the
    # connected app sets the scopes, and an expired session is a 401.
    token_endpoint_auth_method = None
    scope = None
    expired_status = None

    conditional_fields = {"token_url": ("environment", CUSTOM)}

    field_order = [
        "environment",
        "token_url",
        "username",
        "password",
        "security_token",
        "client_id",
        "client_secret",
    ]


class Salesforce(OAuth2Password):
    key = "salesforce"
    label = "Salesforce"
    description = (
        "A Salesforce user and connected app: the console logs in with the "
        "username and password and sends requests to the org's instance URL."
    )
    form_class = SalesforceForm
    test_description = (
        "Requests a session from the Salesforce login host with the password grant."
    )
    panel_template = "endpoints/includes/salesforce_panel.html"

    def token_url(self) -> str:
        environment = self.params.get("environment", PRODUCTION)
        if environment == CUSTOM:
            return str(self.params.get("token_url", ""))
        login = (
            settings.SALESFORCE_SANDBOX_LOGIN_URL
            if environment == SANDBOX
            else settings.SALESFORCE_LOGIN_URL
        )
        return login.rstrip("/") + TOKEN_PATH

    def client_credentials(self) -> ClientCredentials:
        return ClientCredentials(
            token_url=self.token_url(),
            client_id=str(self.params.get("client_id", "")),
            client_secret=str(self.secrets.get("client_secret", "")),
            auth_method=CLIENT_SECRET_POST,
        )

    def login_password(self) -> str:
        """Return the password with the security token appended."""
        return str(self.secrets.get("password", "")) + str(
            self.secrets.get("security_token", "")
        )

    def secret_values(self) -> list[str]:
        values = super().secret_values()
        if self.secrets.get("security_token"):
            values.append(self.login_password())
        return values

    def expired_statuses(self) -> frozenset[int]:
        return frozenset({401})

    def token_rejected(self, response: httpx2.Response) -> bool:
        return is_invalid_session(response)

    def describe_provider_error(self, error: str, description: str) -> str:
        sentence = SALESFORCE_ERROR_MESSAGES.get(error)
        if sentence is None:
            return describe_provider_error(error, description)
        quoted = f"{error}: {description}" if description else error
        return f"{sentence} (Salesforce returned {quoted}.)"

    def parse_token_set(self, data: dict[str, Any], received_at: datetime) -> TokenSet:
        token_set = super().parse_token_set(data, received_at)
        instance_url = check_instance_url(data.get("instance_url"), self.token_url())
        return replace(token_set, extra={"instance_url": instance_url})

    def store_token_extras(self, config: AuthConfig, token_set: TokenSet) -> None:
        config.instance_url = token_set.extra["instance_url"]

    def request_new_token(self, context: RequestContext) -> TokenSet:
        return self.token_client(context).fetch(
            "password",
            username=str(self.params.get("username", "")),
            password=self.login_password(),
        )

    def prepare(self, context: RequestContext) -> None:
        super().prepare(context)
        if not self.config.instance_url:
            # A session stored without its instance cannot be used.
            self.renew(context, force=True)

    def request_base_url(self, context: RequestContext) -> str:
        if not self.config.instance_url:
            raise AuthenticationError(
                "No Salesforce instance URL is stored yet; it comes with the first "
                "session."
            )
        return self.config.instance_url

    def request_for_retry(
        self, request: httpx2.Request, context: RequestContext, sent_base_url: str
    ) -> httpx2.Request:
        new_base_url = self.request_base_url(context)
        if new_base_url == sent_base_url:
            return request
        sent_path = httpx2.URL(sent_base_url).raw_path.rstrip(b"/")
        target = request.url.raw_path
        if not target.startswith(sent_path):
            raise AuthenticationError(
                "The request could not be moved to the new Salesforce instance."
            )
        suffix = target[len(sent_path) :].decode("ascii")
        headers = [
            (name, value)
            for name, value in request.headers.multi_items()
            if name.lower() != "host"
        ]
        return httpx2.Request(
            request.method,
            new_base_url.rstrip("/") + suffix,
            headers=headers,
            content=request.content,
            extensions=request.extensions,
        )

    def summary(self) -> str:
        host = urlsplit(self.token_url()).hostname or ""
        username = self.params.get("username", "")
        return f"{username} at {host}" if host else str(username)

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        token_set = self.request_new_token(context)
        instance_url = token_set.extra["instance_url"]
        return AuthTestResult(
            ok=True,
            message=f"Salesforce issued a session for the instance {instance_url}. "
            "Requests through this endpoint go there.",
        )


AUTH_TYPE = Salesforce
