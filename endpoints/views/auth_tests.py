"""Test Authentication from the endpoint form, without saving it.

The form's button posts every field here. The test uses the typed base URL,
trust switch and auth values; secret fields left blank fall back to the
stored secrets, but only while the address that they go to is the saved
one (see `refuse_new_origin`). A request from console.js gets only the
result fragment, and any other request gets the whole endpoint page with
the result.
"""

import copy

from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse

from ..models import AuthConfig, Endpoint
from ..runtime.auth_testing import refuse_new_origin, run_auth_test
from . import mixins
from .endpoints import EndpointCreateView, EndpointUpdateView

FRAGMENT_HEADER = "X-Requested-With"
FRAGMENT_TEMPLATE = "endpoints/includes/auth_test_result.html"
TEST_FIELDS = ("base_url", "trust_self_signed")


class AuthTestMixin:
    """Runs the test on a bound endpoint form and auth form."""

    def run_test(self, stored: Endpoint | None, draft: Endpoint, config, forms):
        endpoint_form, auth_form = forms
        endpoint_form.is_valid()
        auth_valid = auth_form.is_valid()
        if any(name in endpoint_form.errors for name in TEST_FIELDS) or not auth_valid:
            return None

        draft.base_url = endpoint_form.cleaned_data["base_url"]
        draft.trust_self_signed = endpoint_form.cleaned_data["trust_self_signed"]
        persist = (
            stored is not None
            and stored.base_url == draft.base_url
            and stored.trust_self_signed == draft.trust_self_signed
        )
        if stored is not None and endpoint_form.certificates_outdated():
            draft.clear_certificates()
        auth_type = config.type.with_form_values(auth_form)
        if stored is not None:
            refusal = refuse_new_origin(
                stored,
                draft,
                auth_type,
                auth_form.kept_secret_labels(),
                actor=self.request.user,
            )
            if refusal is not None:
                return refusal
        return run_auth_test(draft, auth_type, actor=self.request.user, persist=persist)

    def respond(self, result, render_page):
        if self.request.headers.get(FRAGMENT_HEADER) == "fetch":
            status = 200 if result is not None else 400
            return TemplateResponse(
                self.request,
                FRAGMENT_TEMPLATE,
                {"auth_test": result, "auth_test_invalid": result is None},
                status=status,
            )
        return render_page(auth_test=result, auth_test_invalid=result is None)


class EndpointAuthTestView(AuthTestMixin, EndpointUpdateView):
    """Test Authentication on the edit page of a saved endpoint."""

    view_permission = mixins.CHANGE_ENDPOINT
    change_permission = mixins.CHANGE_ENDPOINT
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = stored = self.get_object()
        config = stored.auth
        if config.type.test_description is None:
            return HttpResponseBadRequest(f"{config.type_label} offers no test.")

        draft = copy.copy(stored)
        forms = self.build_forms(draft, config, request.POST)
        result = self.run_test(stored, draft, config, forms)
        return self.respond(result, lambda **extra: self.render_forms(*forms, **extra))


class EndpointCreateAuthTestView(AuthTestMixin, EndpointCreateView):
    """Test Authentication on the form of an endpoint not yet created."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        key = self.chosen_type()
        if key is None:
            return HttpResponseBadRequest("Choose an authentication type first.")
        config = AuthConfig(auth_type=key)
        if config.type.test_description is None:
            return HttpResponseBadRequest(f"{config.type_label} offers no test.")

        draft = Endpoint(workflow=self.workflow)
        forms = self.build_forms(draft, config, request.POST)
        result = self.run_test(None, draft, config, forms)
        return self.respond(
            result, lambda **extra: self.render_forms(*forms, config, **extra)
        )
