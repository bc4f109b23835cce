"""The overall deadline of one use of an endpoint.

httpx2's timeouts bound each connect, read and write on its own, so a
target that sends one byte just before each read times out keeps a request
alive for as long as it likes, past the worker timeout of gunicorn. Each
`EndpointCall.run` therefore opens a `deadline_scope` of
ENDPOINT_REQUEST_DEADLINE seconds. Every socket operation of the runtime
(`DeadlineStream`, `bounded_timeout`) waits at most until the deadline,
which covers token requests, retries, redirects and reading the body.

The deadline is kept in a context variable, so each thread has its own, and
a pooled connection obeys the deadline of the request that uses it.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass

import httpcore2
import httpx2

from .errors import DeadlineExceededError
from .settings_cache import runtime_settings


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock by which a use of an endpoint ends."""

    seconds: float
    expires_at: float

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()


_current: ContextVar[Deadline | None] = ContextVar("endpoint_deadline", default=None)


def deadline_seconds() -> float:
    """Return ENDPOINT_REQUEST_DEADLINE, in seconds."""
    return runtime_settings().request_deadline


def deadline_scope(seconds: float | None = None) -> DeadlineScope:
    """Bound the socket operations inside the block by a deadline.

    ``seconds`` defaults to ENDPOINT_REQUEST_DEADLINE. Inside another scope
    the earlier of the two deadlines applies. The ``with`` statement binds
    the `Deadline`.
    """
    return DeadlineScope(seconds)


class DeadlineScope:
    """The context manager of `deadline_scope`."""

    # A class, not @contextmanager, because every request opens a scope and
    # a generator-based manager costs more to enter and leave.
    __slots__ = ("_seconds", "_token")

    def __init__(self, seconds: float | None = None):
        self._seconds = seconds

    def __enter__(self) -> Deadline:
        seconds = deadline_seconds() if self._seconds is None else self._seconds
        deadline = Deadline(seconds, time.monotonic() + seconds)
        outer = _current.get()
        if outer is not None and outer.expires_at <= deadline.expires_at:
            deadline = outer
        self._token = _current.set(deadline)
        return deadline

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self._token)


def current_deadline() -> Deadline | None:
    return _current.get()


def limit_timeout(timeout: httpx2.Timeout) -> httpx2.Timeout:
    """Return ``timeout`` with no part longer than ENDPOINT_REQUEST_DEADLINE.

    A part that is None (no limit) becomes the deadline.
    """
    ceiling = deadline_seconds()

    def limited(value: float | None) -> float:
        return ceiling if value is None else min(value, ceiling)

    return httpx2.Timeout(
        connect=limited(timeout.connect),
        read=limited(timeout.read),
        write=limited(timeout.write),
        pool=limited(timeout.pool),
    )


def bounded_timeout(timeout: float | None, where: str) -> tuple[float | None, bool]:
    """Return the timeout for one socket operation, and whether it was cut.

    The timeout is cut to the time left before the current deadline. When
    none is left, raises `DeadlineExceededError` naming ``where`` (host and
    port) at once.
    """
    deadline = _current.get()
    if deadline is None:
        return timeout, False
    remaining = deadline.remaining()
    if remaining <= 0:
        raise DeadlineExceededError(deadline.seconds, where)
    if timeout is None or remaining < timeout:
        return remaining, True
    return timeout, False


def deadline_error(where: str) -> DeadlineExceededError:
    """Return the error for an operation cut by the current deadline."""
    deadline = _current.get()
    assert deadline is not None
    return DeadlineExceededError(deadline.seconds, where)


class DeadlineStream(httpcore2.NetworkStream):
    """A network stream whose reads and writes end by the current deadline.

    An operation whose timeout was cut to the deadline and that times out
    raises `DeadlineExceededError` instead of httpcore2's timeout.
    """

    def __init__(self, stream: httpcore2.NetworkStream, where: str):
        self._stream = stream
        self._where = where

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        bounded, cut = bounded_timeout(timeout, self._where)
        try:
            return self._stream.read(max_bytes, bounded)
        except httpcore2.TimeoutException:
            if cut:
                raise deadline_error(self._where) from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        bounded, cut = bounded_timeout(timeout, self._where)
        try:
            self._stream.write(buffer, bounded)
        except httpcore2.TimeoutException:
            if cut:
                raise deadline_error(self._where) from None
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        # NOTE: the socket timeout bounds each read of the TLS handshake, not
        # the whole handshake. A server that trickles its handshake can hold
        # the request past the deadline, by up to one timeout per read.
        bounded, cut = bounded_timeout(timeout, self._where)
        try:
            stream = self._stream.start_tls(ssl_context, server_hostname, bounded)
        except httpcore2.TimeoutException:
            if cut:
                raise deadline_error(self._where) from None
            raise
        return DeadlineStream(stream, self._where)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)
