"""The "Send a test request" page of an endpoint.

A manager sends one request through the endpoint, exactly as a step would.
The page shows the status, the response headers as received, the body and
the time taken. Every secret of the endpoint is removed from what the page
shows, and the request's own headers, Authorization among them, are not
shown at all.
"""

import time
from dataclasses import dataclass

import httpx2
from django.shortcuts import get_object_or_404
from django.views.generic import FormView

from .. import activity
from ..forms import SendRequestForm
from ..models import Endpoint
from ..runtime import EndpointError, send_through
from . import mixins

# The start of the body that the page shows, in bytes.
BODY_DISPLAY_BYTES = 64 * 1024


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


def show_response(
    response: httpx2.Response, duration_ms: int, secrets: list[str]
) -> ShownResponse:
    """Return the response's parts as text for the page, without secrets."""
    content = response.content
    encoding = response.charset_encoding or "utf-8"
    try:
        content.decode(encoding)
        decodable = True
    except (UnicodeDecodeError, LookupError):
        decodable = False
        encoding = encoding if _known_encoding(encoding) else "utf-8"
    shown = content[:BODY_DISPLAY_BYTES].decode(encoding, errors="replace")
    headers = [
        (
            name.decode("latin-1"),
            activity.redact(value.decode("latin-1"), secrets),
        )
        for name, value in response.headers.raw
    ]
    url = response.request.url.copy_with(query=None)
    return ShownResponse(
        status_code=response.status_code,
        reason=response.reason_phrase,
        headers=headers,
        body=activity.redact(shown, secrets),
        body_bytes=len(content),
        shown_bytes=min(len(content), BODY_DISPLAY_BYTES),
        truncated=len(content) > BODY_DISPLAY_BYTES,
        encoding=encoding,
        decodable=decodable,
        duration_ms=duration_ms,
        method=response.request.method,
        url=activity.redact(str(url), secrets),
    )


def _known_encoding(name: str) -> bool:
    try:
        "".encode(name)
    except LookupError:
        return False
    return True


class EndpointSendRequestView(mixins.ConsolePermissionMixin, FormView):
    """Send a test request through an endpoint and show the response."""

    form_class = SendRequestForm
    template_name = "endpoints/endpoint_send_request.html"
    view_permission = mixins.CHANGE_ENDPOINT
    change_permission = mixins.CHANGE_ENDPOINT
    initial = {"method": "GET"}

    def dispatch(self, request, *args, **kwargs):
        self.endpoint = get_object_or_404(
            Endpoint.objects.select_related("workflow", "auth"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("endpoint", self.endpoint)
        kwargs.setdefault("workflow", self.endpoint.workflow)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        started = time.perf_counter()
        try:
            response = send_through(
                self.endpoint,
                data["method"],
                data["path"],
                headers=data["headers"],
                content=data["body"].encode() if data["body"] else None,
                acting_user=self.request.user,
                actor=self.request.user,
            )
        except EndpointError as error:
            return self.render_to_response(
                self.get_context_data(form=form, failure=error)
            )

        duration_ms = round((time.perf_counter() - started) * 1000)
        secrets = self.endpoint.auth.type.secret_values()
        shown = show_response(response, duration_ms, secrets)
        return self.render_to_response(self.get_context_data(form=form, shown=shown))
