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


@pytest.mark.parametrize("query", ["ärger", "ÄRGER", "strasse"])
def test_endpoint_search_any_letter_case(manager_client, workflow, query):
    make_basic_endpoint(workflow, name="Ärger Straße")
    make_basic_endpoint(workflow, name="Other")

    response = manager_client.get(workflow.get_absolute_url(), {"q": query})

    names = [e.name for e in response.context["endpoint_page"]]
    assert names == ["Ärger Straße"]


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


def test_search_pages_split_without_overlap(manager_client, workflow):
    for index in range(130):
        make_basic_endpoint(workflow, name=f"Match {index:03d}")
    make_basic_endpoint(workflow, name="Other")
    url = workflow.get_absolute_url()

    first = manager_client.get(url, {"q": "match"}).context["endpoint_page"]
    second = manager_client.get(url, {"q": "match", "page": 2}).context["endpoint_page"]

    names = [endpoint.name for endpoint in [*first, *second]]
    assert len(first) == 100
    assert first.paginator.count == 130
    assert first.paginator.num_pages == 2
    assert len(second) == 30
    assert names == [f"Match {index:03d}" for index in range(130)]


def test_search_page_past_last_shows_last(manager_client, workflow):
    for index in range(101):
        make_basic_endpoint(workflow, name=f"Match {index:03d}")

    response = manager_client.get(
        workflow.get_absolute_url(), {"q": "match", "page": 9}
    )

    page = response.context["endpoint_page"]
    assert page.number == 2
    assert [endpoint.name for endpoint in page] == ["Match 100"]


def test_search_with_few_matches_counts_them(manager_client, workflow):
    for index in range(3):
        make_basic_endpoint(workflow, name=f"Match {index}")

    response = manager_client.get(workflow.get_absolute_url(), {"q": "match"})

    page = response.context["endpoint_page"]
    assert page.paginator.count == 3
    assert page.paginator.num_pages == 1
    assert not page.has_next()
    assert [endpoint.usage_count for endpoint in page] == [0, 0, 0]


def test_steps_paginated_by_fifty(manager_client, workflow):
    for index in range(51):
        make_step(workflow, name=f"Step {index:02d}")
    url = workflow.get_absolute_url()

    first = manager_client.get(url).context["step_page"]
    second = manager_client.get(url, {"steps_page": 2}).context["step_page"]

    assert len(first) == 50
    assert [step.name for step in second] == ["Step 50"]


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
