"""A fake of the Microsoft identity platform and Graph, for tests and demo.

Served by `endpoints.testing.fake_oauth.FakeOAuthProvider` under
``/microsoft``: ``/microsoft/{tenant}/oauth2/v2.0/authorize`` (a consent
page), ``/microsoft/{tenant}/oauth2/v2.0/token`` (authorization_code and
refresh_token grants with PKCE), and Graph under ``/microsoft/graph``
(``/v1.0/me`` and ``/v1.0/me/joinedTeams``). Errors have Microsoft's
shapes: OAuth errors whose description starts with an ``AADSTS`` code and
carries trace and correlation IDs, ``error_codes`` and a ``suberror`` at the
token endpoint, and Graph's ``{"error": {"code", "message"}}``.
`MicrosoftSwitches` produce the consent failures.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .fake_oauth import (
    FakeOAuthProvider,
    VendorRequest,
    _client_credentials,
    _hidden_inputs,
    _html_page,
    _json,
    _redirect,
    _verifier_matches,
)

# The console's Microsoft app in the demo. It exists only in this fake.
DEMO_MICROSOFT_CLIENT_ID = "7d3c8a4e-0000-4000-8000-00000000de70"
DEMO_MICROSOFT_CLIENT_SECRET = "demo-microsoft-client-secret"  # noqa: S105 (a demo value)
DEMO_MICROSOFT_TENANT = "fake-tenant.test"

DISPLAY_NAME = "Demo User"
LIFETIME = 3599
CODE_LIFETIME = 600
OFFLINE_ACCESS = "offline_access"
# OpenID Connect scopes, which Microsoft leaves out of the granted scope.
OIDC_SCOPES = ("openid", "profile", "email", OFFLINE_ACCESS)

CONSENT_REQUIRED = "consent_required"
APPROVAL_PENDING = "approval_pending"
USER_DECLINED = "user_declined"


@dataclass
class MicrosoftSwitches:
    """Failures to produce, as Microsoft Entra ID produces them.

    ``consent_error`` makes Accept on the consent page return an error
    instead of a code: `CONSENT_REQUIRED` (AADSTS65001, the tenant lets
    only administrators consent), `APPROVAL_PENDING` (the admin consent
    workflow sent a request that awaits approval) or `USER_DECLINED`.
    ``no_offline_access`` issues no refresh token even when offline_access
    is asked for, as a consent that lacks it does. ``refresh_consent_required``
    rejects refreshes with invalid_grant, suberror consent_required, as after
    an administrator revoked the consent.
    """

    consent_error: str = ""
    no_offline_access: bool = False
    refresh_consent_required: bool = False


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str
    challenge_method: str
    expires_at: float
    used: bool = False


@dataclass
class _Grant:
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float = 0.0


@dataclass
class FakeMicrosoft:
    """The identity platform's and Graph's state, in memory; see the module."""

    # The fake provider that serves this fake; see VENDOR_FAKES.
    provider: FakeOAuthProvider = field(repr=False, compare=False)
    clients: dict[str, str] = field(default_factory=dict)
    switches: MicrosoftSwitches = field(default_factory=MicrosoftSwitches)
    counts: Counter = field(default_factory=Counter)
    # The tenants that token requests named, in order.
    tenants: list[str] = field(default_factory=list)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _tokens: dict[str, _Grant] = field(default_factory=dict)
    _refresh: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- Helpers for tests -----------------------------------------------

    def add_client(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def seed_demo(self) -> None:
        """Add the console's demo app, which the demo's settings name."""
        self.add_client(DEMO_MICROSOFT_CLIENT_ID, DEMO_MICROSOFT_CLIENT_SECRET)

    def expire_access_tokens(self) -> None:
        with self._lock:
            for grant in self._tokens.values():
                grant.expires_at = 0.0

    def is_active_access_token(self, value: str) -> bool:
        grant = self._tokens.get(value)
        return grant is not None and grant.expires_at > time.time()

    # -- Routing ---------------------------------------------------------

    def handle(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        path = request.path
        if path.startswith("/graph/"):
            with self._lock:
                self.counts["graph"] += 1
            return self._graph(path[len("/graph") :], request.headers)
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:3] == ["oauth2", "v2.0"]:
            tenant, endpoint = parts[0], parts[3]
            if endpoint == "authorize" and request.method == "GET":
                return self._consent_page(request)
            if endpoint == "authorize":
                return self._decide(request.form)
            if endpoint == "token" and request.method == "POST":
                with self._lock:
                    self.counts["token"] += 1
                    self.tenants.append(tenant)
                return self._token(request.form, request.headers)
        return _html_page(404, "Not found", "<p>This page does not exist.</p>")

    # -- Authorization endpoint ------------------------------------------

    def _consent_page(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        query = request.query
        client_id = query.get("client_id", "")
        if client_id not in self.clients:
            # Microsoft shows the error itself and does not redirect.
            text = _aadsts(700016, "Application not found in the directory.")
            return _html_page(400, "Sign in failed", f"<p>{html.escape(text)}</p>")
        hidden = _hidden_inputs(query)
        items = "".join(
            f"<li><code>{html.escape(scope)}</code></li>"
            for scope in query.get("scope", "").split()
        )
        action = html.escape(f"{request.prefix}{request.path}")
        body = (
            f"<p>The app <strong>{html.escape(client_id)}</strong> asks for these "
            f"permissions for <strong>{DISPLAY_NAME}</strong>:</p><ul>{items}</ul>"
            f'<form method="post" action="{action}">{hidden}'
            '<button type="submit" name="decision" value="allow">Accept</button> '
            '<button type="submit" name="decision" value="deny">Cancel</button>'
            "</form>"
        )
        return _html_page(200, "Permissions requested", body)

    def _decide(self, form: dict[str, str]) -> tuple[int, dict, bytes]:
        redirect_uri = form.get("redirect_uri", "")
        if form.get("client_id") not in self.clients or not redirect_uri:
            return _html_page(400, "Sign in failed", "<p>Unknown app.</p>")
        state = form.get("state", "")
        error = self._consent_failure(form)
        if error is not None:
            return _redirect(redirect_uri, {**error, "state": state})
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Code(
                client_id=form["client_id"],
                redirect_uri=redirect_uri,
                scopes=tuple(form.get("scope", "").split()),
                challenge=form.get("code_challenge", ""),
                challenge_method=form.get("code_challenge_method", "plain"),
                expires_at=time.time() + CODE_LIFETIME,
            )
        return _redirect(redirect_uri, {"code": code, "state": state})

    def _consent_failure(self, form: dict[str, str]) -> dict[str, str] | None:
        client_id = form.get("client_id", "")
        mode = self.switches.consent_error
        if form.get("decision") != "allow" or mode == USER_DECLINED:
            return {
                "error": "access_denied",
                "error_description": _aadsts(
                    65004, "The user declined to consent to the app."
                ),
            }
        if mode == CONSENT_REQUIRED:
            return {
                "error": CONSENT_REQUIRED,
                "error_description": _aadsts(
                    65001,
                    f"No consent was given for app '{client_id}' to use the "
                    "requested permissions in this tenant.",
                ),
            }
        if mode == APPROVAL_PENDING:
            return {
                "error": "access_denied",
                "error_description": _aadsts(
                    90094,
                    "This app needs permissions that only an administrator can "
                    "grant. A request for approval has been sent to the "
                    "administrators and is pending.",
                ),
            }
        return None

    # -- Token endpoint --------------------------------------------------

    def _token(
        self, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict, bytes]:
        client_id, client_secret = _client_credentials(form, headers)
        if client_id not in self.clients:
            return _oauth_error(
                400, "unauthorized_client", 700016, "Application not found."
            )
        if not secrets.compare_digest(self.clients[client_id], client_secret):
            return _oauth_error(
                401, "invalid_client", 7000215, "Invalid client secret provided."
            )
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._authorization_code(client_id, form)
        if grant_type == "refresh_token":
            return self._refresh_grant(client_id, form.get("refresh_token", ""))
        return _oauth_error(
            400, "unsupported_grant_type", 70003, "The grant type is not supported."
        )

    def _authorization_code(
        self, client_id: str, form: dict[str, str]
    ) -> tuple[int, dict, bytes]:
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or code.used or code.expires_at < time.time():
                return _oauth_error(
                    400,
                    "invalid_grant",
                    70008,
                    "The authorization code is invalid or has expired.",
                )
            code.used = True
        if code.client_id != client_id or code.redirect_uri != form.get("redirect_uri"):
            return _oauth_error(
                400,
                "invalid_grant",
                50148,
                "The code was issued for another app or redirect URI.",
            )
        if code.challenge and not _verifier_matches(
            form.get("code_verifier", ""), code.challenge, code.challenge_method
        ):
            return _oauth_error(
                400,
                "invalid_grant",
                501481,
                "The code_verifier does not match the code_challenge.",
            )
        return _json(200, self._issue(client_id, code.scopes))

    def _refresh_grant(self, client_id: str, presented: str) -> tuple[int, dict, bytes]:
        if self.switches.refresh_consent_required:
            return _oauth_error(
                400,
                "invalid_grant",
                65001,
                f"No consent was given for app '{client_id}' to use the requested "
                "permissions in this tenant.",
                suberror=CONSENT_REQUIRED,
            )
        with self._lock:
            grant = self._refresh.get(presented)
        if grant is None or grant.client_id != client_id:
            return _oauth_error(
                400,
                "invalid_grant",
                70008,
                "The refresh token has expired or is invalid.",
            )
        return _json(200, self._issue(client_id, grant.scopes))

    def _issue(self, client_id: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        granted = [scope for scope in scopes if scope not in OIDC_SCOPES]
        access = "eyJ0eXAiOiJKV1QifQ.fake-graph." + secrets.token_urlsafe(24)
        data: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(granted),
            "expires_in": LIFETIME,
            "ext_expires_in": LIFETIME,
            "access_token": access,
        }
        with self._lock:
            self._tokens[access] = _Grant(client_id, scopes, time.time() + LIFETIME)
            if OFFLINE_ACCESS in scopes and not self.switches.no_offline_access:
                refresh = "0.AAAA-fake-refresh." + secrets.token_urlsafe(32)
                self._refresh[refresh] = _Grant(client_id, scopes)
                data["refresh_token"] = refresh
        if "openid" in scopes:
            data["id_token"] = "eyJ0eXAiOiJKV1QifQ.fake-id." + secrets.token_urlsafe(8)
        return data

    # -- Graph -----------------------------------------------------------

    def _graph(self, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        grant = self._tokens.get(value) if scheme.lower() == "bearer" else None
        if grant is None or grant.expires_at <= time.time():
            message = (
                "Access token is empty."
                if not value
                else "The access token has expired or is not valid yet."
            )
            return _graph_error(401, "InvalidAuthenticationToken", message)
        if path in ("/v1.0/me", "/v1.0/me/"):
            return _json(
                200,
                {
                    "@odata.context": "https://graph.microsoft.test/v1.0/$metadata"
                    "#users/$entity",
                    "id": "4a1f2c3d-0000-4000-8000-0000000000a1",
                    "displayName": DISPLAY_NAME,
                    "userPrincipalName": "demo.user@fake-tenant.test",
                },
            )
        if path == "/v1.0/me/joinedTeams":
            if "Group.ReadWrite.All" not in grant.scopes:
                return _graph_error(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )
            return _json(200, {"value": [{"id": "team-1", "displayName": "Ops"}]})
        return _graph_error(
            400, "BadRequest", "Resource not found for the segment in the path."
        )


def _aadsts(number: int, text: str) -> str:
    """Return a description as Microsoft builds it: code, text, trace IDs."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return (
        f"AADSTS{number}: {text}\r\nTrace ID: {uuid.uuid4()}\r\n"
        f"Correlation ID: {uuid.uuid4()}\r\nTimestamp: {stamp}"
    )


def _oauth_error(
    status: int, error: str, number: int, text: str, *, suberror: str = ""
) -> tuple[int, dict, bytes]:
    data: dict[str, Any] = {
        "error": error,
        "error_description": _aadsts(number, text),
        "error_codes": [number],
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    if suberror:
        data["suberror"] = suberror
    return _json(status, data)


def _graph_error(status: int, code: str, message: str) -> tuple[int, dict, bytes]:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return _json(
        status,
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {"date": stamp, "request-id": str(uuid.uuid4())},
            }
        },
        {"WWW-Authenticate": 'Bearer realm=""'} if status == 401 else None,
    )
