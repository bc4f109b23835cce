"""Pages, export and import run a fixed number of SQL queries, however
much they list."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from endpoints.export import build_export
from endpoints.importer import import_workflow
from endpoints.models import StepUsage, Workflow
from tests.conftest import (
    make_basic_endpoint,
    make_custom_header_endpoint,
    make_step,
    make_token_endpoint,
)

ENDPOINT_MAKERS = [
    make_basic_endpoint,
    make_token_endpoint,
    make_custom_header_endpoint,
]


def fill_workflow(name: str, endpoint_count: int) -> Workflow:
    """Create a workflow with endpoints of each type, each used by a step."""
    workflow = Workflow.objects.create(name=name)
    endpoints = [
        ENDPOINT_MAKERS[index % len(ENDPOINT_MAKERS)](
            workflow, name=f"Endpoint {index:03d}"
        )
        for index in range(endpoint_count)
    ]
    for start in range(0, endpoint_count, 5):
        group = endpoints[start : start + 5]
        make_step(
            workflow,
            name=f"Step {start:03d}",
            usages=[
                (endpoint, f"label{offset}") for offset, endpoint in enumerate(group)
            ],
        )
    return workflow


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_workflow_page_queries_constant(manager_client):
    small = fill_workflow("Small", 5)
    large = fill_workflow("Large", 200)
    manager_client.get(small.get_absolute_url())

    small_count = count_queries(manager_client, small.get_absolute_url())
    large_count = count_queries(manager_client, large.get_absolute_url())

    assert small_count == large_count


def test_workflow_page_lists_endpoints_and_usages(manager_client):
    workflow = fill_workflow("Small", 5)

    response = manager_client.get(workflow.get_absolute_url())

    content = response.content.decode()
    assert "Endpoint 004" in content
    assert "label4 → Endpoint 004" in content
    assert "1 step usage" in content


def test_workflow_page_second_page_queries(manager_client):
    large = fill_workflow("Large", 200)
    first_page = count_queries(manager_client, large.get_absolute_url())

    second_page = count_queries(manager_client, large.get_absolute_url() + "?page=2")

    assert second_page == first_page


def test_workflow_list_queries_constant(manager_client):
    for index in range(3):
        Workflow.objects.create(name=f"Few {index}")
    url = reverse("endpoints:workflow_list")
    manager_client.get(url)
    few_count = count_queries(manager_client, url)
    for index in range(40):
        fill_workflow(f"Many {index}", 2)

    many_count = count_queries(manager_client, url)

    assert few_count == many_count


def test_workflow_search_queries_constant(manager_client):
    small = fill_workflow("Small", 5)
    large = fill_workflow("Large", 200)
    manager_client.get(small.get_absolute_url() + "?q=Endpoint")

    small_count = count_queries(manager_client, small.get_absolute_url() + "?q=00")
    large_count = count_queries(manager_client, large.get_absolute_url() + "?q=00")

    assert small_count == large_count


def test_workflow_steps_second_page_queries(manager_client):
    large = fill_workflow("Large", 600)
    first_page = count_queries(manager_client, large.get_absolute_url())

    second_page = count_queries(
        manager_client, large.get_absolute_url() + "?steps_page=2"
    )

    assert second_page == first_page


def test_workflow_page_counts_each_usage(manager_client):
    workflow = Workflow.objects.create(name="Counts")
    shared = make_token_endpoint(workflow, name="Shared")
    make_token_endpoint(workflow, name="Unused")
    make_step(workflow, name="First", usages=[(shared, "a"), (shared, "b")])
    make_step(workflow, name="Second", usages=[(shared, "c")])

    response = manager_client.get(workflow.get_absolute_url())

    rows = response.content.decode().split("<tr>")
    shared_row = next(row for row in rows if ">Shared</a>" in row)
    unused_row = next(row for row in rows if ">Unused</a>" in row)
    assert "3 step usages" in shared_row
    assert "0 step usages" in unused_row


def test_workflow_page_escapes_usages(manager_client):
    workflow = Workflow.objects.create(name="Markup")
    endpoint = make_token_endpoint(workflow, name="<i>Chat</i>")
    make_step(workflow, usages=[(endpoint, "chat")])

    content = manager_client.get(workflow.get_absolute_url()).content.decode()

    assert "chat → &lt;i&gt;Chat&lt;/i&gt;" in content
    assert "<i>Chat" not in content


def test_export_queries_constant(db):
    small = fill_workflow("Small", 5)
    large = fill_workflow("Large", 200)

    with CaptureQueriesContext(connection) as small_queries:
        build_export(small)
    with CaptureQueriesContext(connection) as large_queries:
        build_export(large)

    assert len(small_queries) == len(large_queries)


def test_import_queries_constant(db):
    # bulk_create splits its rows into batches of at most 999 parameters on
    # SQLite, about 50 auth configurations, so both sizes fit in one batch.
    small = build_export(fill_workflow("Small", 5)).content
    large = build_export(fill_workflow("Large", 40)).content

    with CaptureQueriesContext(connection) as small_queries:
        import_workflow(small, name="Small copy")
    with CaptureQueriesContext(connection) as large_queries:
        result = import_workflow(large, name="Large copy")

    assert len(small_queries) == len(large_queries)
    assert result.endpoint_count == 40
    assert StepUsage.objects.filter(step__workflow=result.workflow).count() == 40
