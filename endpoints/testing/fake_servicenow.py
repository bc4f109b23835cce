"""A fake ServiceNow instance: the Table API and the OAuth 2.0 endpoints.

Mounted under ``/servicenow/`` of the fake provider, which is the instance's
root:

- ``GET /api/now/table/<table>``: records of a table, with Basic
  credentials or a bearer token that the fake provider issued. Without
  valid credentials it responds 401 with the body
  ``{"error": {"message": "User Not Authenticated", "detail": ...},
  "status": "failure"}``. A user without the ``itil`` role gets 403 with
  "User Not Authorized" for the ITIL tables.
- ``/oauth_auth.do`` and ``POST /oauth_token.do``: the authorization
  and token endpoints, served by the fake provider itself with its clients,
  consent page and tokens.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import TYPE_CHECKING

from .fake_oauth import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, _basic_pair, _json

if TYPE_CHECKING:
    from .fake_oauth import FakeOAuthProvider, VendorRequest

DEMO_USERNAME = "demo.itil"
DEMO_PASSWORD = "demo-servicenow-password"  # noqa: S105 (a demo value)
ITIL_TABLES = frozenset({"incident", "problem", "change_request", "sys_user"})
TABLE_PREFIX = "/api/now/table/"


class FakeServiceNow:
    """The Table API and OAuth endpoints of an instance; see the module."""

    def __init__(self, provider: FakeOAuthProvider):
        self.provider = provider
        # Users: username to (password, roles).
        self.users: dict[str, tuple[str, frozenset[str]]] = {}
        self.counts: Counter = Counter()
        # The target and Authorization header of every Table API request.
        self.table_requests: list[dict] = []

    def add_user(self, username: str, password: str, roles=("itil",)) -> None:
        self.users[username] = (password, frozenset(roles))

    def seed_demo(self) -> None:
        self.add_user(DEMO_USERNAME, DEMO_PASSWORD)
        # The demo's OAuth client is the fake provider's demo client.
        if DEMO_CLIENT_ID not in self.provider.clients:
            self.provider.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)

    def handle(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        provider = self.provider
        if request.method == "GET" and request.path == "/oauth_auth.do":
            return provider.authorization_page(request.query)
        if request.method == "POST" and request.path == "/oauth_auth.do":
            # The consent decision, for clients that post it back here.
            return provider.decide(request.form)
        if request.method == "POST" and request.path == "/oauth_token.do":
            return provider.token(request.form, request.headers, request.body)
        if request.method == "GET" and request.path.startswith(TABLE_PREFIX):
            return self._table(request, request.path[len(TABLE_PREFIX) :])
        return _failure(404, "Requested URI does not represent any resource", "")

    def _table(self, request: VendorRequest, table: str) -> tuple[int, dict, bytes]:
        self.counts["table"] += 1
        authorization = request.headers.get("authorization", "")
        self.table_requests.append({"table": table, "authorization": authorization})
        roles = self._roles(authorization)
        if roles is None:
            return _failure(
                401, "User Not Authenticated", "Required to provide Auth information"
            )
        if table in ITIL_TABLES and "itil" not in roles:
            return _failure(
                403,
                "User Not Authorized",
                f"User does not have the role required to read {table}",
            )
        try:
            limit = int(request.query.get("sysparm_limit", "10"))
        except ValueError:
            limit = 10
        records = [
            {"sys_id": f"{index:032x}", "name": f"Record {index} of {table}"}
            for index in range(1, 4)
        ]
        return _json(200, {"result": records[: max(limit, 0)]})

    def _roles(self, authorization: str) -> frozenset[str] | None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            if self.provider.is_active_access_token(value):
                return frozenset({"itil"})
            return None
        pair = _basic_pair(authorization)
        if pair is None:
            return None
        username, password = pair
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(user[0], password):
            return None
        return user[1]


def _failure(status: int, message: str, detail: str) -> tuple[int, dict, bytes]:
    return _json(
        status,
        {"error": {"message": message, "detail": detail}, "status": "failure"},
    )
