"""The signed-in user's own API tokens: create one, see it once, revoke."""

import logging
from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from .. import activity
from ..forms import ApiTokenForm
from ..models import ActivityEntry, ApiToken

logger = logging.getLogger(__name__)


class ApiTokenListView(TemplateView):
    """List the user's tokens and create new ones.

    A new key is shown in the response to the POST that creates it and
    never again, so it is not put into a redirect, the session or a message.
    """

    template_name = "account/api_tokens.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", ApiTokenForm(user=self.request.user))
        context = super().get_context_data(**kwargs)
        context["tokens"] = ApiToken.objects.filter(user=self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        form = ApiTokenForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)

        days = form.expiry_days()
        expires_at = timezone.now() + timedelta(days=days) if days else None
        with transaction.atomic():
            token, key = ApiToken.objects.issue(
                user=request.user, name=form.cleaned_data["name"], expires_at=expires_at
            )
            activity.record(
                ActivityEntry.Event.TOKEN_CREATED,
                actor=request.user,
                detail=f"API token “{token.name}” ({token.key_prefix}…) created, "
                + (f"expiring in {days} days." if days else "never expiring."),
            )
        logger.info(
            "event=api_token_created token_id=%s user_id=%s", token.pk, request.user.pk
        )

        context = self.get_context_data(
            form=ApiTokenForm(user=request.user), new_token=token, new_key=key
        )
        response = self.render_to_response(context, status=201)
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenRevokeView(View):
    """Revoke one of the user's own tokens."""

    http_method_names = ["post"]

    def post(self, request, pk):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        with transaction.atomic():
            revoked = token.revoke()
            if revoked:
                activity.record(
                    ActivityEntry.Event.TOKEN_REVOKED,
                    actor=request.user,
                    detail=f"API token “{token.name}” ({token.key_prefix}…) revoked.",
                )
        if revoked:
            logger.info(
                "event=api_token_revoked token_id=%s user_id=%s",
                token.pk,
                request.user.pk,
            )
            messages.success(
                request,
                f"Token “{token.name}” revoked. Requests that send it now get 401.",
            )
        else:
            messages.info(request, f"Token “{token.name}” was already revoked.")
        return redirect("endpoints:api_token_list")
