"""Token responses: the parsed token set and its absolute expiry.

Providers send ``expires_in`` as a JSON number (RFC 6749, section 5.1), but
some send it as a string such as ``"3599"``, as ``"3599.0"`` or as ``""``.
`parse_expires_in` accepts a whole number of seconds in either form and
treats anything else as an unknown lifetime, so that a token response never
fails over its expiry. The expiry is stored as an absolute time computed
from the moment the response arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# A whole number of seconds, optionally quoted; "3599.0" is not one.
_SECONDS_RE = re.compile(r"^\s*\+?(\d{1,10})\s*$")


def parse_expires_in(value: Any) -> int | None:
    """Return ``expires_in`` as whole seconds, or None when it is unknown.

    Accepts a non-negative integer or a string of decimal digits. Floats,
    decimal strings, empty strings, booleans and missing values give None:
    the token then counts as valid until the target rejects it.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        match = _SECONDS_RE.match(value)
        return int(match.group(1)) if match else None
    return None


@dataclass(frozen=True)
class TokenSet:
    """What a token response granted, ready to be stored.

    ``refresh_token`` is empty when the response carried none. ``refreshed``
    is true for the response to a refresh, where a missing refresh token
    means "keep the stored one" (RFC 6749, section 6). After any other grant
    it means there is none. ``extra`` holds fields that a vendor preset reads
    from the response, such as an instance URL. Its repr shows no token.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: datetime | None = None
    # The expires_in of the response in seconds, None when it was unknown.
    lifetime: int | None = None
    scope: str = ""
    token_type: str = "Bearer"  # noqa: S105 (a token type, RFC 6750)
    refreshed: bool = False
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def expires_soon(self, now: datetime, skew_seconds: int) -> bool:
        """Return whether the token expires within ``skew_seconds`` of now.

        A token of unknown lifetime never expires soon.
        """
        if self.expires_at is None:
            return False
        return self.expires_at - timedelta(seconds=skew_seconds) <= now


def token_set_from_response(data: dict[str, Any], received_at: datetime) -> TokenSet:
    """Return the token set of a successful token response.

    ``received_at`` is when the response arrived; ``expires_in`` counts
    from then. The caller has checked that ``access_token`` is present.
    """
    expires_in = parse_expires_in(data.get("expires_in"))
    expires_at = (
        received_at + timedelta(seconds=expires_in) if expires_in is not None else None
    )
    scope = data.get("scope")
    if isinstance(scope, list):
        scope = " ".join(str(item) for item in scope)
    refresh_token = data.get("refresh_token")
    return TokenSet(
        access_token=str(data["access_token"]),
        refresh_token=refresh_token if isinstance(refresh_token, str) else "",
        expires_at=expires_at,
        lifetime=expires_in,
        scope=scope if isinstance(scope, str) else "",
        token_type=str(data.get("token_type") or "Bearer"),
    )
