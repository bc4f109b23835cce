"""Test Authentication by a request to the base URL, shared by simple types."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx2

from endpoints.redaction import EXCERPT_MARGIN_CHARS

from .base import BODY_EXCERPT_CHARS, AuthTestResult

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext


def excerpt(response: httpx2.Response, limit: int = BODY_EXCERPT_CHARS) -> str:
    """Return the start of a response body as text, for an `AuthTestResult`.

    The text runs EXCERPT_MARGIN_CHARS past ``limit``, because Test
    Authentication removes secrets before it cuts the text to ``limit``.
    """
    chars = limit + EXCERPT_MARGIN_CHARS
    text = response.content[: chars * 4].decode("utf-8", errors="replace")
    return text[:chars]


def classify_response(response: httpx2.Response) -> AuthTestResult:
    """Turn the response to a test request into a Test Authentication result.

    401 and 403 mean the target rejected the credentials. Any other status
    of 400 or more is reported as an HTTP failure, because the credentials
    cannot be judged from it.
    """
    status = response.status_code
    status_line = f"{status} {response.reason_phrase}".strip()
    if status < 400:
        return AuthTestResult(
            ok=True,
            message=f"The target accepted the credentials ({status_line}).",
            status_code=status,
        )
    if status in (401, 403):
        return AuthTestResult(
            ok=False,
            stage="authentication",
            message=f"The target rejected the credentials ({status_line}).",
            status_code=status,
            detail=excerpt(response),
        )
    return AuthTestResult(
        ok=False,
        stage="http",
        message=f"The target answered {status_line}.",
        status_code=status,
        detail=excerpt(response),
    )


def check_base_url(
    context: RequestContext, base_url: str, auth: httpx2.Auth | None
) -> AuthTestResult:
    """Send a GET to the base URL with ``auth`` and classify the answer.

    Redirects within the base URL's origin are followed, as for requests.
    """
    request = context.client.build_request("GET", base_url, timeout=context.timeout)
    response = context.send(request, auth)
    return classify_response(response)
