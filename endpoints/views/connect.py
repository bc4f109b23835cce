"""Connect, the OAuth 2.0 callback, and Disconnect.

Connect is a POST from the endpoint page: console.js sends it into a popup
window, and without the script (or with popups blocked) it runs in the main
window. It answers with a page that links to the provider and follows the
link by script, because the Content-Security-Policy's form-action 'self'
blocks a form submission that redirects to another origin. The browser
then comes back from the provider to the one callback URL. A failure is
shown on a page of its own, with a link back to the endpoint. A success in
a popup shows a page whose script makes the endpoint page reload and
closes the popup. In the main window it returns to the endpoint page with
a message.
"""

import logging
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from ..auth.oauth.connect import (
    begin_connect,
    complete_connect,
    connect_type,
    disconnect,
)
from ..models import Endpoint
from . import mixins

logger = logging.getLogger(__name__)

CALLBACK_TEMPLATE = "endpoints/oauth_callback.html"
REDIRECT_TEMPLATE = "endpoints/oauth_redirect.html"


class EndpointConnectView(mixins.ConsolePermissionMixin, SingleObjectMixin, View):
    """Start a Connect and send the browser to the provider."""

    model = Endpoint
    view_permission = mixins.CHANGE_ENDPOINT
    change_permission = mixins.CHANGE_ENDPOINT
    http_method_names = ["post"]

    def get_queryset(self):
        return Endpoint.objects.select_related("auth", "workflow")

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        if connect_type(endpoint) is None:
            return HttpResponseBadRequest(
                f"{endpoint.auth.type_label} authentication has no Connect."
            )

        problem = connect_type(endpoint).connect_problem()
        if problem:
            logger.warning(
                "event=oauth_connect_unavailable endpoint_id=%s auth_type=%s",
                endpoint.pk,
                endpoint.auth.auth_type,
            )
            return TemplateResponse(
                request,
                CALLBACK_TEMPLATE,
                {
                    "result": {
                        "ok": False,
                        "title": "Connect is not configured",
                        "message": problem,
                        "endpoint": endpoint,
                        "popup": request.POST.get("popup") == "1",
                    }
                },
                status=503,
            )

        # The session must exist in the database for the callback to match.
        if request.session.session_key is None:
            request.session.save()
        url = begin_connect(
            endpoint,
            user=request.user,
            session_key=request.session.session_key,
            popup=request.POST.get("popup") == "1",
        )
        response = TemplateResponse(
            request,
            REDIRECT_TEMPLATE,
            {
                "endpoint": endpoint,
                "authorization_url": url,
                "provider_host": urlsplit(url).netloc,
            },
        )
        # The link carries a single-use state; no cache may keep it.
        response["Cache-Control"] = "no-store"
        return response


@method_decorator(login_not_required, name="dispatch")
class OAuthCallbackView(View):
    """The provider's redirect back to the console (RFC 6749, 4.1.2).

    The view does its own sign-in check instead of LoginRequiredMiddleware's
    redirect, so that the code never lands in the login page's ``next``
    parameter: a signed-out browser gets a page that explains what to do,
    and nothing is stored.
    """

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            logger.warning("event=oauth_callback_rejected reason=signed_out")
            return self.render(
                ok=False,
                title="Sign in to finish Connect",
                message="You are signed out, so the console could not finish "
                "connecting and stored nothing. Sign in, open the endpoint and "
                "press Connect again.",
                status=401,
                signed_out=True,
            )

        session_key = request.session.session_key or ""
        result = complete_connect(
            request.GET.dict(), user=request.user, session_key=session_key
        )
        if not result.ok:
            logger.warning(
                "event=oauth_callback_rejected reason=%s endpoint_id=%s actor_id=%s",
                result.code,
                result.endpoint.pk if result.endpoint else "-",
                request.user.pk,
            )
        endpoint = result.endpoint
        if result.ok and not result.popup:
            messages.success(request, result.message)
            return redirect(endpoint)
        return self.render(
            ok=result.ok,
            title=result.title,
            message=result.message,
            status=result.status,
            endpoint=endpoint,
            popup=result.popup,
        )

    def render(self, *, status: int, **context):
        return TemplateResponse(
            self.request, CALLBACK_TEMPLATE, {"result": context}, status=status
        )


class EndpointDisconnectView(mixins.ConsolePermissionMixin, SingleObjectMixin, View):
    """Delete the endpoint's tokens; managers only."""

    model = Endpoint
    view_permission = mixins.CHANGE_ENDPOINT
    change_permission = mixins.CHANGE_ENDPOINT
    http_method_names = ["post"]

    def get_queryset(self):
        return Endpoint.objects.select_related("auth", "workflow")

    def post(self, request, *args, **kwargs):
        endpoint = self.get_object()
        if connect_type(endpoint) is None:
            raise PermissionDenied(
                f"{endpoint.auth.type_label} authentication has no Connect."
            )

        disconnect(endpoint, user=request.user)
        messages.success(
            request,
            f"Endpoint “{endpoint.name}” is disconnected: its tokens were deleted. "
            "Press Connect to connect it again.",
        )
        return redirect(endpoint)
