"""Step pages: create and edit a step with the endpoints it uses, delete."""

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import DeleteView, DetailView, TemplateView

from .. import activity
from ..forms import StepForm, UsageFormSet
from ..models import ActivityEntry, Endpoint, Step, Workflow
from . import mixins
from .endpoints import count_phrase

logger = logging.getLogger(__name__)

# The submit button that saves the step and goes on to create an endpoint.
NEW_ENDPOINT_BUTTON = "save_and_new_endpoint"


class StepFormMixin:
    """Shared handling of the step form and its usage formset."""

    template_name = "endpoints/step_form.html"

    def usage_initial(self, workflow: Workflow) -> list[dict]:
        """Preselect the endpoint just created from this form, if any."""
        endpoint_id = self.request.GET.get("add_endpoint", "")
        if not endpoint_id.isdigit():
            return []
        endpoint = Endpoint.objects.filter(workflow=workflow, pk=endpoint_id).first()
        if endpoint is None:
            return []
        return [{"endpoint": endpoint.pk, "label": endpoint.name}]

    def build_forms(self, step: Step, workflow: Workflow, data=None):
        step_form = StepForm(data, instance=step)
        initial = [] if data is not None else self.usage_initial(workflow)
        formset = UsageFormSet(
            data,
            instance=step,
            workflow=workflow,
            prefix="usages",
            initial=initial,
        )
        if initial:
            formset.extra = len(initial)
        return step_form, formset

    def save_forms(self, step_form, formset, workflow: Workflow, creating: bool):
        with transaction.atomic():
            step = step_form.save(commit=False)
            step.workflow = workflow
            step.save()
            formset.instance = step
            formset.save()
            activity.record(
                ActivityEntry.Event.CREATED
                if creating
                else ActivityEntry.Event.CHANGED,
                actor=self.request.user,
                workflow=workflow,
                detail=f"Step “{step.name}” {'created' if creating else 'saved'} "
                f"using {count_phrase(step.usages.count(), 'endpoint')}.",
            )
        logger.info(
            "event=step_saved step_id=%s workflow_id=%s created=%s actor_id=%s",
            step.pk,
            workflow.pk,
            creating,
            self.request.user.pk,
        )
        return step

    def after_save(self, step: Step, workflow: Workflow):
        if NEW_ENDPOINT_BUTTON in self.request.POST:
            messages.success(
                self.request,
                f"Step “{step.name}” saved. Create the endpoint; you will come "
                "back to the step with it chosen.",
            )
            new_endpoint_url = reverse("endpoints:endpoint_create", args=[workflow.pk])
            step_url = reverse("endpoints:step_edit", args=[step.pk])
            return redirect(f"{new_endpoint_url}?{urlencode({'next': step_url})}")
        messages.success(self.request, f"Step “{step.name}” saved.")
        return redirect(workflow)

    def render_forms(self, step_form, formset, workflow, status=200, **extra):
        context = self.get_context_data(
            form=step_form,
            formset=formset,
            workflow=workflow,
            new_endpoint_button=NEW_ENDPOINT_BUTTON,
            **extra,
        )
        return self.render_to_response(context, status=status)


class StepCreateView(mixins.ConsolePermissionMixin, StepFormMixin, TemplateView):
    view_permission = mixins.ADD_STEP
    change_permission = mixins.ADD_STEP

    def dispatch(self, request, *args, **kwargs):
        self.workflow = get_object_or_404(Workflow, pk=kwargs["workflow_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        step_form, formset = self.build_forms(
            Step(workflow=self.workflow), self.workflow
        )
        return self.render_forms(step_form, formset, self.workflow, creating=True)

    def post(self, request, *args, **kwargs):
        step = Step(workflow=self.workflow)
        step_form, formset = self.build_forms(step, self.workflow, request.POST)
        if not (step_form.is_valid() and formset.is_valid()):
            return self.render_forms(step_form, formset, self.workflow, creating=True)
        step = self.save_forms(step_form, formset, self.workflow, creating=True)
        return self.after_save(step, self.workflow)


class StepUpdateView(mixins.ConsolePermissionMixin, StepFormMixin, DetailView):
    # TODO: steps and workflows have no optimistic locking, unlike endpoints,
    # so when two managers edit one step, the later save wins.
    model = Step
    view_permission = mixins.VIEW_STEP
    change_permission = mixins.CHANGE_STEP
    context_object_name = "step"

    def get_queryset(self):
        return Step.objects.select_related("workflow")

    def get(self, request, *args, **kwargs):
        self.object = step = self.get_object()
        step_form, formset = self.build_forms(step, step.workflow)
        if not self.user_can_change():
            for form in [step_form, *formset.forms]:
                for form_field in form.fields.values():
                    form_field.disabled = True
        return self.render_forms(step_form, formset, step.workflow)

    def post(self, request, *args, **kwargs):
        self.object = step = self.get_object()
        step_form, formset = self.build_forms(step, step.workflow, request.POST)
        if not (step_form.is_valid() and formset.is_valid()):
            return self.render_forms(step_form, formset, step.workflow)
        step = self.save_forms(step_form, formset, step.workflow, creating=False)
        return self.after_save(step, step.workflow)


class StepDeleteView(mixins.ConsolePermissionMixin, DeleteView):
    model = Step
    view_permission = mixins.DELETE_STEP
    change_permission = mixins.DELETE_STEP
    context_object_name = "step"

    def get_queryset(self):
        return Step.objects.select_related("workflow")

    def get_success_url(self):
        return self.object.workflow.get_absolute_url()

    def form_valid(self, form):
        step = self.object
        activity.record(
            ActivityEntry.Event.DELETED,
            actor=self.request.user,
            workflow=step.workflow,
            detail=f"Step “{step.name}” deleted.",
        )
        response = super().form_valid(form)
        messages.success(self.request, f"Step “{step.name}” deleted.")
        return response
