"""The activity stream: an entry per change, and never a secret in it."""

from django.urls import reverse

from endpoints import activity
from endpoints.models import ActivityEntry, Step, Workflow
from tests.conftest import (
    PLANTED_BEARER_TOKEN,
    endpoint_form_data,
    make_basic_endpoint,
    make_token_endpoint,
)

Event = ActivityEntry.Event


def entries(event) -> list[ActivityEntry]:
    return list(ActivityEntry.objects.filter(event=event))


def test_endpoint_create_recorded(manager_client, manager, workflow):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    data = {
        "auth_type": "token",
        "name": "Chat",
        "base_url": "https://chat.example.test",
        "auth-header": "authorization",
        "auth-prefix": "Bearer",
        "auth-token_0": "PLANTED-activity-token-7777",
    }

    manager_client.post(url, data)

    [entry] = entries(Event.CREATED)
    assert entry.endpoint.name == "Chat"
    assert entry.workflow == workflow
    assert entry.actor == manager
    assert entry.detail == "Endpoint created with Token authentication."


def test_endpoint_change_recorded(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)
    data = endpoint_form_data(
        endpoint,
        base_url="https://chat.example.test/v2",
        **{"auth-token_0": "PLANTED-activity-new-8888"},
    )

    manager_client.post(endpoint.get_absolute_url(), data)

    [entry] = entries(Event.CHANGED)
    assert entry.endpoint == endpoint
    assert entry.detail == (
        "Changed: base url, token. Base URL changed within its origin "
        "https://chat.example.test:443."
    )
    assert "PLANTED" not in entry.detail


def test_save_without_change_not_recorded(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)

    manager_client.post(endpoint.get_absolute_url(), endpoint_form_data(endpoint))

    assert entries(Event.CHANGED) == []


def test_endpoint_delete_recorded(manager_client, workflow):
    endpoint = make_basic_endpoint(workflow)

    manager_client.post(reverse("endpoints:endpoint_delete", args=[endpoint.pk]))

    [entry] = entries(Event.DELETED)
    assert entry.endpoint is None
    assert entry.endpoint_name == "Tickets"
    assert entry.workflow_name == "Incidents"


def test_export_recorded(manager_client, workflow):
    manager_client.get(reverse("endpoints:workflow_export", args=[workflow.pk]))

    [entry] = entries(Event.EXPORTED)
    assert entry.workflow == workflow
    assert entry.outcome == ActivityEntry.Outcome.SUCCESS


def test_workflow_create_edit_delete_recorded(manager_client):
    manager_client.post(reverse("endpoints:workflow_create"), {"name": "Payroll"})
    workflow = Workflow.objects.get(name="Payroll")
    manager_client.post(
        reverse("endpoints:workflow_edit", args=[workflow.pk]),
        {"name": "Payroll", "description": "Monthly"},
    )
    manager_client.post(reverse("endpoints:workflow_delete", args=[workflow.pk]))

    created, changed, deleted = (
        entries(Event.CREATED),
        entries(Event.CHANGED),
        entries(Event.DELETED),
    )

    assert [entry.detail for entry in created] == ["Workflow created."]
    assert [entry.detail for entry in changed] == ["Changed: description."]
    assert [entry.workflow_name for entry in deleted] == ["Payroll"]


def test_step_create_and_delete_recorded(manager_client, workflow, endpoint):
    data = {
        "name": "Close ticket",
        "kind": Step.Kind.FLOW_STEP,
        "usages-TOTAL_FORMS": "1",
        "usages-INITIAL_FORMS": "0",
        "usages-0-endpoint": str(endpoint.pk),
        "usages-0-label": "tickets",
    }
    manager_client.post(reverse("endpoints:step_create", args=[workflow.pk]), data)
    step = Step.objects.get(name="Close ticket")
    manager_client.post(reverse("endpoints:step_delete", args=[step.pk]))

    [created] = entries(Event.CREATED)
    [deleted] = entries(Event.DELETED)

    assert created.detail == "Step “Close ticket” created using 1 endpoint."
    assert deleted.detail == "Step “Close ticket” deleted."


def test_record_redacts_stored_secrets(workflow):
    endpoint = make_token_endpoint(workflow, token=PLANTED_BEARER_TOKEN)

    entry = activity.record(
        Event.REQUEST_FAILED,
        endpoint=endpoint,
        detail=f"Target answered 401 to Bearer {PLANTED_BEARER_TOKEN}.",
    )

    assert entry.detail == "Target answered 401 to Bearer [redacted]."


def test_record_redacts_basic_password(workflow):
    endpoint = make_basic_endpoint(workflow, password="PLANTED-basic-pw-9999")

    entry = activity.record(
        Event.TESTED, endpoint=endpoint, detail="pw PLANTED-basic-pw-9999 rejected"
    )

    assert "PLANTED-basic-pw-9999" not in entry.detail


def test_record_redacts_extra_secrets(workflow):
    entry = activity.record(
        Event.TESTED,
        workflow=workflow,
        detail="typed PLANTED-typed-1010",
        extra_secrets=["PLANTED-typed-1010"],
    )

    assert entry.detail == "typed [redacted]"


def test_planted_activity_has_no_secret(manager_client, planted):
    for endpoint in planted.endpoints.values():
        manager_client.post(
            endpoint.get_absolute_url(),
            # The same origin, since stored secrets may not move to another.
            endpoint_form_data(endpoint, base_url=endpoint.base_url + "/changed"),
        )
    unused = planted.endpoints["Planted header"]
    manager_client.post(reverse("endpoints:endpoint_delete", args=[unused.pk]))
    manager_client.get(reverse("endpoints:workflow_export", args=[planted.workflow.pk]))

    details = " ".join(ActivityEntry.objects.values_list("detail", flat=True))

    assert set(ActivityEntry.objects.values_list("event", flat=True)) == {
        Event.CREATED,
        Event.CHANGED,
        Event.DELETED,
        Event.EXPORTED,
    }
    assert planted.find_in(details) == []
