"""The import page, its auth checklist, and choosing an auth type once."""

import html
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from endpoints.export import build_export
from endpoints.importer import import_workflow
from endpoints.models import (
    ActivityEntry,
    AuthConfig,
    AuthTypeLockedError,
    Endpoint,
    Step,
    StepUsage,
    Workflow,
)
from tests.conftest import make_basic_endpoint

IMPORT_URL = reverse("endpoints:workflow_import")


def row_counts() -> dict[str, int]:
    models = [Workflow, Endpoint, AuthConfig, Step, StepUsage, ActivityEntry]
    return {model.__name__: model.objects.count() for model in models}


def upload(content: bytes, name: str = "incidents.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/json")


@pytest.fixture
def export_content(workflow) -> bytes:
    tickets = make_basic_endpoint(workflow)
    make_basic_endpoint(workflow, name="Billing", base_url="https://billing.test")
    step = Step.objects.create(workflow=workflow, name="Open ticket")
    StepUsage.objects.create(step=step, endpoint=tickets, label="tickets")
    return build_export(workflow).content


@pytest.fixture
def imported(export_content):
    return import_workflow(export_content, name="Imported").workflow


def test_import_page_for_manager(manager_client):
    response = manager_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content


def test_import_page_forbidden_for_viewer(viewer_client):
    response = viewer_client.get(IMPORT_URL)

    assert response.status_code == 403


def test_import_post_forbidden_for_viewer(viewer_client, export_content):
    before = row_counts()

    response = viewer_client.post(IMPORT_URL, {"file": upload(export_content)})

    assert response.status_code == 403
    assert row_counts() == before


def test_import_page_needs_login(client, db):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_workflow_list_links_import(manager_client):
    response = manager_client.get(reverse("endpoints:workflow_list"))

    assert IMPORT_URL.encode() in response.content


def test_upload_creates_workflow(manager_client, export_content):
    response = manager_client.post(
        IMPORT_URL, {"file": upload(export_content), "name": "Incidents (copy)"}
    )

    workflow = Workflow.objects.get(name="Incidents (copy)")
    assert response.status_code == 302
    assert response["Location"] == workflow.get_absolute_url()
    assert workflow.endpoints.count() == 3


def test_upload_records_actor(manager_client, manager, export_content):
    manager_client.post(IMPORT_URL, {"file": upload(export_content), "name": "Copy"})

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.IMPORTED)
    assert entry.actor == manager
    assert "incidents.json" in entry.detail


def test_upload_name_clash_offers_name(manager_client, export_content):
    before = row_counts()

    response = manager_client.post(IMPORT_URL, {"file": upload(export_content)})

    assert response.status_code == 400
    assert "A workflow named “Incidents” already exists" in response.text
    assert "enter a new name under “Import as”" in response.text
    assert row_counts() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Incidents", "A workflow named “Incidents” already exists"),
        ("Tab\tinside", "control characters"),
    ],
)
def test_typed_name_problem_on_its_field(manager_client, export_content, name, message):
    Workflow.objects.get_or_create(name="Incidents")

    response = manager_client.post(
        IMPORT_URL, {"file": upload(export_content), "name": name}
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors["name"])
    assert not any("new name:" in problem for problem in response.context["problems"])
    assert re.search(r'aria-describedby="[^"]*\bid_name_error\b', response.text)
    assert 'id="id_name_error"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_upload_lists_problems(manager_client, export_content):
    data = json.loads(export_content)
    data["endpoints"][1]["base_url"] = "ftp://tickets.test"
    data["endpoints"][2]["password"] = "planted-secret-0042"
    before = row_counts()

    response = manager_client.post(
        IMPORT_URL, {"file": upload(json.dumps(data).encode()), "name": "Copy"}
    )

    assert response.status_code == 400
    assert "endpoints[1].base_url: Start the base URL" in response.text
    assert "endpoints[2].password: This is authentication data" in response.text
    assert "planted-secret-0042" not in response.text
    assert row_counts() == before


def test_upload_rejects_not_json(manager_client, db):
    response = manager_client.post(IMPORT_URL, {"file": upload(b"\x89PNG\r\n")})

    assert response.status_code == 400
    assert "not UTF-8" in response.text


