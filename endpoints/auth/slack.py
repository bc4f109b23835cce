"""Slack: Connect with the console's Slack app through Slack's OAuth v2.

Slack's v2 flow sends the browser to ``{SLACK_URL}/oauth/v2/authorize`` with
the bot scopes, and exchanges the code at ``{SLACK_API_URL}/oauth.v2.access``
for a bot token (``xoxb-``). That token does not expire unless the app has
token rotation turned on. Then the response carries ``expires_in`` and a
refresh token, which the console uses as for any OAuth 2.0 type.

Slack returns failures with HTTP 200 and ``{"ok": false, "error": "<code>"}``
on every method, the token exchange included. `slack_error` reads that
shape, so the token exchange, Test Authentication (``auth.test``) and, when
the caller passes ``raise_api_errors=True`` to the runtime, every request
fail on it. `authenticate` returns the bot token, for methods that take it
in the query string or the body.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx2
from django.conf import settings

from endpoints.models import AuthConfig
from endpoints.runtime.errors import APIResponseError, TokenRequestError

from .base import AuthTestResult
from .oauth.console_app import ConsoleAppForm, ConsoleAppMixin
from .oauth.tokens import TokenSet, token_set_from_response
from .oauth_code import OAuth2AuthorizationCode

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

logger = logging.getLogger(__name__)

SCOPES = (
    "channels:history",
    "channels:manage",
    "channels:read",
    "chat:write",
    "chat:write.customize",
    "chat:write.public",
    "groups:read",
    "groups:write",
    "pins:read",
    "pins:write",
    "team:read",
    "usergroups:read",
    "users:read",
)

# Error codes of Slack's Web API methods in plain words, with what to do
# next.
SLACK_ERROR_MESSAGES: dict[str, str] = {
    "invalid_auth": "Slack rejected the stored token as invalid. Connect the "
    "endpoint again.",
    "not_authed": "Slack received no token. Connect the endpoint again.",
    "token_revoked": "The Slack token was revoked: the app was removed from the "
    "workspace or its access was withdrawn. Connect the endpoint again, and ask a "
    "workspace admin to keep the app installed.",
    "token_expired": "The Slack token expired and could not be renewed. Connect "
    "the endpoint again.",
    "account_inactive": "The Slack user or bot behind the token is deactivated. "
    "Ask a workspace admin to reactivate it, then Connect again.",
    "missing_scope": "The Slack token lacks a scope that this method needs. Add "
    "the scope to the console's Slack app, then Connect again so that the "
    "workspace grants it.",
    "invalid_code": "Slack rejected the authorization code: it is invalid, "
    "expired or already used. Press Connect again.",
    "bad_client_secret": "Slack rejected the client secret of the console's Slack "
    "app. An operator must check SLACK_CLIENT_SECRET.",
    "invalid_client_id": "Slack does not know the client ID of the console's Slack "
    "app. An operator must check SLACK_CLIENT_ID.",
    "bad_redirect_uri": "Slack rejected the redirect URL. Add the console's "
    "redirect URL to the Slack app's Redirect URLs.",
    "invalid_refresh_token": "Slack rejected the stored refresh token. Connect the "
    "endpoint again.",
    "ratelimited": "Slack is rate limiting the console's requests. Try again later.",
}


def slack_error(data: Any) -> str | None:
    """Return the error code of a Slack response body with ``"ok": false``.

    Returns None when the body is not Slack's error shape, and
    ``"unknown_error"`` when it has ``ok`` false but no code.
    """
    if not isinstance(data, dict) or data.get("ok") is not False:
        return None
    code = data.get("error")
    return str(code) if code else "unknown_error"


def response_json(response: httpx2.Response) -> Any:
    """Return the response's JSON value, or None if its body is not JSON."""
    try:
        return json.loads(response.read())
    except ValueError:
        return None


def describe_slack_error(code: str, data: dict[str, Any] | None = None) -> str:
    """Return a sentence for a Slack error code, quoting the code.

    For ``missing_scope`` it names the scope that Slack reports as needed.
    """
    sentence = SLACK_ERROR_MESSAGES.get(code, "Slack reported an error.")
    quoted = code
    if data and code == "missing_scope" and data.get("needed"):
        quoted = f"{code}, needed: {data['needed']}"
    return f"{sentence} (Slack said {quoted}.)"


class SlackForm(ConsoleAppForm):
    pass


