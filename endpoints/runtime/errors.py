"""The errors of requests through an endpoint, one class per failed stage.

Every error names the stage that failed and, once the runtime has bound it,
the endpoint. Messages are built from the stage and short facts (a host
name, an OS error text, a certificate's fingerprint). The runtime scrubs
them of the endpoint's secrets before they are shown or stored, and they
never contain a URL's query string or a header value.

This module imports nothing from the rest of the project, so that auth types
can raise these errors without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

# Names of the stages, as pages and messages show them.
STAGE_LABELS = {
    "lookup": "endpoint lookup",
    "url": "URL",
    "request": "request",
    "dns": "DNS",
    "connect": "connection",
    "tls": "TLS",
    "timeout": "timeout",
    "authentication": "authentication",
    "token": "token request",
    "http": "HTTP status",
    "redirect": "redirect",
    "response": "response",
}


@dataclass(frozen=True)
class CertificateInfo:
    """The facts about a server certificate that errors and pages show."""

    subject: str
    issuer: str
    sha256: str
    not_before: datetime
    not_after: datetime
    names: tuple[str, ...]
    self_signed: bool

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint as colon-separated upper-case hex pairs."""
        pairs = [self.sha256[i : i + 2] for i in range(0, len(self.sha256), 2)]
        return ":".join(pairs).upper()

    def describe(self) -> str:
        """Return subject, issuer, fingerprint and validity as one line."""
        return (
            f"subject {self.subject}, issuer {self.issuer}, SHA-256 "
            f"{self.fingerprint}, valid {self.not_before:%Y-%m-%d %H:%M} to "
            f"{self.not_after:%Y-%m-%d %H:%M} UTC"
        )


class EndpointError(Exception):
    """A request through an endpoint failed before or while it was sent.

    ``reason`` describes what failed. `bind` adds the endpoint once the runtime
    knows it, and `scrub` removes secret values, so ``str(error)`` is safe to
    show and to store.
    """

    stage: ClassVar[str] = "request"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.endpoint_id: int | None = None
        self.endpoint_name = ""

    def __str__(self) -> str:
        if self.endpoint_name:
            return f"Endpoint “{self.endpoint_name}”: {self.reason}"
        return self.reason

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage)

    def bind(self, endpoint_id: int | None, endpoint_name: str) -> EndpointError:
        """Record the endpoint that the request went through, once."""
        if not self.endpoint_name:
            self.endpoint_id = endpoint_id
            self.endpoint_name = endpoint_name
        return self

    def scrub(self, redact: Callable[[str], str]) -> EndpointError:
        """Replace the reason with ``redact(reason)``, without secrets."""
        self.reason = redact(self.reason)
        self.args = (self.reason,)
        return self


class EndpointNotFoundError(EndpointError, LookupError):
    """No endpoint of the workflow has the given name or label."""

    stage = "lookup"


class InvalidPathError(EndpointError, ValueError):
    """The path cannot be joined to the base URL without leaving it."""

    stage = "url"


class InvalidRequestError(EndpointError, ValueError):
    """The request could not be built, such as for an invalid header value."""

    stage = "request"


class DNSError(EndpointError):
    """The target's host name did not resolve."""

    stage = "dns"


class ConnectionFailedError(EndpointError):
    """No connection could be opened, or it broke while in use."""

    stage = "connect"


class BlockedAddressError(ConnectionFailedError):
    """The host resolved to an address in a blocked network.

    The console refuses these before it opens a connection, so that a base
    URL cannot reach cloud metadata services or link-local hosts.
    """


class RequestTimeoutError(EndpointError):
    """Connecting, sending or waiting for the target took too long."""

    stage = "timeout"


class DeadlineExceededError(RequestTimeoutError):
    """The request did not finish within ENDPOINT_REQUEST_DEADLINE.

    The deadline bounds a whole use of an endpoint: connecting, sending,
    token requests, retries and reading the body.
    """

    def __init__(self, seconds: float, where: str):
        super().__init__(
            f"The request did not finish within {seconds:g} s, the deadline that "
            "ENDPOINT_REQUEST_DEADLINE sets for each request through an endpoint, "
            f"so the console stopped waiting for {where}."
        )
        self.seconds = seconds


