"""Login throttling, counted in the database so that every process shares it.

Each sign-in whose password is about to be checked first inserts a
`LoginFailure` row and then counts the rows of its username and of its
client address within LOGIN_FAILURE_WINDOW seconds. Over a limit, it
deletes its own row and is rejected before the password is checked.
Otherwise the password is checked: a success deletes the username's rows,
a failure keeps the row. Because the row is inserted before the count,
concurrent attempts in other processes see each other. So no more than the
limit of password checks run within a window. Concurrent attempts near the
limit may all be rejected, but never all let through.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import LoginFailure

logger = logging.getLogger(__name__)


class LoginThrottledError(Exception):
    """Raised when a sign-in is rejected for too many recent failures.

    ``scope`` is ``"username"`` or ``"address"``; ``retry_after`` is the
    number of seconds until a sign-in is accepted again.
    """

    def __init__(self, scope: str, retry_after: int):
        super().__init__(f"Too many failed sign-ins for this {scope}.")
        self.scope = scope
        self.retry_after = retry_after


def client_address(request) -> str:
    """Return the address of the client that sent ``request``.

    Behind a proxy (BEHIND_PROXY) it is the entry of X-Forwarded-For that
    the outermost trusted proxy appended, TRUSTED_PROXY_COUNT from the
    right. Entries further left are what the client sent, so they are
    ignored.
    """
    if request is None:
        return ""
    if settings.BEHIND_PROXY:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        hops = max(settings.TRUSTED_PROXY_COUNT, 1)
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def _digest(kind: str, value: str) -> str:
    return salted_hmac(
        f"endpoints.throttling.{kind}", value, algorithm="sha256"
    ).hexdigest()


def username_digest(username: str) -> str:
    # Letter case and surrounding spaces do not make another username.
    return _digest("username", username.strip().casefold())


def address_digest(address: str) -> str:
    return _digest("address", address)


@dataclass(frozen=True)
class LoginAttempt:
    """A sign-in whose password may be checked; its row counts as a failure."""

    failure_id: int
    username_digest: str

    def succeeded(self) -> None:
        """Forget this attempt and the earlier failures of its username."""
        LoginFailure.objects.filter(
            Q(pk=self.failure_id) | Q(username_digest=self.username_digest)
        ).delete()


def begin_attempt(request, username: str) -> LoginAttempt:
    """Count a sign-in for ``username`` from the request's client.

    Raises `LoginThrottledError` when the username or the address has too
    many failures within the window; the attempt is then not counted.
    """
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    since = now - window
    LoginFailure.objects.filter(created_at__lt=since).delete()

    user_key = username_digest(username)
    address_key = address_digest(client_address(request))
    row = LoginFailure.objects.create(
        username_digest=user_key, address_digest=address_key, created_at=now
    )
    recent = LoginFailure.objects.filter(created_at__gte=since)
    scopes = [
        (
            "username",
            recent.filter(username_digest=user_key),
            settings.LOGIN_FAILURE_LIMIT,
        ),
        (
            "address",
            recent.filter(address_digest=address_key),
            settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        ),
    ]
    for scope, rows, limit in scopes:
        if rows.count() > limit:
            row.delete()
            retry_after = seconds_until_accepted(rows.exclude(pk=row.pk), limit, now)
            logger.warning(
                "event=login_throttled scope=%s retry_after_s=%d", scope, retry_after
            )
            raise LoginThrottledError(scope, retry_after)
    return LoginAttempt(failure_id=row.pk, username_digest=user_key)


def seconds_until_accepted(rows, limit: int, now: datetime) -> int:
    """Return the seconds until fewer than ``limit`` of ``rows`` are recent.

    At least 1: with concurrent attempts still in progress, the stored
    failures may already be fewer than the limit.
    """
    times = list(rows.order_by("created_at").values_list("created_at", flat=True))
    if len(times) < limit:
        return 1
    # Once the oldest failures that keep the count at the limit leave the
    # window, the next sign-in is accepted.
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    expires = times[len(times) - limit] + window
    return max(1, math.ceil((expires - now).total_seconds()))


def describe_wait(seconds: int) -> str:
    """Return "15 minutes", "1 minute" or "40 seconds", rounded up."""
    if seconds >= 60:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} second" if seconds == 1 else f"{seconds} seconds"
