"""Token requests through authlib's OAuth 2.0 client, on the runtime's client.

authlib's ``authlib.integrations.httpx_client.OAuth2Client`` is itself an
``httpx2.Client``, so it would open its own connections, outside the
network guard, the TLS trust of the endpoint and the response size limit.
`RuntimeOAuth2Client` is authlib's protocol client
(``authlib.oauth2.client.OAuth2Client``, which the httpx2 integration
builds on) with the integration's httpx2 client authentication
(``OAuth2ClientAuth``: client_secret_basic or client_secret_post) and its
``OAuthError``, but with the runtime's pooled, guarded client as its
session. So every token request passes the same guard, trust, timeouts and
limits as the endpoint's own requests, and the runtime maps its network
and TLS failures onto the same errors.

client_secret_basic is the console's own `encode_client_secret_basic`,
because authlib joins the client ID and secret as they are, while RFC 6749
(section 2.3.1) form-encodes each of them first.

authlib's compliance hooks check each token response before authlib reads
it (`TokenEndpointClient._check_response`): non-JSON bodies, server errors
and redirects become a `TokenRequestError`, and ``expires_in`` is
normalised, because authlib's ``OAuth2Token`` calls ``int()`` on it and
fails on ``"3599.0"``.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote_plus

import httpx2
from authlib.integrations.httpx_client import OAuth2Auth, OAuth2ClientAuth, OAuthError
from authlib.oauth2.client import OAuth2Client as ProtocolClient
from django.utils import timezone

from endpoints.redaction import redact
from endpoints.runtime.errors import TokenRequestError

from .tokens import TokenSet, parse_expires_in

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

logger = logging.getLogger(__name__)

CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 (a method name)
CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105 (a method name)


@dataclass(frozen=True)
class ClientCredentials:
    """The OAuth 2.0 client as registered with the provider. No token here.

    ``auth_method`` is how the client authenticates at the token endpoint
    (RFC 6749, section 2.3.1): HTTP Basic or fields in the request body.
    """

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    auth_method: str = CLIENT_SECRET_BASIC
    scope: str = ""


class TokenResponseHandler(Protocol):
    """The hooks of an auth type that read a provider's token responses."""

    def check_token_response(
        self, data: dict[str, Any], response: httpx2.Response
    ) -> dict[str, Any]: ...

    def parse_token_set(
        self, data: dict[str, Any], received_at: datetime
    ) -> TokenSet: ...

    def describe_provider_error(self, error: str, description: str) -> str: ...

    def secret_values(self) -> list[str]: ...


def basic_client_credential(client_id: str, client_secret: str) -> str:
    """Return the client_secret_basic credential that follows ``Basic``.

    RFC 6749, section 2.3.1: the client ID and the secret are each encoded
    as application/x-www-form-urlencoded, joined with a colon and then
    base64-encoded, so that a colon or a non-ASCII character survives.
    """
    text = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def encode_client_secret_basic(client, method, uri, headers, body):
    """Authenticate the client with HTTP Basic; authlib's signature."""
    credential = basic_client_credential(client.client_id, client.client_secret or "")
    headers["Authorization"] = f"Basic {credential}"
    return uri, headers, body


class RuntimeOAuth2Client(ProtocolClient):
    """authlib's OAuth 2.0 client, sending through a given httpx2 client.

    ``session`` is the runtime's client, or None when the client only
    builds authorization URLs.
    """

    client_auth_class = OAuth2ClientAuth
    token_auth_class = OAuth2Auth
    oauth_error_class = OAuthError
    # Passed on to the session's post(), so the runtime's timeout applies.
    SESSION_REQUEST_PARAMS = ["timeout"]