class TLSError(EndpointError):
    """The TLS handshake failed, or the certificate was not trusted.

    ``certificate`` describes the certificate the server presented, when one
    could be read.
    """

    stage = "tls"

    def __init__(self, reason: str, certificate: CertificateInfo | None = None):
        super().__init__(reason)
        self.certificate = certificate

    def security_detail(self) -> str:
        """Return the reason and the certificate's facts, for activity."""
        if self.certificate is None:
            return f"{self.reason} No certificate could be read."
        return f"{self.reason} Certificate: {self.certificate.describe()}."


class CertificateChangedError(TLSError):
    """The server's self-signed certificate differs from the pinned one.

    The request fails until a manager reviews the new certificate on the
    endpoint's page and trusts it.
    """

    def __init__(self, reason: str, certificate: CertificateInfo, pinned_sha256: str):
        super().__init__(reason, certificate)
        self.pinned_sha256 = pinned_sha256


class AuthenticationError(EndpointError):
    """The endpoint's credentials are missing, or the target rejected them."""

    stage = "authentication"


class CredentialUnavailableError(AuthenticationError):
    """The auth type has no credential that a script could place itself."""


class TokenRequestError(AuthenticationError):
    """The token endpoint did not issue a usable token.

    ``provider_error`` and ``provider_description`` are the ``error`` and
    ``error_description`` of the provider's answer (RFC 6749, section 5.2),
    empty when it sent none, such as for an HTML page. ``status_code`` is
    the HTTP status of the answer, if one arrived.
    """

    stage = "token"

    def __init__(
        self,
        reason: str,
        *,
        provider_error: str = "",
        provider_description: str = "",
        status_code: int | None = None,
    ):
        super().__init__(reason)
        self.provider_error = provider_error
        self.provider_description = provider_description
        self.status_code = status_code

    def scrub(self, redact: Callable[[str], str]) -> TokenRequestError:
        """Scrub the reason and the provider's code and description."""
        super().scrub(redact)
        self.provider_error = redact(self.provider_error)
        self.provider_description = redact(self.provider_description)
        return self


class ReconnectNeededError(TokenRequestError):
    """The stored grant is no longer accepted: a manager must Connect again."""


class SecretsUnreadableError(AuthenticationError):
    """The endpoint's stored secrets cannot be decrypted with FERNET_KEYS.

    Nothing is sent: without its secrets the endpoint would send requests
    without their credentials.
    """

    def __init__(self, reason: str = ""):
        super().__init__(
            reason
            or "Its stored secrets cannot be decrypted with the current "
            "FERNET_KEYS, so nothing was sent. Add the key that encrypted them to "
            "FERNET_KEYS, or enter the secrets again on the endpoint's page."
        )


class RedirectError(EndpointError):
    """The target redirected to another origin, or too many times."""

    stage = "redirect"


class ResponseError(EndpointError):
    """The response was malformed, or larger than the console accepts."""

    stage = "response"


class APIResponseError(ResponseError):
    """The target reported a failure in the body of a successful response.

    Slack's Web API, for one, returns errors with 200 OK and
    ``{"ok": false, "error": "<code>"}``. The runtime raises this only when
    the caller asks for it (``raise_api_errors``). ``api_error`` is the
    target's error code and ``status_code`` the HTTP status.
    """

    def __init__(self, reason: str, *, api_error: str = "", status_code: int = 200):
        super().__init__(reason)
        self.api_error = api_error
        self.status_code = status_code

    def scrub(self, redact: Callable[[str], str]) -> APIResponseError:
        super().scrub(redact)
        self.api_error = redact(self.api_error)
        return self


class ResponseTooLargeError(ResponseError):
    """The response body is larger than ENDPOINT_MAX_RESPONSE_BYTES."""

    def __init__(self, limit: int):
        super().__init__(
            f"The response body is larger than {limit} bytes, the maximum set by "
            "ENDPOINT_MAX_RESPONSE_BYTES; the rest was not read."
        )
        self.limit = limit
