"""List pages run a fixed number of SQL queries, however much they list."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from endpoints.models import Workflow
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
