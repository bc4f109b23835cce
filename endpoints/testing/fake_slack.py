"""A fake of Slack's OAuth flows and Web API, for the tests and the demo.

Served by `endpoints.testing.fake_oauth.FakeOAuthProvider` under
``/slack``: consent pages at ``/slack/oauth/v2/authorize`` (OAuth v2) and
``/slack/oauth/authorize`` (the older flow), and Web API methods under
``/slack/api/``: ``oauth.v2.access``, ``oauth.access``, ``auth.test``,
``chat.postMessage`` and ``conversations.list``. Like Slack, every method
responds with HTTP 200, with ``"ok": false`` and an ``error`` code on failure
(``invalid_auth``, ``token_revoked``, ``missing_scope``, ``invalid_code``,
``bad_client_secret`` ...). `SlackSwitches` produce Slack's other responses.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
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

# The console's Slack app in the demo. It exists only in this fake.
DEMO_SLACK_CLIENT_ID = "console-demo-slack"
DEMO_SLACK_CLIENT_SECRET = "demo-slack-client-secret"  # noqa: S105 (a demo value)

TEAM_ID = "T0FAKE0001"
TEAM_NAME = "Fake Workspace"
BOT_USER_ID = "U0FAKEBOT1"
INSTALLING_USER_ID = "U0FAKEUSER"
# Lifetime of tokens with token rotation on, in seconds, as Slack's.
ROTATION_LIFETIME = 43200
CODE_LIFETIME = 600

V2_FLOW = "v2"
LEGACY_FLOW = "legacy"


@dataclass
class SlackSwitches:
    """Slack responses to produce.

    ``user_token_only`` makes oauth.v2.access return only a user token
    under ``authed_user``. ``rotate_tokens`` is Slack's token rotation:
    tokens expire and come with a refresh token. ``exchange_error`` fails
    the token exchange with that error code. ``granted_scopes``, when set,
    grants only these scopes whatever was asked.
    """

    user_token_only: bool = False
    rotate_tokens: bool = False
    exchange_error: str = ""
    granted_scopes: tuple[str, ...] | None = None


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    flow: str
    challenge: str
    challenge_method: str
    expires_at: float
    used: bool = False


@dataclass
class _Token:
    scopes: tuple[str, ...]
    flow: str
    expires_at: float | None = None
    revoked: bool = False


@dataclass
class FakeSlack:
    """Slack's state: apps, codes and tokens, in memory; see the module."""

    # The fake provider that serves this fake; see VENDOR_FAKES.
    provider: FakeOAuthProvider = field(repr=False, compare=False)
    clients: dict[str, str] = field(default_factory=dict)
    switches: SlackSwitches = field(default_factory=SlackSwitches)
    counts: Counter = field(default_factory=Counter)
    # The form fields of every token exchange, as received.
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _refresh: dict[str, _Token] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- Helpers for tests -----------------------------------------------

    def add_client(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def seed_demo(self) -> None:
        """Add the console's demo app, which the demo's settings name."""
        self.add_client(DEMO_SLACK_CLIENT_ID, DEMO_SLACK_CLIENT_SECRET)

    def issue_token(self, scopes: tuple[str, ...] = (), flow: str = V2_FLOW) -> str:
        """Issue a bot token, as an earlier install would have."""
        with self._lock:
            return self._new_token("xoxb-", _Token(tuple(scopes), flow))

    def revoke_tokens(self) -> None:
        """Revoke every token, as removing the app from the workspace does."""
        with self._lock:
            for token in self._tokens.values():
                token.revoked = True

    def expire_tokens(self) -> None:
        """Make every rotating token expired, as time would."""
        with self._lock:
            for token in self._tokens.values():
                if token.expires_at is not None:
                    token.expires_at = 0.0

    def is_active_token(self, value: str) -> bool:
        token = self._tokens.get(value)
        return token is not None and self._token_error(token) is None

    # -- Routing ---------------------------------------------------------

    def handle(self, request: VendorRequest) -> tuple[int, dict, bytes]:
        path = request.path
        if path in ("/oauth/v2/authorize", "/oauth/authorize"):
            flow = V2_FLOW if "/v2/" in path else LEGACY_FLOW
            if request.method == "POST":
                return self._decide(request.form, flow)
            return self._consent_page(request, flow)
        if path.startswith("/api/"):
            with self._lock:
                self.counts[path[len("/api/") :]] += 1
            return self._api(path[len("/api/") :], request)
        return _html_page(404, "Not found", "<p>This page does not exist.</p>")

    def _api(self, method: str, request: VendorRequest) -> tuple[int, dict, bytes]:
        args = {**request.query, **request.form}
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(request.body or "{}")
            except ValueError:
                return _slack_error("invalid_json")
            if isinstance(body, dict):
                args.update({key: str(value) for key, value in body.items()})
        if method == "oauth.v2.access":
            return self._exchange(args, request.headers, V2_FLOW)
        if method == "oauth.access":
            return self._exchange(args, request.headers, LEGACY_FLOW)
        token, failure = self._caller_token(args, request.headers)
        if failure is not None:
            return failure
        if method == "auth.test":
            return _slack_ok(
                {
                    "url": "https://fake-workspace.slack.test/",
                    "team": TEAM_NAME,
                    "user": "console-bot",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": "B0FAKEBOT1",
                }
            )
        if method == "chat.postMessage":
            needed = "chat:write" if token.flow == V2_FLOW else "chat:write:bot"
            if needed not in token.scopes:
                return _missing_scope(needed, token)
            if not args.get("channel"):
                return _slack_error("channel_not_found")
            return _slack_ok({"channel": args["channel"], "ts": f"{time.time():.6f}"})
        if method == "conversations.list":
            if "channels:read" not in token.scopes:
                return _missing_scope("channels:read", token)
            return _slack_ok({"channels": [{"id": "C0FAKE0001", "name": "general"}]})
        return _slack_error("unknown_method")

    # -- Consent pages ---------------------------------------------------

    def _consent_page(
        self, request: VendorRequest, flow: str
    ) -> tuple[int, dict, bytes]:
        query = request.query
        client_id = query.get("client_id", "")
        if client_id not in self.clients:
            # Slack shows an error page and does not redirect.
            return _html_page(
                400,
                "Something went wrong",
                "<p>Slack does not know this app (invalid_client_id).</p>",
            )
        if not query.get("redirect_uri"):
            return _html_page(
                400, "Something went wrong", "<p>A redirect_uri is required.</p>"
            )
        hidden = _hidden_inputs(query)
        scopes = _split_scopes(query.get("scope", ""))
        items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in scopes)
        action = html.escape(f"{request.prefix}{request.path}")
        body = (
            f"<p>The app <strong>{html.escape(client_id)}</strong> asks to join "
            f"the workspace <strong>{TEAM_NAME}</strong> with these scopes:</p>"
            f"<ul>{items}</ul>"
            f'<form method="post" action="{action}">{hidden}'
            '<button type="submit" name="decision" value="allow">Allow</button> '
            '<button type="submit" name="decision" value="deny">Cancel</button>'
            "</form>"
        )
        title = "Install app?" if flow == V2_FLOW else "Authorize app?"
        return _html_page(200, title, body)

    def _decide(self, form: dict[str, str], flow: str) -> tuple[int, dict, bytes]:
        redirect_uri = form.get("redirect_uri", "")
        if form.get("client_id") not in self.clients or not redirect_uri:
            return _html_page(400, "Something went wrong", "<p>Unknown app.</p>")
        state = form.get("state", "")
        if form.get("decision") != "allow":
            return _redirect(redirect_uri, {"error": "access_denied", "state": state})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                client_id=form["client_id"],
                redirect_uri=redirect_uri,
                scopes=_split_scopes(form.get("scope", "")),
                flow=flow,
                challenge=form.get("code_challenge", ""),
                challenge_method=form.get("code_challenge_method", "plain"),
                expires_at=time.time() + CODE_LIFETIME,
            )
        return _redirect(redirect_uri, {"code": code, "state": state})

    # -- Token exchange --------------------------------------------------

    def _exchange(
        self, args: dict[str, str], headers: dict[str, str], flow: str
    ) -> tuple[int, dict, bytes]:
        with self._lock:
            self.token_requests.append(dict(args))
        client_id, client_secret = _client_credentials(args, headers)
        if client_id not in self.clients:
            return _slack_error("invalid_client_id")
        if not secrets.compare_digest(self.clients[client_id], client_secret):
            return _slack_error("bad_client_secret")
        if self.switches.exchange_error:
            return _slack_error(self.switches.exchange_error)
        if args.get("grant_type") == "refresh_token":
            return self._refresh_grant(args.get("refresh_token", ""), flow)
        with self._lock:
            code = self._codes.get(args.get("code", ""))
            if code is None or code.used or code.expires_at < time.time():
                return _slack_error("invalid_code")
            code.used = True
        if code.client_id != client_id or code.flow != flow:
            return _slack_error("invalid_code")
        if code.redirect_uri != args.get("redirect_uri", code.redirect_uri):
            return _slack_error("bad_redirect_uri")
        if code.challenge and not _verifier_matches(
            args.get("code_verifier", ""), code.challenge, code.challenge_method
        ):
            return _slack_error("invalid_code_verifier")
        scopes = self.switches.granted_scopes
        granted = tuple(scopes) if scopes is not None else code.scopes
        if flow == LEGACY_FLOW:
            return self._legacy_grant(granted)
        return self._v2_grant(granted)

    def _v2_grant(self, scopes: tuple[str, ...]) -> tuple[int, dict, bytes]:
        answer: dict[str, Any] = {
            "app_id": "A0FAKEAPP1",
            "team": {"id": TEAM_ID, "name": TEAM_NAME},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": INSTALLING_USER_ID},
        }
        with self._lock:
            if self.switches.user_token_only:
                user_token = self._new_token("xoxp-", _Token(scopes, V2_FLOW))
                answer["authed_user"].update(
                    {
                        "scope": ",".join(scopes),
                        "access_token": user_token,
                        "token_type": "user",
                    }
                )
                return _slack_ok(answer)
            answer.update(self._bot_token_fields(scopes))
        return _slack_ok(answer)

    def _bot_token_fields(self, scopes: tuple[str, ...]) -> dict[str, Any]:
        token = _Token(scopes, V2_FLOW)
        fields: dict[str, Any] = {
            "token_type": "bot",
            "scope": ",".join(scopes),
            "bot_user_id": BOT_USER_ID,
        }
        if self.switches.rotate_tokens:
            token.expires_at = time.time() + ROTATION_LIFETIME
            fields["expires_in"] = ROTATION_LIFETIME
            refresh = "xoxe-1-" + secrets.token_urlsafe(24)
            self._refresh[refresh] = _Token(scopes, V2_FLOW)
            fields["refresh_token"] = refresh
        fields["access_token"] = self._new_token("xoxb-", token)
        return fields

    def _legacy_grant(self, scopes: tuple[str, ...]) -> tuple[int, dict, bytes]:
        with self._lock:
            token = self._new_token("xoxp-", _Token(scopes, LEGACY_FLOW))
        return _slack_ok(
            {
                "access_token": token,
                "scope": ",".join(scopes),
                "user_id": INSTALLING_USER_ID,
                "team_id": TEAM_ID,
                "team_name": TEAM_NAME,
            }
        )

    def _refresh_grant(self, presented: str, flow: str) -> tuple[int, dict, bytes]:
        with self._lock:
            refresh = self._refresh.pop(presented, None)
            if refresh is None or refresh.revoked or flow != V2_FLOW:
                return _slack_error("invalid_refresh_token")
            fields = self._bot_token_fields(refresh.scopes)
        return _slack_ok(
            {**fields, "team": {"id": TEAM_ID, "name": TEAM_NAME}, "app_id": "A0FAKE"}
        )

    # -- Tokens ----------------------------------------------------------

    def _new_token(self, prefix: str, token: _Token) -> str:
        value = prefix + secrets.token_urlsafe(24)
        self._tokens[value] = token
        return value

    def _caller_token(
        self, args: dict[str, str], headers: dict[str, str]
    ) -> tuple[_Token | None, tuple[int, dict, bytes] | None]:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            value = args.get("token", "")
        if not value:
            return None, _slack_error("not_authed")
        token = self._tokens.get(value)
        if token is None:
            return None, _slack_error("invalid_auth")
        failure = self._token_error(token)
        if failure is not None:
            return None, _slack_error(failure)
        return token, None

    def _token_error(self, token: _Token) -> str | None:
        if token.revoked:
            return "token_revoked"
        if token.expires_at is not None and token.expires_at <= time.time():
            return "token_expired"
        return None


def _split_scopes(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.replace(",", " ").split() if part)


def _slack_ok(data: dict[str, Any]) -> tuple[int, dict, bytes]:
    return _json(200, {"ok": True, **data})


def _slack_error(code: str, **extra: Any) -> tuple[int, dict, bytes]:
    # Slack reports errors with 200 OK and the code in the body.
    return _json(200, {"ok": False, "error": code, **extra})


def _missing_scope(needed: str, token: _Token) -> tuple[int, dict, bytes]:
    return _slack_error("missing_scope", needed=needed, provided=",".join(token.scopes))