def test_upload_without_file(manager_client):
    response = manager_client.post(IMPORT_URL, {"name": "Copy"})

    assert response.status_code == 400
    assert "This field is required." in response.text


def test_upload_over_limit_stops_reading(manager_client, settings, db):
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = 1000
    before = row_counts()

    response = manager_client.post(IMPORT_URL, {"file": upload(b" " * 1001)})

    assert response.status_code == 413
    assert "The file is too large" in response.text
    assert row_counts() == before


def test_upload_over_content_length(manager_client, settings, db):
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = 1000

    response = manager_client.post(IMPORT_URL, {"file": upload(b" " * 40_000)})

    assert response.status_code == 413
    assert "too large (4" in response.text


def test_upload_over_limit_shows_only_the_size(manager_client, settings, db):
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = 1000

    response = manager_client.post(
        IMPORT_URL, {"name": "Copy", "file": upload(b" " * 1001)}
    )

    assert response.status_code == 413
    assert "the limit is 1,000 bytes" in response.text
    assert "This field is required." not in response.text
    assert 'aria-invalid="true"' not in response.text
    assert 'value="Copy"' in response.text


@pytest.mark.parametrize("excess", [1, 40_000], ids=["read", "content_length"])
def test_help_and_error_state_limit_alike(manager_client, settings, db, excess):
    limit = 2 * 1024 * 1024
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = limit
    stated = "2 MiB (2,097,152 bytes)"

    page = manager_client.get(IMPORT_URL)
    response = manager_client.post(
        IMPORT_URL, {"file": upload(b" " * (limit + excess))}
    )

    help_text = f"A .json file written by a workflow's Export, up to {stated}."
    assert html.escape(help_text) in page.text
    assert html.escape(help_text) in response.text
    assert f"the limit is {stated}." in response.text
    # A size in MB, not the letters "MB", which a CSRF token may contain.
    assert re.search(r"\d(\.\d+)? ?MB\b", page.text) is None


def test_file_input_described_by_limit(manager_client):
    response = manager_client.get(IMPORT_URL)

    assert 'id="id_file_helptext"' in response.text
    assert 'aria-describedby="id_file_helptext"' in response.text
    assert "5 MiB (5,242,880 bytes)" in response.text


def test_upload_needs_csrf_token(client, manager, export_content):
    client.force_login(manager)
    client.handler.enforce_csrf_checks = True
    before = row_counts()

    response = client.post(IMPORT_URL, {"file": upload(export_content), "name": "C"})

    assert response.status_code == 403
    assert row_counts() == before


def test_checklist_lists_awaiting_endpoints(manager_client, imported):
    response = manager_client.get(imported.get_absolute_url())

    assert "Authentication to set up" in response.text
    for endpoint in imported.endpoints.filter(is_builtin=False):
        assert endpoint.get_absolute_url() in response.text


def test_checklist_gone_when_configured(manager_client, imported):
    AuthConfig.objects.filter(endpoint__workflow=imported).update(
        awaiting_configuration=False
    )

    response = manager_client.get(imported.get_absolute_url())

    assert "Authentication to set up" not in response.text


def test_checklist_absent_for_new_workflow(manager_client, workflow):
    response = manager_client.get(workflow.get_absolute_url())

    assert "Authentication to set up" not in response.text


def test_create_page_lists_types(manager_client, workflow):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])

    response = manager_client.get(url)

    assert 'value="basic" id="type-basic"' in response.text
    assert '<span class="type-name">Token</span>' in response.text


