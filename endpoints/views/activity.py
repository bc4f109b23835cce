"""Activity stream pages of a workflow and of one endpoint, newest first."""

from django.shortcuts import get_object_or_404
from django.views.generic import ListView

from ..models import ActivityEntry, Endpoint, Workflow
from . import mixins

VIEW_ACTIVITY = "endpoints.view_activityentry"


class ActivityListView(mixins.ConsolePermissionMixin, ListView):
    """Shared by both pages: one query for the entries, with their actors."""

    template_name = "endpoints/activity_list.html"
    context_object_name = "entries"
    view_permission = VIEW_ACTIVITY
    paginate_by = 50

    def get_queryset(self):
        return (
            ActivityEntry.objects.filter(**self.scope())
            .select_related("actor")
            .order_by("-created_at", "-id")
        )

    def scope(self) -> dict:
        raise NotImplementedError


class WorkflowActivityView(ActivityListView):
    def dispatch(self, request, *args, **kwargs):
        self.workflow = get_object_or_404(Workflow, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def scope(self) -> dict:
        return {"workflow": self.workflow}

    def get_context_data(self, **kwargs):
        kwargs.update(workflow=self.workflow, endpoint=None)
        return super().get_context_data(**kwargs)


class EndpointActivityView(ActivityListView):
    def dispatch(self, request, *args, **kwargs):
        self.endpoint = get_object_or_404(
            Endpoint.objects.select_related("workflow"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def scope(self) -> dict:
        return {"endpoint": self.endpoint}

    def get_context_data(self, **kwargs):
        kwargs.update(workflow=self.endpoint.workflow, endpoint=self.endpoint)
        return super().get_context_data(**kwargs)
