"""A fake OAuth 2.0 provider, for the test suite and the demo only.

Never point a real endpoint at it: it keeps its clients, users, codes and
tokens in memory, serves plain HTTP, and has switches that make it fail on
purpose. It follows RFC 6749 (the authorization code, password,
refresh_token and client_credentials grants, with client_secret_basic and
client_secret_post client authentication) and RFC 7636 (PKCE, S256 and
plain), and serves on 127.0.0.1:

- ``GET /authorize``: a consent page with Allow and Deny buttons, which
  post to ``POST /authorize`` and send the browser back to the redirect URI
  with a code or ``error=access_denied``.
- ``POST /token``: the token endpoint.
- ``GET /api/me``: a protected resource that checks the bearer token. It
  returns 401 for a missing, unknown or expired token, or the status in
  `Switches.resource_expired_status`.

`Switches` make it behave as real providers do when they fail; `counts`
records how many token requests arrived, by grant type. The test suite
starts it in a thread with `FakeOAuthProvider.start`; ``manage.py
fake_oauth_provider`` serves it for the demo.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

LISTEN_HOST = "127.0.0.1"
# The maximum delay of the ``slow_seconds`` switch, in seconds.
MAX_SLOW_SECONDS = 2.0
# Seconds a connection waits for a client, so no thread outlives a test.
SOCKET_TIMEOUT = 5.0
DEFAULT_LIFETIME = 3600
CODE_LIFETIME = 600
# A value for `Switches.expires_in` that leaves the field out.
MISSING = object()

# The client and user that the demo uses. They exist only in this fake.
DEMO_CLIENT_ID = "console-demo"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 (a demo value)
DEMO_USERNAME = "demo-user"
DEMO_PASSWORD = "demo-password"  # noqa: S105 (a demo value)


@dataclass
class Switches:
    """Failures to produce, each as real providers produce it.

    ``expires_in`` is sent as given: an int, a string such as ``"3599"``
    or ``"3599.0"``, ``""``, or `MISSING` to leave it out. Tokens live for
    it when it is a whole number, else for DEFAULT_LIFETIME.
    ``echo_request`` rejects every token request with ``invalid_client``
    and a description that quotes the request's body and Authorization
    header as received, as careless providers do.
    """

    invalid_grant: bool = False
    invalid_client: bool = False
    no_refresh_token: bool = False
    rotate_refresh_tokens: bool = False
    expires_in: Any = DEFAULT_LIFETIME
    error_with_200: bool = False
    html_instead_of_json: bool = False
    slow_seconds: float = 0.0
    resource_expired_status: int = 401
    echo_request: bool = False


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    challenge: str
    challenge_method: str
    expires_at: float
    used: bool = False


@dataclass
class _Token:
    client_id: str
    username: str
    scope: str
    expires_at: float


@dataclass
class _Refresh:
    client_id: str
    username: str
    scope: str
    active: bool = True


class OAuthProblem(Exception):
    """An RFC 6749 error answer: code, description and HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status


