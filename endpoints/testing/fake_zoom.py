"""A fake of Zoom's Server-to-Server OAuth token endpoint and its API.

Mounted under ``/zoom/`` of the fake provider. ``POST /oauth/token`` takes
``grant_type=account_credentials`` with ``account_id``, in the query string
or the form body, and the client ID and secret as HTTP Basic. Zoom returns
errors as ``{"reason": ..., "error": ...}`` with status 400, without
``error_description``. Tokens carry no refresh token and live
``expires_in`` seconds (3599 by default, as Zoom sends). ``GET
/v2/users/me`` checks the bearer token and responds 401 with Zoom's
``{"code": 124, "message": ...}`` for a missing, unknown or expired one.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from .fake_oauth import _basic_pair, _json

if TYPE_CHECKING:
    from .fake_oauth import FakeOAuthProvider, VendorRequest

DEMO_ACCOUNT_ID = "demo-zoom-account"
DEMO_CLIENT_ID = "demo-zoom-client"
DEMO_CLIENT_SECRET = "demo-zoom-client-secret"  # noqa: S105 (a demo value)
DEFAULT_EXPIRES_IN = 3599
INVALID_TOKEN_CODE = 124


@dataclass
class _App:
    client_secret: str
    account_id: str


class FakeZoom:
    """Zoom's token endpoint and ``/v2/users/me``; see the module."""

    def __init__(self, provider: FakeOAuthProvider):
        self.provider = provider
        self.apps: dict[str, _App] = {}
        self.expires_in = DEFAULT_EXPIRES_IN
        self.counts: Counter = Counter()
        # Every token request's query, form and headers, as received.
        self.token_requests: list[dict] = []
        self._tokens: dict[str, tuple[str, float]] = {}

    def add_app(self, client_id: str, client_secret: str, account_id: str) -> None:
        """Register a Server-to-Server OAuth app of an account."""
        self.apps[client_id] = _App(client_secret, account_id)

    def seed_demo(self) -> None:
        self.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID)

    def expire_tokens(self) -> None:
        """Make every issued token expired, as an hour would."""
        self._tokens = {token: (app, 0.0) for token, (app, _) in self._tokens.items()}

    def handle(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        if request.method == "POST" and request.path == "/oauth/token":
            return self._token(request)
        if request.method == "GET" and request.path == "/v2/users/me":
            return self._me(request)
        return _json(404, {"code": 404, "message": "Not found."})

    def _token(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        self.counts["token"] += 1
        fields = {**request.form, **request.query}
        self.token_requests.append(
            {
                "query": dict(request.query),
                "form": request.form,
                "headers": dict(request.headers),
            }
        )
        client_id, client_secret = _basic_credentials(request.headers)
        app = self.apps.get(client_id)
        if app is None or not secrets.compare_digest(app.client_secret, client_secret):
            return _json(
                400,
                {
                    "reason": "Invalid client_id or client_secret",
                    "error": "invalid_client",
                },
            )
        if fields.get("grant_type") != "account_credentials":
            return _json(
                400,
                {"reason": "Unsupported grant type", "error": "unsupported_grant_type"},
            )
        if fields.get("account_id") != app.account_id:
            return _json(
                400, {"reason": "Invalid account_id", "error": "invalid_request"}
            )
        token = "fake-zoom-" + secrets.token_urlsafe(24)
        self._tokens[token] = (client_id, time.time() + self.expires_in)
        return _json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.expires_in,
                "scope": "user:read:admin meeting:write:admin",
                "api_url": self.provider.url("/zoom"),
            },
        )

    def _me(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        self.counts["api"] += 1
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if found is None:
            return _json(
                401, {"code": INVALID_TOKEN_CODE, "message": "Invalid access token."}
            )
        client_id, expires_at = found
        if expires_at <= time.time():
            return _json(
                401, {"code": INVALID_TOKEN_CODE, "message": "Access token is expired."}
            )
        return _json(
            200,
            {"id": "fake-user", "account_id": self.apps[client_id].account_id},
        )


def _basic_credentials(headers: dict[str, str]) -> tuple[str, str]:
    # Zoom takes the client credentials as HTTP Basic only, each part
    # form-encoded (RFC 6749, section 2.3.1).
    pair = _basic_pair(headers.get("authorization", ""))
    if pair is None:
        return "", ""
    client_id, client_secret = map(unquote_plus, pair)
    return client_id, client_secret
