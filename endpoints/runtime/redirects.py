"""Redirect handling: follow a few redirects, only within one origin.

httpx2 would carry custom headers (a Token endpoint's X-Api-Key, say) along
to another host, so clients never follow redirects themselves. A redirect
to the request's own origin (scheme, host and port) is followed up to
MAX_REDIRECTS times. A redirect to any other origin raises `RedirectError`,
and nothing is sent there.
"""

from __future__ import annotations

import httpx2

from .errors import RedirectError

MAX_REDIRECTS = 5


def send_following_redirects(
    client: httpx2.Client, request: httpx2.Request, auth: httpx2.Auth | None
) -> httpx2.Response:
    """Send ``request`` with ``auth`` and follow same-origin redirects."""
    history: list[httpx2.Response] = []
    response = client.send(request, auth=auth)
    while response.next_request is not None:
        next_request = response.next_request
        if next_request.url.origin != request.url.origin:
            response.close()
            target = next_request.url
            port = target.port or _default_port(target)
            raise RedirectError(
                "The target redirected to another origin "
                f"({target.scheme}://{target.host}:{port}). "
                "The console follows redirects only within the request's own "
                "origin, so nothing was sent there. Point the endpoint's base URL "
                "at the new location if it is expected."
            )
        if len(history) >= MAX_REDIRECTS:
            response.close()
            raise RedirectError(
                f"The target redirected more than {MAX_REDIRECTS} times; the "
                "console stopped following."
            )
        history.append(response)
        response = client.send(next_request, auth=auth)
    response.history = history
    return response


def _default_port(url: httpx2.URL) -> int:
    return 443 if url.scheme == "https" else 80
