"""The request context that auth types receive from the runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx2

from .redirects import send_following_redirects

if TYPE_CHECKING:
    from endpoints.models import Endpoint


@dataclass(frozen=True)
class RequestContext:
    """What an auth type may use while it authenticates requests.

    ``client`` is the endpoint's client: token and login requests sent
    through it get the same network guard, TLS trust and timeouts as the
    request itself. ``acting_user`` is the user on whose behalf the step
    runs, which the built-in Console endpoint acts as. ``actor`` is whoever
    started the request, for activity entries; it is often the same user.
    ``persist`` is False while Test Authentication runs on values typed but
    not saved: an auth type must then store nothing, such as a new token.
    """

    endpoint: Endpoint
    client: httpx2.Client
    timeout: httpx2.Timeout
    acting_user: Any = None
    actor: Any = None
    persist: bool = True

    def send(
        self, request: httpx2.Request, auth: httpx2.Auth | None = None
    ) -> httpx2.Response:
        """Send ``request`` with ``auth``, following same-origin redirects."""
        return send_following_redirects(self.client, request, auth)
