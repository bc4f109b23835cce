"""BMC Remedy: the AR System REST API's JWT login.

The console logs in with a form post of ``username`` and ``password`` to
``{base URL}/api/jwt/login``. Remedy responds with the token as plain text,
and requests then carry ``Authorization: AR-JWT <token>``. The token is
cached encrypted in the configuration's access token field, so every
console process shares one login, and a new login runs under the same row
lock as OAuth 2.0 renewals (see `endpoints.auth.oauth.storage`). A request
answered with 401 logs in again once and is sent once more. When the token
is a JWT with an ``exp`` claim, the console also logs in again shortly
before that time.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Generator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx2
from django import forms
from django.conf import settings
from django.utils import timezone

from endpoints.runtime.errors import AuthenticationError, CredentialUnavailableError
from endpoints.runtime.urls import join_url

from .base import AuthForm, AuthTestResult, AuthType
from .oauth.storage import copy_tokens, locked_config, save_tokens, token_is_due
from .secret_field import SecretAction, SecretField

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

logger = logging.getLogger(__name__)

LOGIN_PATH = "/api/jwt/login"
TOKEN_SCHEME = "AR-JWT"  # noqa: S105 (the Authorization scheme's name)
# Characters of Remedy's error text that a message quotes.
ERROR_TEXT_CHARS = 300


class RemedyLoginError(AuthenticationError):
    """Remedy did not issue a token; ``remedy_text`` is its own error text."""

    def __init__(self, reason: str, *, status_code: int, remedy_text: str = ""):
        super().__init__(reason)
        self.status_code = status_code
        self.remedy_text = remedy_text

    def scrub(self, redact):
        super().scrub(redact)
        self.remedy_text = redact(self.remedy_text)
        return self


def remedy_error_text(response: httpx2.Response) -> str:
    """Return Remedy's error text from a response, without a stack trace.

    Remedy sends a JSON list of messages with ``messageType``,
    ``messageNumber``, ``messageText`` and ``messageAppendedText``; other
    bodies are quoted as text.
    """
    try:
        data = json.loads(response.content)
    except ValueError:
        return response.text[:ERROR_TEXT_CHARS].strip()
    messages = data if isinstance(data, list) else [data]
    parts = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        label = " ".join(
            str(message[key])
            for key in ("messageType", "messageNumber")
            if message.get(key) not in (None, "")
        )
        text = str(message.get("messageText") or "")
        appended = message.get("messageAppendedText")
        if appended:
            text = f"{text} ({appended})"
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)[:ERROR_TEXT_CHARS]


def jwt_expiry(token: str) -> datetime | None:
    """Return the ``exp`` claim of a JWT, unverified, or None.

    Only the console's own renewal time comes from it; Remedy checks the
    token.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


class RemedyJWTAuth(httpx2.Auth):
    """Send the cached token, and log in again once after a 401."""

    # The request may go out twice, and the rejected response is read
    # before the login reuses the client's connections.
    requires_request_body = True
    requires_response_body = True

    def __init__(self, auth_type: Remedy, context: RequestContext):
        self._auth_type = auth_type
        self._context = context

    def __repr__(self) -> str:
        return f"RemedyJWTAuth(endpoint_id={self._context.endpoint.pk})"

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        token = self._auth_type.config.access_token
        request.headers["Authorization"] = f"{TOKEN_SCHEME} {token}"
        response = yield request
        if response.status_code != 401:
            return
        logger.info(
            "event=remedy_token_rejected endpoint_id=%s", self._context.endpoint.pk
        )
        renewed = self._auth_type.renew(self._context, rejected_token=token)
        request.headers["Authorization"] = f"{TOKEN_SCHEME} {renewed}"
        yield request


class RemedyForm(AuthForm):
    username = forms.CharField(
        max_length=254,
        strip=False,
        help_text="An AR System user allowed to use the REST API.",
    )
    password = SecretField(help_text="Stored encrypted and never shown again.")

    def clears_tokens(self) -> bool:
        # The cached token belongs to the user who logged in.
        if not hasattr(self, "cleaned_data"):
            return False
        password = self.cleaned_data.get("password")
        return self.config.params.get("username") != self.cleaned_data.get(
            "username"
        ) or (password is not None and password.action is SecretAction.SET)


