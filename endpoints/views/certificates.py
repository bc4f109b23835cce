"""Trusting the new self-signed certificate that an endpoint was offered."""

import logging

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views import View

from .. import activity
from ..models import ActivityEntry, Endpoint
from ..runtime.pinning import trust_offered_certificate
from ..runtime.tls import info_from_pem
from . import mixins

logger = logging.getLogger(__name__)


class EndpointTrustCertificateView(mixins.ConsolePermissionMixin, View):
    """Pin the offered certificate in place of the pinned one (POST only).

    The form sends the fingerprint that the manager saw, so a certificate
    offered after the page was loaded is not trusted unseen.
    """

    view_permission = mixins.CHANGE_ENDPOINT
    change_permission = mixins.CHANGE_ENDPOINT
    http_method_names = ["post"]

    def post(self, request, pk):
        endpoint = get_object_or_404(Endpoint.objects.select_related("workflow"), pk=pk)
        offered = info_from_pem(endpoint.offered_certificate_pem)
        previous = endpoint.pinned_certificate_sha256
        sha256 = request.POST.get("sha256", "")

        if offered is None or not trust_offered_certificate(endpoint, sha256):
            messages.error(
                request,
                f"Endpoint “{endpoint.name}” was offered a different certificate "
                "since the page was loaded, or none. Review the certificate shown "
                "now before trusting it.",
            )
            return redirect(endpoint)

        activity.record(
            ActivityEntry.Event.CHANGED,
            actor=request.user,
            endpoint=endpoint,
            detail=f"Trusted the new self-signed certificate: {offered.describe()}. "
            f"It replaces the certificate with SHA-256 {previous or 'none'}.",
        )
        logger.info(
            "event=certificate_trusted endpoint_id=%s sha256=%s actor_id=%s",
            endpoint.pk,
            offered.sha256,
            request.user.pk,
        )
        messages.success(
            request,
            f"Endpoint “{endpoint.name}” now trusts the certificate with SHA-256 "
            f"{offered.fingerprint}. Requests through it go through again.",
        )
        return redirect(endpoint)
