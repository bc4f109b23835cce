"""Pooled httpx2 clients, one per endpoint and TLS trust.

A client is keyed on everything that shapes its connections: the endpoint's
id, version and last change, its trust switch and pinned certificate, and
the settings of the network guard and TLS. A key that changes gets a new
client, and the endpoint's old client is closed once no request uses it.
The pool contains at most ENDPOINT_CLIENT_POOL_SIZE clients, closing the least
recently used idle ones, and closes all of them at interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING

import httpx2
from django.conf import settings

from .network import NetworkGuard
from .settings_cache import runtime_settings
from .tls import build_ssl_context
from .transport import GuardedTransport

if TYPE_CHECKING:
    from endpoints.models import Endpoint

logger = logging.getLogger(__name__)

CONNECTION_LIMITS = httpx2.Limits(
    max_connections=20, max_keepalive_connections=5, keepalive_expiry=30.0
)


def default_timeout() -> httpx2.Timeout:
    """Return the timeout of ENDPOINT_REQUEST_TIMEOUT, in seconds."""
    return httpx2.Timeout(settings.ENDPOINT_REQUEST_TIMEOUT)


def trusted_certificate(endpoint: Endpoint) -> str:
    """Return the PEM of the certificate an endpoint trusts beyond the CAs."""
    if endpoint.trust_self_signed:
        return endpoint.pinned_certificate_pem
    return ""


def build_client(endpoint: Endpoint, trusted_pem: str | None = None) -> httpx2.Client:
    """Return a new client for the endpoint's TLS trust and the guard settings.

    Redirects are not followed by the client: the runtime follows only those
    to the request's own origin. Proxy variables of the environment are
    ignored, because the network guard checks the address that a request
    connects to, and through a proxy that would be the proxy's. Cookies are
    never stored, because one pooled client serves every step and user of
    the endpoint.
    """
    if trusted_pem is None:
        trusted_pem = trusted_certificate(endpoint)
    transport = GuardedTransport(
        ssl_context=build_ssl_context(settings.ENDPOINT_CA_BUNDLE, trusted_pem),
        guard=NetworkGuard.from_settings(),
        max_response_bytes=settings.ENDPOINT_MAX_RESPONSE_BYTES,
        limits=CONNECTION_LIMITS,
    )
    return httpx2.Client(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        timeout=default_timeout(),
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )


def client_key(endpoint: Endpoint) -> tuple:
    return (
        endpoint.pk,
        endpoint.version,
        endpoint.updated_at,
        endpoint.trust_self_signed,
        endpoint.pinned_certificate_sha256 if endpoint.trust_self_signed else "",
        runtime_settings().client_settings,
    )


@dataclass
class _Entry:
    key: tuple
    client: httpx2.Client
    leases: int = 0
    retired: bool = False


class ClientPool:
    """A bounded set of clients, leased out per request."""

    def __init__(self, max_clients: int | None = None):
        self._max_clients = max_clients
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def max_clients(self) -> int:
        return self._max_clients or runtime_settings().client_pool_size

    def __len__(self) -> int:
        return len(self._entries)

    def lease(self, endpoint: Endpoint) -> AbstractContextManager[httpx2.Client]:
        """Return a context manager that yields the endpoint's pooled client.

        The client is built when needed. Unsaved endpoints (Test
        Authentication on a new endpoint's form) get a client of their own
        that is closed afterwards.
        """
        if endpoint.pk is None:
            return OneOffClient(endpoint)
        return _Lease(self, endpoint)

    def _acquire(self, endpoint: Endpoint) -> _Entry:
        key = client_key(endpoint)
        with self._lock:
            entry = self._entries.get(endpoint.pk)
            if entry is not None and entry.key != key:
                self._retire(self._entries.pop(endpoint.pk))
                entry = None
            if entry is None:
                entry = _Entry(key=key, client=build_client(endpoint))
                self._entries[endpoint.pk] = entry
                logger.debug("event=client_built endpoint_id=%s", endpoint.pk)
            self._entries.move_to_end(endpoint.pk)
            entry.leases += 1
            self._evict_idle()
        return entry

    def _release(self, entry: _Entry) -> None:
        with self._lock:
            entry.leases -= 1
            close_now = entry.retired and entry.leases == 0
        if close_now:
            entry.client.close()

    def _retire(self, entry: _Entry) -> None:
        # Called with the pool lock held. A client still in use is closed by
        # the last `_release` instead.
        entry.retired = True
        if entry.leases == 0:
            entry.client.close()

    def _evict_idle(self) -> None:
        excess = len(self._entries) - self.max_clients
        if excess <= 0:
            return
        for endpoint_id in list(self._entries):
            if excess <= 0:
                break
            entry = self._entries[endpoint_id]
            if entry.leases == 0:
                self._retire(self._entries.pop(endpoint_id))
                excess -= 1

    def close_all(self) -> None:
        """Close every client that no request uses, and retire the others."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
            for entry in entries:
                self._retire(entry)


class _Lease:
    """The context of `ClientPool.lease` for a saved endpoint."""

    # A class, not @contextmanager, because every request leases a client
    # and a generator-based manager costs more to enter and leave.
    __slots__ = ("_entry", "_endpoint", "_pool")

    def __init__(self, pool: ClientPool, endpoint: Endpoint):
        self._pool = pool
        self._endpoint = endpoint

    def __enter__(self) -> httpx2.Client:
        self._entry = self._pool._acquire(self._endpoint)
        return self._entry.client

    def __exit__(self, *exc_info: object) -> None:
        self._pool._release(self._entry)


class OneOffClient:
    """A client of its own for one use, closed afterwards."""

    def __init__(self, endpoint: Endpoint, trusted_pem: str | None = None):
        self._client = build_client(endpoint, trusted_pem)

    def __enter__(self) -> httpx2.Client:
        return self._client

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()


clients = ClientPool()
atexit.register(clients.close_all)
