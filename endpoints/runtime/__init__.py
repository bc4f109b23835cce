"""The request runtime: send requests through endpoints.

::

    from endpoints.runtime import send

    response = send("Incidents", "tickets", "GET", "/issues", params={"q": 1})

`send` joins the path to the endpoint's base URL, applies its auth type and
TLS trust, keeps a pooled client per endpoint, and raises an `EndpointError`
subclass naming the stage that failed. `authenticate` returns an endpoint's
current credential for scripts that must place it themselves.
`open_endpoint` returns a session that loads the endpoint once for many
requests.
"""

from .api import authenticate, resolve_endpoint, send, send_through
from .errors import (
    APIResponseError,
    AuthenticationError,
    BlockedAddressError,
    CertificateChangedError,
    ConnectionFailedError,
    CredentialUnavailableError,
    DeadlineExceededError,
    DNSError,
    EndpointError,
    EndpointNotFoundError,
    InvalidPathError,
    InvalidRequestError,
    ReconnectNeededError,
    RedirectError,
    RequestTimeoutError,
    ResponseError,
    ResponseTooLargeError,
    SecretsUnreadableError,
    TLSError,
    TokenRequestError,
)
from .session import EndpointSession, open_endpoint
from .urls import join_url

__all__ = [
    "APIResponseError",
    "AuthenticationError",
    "BlockedAddressError",
    "CertificateChangedError",
    "ConnectionFailedError",
    "CredentialUnavailableError",
    "DeadlineExceededError",
    "DNSError",
    "EndpointError",
    "EndpointNotFoundError",
    "EndpointSession",
    "InvalidPathError",
    "InvalidRequestError",
    "ReconnectNeededError",
    "RedirectError",
    "RequestTimeoutError",
    "ResponseError",
    "ResponseTooLargeError",
    "SecretsUnreadableError",
    "TLSError",
    "TokenRequestError",
    "authenticate",
    "join_url",
    "open_endpoint",
    "resolve_endpoint",
    "send",
    "send_through",
]
