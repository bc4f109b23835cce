"""Workflow pages: list, create, edit, delete, detail and export."""

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    ListView,
    UpdateView,
)

from .. import activity
from ..export import ExportCheckError, build_export
from ..forms import WorkflowForm
from ..models import ActivityEntry, Endpoint, Step, StepUsage, Workflow
from ..validators import strip_control_characters
from . import mixins
from .imports import IMPORT_PERMISSIONS

logger = logging.getLogger(__name__)

ENDPOINTS_PER_PAGE = 100
STEPS_PER_PAGE = 100
# The maximum number of endpoints that the checklist of endpoints awaiting an
# auth type shows. Any further ones are only counted.
CHECKLIST_MAX_ITEMS = 50


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


class WorkflowDetailView(mixins.ConsolePermissionMixin, DetailView):
    """A workflow's endpoints (searchable, paginated) and its steps.

    Each page of endpoints and of steps costs a fixed number of queries,
    however large the workflow: the page's rows are selected first, and
    their usage counts and usages are then read for those rows only.
    """

    model = Workflow
    change_permission = mixins.CHANGE_ENDPOINT

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = strip_control_characters(self.request.GET.get("q", "")).strip()

        endpoints = (
            Endpoint.objects.filter(workflow=self.object)
            .select_related("auth")
            .only(
                "name",
                "base_url",
                "is_builtin",
                "trust_self_signed",
                "workflow_id",
                "auth__auth_type",
                "auth__params",
                "auth__reconnect_needed",
                "auth__awaiting_configuration",
            )
            .order_by("-is_builtin", "name_key", "pk")
        )
        if query:
            endpoints = endpoints.filter(
                Q(name__icontains=query) | Q(base_url__icontains=query)
            )
        endpoint_page = Paginator(endpoints, ENDPOINTS_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        add_usage_counts(endpoint_page.object_list)

        # Plain values: a model instance per step cost more than its row.
        steps = (
            Step.objects.filter(workflow=self.object)
            .order_by("name_key", "pk")
            .values_list("pk", "name", "kind", named=True)
        )
        step_page = Paginator(steps, STEPS_PER_PAGE).get_page(
            self.request.GET.get("steps_page")
        )
        step_page.object_list = step_rows(step_page.object_list)

        # Imported endpoints stay on the checklist until their auth type is
        # chosen.
        awaiting = Endpoint.objects.filter(
            workflow=self.object, auth__awaiting_configuration=True
        ).only("name", "workflow_id")
        awaiting_count = awaiting.count()

        context.update(
            awaiting_endpoints=awaiting[:CHECKLIST_MAX_ITEMS] if awaiting_count else [],
            awaiting_count=awaiting_count,
            awaiting_hidden=max(awaiting_count - CHECKLIST_MAX_ITEMS, 0),
            query=query,
            endpoint_page=endpoint_page,
            step_page=step_page,
            can_add_step=self.request.user.has_perm(mixins.ADD_STEP),
            can_change_workflow=self.request.user.has_perm(mixins.CHANGE_WORKFLOW),
            can_delete_workflow=self.request.user.has_perm(mixins.DELETE_WORKFLOW),
        )
        return context


def add_usage_counts(endpoints) -> None:
    """Set ``usage_count`` on each endpoint, with one query for all of them.

    Counting in the page's query instead would group every usage of the
    workflow before the page is cut out of the sorted rows.
    """
    endpoints = list(endpoints)
    counts = dict(
        StepUsage.objects.filter(endpoint__in=endpoints)
        .order_by()
        .values("endpoint_id")
        .annotate(count=Count("pk"))
        .values_list("endpoint_id", "count")
    )
    for endpoint in endpoints:
        endpoint.usage_count = counts.get(endpoint.pk, 0)


@dataclass(frozen=True)
class StepRow:
    """A step as the workflow page lists it."""

    pk: int
    name: str
    kind_label: str
    # (label, endpoint name) pairs, sorted by label
    usage_rows: list[tuple[str, str]]


def step_rows(steps) -> list[StepRow]:
    """Return rows for (pk, name, kind) values, with their usages.

    One query reads the usages of every step on the page as plain values,
    sorted by label, since model instances of a page's thousands of usages
    would cost more than the rest of the page.
    """
    steps = list(steps)
    rows: dict[int, list[tuple[str, str]]] = {step.pk: [] for step in steps}
    usages = (
        StepUsage.objects.filter(step__in=[step.pk for step in steps])
        .order_by("step_id", "label")
        .values_list("step_id", "label", "endpoint__name")
    )
    for step_id, label, endpoint_name in usages:
        rows[step_id].append((label, endpoint_name))
    kind_labels = dict(Step.Kind.choices)
    return [
        StepRow(
            pk=step.pk,
            name=step.name,
            kind_label=str(kind_labels.get(step.kind, step.kind)),
            usage_rows=rows[step.pk],
        )
        for step in steps
    ]


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