class Slack(ConsoleAppMixin, OAuth2AuthorizationCode):
    key = "slack"
    label = "Slack"
    description = (
        "Connect a Slack workspace with the console's Slack app; steps then use "
        "its bot token."
    )
    form_class = SlackForm
    test_description = "Calls Slack's auth.test with the stored bot token."
    grant_label = "Slack app"
    app_label = "Slack app"
    client_id_setting = "SLACK_CLIENT_ID"
    client_secret_setting = "SLACK_CLIENT_SECRET"  # noqa: S105 (a name)
    api_url_setting = "SLACK_API_URL"
    # Nothing is typed: the app and the URLs come from settings.
    connection_params = ()
    scopes: tuple[str, ...] = SCOPES
    authorize_path = "/oauth/v2/authorize"
    token_method = "oauth.v2.access"  # noqa: S105 (a method name)

    def scope(self) -> str:
        # Slack's authorize URL takes the scopes comma-separated.
        return ",".join(self.scopes)

    def authorization_url(self) -> str:
        return f"{str(settings.SLACK_URL).rstrip('/')}{self.authorize_path}"

    def token_url(self) -> str:
        return f"{self.api_url()}/{self.token_method}"

    def token_prefix(self) -> str:
        return "Bearer"

    def summary(self) -> str:
        team = self.params.get("slack_team_name")
        return f"Slack workspace {team}" if team else "Slack workspace"

    # -- Token responses -------------------------------------------------

    def check_token_response(
        self, data: dict[str, Any], response: httpx2.Response
    ) -> dict[str, Any]:
        code = slack_error(data)
        if code is not None:
            # authlib raises OAuthError for an RFC 6749 error object, which
            # the token client turns into a TokenRequestError.
            return {"error": code}
        if not data.get("access_token"):
            user = data.get("authed_user")
            if isinstance(user, dict) and user.get("access_token"):
                raise TokenRequestError(
                    "The Slack install produced only a user token (under "
                    "authed_user) and no bot token, so nothing was stored. The "
                    "console's Slack app needs a bot user with the bot scopes: an "
                    "operator must add them in the app's settings, then Connect "
                    "again."
                )
        return data

    def parse_token_set(self, data: dict[str, Any], received_at: datetime) -> TokenSet:
        token_set = token_set_from_response(data, received_at)
        # Slack lists the granted scopes comma-separated.
        scope = " ".join(token_set.scope.replace(",", " ").split())
        team = data.get("team") if isinstance(data.get("team"), dict) else {}
        extra = {
            "slack_team_id": str(team.get("id") or data.get("team_id") or ""),
            "slack_team_name": str(team.get("name") or data.get("team_name") or ""),
        }
        return TokenSet(
            access_token=token_set.access_token,
            refresh_token=token_set.refresh_token,
            expires_at=token_set.expires_at,
            scope=scope,
            token_type=token_set.token_type,
            extra=extra,
        )

    def store_token_extras(self, config: AuthConfig, token_set: TokenSet) -> None:
        # The workspace is named on the endpoint's page and in lists; a
        # refresh response names it again.
        params = dict(config.params)
        for name, value in token_set.extra.items():
            if value:
                params[name] = value
        config.params = params
        config.save(update_fields=["params", "updated_at"])

    def describe_provider_error(self, error: str, description: str) -> str:
        if error in SLACK_ERROR_MESSAGES or error == "unknown_error":
            return describe_slack_error(error)
        return super().describe_provider_error(error, description)

    def exchange_code(
        self,
        context: RequestContext,
        *,
        code: str,
        code_verifier: str,
        redirect_uri: str,
    ) -> TokenSet:
        # Slack's bot tokens do not expire without token rotation, so a
        # token without a refresh token is complete.
        return self.token_client(context, redirect_uri=redirect_uri).fetch(
            "authorization_code", code=code, code_verifier=code_verifier
        )

    # -- Requests --------------------------------------------------------

    def prepare(self, context: RequestContext) -> None:
        self.check_api_origin(context)
        super().prepare(context)

    def token_rejected(self, response: httpx2.Response) -> bool:
        # With token rotation an expired token gets 200 and token_expired.
        if super().token_rejected(response):
            return True
        if not self.config.refresh_token:
            return False
        return slack_error(response_json(response)) == "token_expired"

    def check_api_response(self, response: httpx2.Response) -> None:
        data = response_json(response)
        code = slack_error(data)
        if code is None:
            return
        logger.info(
            "event=slack_api_error endpoint_id=%s slack_error=%s",
            self.config.pk,
            code,
        )
        raise APIResponseError(
            describe_slack_error(code, data),
            api_error=code,
            status_code=response.status_code,
        )

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        if self.config.pk is None or not (
            self.config.access_token or self.config.refresh_token
        ):
            return AuthTestResult(
                ok=False,
                stage="authentication",
                message="The endpoint is not connected. Save it and press Connect "
                "first; Test Authentication then calls auth.test.",
            )
        self.prepare(context)
        request = context.client.build_request(
            "POST",
            f"{self.api_url()}/auth.test",
            headers={
                "Authorization": self.authorization_value(self.config.access_token)
            },
            timeout=context.timeout,
        )
        response = context.send(request)
        data = response_json(response)
        code = slack_error(data)
        if code is not None:
            return AuthTestResult(
                ok=False,
                stage="authentication",
                status_code=response.status_code,
                message=describe_slack_error(code, data),
                detail=f"auth.test answered ok: false, error: {code}",
            )
        if not isinstance(data, dict) or data.get("ok") is not True:
            return AuthTestResult(
                ok=False,
                stage="response",
                status_code=response.status_code,
                message=f"auth.test answered {response.status_code} without Slack's "
                f'"ok" field. Check {self.api_url_setting}.',
                detail=response.text,
            )
        team = data.get("team") or "an unnamed workspace"
        user = data.get("user") or "an unnamed user"
        return AuthTestResult(
            ok=True,
            status_code=response.status_code,
            message=f"Slack accepted the token for {user} in workspace {team}.",
        )


SlackForm.auth_type_class = Slack

AUTH_TYPE = Slack
