"""Zoom Server-to-Server OAuth: the account credentials grant.

The console requests a token at ZOOM_TOKEN_URL with
``grant_type=account_credentials`` and the account ID, sending the client
ID and secret as HTTP Basic. Zoom issues no refresh token, and its tokens
live an hour, so the console requests a new one when the stored token is
about to expire, under the row lock of every renewal (see
`endpoints.auth.oauth.storage`), and once after the API responds with 401.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx2
from django import forms
from django.conf import settings

from .base import AuthTestResult
from .oauth.base import OAuth2AuthType
from .oauth.client import CLIENT_SECRET_BASIC, ClientCredentials
from .oauth.forms import OAuth2Form
from .oauth.provider_errors import describe_provider_error
from .oauth.tokens import TokenSet
from .secret_field import ISSUED_SECRET_MIN_LENGTH, SecretField

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

ACCOUNT_CREDENTIALS = "account_credentials"

ZOOM_ERROR_MESSAGES = {
    "invalid_client": "Zoom rejected the client ID or client secret. Copy both "
    "again from the Server-to-Server OAuth app in the Zoom App Marketplace, and "
    "check that the app is activated.",
    "invalid_request": "Zoom rejected the token request. Check the account ID "
    "against the app's App Credentials page.",
}


class ZoomForm(OAuth2Form):
    identity_fields = ("account_id", "client_id", "client_secret")

    account_id = forms.CharField(
        label="Account ID",
        max_length=200,
        help_text="The Account ID on the App Credentials page of the "
        "Server-to-Server OAuth app.",
    )
    client_id = forms.CharField(
        label="Client ID",
        max_length=200,
        help_text="The app's Client ID.",
    )
    client_secret = SecretField(
        label="Client secret",
        min_length=ISSUED_SECRET_MIN_LENGTH,
        help_text="The app's Client secret. Stored encrypted and never shown again.",
    )
    # Zoom fixes these: its token URL comes from settings, the client
    # authenticates with HTTP Basic, and the app's scopes are set at Zoom.
    token_url = None
    token_endpoint_auth_method = None
    scope = None
    expired_status = None


class Zoom(OAuth2AuthType):
    key = "zoom"
    label = "Zoom Server-to-Server OAuth"
    description = (
        "A Server-to-Server OAuth app of a Zoom account: the console requests "
        "tokens with the account ID, client ID and client secret."
    )
    form_class = ZoomForm
    test_description = "Requests a token from Zoom with the account credentials."
    panel_template = "endpoints/includes/oauth_panel.html"
    grant_label = "Account credentials grant"

    def token_url(self) -> str:
        return str(settings.ZOOM_TOKEN_URL)

    def client_credentials(self) -> ClientCredentials:
        return ClientCredentials(
            token_url=self.token_url(),
            client_id=str(self.params.get("client_id", "")),
            client_secret=str(self.secrets.get("client_secret", "")),
            auth_method=CLIENT_SECRET_BASIC,
        )

    def expired_statuses(self) -> frozenset[int]:
        return frozenset({401})

    def check_token_response(
        self, data: dict[str, Any], response: httpx2.Response
    ) -> dict[str, Any]:
        # Zoom describes its errors in "reason" instead of RFC 6749's
        # "error_description".
        if "error" in data and "error_description" not in data and "reason" in data:
            data["error_description"] = str(data["reason"])
        return data

    def describe_provider_error(self, error: str, description: str) -> str:
        sentence = ZOOM_ERROR_MESSAGES.get(error)
        if sentence is None:
            return describe_provider_error(error, description)
        quoted = f"{error}: {description}" if description else error
        return f"{sentence} (Zoom returned {quoted}.)"

    def request_new_token(self, context: RequestContext) -> TokenSet:
        return self.token_client(context).fetch(
            ACCOUNT_CREDENTIALS, account_id=str(self.params.get("account_id", ""))
        )

    def is_connected(self) -> bool:
        return bool(
            self.params.get("account_id")
            and self.params.get("client_id")
            and self.secrets.get("client_secret")
        )

    def summary(self) -> str:
        return f"Account {self.params.get('account_id', '')}"

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        token_set = self.request_new_token(context)
        return AuthTestResult(ok=True, message=self.token_result_detail(token_set))


AUTH_TYPE = Zoom