@dataclass
class FakeOAuthProvider:
    """The provider's state and its HTTP server; see the module."""

    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    switches: Switches = field(default_factory=Switches)
    counts: Counter = field(default_factory=Counter)
    # Every token request's form fields and headers, as received.
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    # The username that Allow grants access for.
    consenting_user: str = DEMO_USERNAME
    _codes: dict[str, _Code] = field(default_factory=dict)
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- Set-up ----------------------------------------------------------

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: tuple[str, ...] = ()
    ) -> Client:
        """Register a client. With no redirect URIs, any URI is accepted."""
        client = Client(client_id, client_secret, tuple(redirect_uris))
        self.clients[client_id] = client
        return client

    def add_user(self, username: str, password: str) -> None:
        self.users[username] = password

    def start(self, port: int = 0) -> FakeOAuthProvider:
        """Serve on 127.0.0.1 in a daemon thread; port 0 picks a free one."""
        self._server = _Server((LISTEN_HOST, port), _Handler)
        self._server.provider = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def serve_forever(self, port: int) -> None:
        """Serve on 127.0.0.1 in this thread until interrupted."""
        self._server = _Server((LISTEN_HOST, port), _Handler)
        self._server.provider = self
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=SOCKET_TIMEOUT)

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def url(self, path: str = "") -> str:
        return f"http://{LISTEN_HOST}:{self.port}{path}"

    # -- Helpers for tests -----------------------------------------------

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired, as time would."""
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = 0.0

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            for refresh in self._refresh.values():
                refresh.active = False

    def issue_tokens(
        self, client_id: str, username: str = DEMO_USERNAME, scope: str = ""
    ) -> tuple[str, str]:
        """Issue an access and a refresh token, as an earlier grant would."""
        with self._lock:
            access = self._new_access(client_id, username, scope, DEFAULT_LIFETIME)
            refresh = self._new_refresh(client_id, username, scope)
        return access, refresh

    def is_active_access_token(self, token: str) -> bool:
        with self._lock:
            found = self._tokens.get(token)
            return found is not None and found.expires_at > time.time()

    # -- Authorization endpoint ------------------------------------------

    def authorization_page(self, query: dict[str, str]) -> tuple[int, dict, bytes]:
        """Return the response to ``GET /authorize``."""
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or not self._redirect_allowed(client, redirect_uri):
            # RFC 6749, 4.1.2.1: never redirect to an unverified URI.
            return _html_page(
                400,
                "Unknown client or redirect URI",
                "<p>The client ID or the redirect URI is not registered with this "
                "provider, so it does not send the browser back.</p>",
            )
        state = query.get("state", "")
        if query.get("response_type") != "code":
            return _redirect(
                redirect_uri,
                {"error": "unsupported_response_type", "state": state},
            )
        method = query.get("code_challenge_method", "plain")
        if not query.get("code_challenge") or method not in ("S256", "plain"):
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "PKCE is required: send code_challenge "
                    "with code_challenge_method S256.",
                    "state": state,
                },
            )
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" '
            f'value="{html.escape(value)}">'
            for name, value in query.items()
        )
        scope = query.get("scope") or "the default scope"
        body = (
            f"<p>The application <strong>{html.escape(client.client_id)}</strong> "
            f"asks for access to your account <strong>"
            f"{html.escape(self.consenting_user)}</strong> with "
            f"<code>{html.escape(scope)}</code>.</p>"
            '<form method="post" action="/authorize">'
            f"{hidden}"
            '<button type="submit" name="decision" value="allow">Allow</button> '
            '<button type="submit" name="decision" value="deny">Deny</button>'
            "</form>"
        )
        return _html_page(200, "Allow access?", body)

    def decide(self, form: dict[str, str]) -> tuple[int, dict, bytes]:
        """Return the response to the consent form's ``POST /authorize``."""
        client = self.clients.get(form.get("client_id", ""))
        redirect_uri = form.get("redirect_uri", "")
        if client is None or not self._redirect_allowed(client, redirect_uri):
            return _html_page(400, "Unknown client", "<p>Unknown client.</p>")
        state = form.get("state", "")
        if form.get("decision") != "allow":
            return _redirect(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The user denied access.",
                    "state": state,
                },
            )
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                scope=form.get("scope", ""),
                username=self.consenting_user,
                challenge=form.get("code_challenge", ""),
                challenge_method=form.get("code_challenge_method", "plain"),
                expires_at=time.time() + CODE_LIFETIME,
            )
        return _redirect(redirect_uri, {"code": code, "state": state})

    def _redirect_allowed(self, client: Client, redirect_uri: str) -> bool:
        if not redirect_uri:
            return False
        return not client.redirect_uris or redirect_uri in client.redirect_uris

    # -- Token endpoint --------------------------------------------------

    def token(
        self, form: dict[str, str], headers: dict[str, str], raw_body: str = ""
    ) -> tuple[int, dict, bytes]:
        """Return the response to ``POST /token``."""
        grant_type = form.get("grant_type", "")
        with self._lock:
            self.counts["token"] += 1
            self.counts[grant_type or "none"] += 1
            self.token_requests.append({"form": dict(form), "headers": dict(headers)})
        switches = self.switches
        if switches.slow_seconds:
            time.sleep(min(switches.slow_seconds, MAX_SLOW_SECONDS))
        if switches.html_instead_of_json:
            return _html_page(200, "Sign in", "<p>Please sign in to continue.</p>")
        if switches.echo_request:
            authorization = headers.get("authorization", "")
            return _json(
                400,
                {
                    "error": "invalid_client",
                    "error_description": f"Rejected body {raw_body} with "
                    f"Authorization {authorization}",
                },
            )
        try:
            client = self._authenticate_client(form, headers)
            if switches.invalid_grant:
                raise OAuthProblem("invalid_grant", "The grant is invalid or expired.")
            data = self._grant(grant_type, client, form)
        except OAuthProblem as problem:
            status = 200 if switches.error_with_200 else problem.status
            extra = {}
            if problem.status == 401 and not switches.error_with_200:
                extra["WWW-Authenticate"] = 'Basic realm="token"'
            return _json(
                status,
                {"error": problem.error, "error_description": problem.description},
                extra,
            )
        return _json(200, data)

    def _authenticate_client(
        self, form: dict[str, str], headers: dict[str, str]
    ) -> Client:
        basic = headers.get("authorization", "")
        in_body = "client_secret" in form
        if basic.lower().startswith("basic "):
            if in_body:
                raise OAuthProblem(
                    "invalid_request", "Use one client authentication method."
                )
            try:
                decoded = base64.b64decode(basic[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthProblem(
                    "invalid_client", "Bad Basic credentials.", 401
                ) from None
            # RFC 6749, section 2.3.1: each part is form-encoded.
            encoded_id, _, encoded_secret = decoded.partition(":")
            client_id = unquote_plus(encoded_id)
            client_secret = unquote_plus(encoded_secret)
        else:
            client_id = form.get("client_id", "")
            client_secret = form.get("client_secret", "")
        client = self.clients.get(client_id)
        if (
            self.switches.invalid_client
            or client is None
            # compare_digest takes str only when it is ASCII.
            or not secrets.compare_digest(
                client.client_secret.encode(), client_secret.encode()
            )
        ):
            raise OAuthProblem("invalid_client", "client secret mismatch", 401)
        return client

    def _grant(self, grant_type: str, client: Client, form: dict[str, str]) -> dict:
        if grant_type == "authorization_code":
            return self._authorization_code(client, form)
        if grant_type == "password":
            username = form.get("username", "")
            if self.users.get(username) != form.get("password") or not username:
                raise OAuthProblem("invalid_grant", "Invalid username or password.")
            return self._issue(client.client_id, username, form.get("scope", ""))
        if grant_type == "refresh_token":
            return self._refresh_grant(client, form)
        if grant_type == "client_credentials":
            return self._issue(
                client.client_id, "", form.get("scope", ""), with_refresh=False
            )
        raise OAuthProblem(
            "unsupported_grant_type", f"Grant type {grant_type!r} is not supported."
        )

    def _authorization_code(self, client: Client, form: dict[str, str]) -> dict:
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or code.used or code.expires_at < time.time():
                raise OAuthProblem("invalid_grant", "The code is invalid or used.")
            code.used = True
        if code.client_id != client.client_id:
            raise OAuthProblem(
                "invalid_grant", "The code was issued to another client."
            )
        if code.redirect_uri != form.get("redirect_uri"):
            raise OAuthProblem("invalid_grant", "The redirect_uri does not match.")
        verifier = form.get("code_verifier", "")
        if not verifier or not _verifier_matches(
            verifier, code.challenge, code.challenge_method
        ):
            raise OAuthProblem(
                "invalid_grant", "The PKCE code_verifier does not match."
            )
        return self._issue(client.client_id, code.username, code.scope)

    def _refresh_grant(self, client: Client, form: dict[str, str]) -> dict:
        presented = form.get("refresh_token", "")
        with self._lock:
            refresh = self._refresh.get(presented)
            if (
                refresh is None
                or not refresh.active
                or refresh.client_id != client.client_id
            ):
                raise OAuthProblem(
                    "invalid_grant", "The refresh token is invalid or was used."
                )
            rotate = self.switches.rotate_refresh_tokens
            if rotate:
                refresh.active = False
        return self._issue(
            client.client_id,
            refresh.username,
            refresh.scope,
            with_refresh=rotate,
        )

    def _issue(
        self, client_id: str, username: str, scope: str, *, with_refresh: bool = True
    ) -> dict:
        expires_in = self.switches.expires_in
        lifetime = expires_in if isinstance(expires_in, int) else DEFAULT_LIFETIME
        with self._lock:
            access = self._new_access(client_id, username, scope, lifetime)
            data: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
            if expires_in is not MISSING:
                data["expires_in"] = expires_in
            if scope:
                data["scope"] = scope
            if with_refresh and not self.switches.no_refresh_token:
                data["refresh_token"] = self._new_refresh(client_id, username, scope)
        return data

    def _new_access(
        self, client_id: str, username: str, scope: str, lifetime: int
    ) -> str:
        token = "fake-at-" + secrets.token_urlsafe(24)
        self._tokens[token] = _Token(client_id, username, scope, time.time() + lifetime)
        return token

    def _new_refresh(self, client_id: str, username: str, scope: str) -> str:
        token = "fake-rt-" + secrets.token_urlsafe(24)
        self._refresh[token] = _Refresh(client_id, username, scope)
        return token

    # -- Protected resource ----------------------------------------------

    def resource(self, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        """Return the response to ``GET /api/me``."""
        with self._lock:
            self.counts["resource"] += 1
        value = headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        found = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if found is None or found.expires_at <= time.time():
            return _json(
                self.switches.resource_expired_status,
                {"error": "invalid_token"},
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return _json(200, {"user": found.username, "scope": found.scope})


def _verifier_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return secrets.compare_digest(computed, challenge)
    return secrets.compare_digest(verifier, challenge)


def _json(
    status: int, data: dict, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    return (
        status,
        {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
        json.dumps(data).encode(),
    )


def _html_page(status: int, title: str, body: str) -> tuple[int, dict, bytes]:
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · Fake OAuth provider</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2937}"
        "button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}</style>"
        f"</head><body><main><h1>{html.escape(title)}</h1>{body}"
        "<p><small>A fake provider for tests and demos.</small></p></main>"
        "</body></html>"
    )
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode()


def _redirect(uri: str, params: dict[str, str]) -> tuple[int, dict, bytes]:
    parts = urlsplit(uri)
    query = "&".join(part for part in (parts.query, urlencode(params)) if part)
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return 302, {"Location": location}, b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    provider: FakeOAuthProvider

    def handle_error(self, request, client_address):
        # A client that gave up (a timeout test) closes the connection while
        # a slow answer is written; that is expected, not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = SOCKET_TIMEOUT

    def log_message(self, format, *args):
        # Quiet: the query strings carry codes and states.
        pass

    def _reply(self, response: tuple[int, dict, bytes]) -> None:
        status, headers, body = response
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return ""
        return self.rfile.read(length).decode("utf-8", errors="replace")

    def _form(self, raw: str | None = None) -> dict[str, str]:
        raw = self._body() if raw is None else raw
        return {name: values[0] for name, values in parse_qs(raw).items()}

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def do_GET(self):
        parts = urlsplit(self.path)
        provider = self.server.provider
        if parts.path == "/authorize":
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            self._reply(provider.authorization_page(query))
        elif parts.path in ("/api/me", "/api/me/"):
            self._reply(provider.resource(self._headers()))
        else:
            self._reply(_json(404, {"error": "not_found"}))

    def do_POST(self):
        parts = urlsplit(self.path)
        provider = self.server.provider
        if parts.path == "/authorize":
            self._reply(provider.decide(self._form()))
        elif parts.path == "/token":
            raw = self._body()
            self._reply(provider.token(self._form(raw), self._headers(), raw))
        else:
            self._reply(_json(404, {"error": "not_found"}))
