"""A fake BMC Remedy AR System REST API.

Mounted under ``/remedy/`` of the fake provider, which is the API's root:

- ``POST /api/jwt/login``: a form post of ``username`` and ``password``.
  Remedy responds with 200 and the token as ``text/plain``; here it is a JWT
  whose ``exp`` claim lies `token_lifetime` seconds ahead. Wrong
  credentials get 401 with Remedy's message list, ``[{"messageType":
  "ERROR", "messageNumber": 623, "messageText": "Authentication failed",
  ...}]``.
- ``GET /api/arsys/v1/entry/<form>``: entries of a form, for a request
  with ``Authorization: AR-JWT <token>``, else 401 with message 623.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections import Counter
from typing import TYPE_CHECKING

from .fake_oauth import _json

if TYPE_CHECKING:
    from .fake_oauth import FakeOAuthProvider, VendorRequest

DEMO_USERNAME = "Demo"
DEMO_PASSWORD = "demo-remedy-password"  # noqa: S105 (a demo value)
DEFAULT_LIFETIME = 3600
ENTRY_PREFIX = "/api/arsys/v1/entry/"
AUTHENTICATION_FAILED = 623


def _segment(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class FakeRemedy:
    """Remedy's JWT login and entry API; see the module."""

    def __init__(self, provider: FakeOAuthProvider):
        self.provider = provider
        self.users: dict[str, str] = {}
        self.token_lifetime = DEFAULT_LIFETIME
        self.counts: Counter = Counter()
        # Every login's form fields and Content-Type, as received.
        self.logins: list[dict] = []
        # The Authorization header of every entry request.
        self.api_authorizations: list[str] = []
        # Rejects every token, as a server whose sessions are cleared at once.
        self.reject_tokens = False
        self._tokens: dict[str, str] = {}

    def add_user(self, username: str, password: str) -> None:
        self.users[username] = password

    def seed_demo(self) -> None:
        self.add_user(DEMO_USERNAME, DEMO_PASSWORD)

    def expire_tokens(self) -> None:
        """Invalidate every issued token, as Remedy's session timeout does."""
        self._tokens.clear()

    def handle(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        if request.method == "POST" and request.path == "/api/jwt/login":
            return self._login(request)
        if request.method == "GET" and request.path.startswith(ENTRY_PREFIX):
            return self._entries(request, request.path[len(ENTRY_PREFIX) :])
        return _messages(404, 302, "Entry does not exist in database", "")

    def _login(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        self.counts["login"] += 1
        form = request.form
        self.logins.append(
            {"form": form, "content_type": request.headers.get("content-type", "")}
        )
        username = form.get("username", "")
        expected = self.users.get(username)
        if expected is None or not secrets.compare_digest(
            expected, form.get("password", "")
        ):
            return _messages(
                401, AUTHENTICATION_FAILED, "Authentication failed", username
            )
        header = _segment({"alg": "HS256", "typ": "JWT"})
        claims = _segment(
            {
                "sub": username,
                "iat": int(time.time()),
                "exp": int(time.time()) + self.token_lifetime,
                "jti": secrets.token_urlsafe(12),
            }
        )
        token = f"{header}.{claims}.{secrets.token_urlsafe(32)}"
        self._tokens[token] = username
        return 200, {"Content-Type": "text/plain;charset=UTF-8"}, token.encode()

    def _entries(self, request: VendorRequest, form: str) -> tuple[int, dict, bytes]:
        self.counts["api"] += 1
        authorization = request.headers.get("authorization", "")
        self.api_authorizations.append(authorization)
        scheme, _, token = authorization.partition(" ")
        username = self._tokens.get(token) if scheme == "AR-JWT" else None
        if username is None or self.reject_tokens:
            return _messages(401, AUTHENTICATION_FAILED, "Authentication failed", "")
        return _json(
            200,
            {
                "entries": [
                    {"values": {"Request ID": "000000000000001", "Submitter": username}}
                ],
                "form": form,
            },
        )


def _messages(
    status: int, number: int, text: str, appended: str
) -> tuple[int, dict, bytes]:
    return _json(
        status,
        [
            {
                "messageType": "ERROR",
                "messageText": text,
                "messageAppendedText": appended,
                "messageNumber": number,
            }
        ],
    )
