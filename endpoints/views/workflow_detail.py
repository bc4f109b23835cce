"""A workflow's page: its endpoints (searchable, paginated) and its steps.

The page of a workflow with thousands of endpoints and usages stays within
a fixed number of queries, and its rows are formatted in Python by the
console_lists template tags (docs/benchmarks.md has the measurements).
"""

import logging
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Func, IntegerField, OuterRef, Subquery
from django.views.generic import DetailView

from ..models import AuthConfig, Endpoint, Step, StepUsage, Workflow
from ..validators import strip_control_characters
from . import mixins

logger = logging.getLogger(__name__)

ENDPOINTS_PER_PAGE = 100
# Each step row lists all of the step's usages, so a page of steps is
# smaller than a page of endpoints.
STEPS_PER_PAGE = 50
# The maximum number of endpoints that the checklist of endpoints awaiting an
# auth type shows. Any further ones are only counted.
CHECKLIST_MAX_ITEMS = 50


class WorkflowDetailView(mixins.ConsolePermissionMixin, DetailView):
    """A workflow's endpoints (searchable, paginated) and its steps.

    Each page of endpoints and of steps costs a fixed number of queries,
    however large the workflow. One query counts the endpoints, steps and
    endpoints awaiting an auth type. The page's rows are selected next,
    with their usage counts, and the usages of the page's steps are then
    read for those steps only.
    """

    model = Workflow
    change_permission = mixins.CHANGE_ENDPOINT

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = strip_control_characters(self.request.GET.get("q", "")).strip()
        counts = count_workflow_rows(self.object)

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
            # A subquery per row of the page: the endpoint_page_order index
            # gives the order, so only the page's 100 rows are counted.
            .annotate(
                usage_count=count_of(StepUsage.objects.filter(endpoint=OuterRef("pk")))
            )
            .order_by("-is_builtin", "name_key", "pk")
        )
        page_number = self.request.GET.get("page")
        if query:
            endpoints = endpoints.matching(query)
            endpoint_page = search_page(endpoints, page_number)
        else:
            endpoint_page = CountedPaginator(
                endpoints, ENDPOINTS_PER_PAGE, counts.endpoints
            ).get_page(page_number)

        # Plain values: a model instance per step cost more than its row.
        steps = (
            Step.objects.filter(workflow=self.object)
            .order_by("name_key", "pk")
            .values_list("pk", "name", "kind", named=True)
        )
        step_page = CountedPaginator(steps, STEPS_PER_PAGE, counts.steps).get_page(
            self.request.GET.get("steps_page")
        )
        step_page.object_list = step_rows(step_page.object_list)

        # Imported endpoints stay on the checklist until their auth type is
        # chosen.
        awaiting = []
        if counts.awaiting:
            awaiting = Endpoint.objects.filter(
                workflow=self.object, auth__awaiting_configuration=True
            ).only("name", "workflow_id")[:CHECKLIST_MAX_ITEMS]

        context.update(
            awaiting_endpoints=awaiting,
            awaiting_count=counts.awaiting,
            awaiting_hidden=max(counts.awaiting - CHECKLIST_MAX_ITEMS, 0),
            query=query,
            endpoint_page=endpoint_page,
            step_page=step_page,
            can_add_step=self.request.user.has_perm(mixins.ADD_STEP),
            can_change_workflow=self.request.user.has_perm(mixins.CHANGE_WORKFLOW),
            can_delete_workflow=self.request.user.has_perm(mixins.DELETE_WORKFLOW),
        )
        return context


class CountedPaginator(Paginator):
    """A paginator given its count, so that it runs no COUNT query."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        # Replaces Paginator's cached count property on this instance.
        self.count = count


def search_page(endpoints, page_number: str | None) -> Page:
    """Return the requested page of the endpoints that match a search.

    A search usually matches fewer endpoints than fit on one page. The first
    page is then read without a COUNT query, since its rows are all of them.
    """
    if page_number not in (None, "", "1"):
        return Paginator(endpoints, ENDPOINTS_PER_PAGE).get_page(page_number)
    rows = list(endpoints[:ENDPOINTS_PER_PAGE])
    if len(rows) < ENDPOINTS_PER_PAGE:
        return CountedPaginator(rows, ENDPOINTS_PER_PAGE, len(rows)).page(1)
    page = CountedPaginator(endpoints, ENDPOINTS_PER_PAGE, endpoints.count()).page(1)
    page.object_list = rows
    return page


@dataclass(frozen=True)
class WorkflowRowCounts:
    """A workflow's counts of endpoints, steps and endpoints awaiting setup."""

    endpoints: int
    steps: int
    awaiting: int


def count_workflow_rows(workflow: Workflow) -> WorkflowRowCounts:
    """Count a workflow's endpoints, steps and endpoints awaiting an auth type.

    One SQL statement of three scalar subqueries. Three ORM count queries
    took three times as long, almost all of it the ORM's own work (timeit,
    SQLite, a workflow of 1,000 endpoints).
    """
    quote = connection.ops.quote_name
    endpoint = quote(Endpoint._meta.db_table)
    step = quote(Step._meta.db_table)
    auth = quote(AuthConfig._meta.db_table)
    # Only the models' table names, quoted, are put into the text. The id
    # is a parameter.
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {endpoint} WHERE workflow_id = %s), "  # noqa: S608
        f"(SELECT COUNT(*) FROM {step} WHERE workflow_id = %s), "
        f"(SELECT COUNT(*) FROM {auth} INNER JOIN {endpoint} "
        f"ON {endpoint}.id = {auth}.endpoint_id "
        f"WHERE {endpoint}.workflow_id = %s AND {auth}.awaiting_configuration)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workflow.pk] * 3)
        endpoints, steps, awaiting = cursor.fetchone()
    return WorkflowRowCounts(endpoints=endpoints, steps=steps, awaiting=awaiting)


def count_of(queryset) -> Subquery:
    """Return a subquery expression that counts the rows of ``queryset``."""
    # COUNT as a plain function, not the Count aggregate, so that the
    # subquery has no GROUP BY and returns 0, not NULL, for no rows.
    counted = queryset.order_by().annotate(row_count=Func(F("pk"), function="COUNT"))
    return Subquery(counted.values("row_count"), output_field=IntegerField())


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
