"""The request runtime: send requests through endpoints.

::

    from endpoints.runtime import send

    response = send("Incidents", "tickets", "GET", "/issues", params={"q": 1})

`send` joins the path to the endpoint's base URL, applies its auth type and
TLS trust, keeps a pooled client per endpoint, and raises an `EndpointError`
subclass naming the stage that failed. `authenticate` returns an endpoint's
current credential for scripts that must place it themselves.
"""

from .api import authenticate, resolve_endpoint, send, send_through
from .errors import (
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
from .urls import join_url

__all__ = [
    "AuthenticationError",
    "BlockedAddressError",
    "CertificateChangedError",
    "ConnectionFailedError",
    "CredentialUnavailableError",
    "DeadlineExceededError",
    "DNSError",
    "EndpointError",
    "EndpointNotFoundError",
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
    "resolve_endpoint",
    "send",
    "send_through",
]