class Remedy(AuthType):
    key = "remedy"
    label = "BMC Remedy"
    description = (
        "A Remedy user: the console logs in at the AR System REST API and sends "
        "the token it issues as AR-JWT."
    )
    form_class = RemedyForm
    test_description = "Logs in at the base URL's /api/jwt/login."
    panel_template = "endpoints/includes/remedy_panel.html"
    uses_tokens = True

    def summary(self) -> str:
        return f"User {self.params.get('username', '')}"

    def is_connected(self) -> bool:
        return bool(self.params.get("username") and self.secrets.get("password"))

    def login_url(self, context: RequestContext) -> str:
        return join_url(context.endpoint.target_url, LOGIN_PATH)

    def log_in(self, context: RequestContext) -> tuple[str, datetime | None]:
        """Log in at Remedy; return the token and its expiry, if known.

        Raises `RemedyLoginError` when Remedy issues no token.
        """
        username = str(self.params.get("username", ""))
        password = str(self.secrets.get("password", ""))
        if not (username and password):
            raise CredentialUnavailableError(
                "No Remedy username and password are stored for this endpoint; "
                "enter them on the endpoint's page."
            )
        request = context.client.build_request(
            "POST",
            self.login_url(context),
            data={"username": username, "password": password},
            timeout=context.timeout,
        )
        response = context.send(request)
        status_line = f"{response.status_code} {response.reason_phrase}".strip()
        logger.info(
            "event=remedy_login endpoint_id=%s status=%s",
            context.endpoint.pk,
            response.status_code,
        )
        if response.status_code == 401:
            text = remedy_error_text(response)
            raise RemedyLoginError(
                f"Remedy rejected the login of user {username} ({status_line})"
                + (f": {text}" if text else ".")
                + (" Check the username and password." if text else ""),
                status_code=response.status_code,
                remedy_text=text,
            )
        token = response.text.strip()
        if response.status_code != 200 or not token or any(c.isspace() for c in token):
            text = remedy_error_text(response)
            raise RemedyLoginError(
                f"The Remedy login at {LOGIN_PATH} responded with {status_line} "
                "without a token. Check that the base URL is the AR System REST API's "
                "address, such as https://remedy.example.com:8008."
                + (f" Remedy returned: {text}" if text else ""),
                status_code=response.status_code,
                remedy_text=text,
            )
        return token, jwt_expiry(token)

    def renew(
        self, context: RequestContext, *, rejected_token: str | None = None
    ) -> str:
        """Log in and cache the token, unless another request just did.

        Without ``rejected_token`` the login runs when the cached token is
        missing or due; with it, when the cached token is still the
        rejected one. Returns the token to send.
        """
        if not (context.persist and self.config.pk is not None):
            token, expires_at = self.log_in(context)
            self.config.access_token = token
            self.config.token_expires_at = expires_at
            return token
        skew = int(settings.OAUTH_REFRESH_SKEW_SECONDS)
        with locked_config(self.config.pk) as locked:
            if rejected_token is None:
                renewed = not token_is_due(locked, skew)
            else:
                renewed = bool(locked.access_token) and (
                    locked.access_token != rejected_token
                )
            if not renewed:
                token, expires_at = self.log_in(context)
                locked.access_token = token
                locked.token_expires_at = expires_at
                locked.connected_at = timezone.now()
                save_tokens(locked)
                logger.info("event=remedy_token_stored endpoint_id=%s", locked.pk)
        copy_tokens(locked, self.config)
        return self.config.access_token

    def prepare(self, context: RequestContext) -> None:
        if token_is_due(self.config, int(settings.OAUTH_REFRESH_SKEW_SECONDS)):
            self.renew(context)

    def build_auth(self, context: RequestContext | None = None) -> httpx2.Auth:
        if context is None:
            raise AuthenticationError(
                "Remedy authentication needs the request context."
            )
        return RemedyJWTAuth(self, context)

    def authenticate(self, context: RequestContext) -> str:
        """Return the cached token, which follows ``AR-JWT`` in the header."""
        return self.config.access_token

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        try:
            _, expires_at = self.log_in(context)
        except RemedyLoginError as error:
            return AuthTestResult(
                ok=False,
                stage="authentication",
                message=error.reason,
                status_code=error.status_code,
                detail=error.remedy_text,
            )
        if expires_at is None:
            lifetime = "its lifetime is unknown"
        else:
            seconds = int((expires_at - timezone.now()).total_seconds())
            lifetime = f"it expires in {max(seconds, 0)} s"
        return AuthTestResult(
            ok=True,
            message=f"Remedy accepted the login and issued a token; {lifetime}.",
        )


AUTH_TYPE = Remedy
