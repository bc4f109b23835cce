"""The admin action that exports the selected workflows."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from endpoints.admin import unique_filenames
from endpoints.models import ActivityEntry, Workflow
from tests.conftest import make_basic_endpoint

CHANGELIST = reverse("admin:endpoints_workflow_changelist")
PLANTED_PASSWORD = "planted-admin-Pa55-6621"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def export_selected(client, *workflows):
    return client.post(
        CHANGELIST,
        {
            "action": "export_workflows",
            "_selected_action": [workflow.pk for workflow in workflows],
        },
    )


def test_export_one_workflow_as_json(admin_client, workflow):
    make_basic_endpoint(workflow, password=PLANTED_PASSWORD)

    response = export_selected(admin_client, workflow)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="Incidents.json"'
    data = json.loads(response.content)
    assert data["workflow"]["name"] == "Incidents"
    assert {endpoint["auth_type"] for endpoint in data["endpoints"]} == {"none"}
    assert PLANTED_PASSWORD.encode() not in response.content


def test_export_several_as_zip(admin_client, workflow):
    other = Workflow.objects.create(name="Billing")
    make_basic_endpoint(other, password=PLANTED_PASSWORD)

    response = export_selected(admin_client, workflow, other)

    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["Billing.json", "Incidents.json"]
    billing = json.loads(archive.read("Billing.json"))
    assert billing["endpoints"][1]["trust_self_signed"] is False
    assert "svc" not in archive.read("Billing.json").decode()


def test_export_records_activity(admin_client, superuser, workflow):
    export_selected(admin_client, workflow)

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.EXPORTED)
    assert entry.workflow == workflow
    assert entry.actor == superuser


def test_export_scans_for_secrets(admin_client, workflow, monkeypatch):
    make_basic_endpoint(workflow, password=PLANTED_PASSWORD)
    monkeypatch.setattr(
        "endpoints.export.export_data",
        lambda exported: {"leak": PLANTED_PASSWORD},
    )

    response = admin_client.post(
        CHANGELIST,
        {"action": "export_workflows", "_selected_action": [workflow.pk]},
        follow=True,
    )

    assert response["Content-Type"].startswith("text/html")
    assert PLANTED_PASSWORD not in response.text
    assert "Nothing was exported" in response.text
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.EXPORTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE


def test_unique_filenames_numbers_repeats():
    names = ["a-b.json", "A-B.json", "c.json", "a-b.json"]

    assert unique_filenames(names) == [
        "a-b.json",
        "A-B (2).json",
        "c.json",
        "a-b (3).json",
    ]
