"""Responses through endpoints as the console shows them, without secrets.

The "Send a test request" page and the ``send_request`` command show a
target's status line, headers and body. A target may echo the request's
credentials in any of them, so both remove the endpoint's secrets and the
credentials that the request carried (see `response_secrets`).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from .redaction import redact, redact_excerpt

# The start of the body that the page shows, in bytes.
BODY_DISPLAY_BYTES = 64 * 1024
# The request headers whose values are credentials.
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization")


@dataclass(frozen=True)
class ShownResponse:
    """A response as the page shows it, with secrets removed."""

    status_code: int
    reason: str
    headers: list[tuple[str, str]]
    body: str
    body_bytes: int
    shown_bytes: int
    truncated: bool
    encoding: str
    decodable: bool
    duration_ms: int
    method: str
    url: str


def response_secrets(response: httpx2.Response, secrets: list[str]) -> list[str]:
    """Return ``secrets`` and the credentials that the request carried.

    Some credentials are made per request and stored nowhere, such as the
    built-in Console endpoint's signed user credential, so they are read
    from the Authorization headers of the request and of every request
    that a redirect followed.
    """
    found = list(secrets)
    for request in [
        *(earlier.request for earlier in response.history),
        response.request,
    ]:
        for name in CREDENTIAL_HEADERS:
            for value in request.headers.get_list(name):
                # "Bearer <credential>", or a bare token.
                _scheme, space, credential = value.strip().partition(" ")
                found.append(credential.strip() if space else value.strip())
    return [value for value in found if value]


def show_response(
    response: httpx2.Response, duration_ms: int, secrets: list[str]
) -> ShownResponse:
    """Return the response's parts as text for the page, without secrets."""
    secrets = response_secrets(response, secrets)
    content = response.content
    encoding = response.charset_encoding or "utf-8"
    try:
        content.decode(encoding)
        decodable = True
    except (UnicodeDecodeError, LookupError):
        decodable = False
        encoding = encoding if _known_encoding(encoding) else "utf-8"
    shown_chars = len(content[:BODY_DISPLAY_BYTES].decode(encoding, errors="replace"))
    # The body is searched beyond the shown part, so that the cut cannot
    # leave the start of a secret.
    searched = content[: BODY_DISPLAY_BYTES * 2].decode(encoding, errors="replace")
    # Names too: a target may echo a credential as a header's name.
    headers = [
        (
            redact(name.decode("latin-1"), secrets),
            redact(value.decode("latin-1"), secrets),
        )
        for name, value in response.headers.raw
    ]
    url = response.request.url.copy_with(query=None)
    return ShownResponse(
        status_code=response.status_code,
        reason=redact(response.reason_phrase, secrets),
        headers=headers,
        body=redact_excerpt(searched, secrets, shown_chars),
        body_bytes=len(content),
        shown_bytes=min(len(content), BODY_DISPLAY_BYTES),
        truncated=len(content) > BODY_DISPLAY_BYTES,
        encoding=encoding,
        decodable=decodable,
        duration_ms=duration_ms,
        method=response.request.method,
        url=redact(str(url), secrets),
    )


def _known_encoding(name: str) -> bool:
    try:
        "".encode(name)
    except LookupError:
        return False
    return True
