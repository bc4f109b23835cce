"""The httpx2 transport of endpoint clients: guarded sockets, bounded bodies.

httpx2's own HTTPTransport offers no way to choose httpcore2's network
backend, so this transport builds the httpcore2 connection pool itself with
`GuardedBackend`. It maps httpcore2's exceptions onto httpx2's, as
HTTPTransport does, and lets the project's errors through unchanged.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator
from typing import NoReturn

import httpcore2
import httpx2

from .errors import ResponseTooLargeError
from .network import GuardedBackend, NetworkGuard

# Most specific first: each httpcore2 exception becomes the first httpx2
# exception whose httpcore2 counterpart it is an instance of.
_EXCEPTION_MAP: tuple[tuple[type[Exception], type[httpx2.HTTPError]], ...] = (
    (httpcore2.ConnectTimeout, httpx2.ConnectTimeout),
    (httpcore2.ReadTimeout, httpx2.ReadTimeout),
    (httpcore2.WriteTimeout, httpx2.WriteTimeout),
    (httpcore2.PoolTimeout, httpx2.PoolTimeout),
    (httpcore2.TimeoutException, httpx2.TimeoutException),
    (httpcore2.ConnectError, httpx2.ConnectError),
    (httpcore2.ReadError, httpx2.ReadError),
    (httpcore2.WriteError, httpx2.WriteError),
    (httpcore2.NetworkError, httpx2.NetworkError),
    (httpcore2.UnsupportedProtocol, httpx2.UnsupportedProtocol),
    (httpcore2.LocalProtocolError, httpx2.LocalProtocolError),
    (httpcore2.RemoteProtocolError, httpx2.RemoteProtocolError),
    (httpcore2.ProtocolError, httpx2.ProtocolError),
)


def _raise_as_httpx(error: Exception) -> NoReturn:
    """Raise the httpx2 exception for an httpcore2 one, or ``error`` itself."""
    # Called from plain except blocks: a generator-based context manager
    # around every request and body costs a few microseconds each time.
    for core_class, httpx_class in _EXCEPTION_MAP:
        if isinstance(error, core_class):
            raise httpx_class(str(error)) from error
    raise error


class _LimitedStream(httpx2.SyncByteStream):
    """A response body that raises once it exceeds ``limit`` bytes."""

    def __init__(self, stream: Iterable[bytes], limit: int):
        self._stream = stream
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        try:
            for chunk in self._stream:
                received += len(chunk)
                if received > self._limit:
                    raise ResponseTooLargeError(self._limit)
                yield chunk
        except Exception as error:
            _raise_as_httpx(error)

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx2.BaseTransport):
    """Send requests over guarded connections, with a bounded body size.

    NOTE: ``max_response_bytes`` counts the body as received, before any
    Content-Encoding is decoded, so a gzip body may decode to far more.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        guard: NetworkGuard,
        max_response_bytes: int,
        limits: httpx2.Limits,
    ):
        self._max_response_bytes = max_response_bytes
        self._pool = httpcore2.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        core_request = httpcore2.Request(
            method=request.method,
            url=httpcore2.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            core_response = self._pool.handle_request(core_request)
        except Exception as error:
            _raise_as_httpx(error)

        length = _content_length(core_response.headers)
        if length is not None and length > self._max_response_bytes:
            core_response.close()
            raise ResponseTooLargeError(self._max_response_bytes)
        return httpx2.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_LimitedStream(core_response.stream, self._max_response_bytes),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
