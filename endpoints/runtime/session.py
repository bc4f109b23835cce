"""Many requests through one endpoint: `open_endpoint` and `EndpointSession`.

`send` looks the workflow and the endpoint up by name and decrypts the
endpoint's secrets on every call. A step that sends many requests through
one endpoint opens a session instead, which does that once::

    with open_endpoint("Incidents", "tickets") as tickets:
        for number in numbers:
            tickets.send("GET", f"/issues/{number}")

Each request still gets the deadline, the network guard, the TLS trust, the
log line and the activity entries of `send`. The session keeps the values
that it loaded, so it uses a change that a manager saves in the console (or
that another process stores) only after it reloads the endpoint:

- OAuth 2.0 types renew a token that is due under the auth configuration's
  row lock, which rereads the stored tokens first, so a token that another
  process renewed is taken over rather than renewed again.
- A response with status 401 makes the session reload the endpoint from
  the database. When the endpoint, its auth configuration or its stored
  tokens differ from those loaded, the request is sent once more with the
  new values and that response is returned.
- `reload` does the same on request.
"""

from __future__ import annotations

from typing import Any

import httpx2

from endpoints.models import AuthConfig, Endpoint, Workflow

from .api import (
    EndpointCall,
    Headers,
    TimeoutValue,
    resolve_endpoint,
    send_with_call,
)
from .errors import EndpointNotFoundError
from .urls import Params

UNAUTHORIZED = 401


class EndpointSession:
    """An endpoint loaded once for many requests; see the module."""

    def __init__(
        self,
        workflow: Workflow | int | str,
        endpoint: Endpoint | str,
        *,
        timeout: TimeoutValue = None,
        acting_user: Any = None,
        actor: Any = None,
    ):
        self._timeout = timeout
        self._acting_user = acting_user
        self._actor = actor
        self.endpoint = resolve_endpoint(workflow, endpoint)
        self._call = self._new_call(self.endpoint)

    def _new_call(self, endpoint: Endpoint) -> EndpointCall:
        return EndpointCall(
            endpoint,
            timeout=self._timeout,
            acting_user=self._acting_user,
            actor=self._actor,
        )

    def send(
        self,
        method: str,
        path: str = "",
        *,
        params: Params | None = None,
        headers: Headers | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        raise_api_errors: bool = False,
    ) -> httpx2.Response:
        """Send a request through the endpoint, with the arguments of send."""
        arguments = {
            "params": params,
            "headers": headers,
            "json": json,
            "content": content,
            "raise_api_errors": raise_api_errors,
        }
        response = send_with_call(self._call, method, path, **arguments)
        if response.status_code != UNAUTHORIZED or not self.reload():
            return response
        response.close()
        return send_with_call(self._call, method, path, **arguments)

    def reload(self) -> bool:
        """Load the endpoint again and return whether it changed since loaded.

        Raises `EndpointNotFoundError` when the endpoint was deleted.
        """
        current = _by_pk(self.endpoint)
        if _state(current) == _state(self.endpoint):
            return False
        self.endpoint = current
        self._call = self._new_call(current)
        return True

    def close(self) -> None:
        """End the session. Pooled connections stay open for later requests."""

    def __enter__(self) -> EndpointSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_endpoint(
    workflow: Workflow | int | str,
    endpoint: Endpoint | str,
    *,
    timeout: TimeoutValue = None,
    acting_user: Any = None,
    actor: Any = None,
) -> EndpointSession:
    """Return a session for many requests through one endpoint.

    The endpoint is named as for `send`; ``timeout``, ``acting_user`` and
    ``actor`` apply to every request of the session. Raises
    `EndpointNotFoundError` for an unknown name.
    """
    return EndpointSession(
        workflow, endpoint, timeout=timeout, acting_user=acting_user, actor=actor
    )


def _by_pk(endpoint: Endpoint) -> Endpoint:
    found = (
        Endpoint.objects.filter(pk=endpoint.pk)
        .select_related("auth", "workflow")
        .first()
    )
    if found is None:
        raise EndpointNotFoundError(
            f"The endpoint “{endpoint.name}” no longer exists; open a session on "
            "another endpoint."
        )
    return found


def _state(endpoint: Endpoint) -> tuple:
    # What a manager's save or another process's token renewal changes. The
    # token fields are compared by value because a renewal in this session
    # updates them in memory too, and must not count as a change.
    auth: AuthConfig = endpoint.auth
    return (
        endpoint.version,
        endpoint.updated_at,
        auth.auth_type,
        auth.params,
        auth.secrets,
        auth.access_token,
        auth.refresh_token,
        auth.reconnect_needed,
    )
