"""A fake of Salesforce's login host and of one org's REST API.

Mounted under ``/salesforce/`` of the fake provider, which is both the
login host and the instance:

- ``POST /services/oauth2/token``: the password grant, with the client ID
  and secret in the form body. It responds as Salesforce does: no
  ``expires_in`` and no refresh token, but ``instance_url``, ``id``,
  ``issued_at`` and ``signature``. Errors are RFC 6749 objects with status
  400, such as ``invalid_grant`` with "authentication failure" for a wrong
  password or a missing security token.
- ``<instance path>/services/data/...``: the REST API. A missing, unknown
  or expired session, or a request to an instance the org left, gets 401
  with ``[{"message": ..., "errorCode": "INVALID_SESSION_ID"}]``; other
  paths get 404 with ``NOT_FOUND``.

``instance_path`` moves the instance, as an org migration does; the token
response names the new one. ``instance_url`` replaces the whole value sent
(None leaves the field out).
"""

from __future__ import annotations

import base64
import secrets
import time
from collections import Counter
from typing import TYPE_CHECKING

from .fake_oauth import _json

if TYPE_CHECKING:
    from .fake_oauth import FakeOAuthProvider, VendorRequest

DEMO_CLIENT_ID = "demo-salesforce-consumer-key"
DEMO_CLIENT_SECRET = "demo-salesforce-consumer-secret"  # noqa: S105 (a demo value)
DEMO_USERNAME = "demo@example.test"
DEMO_PASSWORD = "demo-salesforce-password"  # noqa: S105 (a demo value)
DEMO_SECURITY_TOKEN = "demosecuritytoken"  # noqa: S105 (a demo value)
ORG_ID = "00D000000000001EAA"
USER_ID = "005000000000001AAA"
# Keeps the field as generated; any other value replaces it.
GENERATED = object()


class FakeSalesforce:
    """Salesforce's token endpoint and REST API; see the module."""

    def __init__(self, provider: FakeOAuthProvider):
        self.provider = provider
        # Connected apps: consumer key to consumer secret.
        self.apps: dict[str, str] = {}
        # Users: username to the password with the security token appended,
        # as Salesforce compares it.
        self.users: dict[str, str] = {}
        self.instance_path = "/org-one"
        self.instance_url = GENERATED
        self.counts: Counter = Counter()
        self.token_requests: list[dict] = []
        # The path of every API request, below the fake's prefix.
        self.api_paths: list[str] = []
        self._sessions: dict[str, str] = {}

    def add_app(self, client_id: str, client_secret: str) -> None:
        self.apps[client_id] = client_secret

    def add_user(self, username: str, password: str, security_token: str = "") -> None:
        self.users[username] = password + security_token

    def seed_demo(self) -> None:
        self.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        self.add_user(DEMO_USERNAME, DEMO_PASSWORD, DEMO_SECURITY_TOKEN)

    def expire_sessions(self) -> None:
        """End every session, as Salesforce's session timeout does."""
        self._sessions.clear()

    def handle(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        if request.method == "POST" and request.path == "/services/oauth2/token":
            return self._token(request)
        self.api_paths.append(request.path)
        if request.path.startswith(self.instance_path + "/services/data/"):
            return self._api(request)
        if "/services/data/" in request.path:
            # An instance that the org left accepts no session.
            return _invalid_session()
        return _json(
            404,
            [
                {
                    "errorCode": "NOT_FOUND",
                    "message": "The requested resource does not exist",
                }
            ],
        )

    def _token(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        self.counts["token"] += 1
        form = request.form
        self.token_requests.append({"form": form, "headers": dict(request.headers)})
        if form.get("grant_type") != "password":
            return _json(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
            )
        client_id = form.get("client_id", "")
        if client_id not in self.apps:
            return _json(
                400,
                {
                    "error": "invalid_client_id",
                    "error_description": "client identifier invalid",
                },
            )
        if not secrets.compare_digest(
            self.apps[client_id], form.get("client_secret", "")
        ):
            return _json(
                400,
                {
                    "error": "invalid_client",
                    "error_description": "invalid client credentials",
                },
            )
        username = form.get("username", "")
        expected = self.users.get(username)
        if expected is None or not secrets.compare_digest(
            expected, form.get("password", "")
        ):
            return _json(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "authentication failure",
                },
            )
        token = f"{ORG_ID}!fake-sf-{secrets.token_urlsafe(24)}"
        self._sessions[token] = username
        data = {
            "access_token": token,
            "instance_url": self.provider.url("/salesforce" + self.instance_path),
            "id": self.provider.url(f"/salesforce/id/{ORG_ID}/{USER_ID}"),
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        if self.instance_url is None:
            del data["instance_url"]
        elif self.instance_url is not GENERATED:
            data["instance_url"] = self.instance_url
        return _json(200, data)

    def _api(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        self.counts["api"] += 1
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        username = self._sessions.get(token) if scheme.lower() == "bearer" else None
        if username is None:
            return _invalid_session()
        return _json(
            200,
            {
                "path": request.path[len(self.instance_path) :],
                "username": username,
                "method": request.method,
            },
        )


def _invalid_session() -> tuple[int, dict, bytes]:
    return _json(
        401,
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