def test_imported_endpoint_page_says_unconfigured(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")

    response = manager_client.get(endpoint.get_absolute_url())

    assert "No Authorization, not yet configured" in response.text
    assert 'id="choose-auth-type"' in response.text
    assert 'value="basic"' in response.text


def test_viewer_sees_no_type_picker(viewer_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")

    response = viewer_client.get(endpoint.get_absolute_url())

    assert "No Authorization, not yet configured" in response.text
    assert 'id="choose-auth-type"' not in response.text


def test_chosen_type_shows_its_fields(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")

    response = manager_client.get(endpoint.get_absolute_url() + "?auth_type=basic")

    assert 'name="auth-username"' in response.text
    assert 'name="auth_type" value="basic"' in response.text
    assert AuthConfig.objects.get(pk=endpoint.pk).auth_type == "none"


def endpoint_post(endpoint, **extra) -> dict:
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "version": endpoint.version,
    }
    data.update(extra)
    return data


def test_choose_type_once_then_locked(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")
    data = endpoint_post(
        endpoint,
        **{
            "auth_type": "basic",
            "auth-username": "svc",
            "auth-password_0": "new-password-77",
            "auth-preemptive": "on",
        },
    )

    response = manager_client.post(endpoint.get_absolute_url(), data)

    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert response.status_code == 302
    assert config.auth_type == "basic"
    assert not config.awaiting_configuration
    assert config.params["username"] == "svc"
    config.auth_type = "token"
    with pytest.raises(AuthTypeLockedError):
        config.save()


def test_choose_type_ignored_once_locked(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")
    AuthConfig.objects.filter(pk=endpoint.pk).update(awaiting_configuration=False)
    data = endpoint_post(endpoint, auth_type="token", **{"auth-token_0": "tok-999"})

    manager_client.post(endpoint.get_absolute_url(), data)

    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.auth_type == "none"
    assert config.stored_secrets() == {}


def test_choose_no_authorization_clears_flag(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")

    manager_client.post(
        endpoint.get_absolute_url(), endpoint_post(endpoint, auth_type="none")
    )

    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.auth_type == "none"
    assert not config.awaiting_configuration


def test_settings_save_keeps_type_open(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")

    manager_client.post(
        endpoint.get_absolute_url(),
        endpoint_post(endpoint, base_url="https://tickets.example.test/v2"),
    )

    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.awaiting_configuration
    assert config.endpoint.base_url == "https://tickets.example.test/v2"


def test_choice_records_activity(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")

    manager_client.post(
        endpoint.get_absolute_url(), endpoint_post(endpoint, auth_type="none")
    )

    entry = ActivityEntry.objects.get(
        endpoint=endpoint, event=ActivityEntry.Event.CHANGED
    )
    assert "auth type chosen: No Authorization" in entry.detail


def test_viewer_cannot_choose_type(viewer_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")

    response = viewer_client.post(
        endpoint.get_absolute_url(), endpoint_post(endpoint, auth_type="none")
    )

    assert response.status_code == 403
    assert AuthConfig.objects.get(pk=endpoint.pk).awaiting_configuration


def test_checklist_shrinks_after_choice(manager_client, imported):
    endpoint = imported.endpoints.get(name="Tickets")
    manager_client.post(
        endpoint.get_absolute_url(), endpoint_post(endpoint, auth_type="none")
    )

    response = manager_client.get(imported.get_absolute_url())

    checklist = response.text.split('id="auth-checklist"')[1].split("</section>")[0]
    assert "1 imported endpoint has no authentication yet" in checklist
    assert endpoint.get_absolute_url() not in checklist


@pytest.fixture
def legacy_endpoint(workflow, viewer):
    endpoint = make_basic_endpoint(workflow, name="Legacy")
    endpoint.assigned_user = viewer
    endpoint.save()
    return endpoint


def test_assigned_user_shown_deprecated(viewer_client, legacy_endpoint):
    response = viewer_client.get(legacy_endpoint.get_absolute_url())

    assert 'id="assigned-user"' in response.text
    assert "Deprecated" in response.text
    assert "<dd>viewer</dd>" in response.text


def test_assigned_user_absent_when_unset(manager_client, workflow):
    endpoint = make_basic_endpoint(workflow)

    response = manager_client.get(endpoint.get_absolute_url())

    assert 'id="assigned-user"' not in response.text
    assert "clear_assigned_user" not in response.text


def test_assigned_user_can_be_removed(manager_client, legacy_endpoint):
    data = endpoint_post(
        legacy_endpoint, clear_assigned_user="on", **{"auth-username": "svc"}
    )

    manager_client.post(legacy_endpoint.get_absolute_url(), data)

    legacy_endpoint.refresh_from_db()
    assert legacy_endpoint.assigned_user is None


def test_assigned_user_cannot_be_set(manager_client, workflow, manager):
    endpoint = make_basic_endpoint(workflow)
    data = endpoint_post(endpoint, assigned_user=manager.pk, **{"auth-username": "svc"})

    manager_client.post(endpoint.get_absolute_url(), data)

    endpoint.refresh_from_db()
    assert endpoint.assigned_user is None
