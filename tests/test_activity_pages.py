"""Activity stream pages of a workflow and of an endpoint."""

import pytest
from django.urls import reverse

from endpoints import activity
from endpoints.models import ActivityEntry, Workflow
from endpoints.views.activity import ActivityListView
from tests.conftest import make_token_endpoint
from tests.support.pages import edit_form_data


def add_entries(count, **fields):
    for index in range(count):
        activity.record(ActivityEntry.Event.CHANGED, detail=f"entry {index}", **fields)


def workflow_url(workflow):
    return reverse("endpoints:workflow_activity", args=[workflow.pk])


def endpoint_url(endpoint):
    return reverse("endpoints:endpoint_activity", args=[endpoint.pk])


def test_workflow_activity_newest_first(viewer_client, workflow):
    add_entries(3, workflow=workflow)

    response = viewer_client.get(workflow_url(workflow))

    details = [entry.detail for entry in response.context["entries"]]
    assert details[:3] == ["entry 2", "entry 1", "entry 0"]


def test_workflow_activity_only_its_own(viewer_client, workflow):
    other = Workflow.objects.create(name="Other")
    add_entries(1, workflow=other)

    response = viewer_client.get(workflow_url(workflow))

    assert "entry 0" not in response.content.decode()


def test_endpoint_activity_only_its_own(viewer_client, workflow):
    endpoint = make_token_endpoint(workflow)
    other = make_token_endpoint(workflow, name="Other")
    activity.record(ActivityEntry.Event.TESTED, endpoint=endpoint, detail="mine")
    activity.record(ActivityEntry.Event.TESTED, endpoint=other, detail="theirs")

    response = viewer_client.get(endpoint_url(endpoint))

    details = [entry.detail for entry in response.context["entries"]]
    assert details == ["mine"]


def test_activity_shows_who_what_when(viewer_client, workflow, manager):
    endpoint = make_token_endpoint(workflow)
    activity.record(
        ActivityEntry.Event.REQUEST_FAILED,
        actor=manager,
        endpoint=endpoint,
        outcome=ActivityEntry.Outcome.FAILURE,
        detail="GET /x failed at the DNS stage",
    )

    page = viewer_client.get(workflow_url(workflow)).content.decode()

    assert "Request failed" in page
    assert "manager" in page
    assert "GET /x failed at the DNS stage" in page
    assert "Failure" in page
    assert endpoint.get_absolute_url() in page


def test_activity_paginated(viewer_client, workflow):
    add_entries(ActivityListView.paginate_by + 5, workflow=workflow)

    first = viewer_client.get(workflow_url(workflow))
    second = viewer_client.get(workflow_url(workflow), {"page": 2})

    assert len(first.context["entries"]) == ActivityListView.paginate_by
    assert len(second.context["entries"]) == 5
    assert 'rel="next"' in first.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_workflow_activity_query_count(
    viewer_client, workflow, manager, django_assert_num_queries, count
):
    endpoint = make_token_endpoint(workflow)
    add_entries(count, actor=manager, endpoint=endpoint)
    viewer_client.get(workflow_url(workflow))

    # Session, user, permissions, workflow, count and one page of entries.
    with django_assert_num_queries(7):
        viewer_client.get(workflow_url(workflow))


@pytest.mark.parametrize("count", [1, 30])
def test_endpoint_activity_query_count(
    viewer_client, workflow, manager, django_assert_num_queries, count
):
    endpoint = make_token_endpoint(workflow)
    add_entries(count, actor=manager, endpoint=endpoint)
    viewer_client.get(endpoint_url(endpoint))

    with django_assert_num_queries(7):
        viewer_client.get(endpoint_url(endpoint))


def test_workflow_page_links_activity(viewer_client, workflow):
    page = viewer_client.get(workflow.get_absolute_url()).content.decode()

    assert workflow_url(workflow) in page


def test_endpoint_page_links_activity(viewer_client, workflow):
    endpoint = make_token_endpoint(workflow)

    page = viewer_client.get(endpoint.get_absolute_url()).content.decode()

    assert endpoint_url(endpoint) in page


def test_activity_needs_login(client, workflow):
    response = client.get(workflow_url(workflow))

    assert response.status_code == 302


def test_endpoint_changes_listed(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)

    manager_client.post(
        endpoint.get_absolute_url(), edit_form_data(endpoint, name="Renamed chat")
    )

    page = manager_client.get(endpoint_url(endpoint)).content.decode()
    assert "Changed: name." in page
