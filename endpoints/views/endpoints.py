"""Endpoint pages: choose a type and create, edit with its usage, delete."""

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import DetailView, TemplateView

from .. import activity
from ..auth import registry
from ..auth.base import discard_unused_unreadable_tokens
from ..forms import AuthTypeChoiceForm, EndpointForm
from ..models import (
    ActivityEntry,
    AuthConfig,
    AuthTypeLockedError,
    EditConflictError,
    Endpoint,
    StepUsage,
    Workflow,
)
from ..origins import (
    TOKENS_CLEARED_DETAIL,
    CredentialOriginChange,
    new_credential_origin,
    origin_change_details,
    tokens_would_move,
)
from ..runtime.tls import info_from_pem
from . import conflicts, mixins

logger = logging.getLogger(__name__)

AUTH_PREFIX = "auth"


def safe_next_url(request) -> str | None:
    """Return the ``next`` parameter if it points into this console."""
    next_url = request.POST.get("next") or request.GET.get("next")
    if next_url and url_has_allowed_host_and_scheme(
        next_url,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return next_url
    return None


def selectable_type(request) -> str | None:
    """Return the ``auth_type`` parameter if users may choose that type."""
    key = request.POST.get("auth_type") or request.GET.get("auth_type")
    if key and registry.is_registered(key) and registry.get(key).selectable:
        return key
    return None


def usages_of(endpoint: Endpoint):
    return (
        StepUsage.objects.filter(endpoint=endpoint)
        .select_related("step")
        .order_by("step__name_key", "label")
    )


def changed_labels(*forms) -> list[str]:
    """Return the labels of the fields that a submission changed."""
    labels = []
    for form in forms:
        # Fields that do not apply to the submitted data are not submitted
        # (the page disables them), so they look changed but are not.
        skipped = {"version"}
        if hasattr(form, "hidden_fields_for_data"):
            skipped.update(form.hidden_fields_for_data())
        for name in form.changed_data:
            if name not in skipped:
                labels.append(str(form.fields[name].label or name).lower())
    return labels


def count_phrase(count: int, noun: str) -> str:
    """Return "1 step usage" or "3 step usages"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class EndpointFormsMixin:
    """Builds and renders the endpoint form and the auth type's form."""

    template_name = "endpoints/endpoint_form.html"

    def build_forms(self, endpoint: Endpoint, config: AuthConfig, data=None):
        endpoint_form = EndpointForm(data, instance=endpoint)
        auth_form = config.type.get_form(data, prefix=AUTH_PREFIX)
        return endpoint_form, auth_form

    def base_url_accepted(self, endpoint_form, auth_type) -> bool:
        """Return whether the auth type accepts the form's base URL.

        When it does not, the form gets the type's reason on its base URL.
        """
        problem = auth_type.base_url_problem(endpoint_form.instance.target_url)
        if problem is None:
            return True
        endpoint_form.add_error("base_url", problem)
        return False

    def auth_context(self, config: AuthConfig, auth_form) -> dict:
        auth_type = config.type
        return {
            "auth_type": auth_type,
            "auth_form": auth_form,
            "auth_panel_template": auth_type.panel_template,
        }


class EndpointCreateView(
    mixins.ConsolePermissionMixin, EndpointFormsMixin, TemplateView
):
    """Create an endpoint: choose its auth type first, then fill in its fields.

    A ``next`` URL inside the console (a step's form) gets the new endpoint's
    id back as ``add_endpoint``, so that the step can use it at once.
    """

    view_permission = mixins.ADD_ENDPOINT
    change_permission = mixins.ADD_ENDPOINT

    def dispatch(self, request, *args, **kwargs):
        self.workflow = get_object_or_404(Workflow, pk=kwargs["workflow_pk"])
        return super().dispatch(request, *args, **kwargs)

    def chosen_type(self) -> str | None:
        return selectable_type(self.request)

    def get(self, request, *args, **kwargs):
        key = self.chosen_type()
        if key is None:
            return self.render_type_choice(AuthTypeChoiceForm(request.GET or None))
        endpoint = Endpoint(workflow=self.workflow)
        config = AuthConfig(auth_type=key)
        endpoint_form, auth_form = self.build_forms(endpoint, config)
        return self.render_forms(endpoint_form, auth_form, config)

    def post(self, request, *args, **kwargs):
        key = self.chosen_type()
        if key is None:
            return self.render_type_choice(AuthTypeChoiceForm(request.POST))
        endpoint = Endpoint(workflow=self.workflow)
        config = AuthConfig(auth_type=key)
        endpoint_form, auth_form = self.build_forms(endpoint, config, request.POST)
        if not (
            endpoint_form.is_valid()
            and auth_form.is_valid()
            and self.base_url_accepted(endpoint_form, config.type)
        ):
            return self.render_forms(endpoint_form, auth_form, config)

        with transaction.atomic():
            endpoint = endpoint_form.save()
            config.endpoint = endpoint
            auth_form.apply(config)
            config.save()
            activity.record(
                ActivityEntry.Event.CREATED,
                actor=request.user,
                endpoint=endpoint,
                detail=f"Endpoint created with {config.type_label} authentication.",
            )
        logger.info(
            "event=endpoint_created endpoint_id=%s workflow_id=%s auth_type=%s "
            "actor_id=%s",
            endpoint.pk,
            self.workflow.pk,
            key,
            request.user.pk,
        )
        messages.success(request, f"Endpoint “{endpoint.name}” created.")

        next_url = safe_next_url(request)
        if next_url:
            separator = "&" if "?" in next_url else "?"
            query = urlencode({"add_endpoint": endpoint.pk})
            return HttpResponseRedirect(f"{next_url}{separator}{query}")
        return redirect(endpoint)

    def render_type_choice(self, form):
        return self.response_class(
            request=self.request,
            template=["endpoints/endpoint_type_choice.html"],
            context=self.get_context_data(
                choice_form=form,
                auth_types=registry.selectable_types(),
                next_url=safe_next_url(self.request),
            ),
        )

    def render_forms(self, endpoint_form, auth_form, config, **extra):
        context = self.get_context_data(
            endpoint_form=endpoint_form,
            creating=True,
            next_url=safe_next_url(self.request),
            **self.auth_context(config, auth_form),
            **extra,
        )
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("workflow", self.workflow)
        return super().get_context_data(**kwargs)


class EndpointUpdateView(mixins.ConsolePermissionMixin, EndpointFormsMixin, DetailView):
    """Edit an endpoint; shows the steps that use it as the change's impact.

    A save that races another user's save is rejected with 409. The page
    shows the stored version beside the submitted values, which stay in the
    form, so that nothing is lost.
    """

    model = Endpoint
    view_permission = mixins.VIEW_ENDPOINT
    change_permission = mixins.CHANGE_ENDPOINT
    context_object_name = "endpoint"

    def get_queryset(self):
        return Endpoint.objects.select_related("workflow", "auth", "assigned_user")

    def choose_auth_type(self) -> str | None:
        """Apply the auth type a manager is choosing for an imported endpoint.

        Only an endpoint awaiting configuration takes a type from the request,
        and only in memory: saving the form stores it, and the model then
        locks it like any other.
        """
        config = self.object.auth
        if not (config.awaiting_configuration and self.user_can_change()):
            return None
        key = selectable_type(self.request)
        if key is not None:
            config.auth_type = key
        return key

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        self.chosen_type = self.choose_auth_type()
        endpoint_form, auth_form = self.build_forms(self.object, self.object.auth)
        return self.render_forms(endpoint_form, auth_form)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        self.chosen_type = self.choose_auth_type()
        config = self.object.auth
        # Validating a ModelForm writes the submitted values into its
        # instance, so the form gets its own copy and the page's heading and
        # title keep the stored name when the form comes back with errors.
        form_instance = self.get_queryset().get(pk=self.object.pk)
        form_instance.auth = config
        endpoint_form, auth_form = self.build_forms(form_instance, config, request.POST)
        if not (endpoint_form.is_valid() and auth_form.is_valid()):
            return self.render_forms(endpoint_form, auth_form)

        # The endpoint as stored (self.object) against the submitted values,
        # before apply() overwrites the stored settings.
        submitted_type = config.type.with_form_values(auth_form)
        if not self.base_url_accepted(endpoint_form, submitted_type):
            return self.render_forms(endpoint_form, auth_form)
        origin_change = new_credential_origin(
            self.object,
            config.type,
            form_instance,
            submitted_type,
            auth_form.kept_secret_labels(),
        )
        if origin_change is not None:
            return self.render_new_origin(endpoint_form, auth_form, origin_change)
        origin_details = origin_change_details(
            self.object, config.type, form_instance, submitted_type
        )

        expected_version = endpoint_form.cleaned_data.get("version") or 0
        changes = changed_labels(endpoint_form, auth_form)
        if self.chosen_type is not None:
            # Choosing No Authorization keeps the stored type, so the model
            # would not clear the flag by itself.
            config.awaiting_configuration = False
            changes.insert(0, f"auth type chosen: {config.type_label}")
        try:
            with transaction.atomic():
                endpoint = endpoint_form.save(commit=False)
                endpoint.save_version(expected_version)
                # Asked before apply(), which overwrites the stored settings.
                clear_connection = auth_form.clears_tokens()
                if tokens_would_move(config, self.object.base_url, endpoint.base_url):
                    clear_connection = True
                    origin_details.append(TOKENS_CLEARED_DETAIL)
                auth_form.apply(config)
                discarded = discard_unused_unreadable_tokens(config)
                config.save_settings(clear_connection=clear_connection or discarded)
                if changes:
                    activity.record(
                        ActivityEntry.Event.CHANGED,
                        actor=request.user,
                        endpoint=endpoint,
                        detail=" ".join(
                            ["Changed: " + ", ".join(changes) + ".", *origin_details]
                        ),
                    )
        except EditConflictError:
            return self.render_conflict(endpoint_form, auth_form)
        except AuthTypeLockedError:
            current = AuthConfig.objects.get(pk=self.object.pk)
            logger.warning(
                "event=auth_type_choice_conflict endpoint_id=%s actor_id=%s",
                self.object.pk,
                request.user.pk,
            )
            messages.error(
                request,
                f"Someone else chose the auth type of “{self.object.name}” "
                f"meanwhile: it is {current.type_label} now. Nothing was saved; "
                "enter its settings again.",
            )
            return redirect(self.object)

        logger.info(
            "event=endpoint_changed endpoint_id=%s version=%s actor_id=%s",
            endpoint.pk,
            endpoint.version,
            request.user.pk,
        )
        if changes:
            usage_count = usages_of(endpoint).count()
            messages.success(
                request,
                f"Endpoint “{endpoint.name}” saved. The change applies to the "
                f"{count_phrase(usage_count, 'step usage')} listed below."
                if usage_count
                else f"Endpoint “{endpoint.name}” saved. No step uses it yet.",
            )
        else:
            messages.info(request, f"Endpoint “{endpoint.name}” has no changes.")
        return redirect(endpoint)

    def render_new_origin(
        self, endpoint_form, auth_form, change: CredentialOriginChange
    ):
        """Reject a save that would send kept secrets to a new origin.

        The form comes back with every typed value except the secrets, which
        are never rendered, so the error names those to type again.
        """
        message = change.message("save the endpoint for")
        typed = [
            label
            for label in auth_form.typed_secret_labels()
            if label not in change.kept_secrets
        ]
        if typed:
            message += (
                " Type "
                + ", ".join(label.lower() for label in typed)
                + " again too: secret values are never shown again."
            )
        auth_form.add_error(None, message)
        logger.info(
            "event=endpoint_save_rejected endpoint_id=%s reason=new_origin actor_id=%s",
            self.object.pk,
            self.request.user.pk,
        )
        return self.render_forms(endpoint_form, auth_form)

    def render_conflict(self, endpoint_form, auth_form):
        current = Endpoint.objects.select_related("auth").get(pk=self.object.pk)
        chosen_type = getattr(self, "chosen_type", None)
        if chosen_type and current.auth.awaiting_configuration:
            current.auth.auth_type = chosen_type

        logger.warning(
            "event=endpoint_edit_conflict endpoint_id=%s submitted_version=%s "
            "current_version=%s actor_id=%s",
            current.pk,
            endpoint_form.cleaned_data.get("version"),
            current.version,
            self.request.user.pk,
        )

        # Saving the form again is a deliberate overwrite of the version shown.
        data = endpoint_form.data.copy()
        data["version"] = str(current.version)
        # Validating a ModelForm writes the submitted values into its
        # instance, so the form gets its own copy and `current` keeps showing
        # what is stored.
        form_instance = Endpoint.objects.select_related("auth").get(pk=current.pk)
        endpoint_form = EndpointForm(data, instance=form_instance)
        endpoint_form.is_valid()
        auth_form = current.auth.type.get_form(auth_form.data, prefix=AUTH_PREFIX)
        auth_form.is_valid()

        # The heading, title and usage list show the endpoint as stored now.
        self.object = current
        return self.render_forms(
            endpoint_form,
            auth_form,
            conflict=current,
            typed_secrets=auth_form.typed_secret_labels(),
            conflict_rows=conflicts.conflict_rows(current, endpoint_form, auth_form),
            conflict_change=conflicts.last_change(current),
            status=409,
        )

    def render_forms(
        self, endpoint_form, auth_form, conflict=None, status=200, **extra
    ):
        endpoint = self.object
        if not self.user_can_change():
            for form in (endpoint_form, auth_form):
                for form_field in form.fields.values():
                    form_field.disabled = True
        awaiting = endpoint.auth.awaiting_configuration
        chosen_type = getattr(self, "chosen_type", None)
        context = self.get_context_data(
            endpoint_form=endpoint_form,
            workflow=endpoint.workflow,
            usages=usages_of(endpoint),
            conflict=conflict,
            pinned_certificate=info_from_pem(endpoint.pinned_certificate_pem),
            offered_certificate=info_from_pem(endpoint.offered_certificate_pem),
            awaiting=awaiting,
            chosen_type=chosen_type,
            unreadable_fields=endpoint.auth.type.unreadable_fields(),
            show_type_picker=awaiting
            and chosen_type is None
            and self.user_can_change(),
            auth_types=registry.selectable_types(),
            **self.auth_context(endpoint.auth, auth_form),
            **extra,
        )
        return self.render_to_response(context, status=status)


class EndpointDeleteView(mixins.ConsolePermissionMixin, DetailView):
    """Confirm and delete an endpoint that no step uses.

    An endpoint in use lists the steps to change first and stays; the
    database's PROTECT constraint backs this up against a race with a step
    that starts using it between the page and the POST.
    """

    model = Endpoint
    view_permission = mixins.DELETE_ENDPOINT
    change_permission = mixins.DELETE_ENDPOINT
    context_object_name = "endpoint"
    template_name = "endpoints/endpoint_confirm_delete.html"

    def get_queryset(self):
        return Endpoint.objects.select_related("workflow", "auth")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["usages"] = usages_of(self.object)
        context["workflow"] = self.object.workflow
        return context

    def post(self, request, *args, **kwargs):
        self.object = endpoint = self.get_object()
        workflow = endpoint.workflow
        if endpoint.is_builtin:
            messages.error(request, "The built-in Console endpoint cannot be deleted.")
            return self.render_to_response(self.get_context_data(), status=400)
        name = endpoint.name
        if usages_of(endpoint).exists():
            return self.render_in_use(endpoint)
        try:
            with transaction.atomic():
                endpoint.delete()
        except ProtectedError:
            # A step started using the endpoint after the check above.
            return self.render_in_use(endpoint)
        activity.record(
            ActivityEntry.Event.DELETED,
            actor=request.user,
            workflow=workflow,
            endpoint=endpoint,
            detail=f"Endpoint “{name}” deleted.",
        )

        logger.info(
            "event=endpoint_deleted endpoint_id=%s workflow_id=%s actor_id=%s",
            kwargs["pk"],
            workflow.pk,
            request.user.pk,
        )
        messages.success(request, f"Endpoint “{name}” deleted.")
        return redirect(reverse("endpoints:workflow_detail", args=[workflow.pk]))

    def render_in_use(self, endpoint: Endpoint):
        count = usages_of(endpoint).count()
        messages.error(
            self.request,
            f"Endpoint “{endpoint.name}” is used by "
            f"{count_phrase(count, 'step usage')}. Change those steps to another "
            "endpoint before deleting it.",
        )
        return self.render_to_response(self.get_context_data(), status=409)
