"""OAuth 2.0 (Authorization Code): Connect in a browser, then refresh.

A manager presses Connect. The console sends the browser to the provider's
authorization URL with PKCE S256 (RFC 7636), and the provider returns to the
console's one callback URL with a code, which the console exchanges for
tokens (RFC 6749, section 4.1). The console needs a refresh token to keep
access after the first token expires, so a Connect that yields none is
rejected. Test Authentication refreshes the stored token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from endpoints.models import AuthConfig
from endpoints.runtime.errors import AuthenticationError, TokenRequestError

from .base import AuthTestResult
from .oauth.base import OAuth2AuthType
from .oauth.forms import OAuth2Form, TokenPrefixMixin, oauth_url_field
from .oauth.tokens import TokenSet

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

OFFLINE_SCOPE_ADVICE = (
    "The provider issued no refresh token, so the console could not keep access "
    "once the first token expires, and it stored nothing. Many providers issue a "
    "refresh token only when the scope asks for offline access: add the scope "
    "your provider documents for it, such as offline_access, and Connect again."
)


class OAuth2AuthorizationCodeForm(TokenPrefixMixin, OAuth2Form):
    identity_fields = ("authorization_url", "token_url", "client_id")

    authorization_url = oauth_url_field(
        "Authorization URL",
        "The provider's authorization endpoint, where Connect sends the "
        "browser, such as https://login.example.com/oauth/authorize.",
    )

    field_order = [
        "authorization_url",
        "token_url",
        "client_id",
        "client_secret",
        "token_endpoint_auth_method",
        "scope",
        "token_prefix",
        "expired_status",
    ]


class OAuth2AuthorizationCode(OAuth2AuthType):
    key = "oauth2_authorization_code"
    label = "OAuth 2.0 (Authorization Code)"
    description = (
        "Connect once in the browser; the console then sends the access token "
        "and refreshes it with the refresh token."
    )
    form_class = OAuth2AuthorizationCodeForm
    test_description = "Refreshes the access token with the stored refresh token."
    panel_template = "endpoints/includes/oauth_panel.html"
    grant_label = "Authorization code"
    uses_connect = True
    # Settings that must equal the stored ones before Test Authentication
    # may send the stored refresh token.
    connection_params: ClassVar[tuple[str, ...]] = (
        "authorization_url",
        "token_url",
        "client_id",
        "token_endpoint_auth_method",
    )

    def authorization_url(self) -> str:
        return str(self.params.get("authorization_url", ""))

    @property
    def redirect_url(self) -> str:
        """The callback URL to register with the provider."""
        from .oauth.connect import redirect_uri

        return redirect_uri()

    def connect_problem(self) -> str | None:
        """Return why Connect cannot start, in words for the manager, or None.

        Presets that connect with the console's own app return the settings
        that an operator must set first.
        """
        return None

    def authorization_params(self) -> dict[str, str]:
        """Return extra parameters of the authorization request.

        Presets add what their provider needs, such as a prompt.
        """
        return {}

    def exchange_code(
        self,
        context: RequestContext,
        *,
        code: str,
        code_verifier: str,
        redirect_uri: str,
    ) -> TokenSet:
        """Exchange an authorization code for tokens (RFC 6749, 4.1.3).

        Raises `TokenRequestError` when the provider issues no refresh token.
        """
        token_set = self.token_client(context, redirect_uri=redirect_uri).fetch(
            "authorization_code", code=code, code_verifier=code_verifier
        )
        if not token_set.refresh_token:
            raise TokenRequestError(self.missing_refresh_token_advice())
        return token_set

    def missing_refresh_token_advice(self) -> str:
        return OFFLINE_SCOPE_ADVICE

    def check_usable(self) -> None:
        super().check_usable()
        if not (self.config.access_token or self.config.refresh_token):
            raise AuthenticationError(
                "The endpoint is not connected. A manager must press Connect on "
                "the endpoint's page first."
            )

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        stored = (
            AuthConfig.objects.filter(pk=self.config.pk).first()
            if self.config.pk
            else None
        )
        if stored is None:
            return AuthTestResult(
                ok=False,
                stage="authentication",
                message="Create the endpoint and Connect it first; Test "
                "Authentication then refreshes its token.",
            )
        if self._connection_changed(stored):
            return AuthTestResult(
                ok=False,
                stage="authentication",
                message="The provider or client settings in the form differ from "
                "the saved ones. Save them and Connect again; the stored tokens "
                "belong to the saved settings.",
            )
        self.check_usable()
        if not self.config.refresh_token:
            return AuthTestResult(
                ok=False,
                stage="authentication",
                message="No refresh token is stored. Connect the endpoint again.",
            )
        # A provider that rotates refresh tokens accepts the stored one only
        # once, so the refreshed tokens are stored even when the other typed
        # values are not: they belong to the saved connection.
        self.renew(context, force=True, store=True)
        return AuthTestResult(
            ok=True,
            message="The provider refreshed the access token with the stored "
            "refresh token.",
        )

    def _connection_changed(self, stored: AuthConfig) -> bool:
        typed = self.config.params
        for name in self.connection_params:
            if typed.get(name) != stored.params.get(name):
                return True
        typed_secret = self.secrets.get("client_secret")
        return typed_secret != stored.stored_secrets().get("client_secret")


AUTH_TYPE = OAuth2AuthorizationCode