def build_protocol_client(
    credentials: ClientCredentials,
    session: httpx2.Client | None = None,
    *,
    redirect_uri: str | None = None,
) -> RuntimeOAuth2Client:
    """Return authlib's client for these credentials, sending via session."""
    client = RuntimeOAuth2Client(
        session,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        token_endpoint_auth_method=credentials.auth_method,
        scope=credentials.scope or None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    client.register_client_auth_method(
        (CLIENT_SECRET_BASIC, encode_client_secret_basic)
    )
    return client


def authorization_url(
    credentials: ClientCredentials,
    url: str,
    *,
    redirect_uri: str,
    state: str,
    code_verifier: str,
    extra: dict[str, str] | None = None,
) -> str:
    """Return the authorization request URL (RFC 6749, 4.1.1) with PKCE S256.

    Parameters that ``url`` carries already, such as a tenant, are kept.
    """
    client = build_protocol_client(credentials, redirect_uri=redirect_uri)
    uri, _ = client.create_authorization_url(
        url, state=state, code_verifier=code_verifier, **(extra or {})
    )
    return uri


class TokenEndpointClient:
    """Requests tokens for one auth type through the runtime's client."""

    def __init__(
        self,
        context: RequestContext,
        credentials: ClientCredentials,
        handler: TokenResponseHandler,
        *,
        redirect_uri: str | None = None,
    ):
        self._context = context
        self._credentials = credentials
        self._handler = handler
        self._received_at: datetime | None = None
        self._status: int | None = None
        self._client = build_protocol_client(
            credentials, context.client, redirect_uri=redirect_uri
        )
        for hook in ("access_token_response", "refresh_token_response"):
            self._client.register_compliance_hook(hook, self._check_response)

    def fetch(self, grant_type: str, **params: str) -> TokenSet:
        """Request a token with ``grant_type`` and its parameters."""
        return self._request(
            grant_type,
            lambda: self._client.fetch_token(
                self._credentials.token_url,
                grant_type=grant_type,
                timeout=self._context.timeout,
                **params,
            ),
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """Request a new access token with a refresh token (RFC 6749, 6)."""
        return self._request(
            "refresh_token",
            lambda: self._client.refresh_token(
                self._credentials.token_url,
                refresh_token=refresh_token,
                timeout=self._context.timeout,
            ),
        )

    def _request(self, grant_type: str, send) -> TokenSet:
        try:
            data = dict(send())
        except OAuthError as error:
            # A provider may quote the request, secrets included, in its
            # answer. They are removed before the description is shortened,
            # which could otherwise cut a secret into a part that no longer
            # matches.
            secrets = self._handler.secret_values()
            code = redact(str(error.error or ""), secrets)
            description = redact(str(error.description or ""), secrets)
            self._log(grant_type, "provider_error", code)
            raise TokenRequestError(
                self._handler.describe_provider_error(code, description),
                provider_error=code,
                provider_description=description,
                status_code=self._status,
            ) from None
        if not data.get("access_token"):
            self._log(grant_type, "no_access_token", "-")
            raise TokenRequestError(
                "The token endpoint answered without an access_token and without "
                "an OAuth error code. Check the token URL."
            )
        assert self._received_at is not None
        self._log(grant_type, "success", "-")
        token_set = self._handler.parse_token_set(data, self._received_at)
        return replace(token_set, refreshed=grant_type == "refresh_token")

    def _check_response(self, response: httpx2.Response) -> httpx2.Response:
        self._received_at = timezone.now()
        self._status = response.status_code
        data = decode_token_response(response)
        data = self._handler.check_token_response(data, response)
        expires_in = parse_expires_in(data.get("expires_in"))
        if expires_in is None:
            data.pop("expires_in", None)
        else:
            data["expires_in"] = expires_in
        # The console computes the expiry itself, from expires_in.
        data.pop("expires_at", None)
        return httpx2.Response(
            response.status_code,
            headers={"Content-Type": "application/json"},
            content=json.dumps(data).encode(),
            request=response.request,
        )

    def _log(self, grant_type: str, outcome: str, provider_error: str) -> None:
        # Ids and codes only: never a token, a code, a secret or the URL.
        logger.info(
            "event=oauth_token_request endpoint_id=%s grant_type=%s outcome=%s "
            "provider_error=%s",
            self._context.endpoint.pk,
            grant_type,
            outcome,
            provider_error or "-",
        )


def decode_token_response(response: httpx2.Response) -> dict[str, Any]:
    """Return the JSON object of a token response, or raise a clear error.

    Raises `TokenRequestError` for a redirect, a server error, a body that
    is not JSON (an HTML login or error page, say), a JSON value that is not
    an object, and a client error without an OAuth ``error`` code.
    """
    status = response.status_code
    status_line = f"{status} {response.reason_phrase}".strip()
    if 300 <= status < 400:
        raise TokenRequestError(
            f"The token endpoint redirected ({status_line}) instead of answering. "
            "Check the token URL; the console does not follow redirects of token "
            "requests.",
            status_code=status,
        )
    if status >= 500:
        raise TokenRequestError(
            f"The token endpoint failed with {status_line}. Try again later.",
            status_code=status,
        )
    try:
        data = json.loads(response.content)
    except ValueError:
        content_type = response.headers.get("content-type", "no content type")
        media_type = content_type.split(";")[0]
        raise TokenRequestError(
            f"The token endpoint answered {status_line} with {media_type} "
            "instead of JSON. Check the token URL: it may point at a login or "
            "error page.",
            status_code=status,
        ) from None
    if not isinstance(data, dict):
        raise TokenRequestError(
            f"The token endpoint answered {status_line} with JSON that is not an "
            "object.",
            status_code=status,
        )
    if status >= 400 and "error" not in data:
        raise TokenRequestError(
            f"The token endpoint answered {status_line} without an OAuth error code.",
            status_code=status,
        )
    if "error" in data:
        # authlib raises OAuthError for these; its fields must be strings.
        data["error"] = str(data["error"])
        if data.get("error_description") is not None:
            data["error_description"] = str(data["error_description"])
    return data
