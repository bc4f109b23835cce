"""OAuth 2.0 (Password): the resource owner password credentials grant.

The console requests a token with the username and password (RFC 6749,
section 4.3). When the provider issues a refresh token, expiry refreshes
with it; otherwise, or when the refresh is rejected, the console makes a new
password grant. Test Authentication requests a token with the values in the
form and stores nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django import forms

from endpoints.runtime.errors import TokenRequestError

from .base import AuthTestResult
from .oauth.base import OAuth2AuthType
from .oauth.forms import OAuth2Form
from .oauth.tokens import TokenSet
from .secret_field import SecretField

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

logger = logging.getLogger(__name__)


class OAuth2PasswordForm(OAuth2Form):
    identity_fields = ("token_url", "client_id", "username", "password")

    username = forms.CharField(
        max_length=500,
        strip=False,
        help_text="The user whose access the console requests.",
    )
    password = SecretField(help_text="Stored encrypted and never shown again.")

    field_order = [
        "token_url",
        "username",
        "password",
        "client_id",
        "client_secret",
        "token_endpoint_auth_method",
        "scope",
        "expired_status",
    ]


class OAuth2Password(OAuth2AuthType):
    key = "oauth2_password"
    label = "OAuth 2.0 (Password)"
    description = (
        "Request tokens with a username and password (the OAuth 2.0 password "
        "grant), and send them as Bearer tokens."
    )
    form_class = OAuth2PasswordForm
    test_description = (
        "Requests a token from the access token URL with the password grant."
    )
    panel_template = "endpoints/includes/oauth_panel.html"
    grant_label = "Password grant"

    def request_new_token(self, context: RequestContext) -> TokenSet:
        return self.token_client(context).fetch(
            "password",
            username=str(self.params.get("username", "")),
            password=str(self.secrets.get("password", "")),
        )

    def refresh_rejected(
        self, context: RequestContext, error: TokenRequestError
    ) -> TokenSet:
        # The password grant needs no user in a browser, so a rejected
        # refresh token is replaced by a new grant.
        logger.info(
            "event=oauth_refresh_rejected endpoint_id=%s next=password_grant",
            context.endpoint.pk,
        )
        return self.request_new_token(context)

    def is_connected(self) -> bool:
        return bool(
            self.params.get("client_id")
            and self.params.get("username")
            and self.secrets.get("password")
            and not self.config.reconnect_needed
        )

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        token_set = self.request_new_token(context)
        return AuthTestResult(ok=True, message=self.token_result_detail(token_set))


AUTH_TYPE = OAuth2Password
