"""List pages: order, search and pagination of workflows and endpoints."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from endpoints.models import Workflow
from tests.conftest import make_basic_endpoint, make_step


def test_workflow_list_sorted_by_name(manager_client):
    for name in ["zeta", "Alpha", "mike"]:
        Workflow.objects.create(name=name)

    response = manager_client.get(reverse("endpoints:workflow_list"))

    names = [workflow.name for workflow in response.context["workflow_list"]]
    assert names == ["Alpha", "mike", "zeta"]


def test_workflow_list_counts(manager_client, workflow, used_endpoint):
    response = manager_client.get(reverse("endpoints:workflow_list"))

    [listed] = response.context["workflow_list"]
    assert listed.endpoint_count == 2
    assert listed.step_count == 1


def test_endpoints_sorted_builtin_first(manager_client, workflow):
    for name in ["zulu", "Bravo", "alpha"]:
        make_basic_endpoint(workflow, name=name)

    response = manager_client.get(workflow.get_absolute_url())

    names = [endpoint.name for endpoint in response.context["endpoint_page"]]
    assert names == ["Console", "alpha", "Bravo", "zulu"]


def test_endpoints_show_usage_counts(manager_client, workflow, used_endpoint):
    make_step(workflow, name="Escalate", usages=[(used_endpoint, "tickets")])

    response = manager_client.get(workflow.get_absolute_url())

    counts = {
        endpoint.name: endpoint.usage_count
        for endpoint in response.context["endpoint_page"]
    }
    assert counts == {"Console": 0, "Ticketing": 2}


def test_endpoint_search_by_name_and_url(manager_client, workflow):
    make_basic_endpoint(workflow, name="Tickets")
    make_basic_endpoint(workflow, name="Chat", base_url="https://chat.example.test")

    by_name = manager_client.get(workflow.get_absolute_url(), {"q": "tick"})
    by_url = manager_client.get(workflow.get_absolute_url(), {"q": "chat.example"})

    assert [e.name for e in by_name.context["endpoint_page"]] == ["Tickets"]
    assert [e.name for e in by_url.context["endpoint_page"]] == ["Chat"]


def test_endpoint_pages_split_without_overlap(manager_client, workflow):
    for index in range(120):
        make_basic_endpoint(workflow, name=f"Endpoint {index:03d}")
    url = workflow.get_absolute_url()

    first = manager_client.get(url).context["endpoint_page"]
    second = manager_client.get(url, {"page": 2}).context["endpoint_page"]

    names = [endpoint.name for endpoint in [*first, *second]]
    assert len(first) == 100
    assert len(names) == len(set(names)) == 121
    assert names == ["Console", *sorted(names[1:])]


@pytest.mark.parametrize("query", ["\x00", "Tick\x00ets", "\x00\x1f\x7f", "\x07tick"])
def test_endpoint_search_ignores_control_characters(viewer_client, workflow, query):
    make_basic_endpoint(workflow, name="Tickets")

    response = viewer_client.get(workflow.get_absolute_url(), {"q": query})

    assert response.status_code == 200
    assert "\x00" not in response.context["query"]
    names = [endpoint.name for endpoint in response.context["endpoint_page"]]
    assert "Tickets" in names


def test_endpoint_search_of_nul_lists_all(viewer_client, workflow):
    make_basic_endpoint(workflow, name="Tickets")

    response = viewer_client.get(workflow.get_absolute_url() + "?q=%00")

    assert response.status_code == 200
    assert response.context["query"] == ""
    assert len(response.context["endpoint_page"]) == 2


def test_pages_link_favicon(manager_client):
    response = manager_client.get(reverse("endpoints:workflow_list"))

    assert (
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        in response.content.decode()
    )


def test_favicon_is_a_static_file():
    path = finders.find("favicon.svg")

    assert path is not None
    assert Path(path).read_text().startswith("<svg ")


def test_workflow_delete_page_pluralizes(manager_client, workflow, used_endpoint):
    response = manager_client.get(
        reverse("endpoints:workflow_delete", args=[workflow.pk])
    )

    content = response.content.decode()
    assert "its 2 endpoints, their stored credentials, and its 1 step." in content
