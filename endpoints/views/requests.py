"""The "Send a test request" page of an endpoint.

A manager sends one request through the endpoint, exactly as a step would.
The page shows the status, the response headers as received, the body and
the time taken. Every secret of the endpoint, and every credential that the
request carried, is removed from what the page shows (see
`endpoints.responses`), and the request's own headers, Authorization among
them, are not shown at all.
"""

import time

from django.shortcuts import get_object_or_404
from django.views.generic import FormView

from ..forms import SendRequestForm
from ..models import Endpoint
from ..responses import BODY_DISPLAY_BYTES, show_response
from ..runtime import EndpointError, send_through
from . import mixins

__all__ = ["BODY_DISPLAY_BYTES", "EndpointSendRequestView"]


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
