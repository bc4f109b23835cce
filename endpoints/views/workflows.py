"""Workflow pages: list, create, edit, delete and export.

The workflow's own page is in workflow_detail.py.
"""

import logging

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import (
    CreateView,
    DeleteView,
    ListView,
    UpdateView,
)

from .. import activity
from ..export import ExportCheckError, build_export
from ..forms import WorkflowForm
from ..models import ActivityEntry, Workflow
from . import mixins
from .imports import IMPORT_PERMISSIONS

logger = logging.getLogger(__name__)


class WorkflowListView(mixins.ConsolePermissionMixin, ListView):
    model = Workflow
    change_permission = mixins.ADD_WORKFLOW
    paginate_by = 50

    def get_queryset(self):
        # Meta.ordering does not apply to queries with GROUP BY.
        return Workflow.objects.annotate(
            endpoint_count=Count("endpoints", distinct=True),
            step_count=Count("steps", distinct=True),
            reconnect_count=Count(
                "endpoints",
                filter=Q(endpoints__auth__reconnect_needed=True),
                distinct=True,
            ),
        ).order_by("name_key", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_import"] = self.request.user.has_perms(IMPORT_PERMISSIONS)
        return context


class WorkflowCreateView(
    mixins.ConsolePermissionMixin, SuccessMessageMixin, CreateView
):
    model = Workflow
    form_class = WorkflowForm
    view_permission = mixins.ADD_WORKFLOW
    change_permission = mixins.ADD_WORKFLOW
    success_message = (
        "Workflow “%(name)s” created, with its built-in Console endpoint. Add the "
        "endpoints its steps call next."
    )

    def form_valid(self, form):
        response = super().form_valid(form)
        activity.record(
            ActivityEntry.Event.CREATED,
            actor=self.request.user,
            workflow=self.object,
            detail="Workflow created.",
        )
        return response


class WorkflowUpdateView(
    mixins.ConsolePermissionMixin, SuccessMessageMixin, UpdateView
):
    model = Workflow
    form_class = WorkflowForm
    view_permission = mixins.CHANGE_WORKFLOW
    change_permission = mixins.CHANGE_WORKFLOW
    success_message = "Workflow “%(name)s” saved."

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.changed_data:
            activity.record(
                ActivityEntry.Event.CHANGED,
                actor=self.request.user,
                workflow=self.object,
                detail="Changed: " + ", ".join(form.changed_data) + ".",
            )
        return response


class WorkflowDeleteView(mixins.ConsolePermissionMixin, DeleteView):
    model = Workflow
    view_permission = mixins.DELETE_WORKFLOW
    change_permission = mixins.DELETE_WORKFLOW
    success_url = reverse_lazy("endpoints:workflow_list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["endpoint_count"] = self.object.endpoints.count()
        context["step_count"] = self.object.steps.count()
        return context

    def form_valid(self, form):
        name = self.object.name
        activity.record(
            ActivityEntry.Event.DELETED,
            actor=self.request.user,
            workflow=self.object,
            detail=f"Workflow “{name}” deleted with its endpoints and steps.",
        )
        response = super().form_valid(form)
        messages.success(
            self.request, f"Workflow “{name}” and its endpoints and steps deleted."
        )
        return response


class WorkflowExportView(mixins.ConsolePermissionMixin, View):
    """Download the workflow as JSON, with every credential cleared."""

    def get(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        try:
            export = build_export(workflow)
        except ExportCheckError as error:
            activity.record(
                ActivityEntry.Event.EXPORTED,
                actor=request.user,
                workflow=workflow,
                outcome=ActivityEntry.Outcome.FAILURE,
                detail=error.activity_detail(),
            )
            messages.error(request, error.user_message())
            return redirect(workflow)

        activity.record(
            ActivityEntry.Event.EXPORTED,
            actor=request.user,
            workflow=workflow,
            detail="Exported with all authentication cleared.",
        )
        response = HttpResponse(export.content, content_type="application/json")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=export.filename
        )
        return response
