"""Stored tokens, and the lock that lets one request at a time renew them.

`locked_config` is the one way to change an endpoint's tokens. It holds a
process-wide lock for the endpoint, then opens a transaction and locks the
endpoint's `AuthConfig` row with ``SELECT ... FOR UPDATE``. The caller
re-reads the stored token under the lock, requests a new token only when
that one is still due, and stores it before the transaction ends. So of
many requests whose token expired at once, across threads and across
processes that share the database, exactly one sends a token request, and
the others find its token when they get the lock.

PostgreSQL serialises the processes by the row lock. SQLite ignores
``FOR UPDATE``, so there the thread lock is all there is; console processes
that share one SQLite file may each refresh.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from endpoints.models import CONNECTION_FIELDS, AuthConfig

from .tokens import TokenSet

TOKEN_FIELDS = (*CONNECTION_FIELDS, "updated_at")

_locks_guard = threading.Lock()
_endpoint_locks: dict[int, threading.Lock] = {}


def endpoint_lock(endpoint_id: int) -> threading.Lock:
    """Return the process-wide lock of one endpoint's tokens."""
    with _locks_guard:
        lock = _endpoint_locks.get(endpoint_id)
        if lock is None:
            lock = _endpoint_locks[endpoint_id] = threading.Lock()
        return lock


@contextmanager
def locked_config(endpoint_id: int) -> Iterator[AuthConfig]:
    """Yield the endpoint's configuration, locked until the block ends.

    The block runs in a transaction: what it saves is committed together
    when it ends, and rolled back if it raises.
    """
    with endpoint_lock(endpoint_id), transaction.atomic():
        yield AuthConfig.objects.select_for_update().get(pk=endpoint_id)


def apply_token_set(config: AuthConfig, token_set: TokenSet) -> None:
    """Write a token set into ``config`` without saving it.

    A refresh response without a refresh token keeps the stored one (RFC
    6749, section 6 lets the provider issue a new one or none). A new grant
    without one leaves none, since the old one belonged to an older grant.
    """
    config.access_token = token_set.access_token
    if token_set.refresh_token or not token_set.refreshed:
        config.refresh_token = token_set.refresh_token
    config.token_expires_at = token_set.expires_at
    config.token_lifetime = token_set.lifetime
    if token_set.scope:
        config.granted_scope = token_set.scope
    config.reconnect_needed = False


def save_tokens(config: AuthConfig) -> None:
    """Save only the token fields of ``config``."""
    config.save(update_fields=TOKEN_FIELDS)


def copy_tokens(source: AuthConfig, target: AuthConfig) -> None:
    """Copy the token fields of ``source`` into ``target`` in memory."""
    for name in TOKEN_FIELDS:
        if name == "connected_by":
            target.connected_by_id = source.connected_by_id
        elif name != "updated_at":
            setattr(target, name, getattr(source, name))


# A token that lives less than four times the refresh skew is renewed this
# fraction of its lifetime before it expires, so a 30 s token is used for
# 22.5 s. With the full skew of 60 s it would be due from the start, and
# every request would renew it.
SHORT_LIFETIME_SKEW_FRACTION = 0.25


def refresh_skew(config: AuthConfig, skew_seconds: int) -> float:
    """Return how many seconds before its expiry the token is renewed.

    That is ``skew_seconds``, or SHORT_LIFETIME_SKEW_FRACTION of the token's
    lifetime when that is less. A token stored without a known lifetime
    gets the full skew.
    """
    if config.token_lifetime is None:
        return skew_seconds
    return min(skew_seconds, config.token_lifetime * SHORT_LIFETIME_SKEW_FRACTION)


def token_is_due(
    config: AuthConfig, skew_seconds: int, now: datetime | None = None
) -> bool:
    """Return whether the stored access token is missing or about to expire.

    See `refresh_skew` for how long before its expiry a token is due.
    """
    if not config.access_token:
        return True
    if config.token_expires_at is None:
        return False
    now = now or timezone.now()
    remaining = (config.token_expires_at - now).total_seconds()
    return remaining <= refresh_skew(config, skew_seconds)
