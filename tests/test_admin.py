"""Django admin: every model, secrets masked, the delete guard intact."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from endpoints.models import AuthConfig, Endpoint, Step, StepUsage, Workflow
from tests.conftest import (
    endpoint_form_data,
    error_codes,
    make_basic_endpoint,
    make_custom_header_endpoint,
    make_step,
)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_manager_client(client, manager):
    """The demo's manager: staff, in Endpoint managers, not a superuser."""
    client.force_login(manager)
    return client


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])


def changelist_url(model) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def test_every_model_registered():
    models = apps.get_app_config("endpoints").get_models()

    missing = [
        model.__name__ for model in models if not admin.site.is_registered(model)
    ]

    assert missing == []


def test_every_changelist_opens(admin_client, used_endpoint):
    for model in apps.get_app_config("endpoints").get_models():
        response = admin_client.get(changelist_url(model))

        assert response.status_code == 200, model.__name__


def test_authconfig_shows_secrets_as_set(admin_client, workflow):
    endpoint = make_custom_header_endpoint(
        workflow, token="PLANTED-admin-token-1111", id_value="PLANTED-admin-id-2222"
    )

    response = admin_client.get(change_url(endpoint.auth))

    content = response.content.decode()
    assert "id_value (set), token (set)" in content
    assert "PLANTED-admin" not in content


def test_authconfig_shows_tokens_as_set(admin_client, workflow):
    endpoint = make_basic_endpoint(workflow)
    config = endpoint.auth
    config.access_token = "PLANTED-admin-access-3333"
    config.save()

    response = admin_client.get(change_url(config))

    content = response.content.decode()
    assert "access_token (set)" in content
    assert "PLANTED-admin-access-3333" not in content


def test_authconfig_change_page_read_only(admin_client, endpoint):
    response = admin_client.get(change_url(endpoint.auth))

    content = response.content.decode()
    assert response.context["has_change_permission"] is False
    assert 'name="auth_type"' not in content
    assert 'name="_save"' not in content


def test_authconfig_post_changes_nothing(admin_client, endpoint):
    response = admin_client.post(
        change_url(endpoint.auth), {"auth_type": "none", "params": "{}"}
    )

    assert response.status_code == 403
    assert AuthConfig.objects.get(pk=endpoint.pk).auth_type == "basic"


def test_authconfig_delete_rejected(admin_client, endpoint):
    response = admin_client.post(delete_url(endpoint.auth), {"post": "yes"})

    assert response.status_code == 403
    assert AuthConfig.objects.filter(pk=endpoint.pk).exists()


def test_endpoint_inline_shows_secrets_as_set(admin_client, endpoint):
    response = admin_client.get(change_url(endpoint))

    content = response.content.decode()
    assert "credential (set)" in content
    assert "s3cret-pass" not in content


def test_endpoint_add_rejected(admin_client):
    response = admin_client.get(reverse("admin:endpoints_endpoint_add"))

    assert response.status_code == 403


def test_builtin_change_page_has_no_delete(admin_client, builtin):
    response = admin_client.get(change_url(builtin))

    assert response.status_code == 200
    assert delete_url(builtin).encode() not in response.content


def test_builtin_delete_page_rejected(admin_client, builtin):
    response = admin_client.post(delete_url(builtin), {"post": "yes"})

    assert response.status_code == 403
    assert Endpoint.objects.filter(pk=builtin.pk).exists()


def admin_endpoint_data(endpoint, **overrides) -> dict:
    """Return the admin change form's POST data for an endpoint as loaded."""
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "loaded_version": str(endpoint.version),
        "auth-TOTAL_FORMS": "1",
        "auth-INITIAL_FORMS": "1",
        "auth-0-endpoint": str(endpoint.pk),
    }
    if endpoint.trust_self_signed:
        data["trust_self_signed"] = "on"
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_builtin_name_read_only_in_admin(admin_client, builtin):
    data = admin_endpoint_data(
        builtin, name="Renamed", base_url="https://renamed.example.test"
    )

    admin_client.post(change_url(builtin), data)

    builtin.refresh_from_db()
    assert builtin.name == "Console"
    assert builtin.base_url == "http://127.0.0.1:8000/api"


def test_endpoint_edit_in_admin_saves(admin_client, endpoint):
    data = admin_endpoint_data(
        endpoint, name="Tickets v2", base_url="https://tickets.example.test/v2"
    )

    response = admin_client.post(change_url(endpoint), data)

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.name == "Tickets v2"
    assert endpoint.version == 2
    assert endpoint.auth.stored_secrets()["credential"]


def test_admin_change_page_carries_version(admin_client, endpoint):
    response = admin_client.get(change_url(endpoint))

    form = response.context["adminform"].form
    assert form["loaded_version"].value() == 1
    assert b'name="loaded_version"' in response.content


@pytest.fixture
def console_client(manager):
    client = Client()
    client.force_login(manager)
    return client


def test_stale_admin_save_rejected(admin_client, console_client, endpoint):
    stale = admin_endpoint_data(endpoint, name="Admin name")
    console_data = endpoint_form_data(
        endpoint, base_url="https://tickets.example.test/console"
    )
    assert (
        console_client.post(endpoint.get_absolute_url(), console_data).status_code
        == 302
    )

    response = admin_client.post(change_url(endpoint), stale)

    assert response.status_code == 200
    assert error_codes(response.context["adminform"].form, "__all__") == [
        "edit_conflict"
    ]
    assert b"Someone else saved this endpoint" in response.content
    endpoint.refresh_from_db()
    assert endpoint.name == "Tickets"
    assert endpoint.base_url == "https://tickets.example.test/console"
    assert endpoint.version == 2


def test_admin_save_without_version_rejected(admin_client, endpoint):
    data = admin_endpoint_data(endpoint, name="Admin name", loaded_version=None)

    response = admin_client.post(change_url(endpoint), data)

    assert error_codes(response.context["adminform"].form, "__all__") == [
        "edit_conflict"
    ]
    endpoint.refresh_from_db()
    assert endpoint.name == "Tickets"


def test_admin_save_with_damaged_version_rejected(admin_client, endpoint):
    data = admin_endpoint_data(endpoint, name="Admin name", loaded_version="1x")

    response = admin_client.post(change_url(endpoint), data)

    assert error_codes(response.context["adminform"].form, "__all__") == [
        "edit_conflict"
    ]
    endpoint.refresh_from_db()
    assert endpoint.name == "Tickets"


def test_console_save_after_admin_conflicts(admin_client, console_client, endpoint):
    console_data = endpoint_form_data(endpoint, name="Console name")
    admin_client.post(change_url(endpoint), admin_endpoint_data(endpoint))

    response = console_client.post(endpoint.get_absolute_url(), console_data)

    assert response.status_code == 409
    endpoint.refresh_from_db()
    assert endpoint.name == "Tickets"


def test_admin_trust_on_http_rejected(admin_client, workflow):
    endpoint = make_basic_endpoint(workflow, base_url="http://localhost/")
    data = admin_endpoint_data(endpoint, trust_self_signed="on")

    response = admin_client.post(change_url(endpoint), data)

    assert error_codes(response.context["adminform"].form, "trust_self_signed") == [
        "trust_needs_https"
    ]
    endpoint.refresh_from_db()
    assert endpoint.trust_self_signed is False


def test_admin_trust_on_builtin_rejected(admin_client, builtin):
    data = admin_endpoint_data(builtin, trust_self_signed="on")

    response = admin_client.post(change_url(builtin), data)

    assert error_codes(response.context["adminform"].form, "trust_self_signed") == [
        "trust_needs_https"
    ]
    builtin.refresh_from_db()
    assert builtin.trust_self_signed is False


def test_admin_trust_on_https_saves(admin_client, endpoint):
    data = admin_endpoint_data(endpoint, trust_self_signed="on")

    response = admin_client.post(change_url(endpoint), data)

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.trust_self_signed is True


def delete_selected(client, model, objects, confirm: bool):
    data = {
        "action": "delete_selected",
        admin.helpers.ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects],
    }
    if confirm:
        data["post"] = "yes"
    return client.post(changelist_url(model), data)


def test_delete_selected_with_builtin_confirm_page(admin_client, workflow, builtin):
    other = make_basic_endpoint(workflow)

    response = delete_selected(admin_client, Endpoint, [builtin, other], False)

    content = response.content.decode()
    assert response.status_code == 200
    assert "the built-in Console endpoint cannot be deleted" in content
    assert 'name="post"' not in content


def test_delete_selected_with_builtin_deletes_nothing(admin_client, workflow, builtin):
    other = make_basic_endpoint(workflow)

    delete_selected(admin_client, Endpoint, [builtin, other], True)

    assert Endpoint.objects.filter(pk=builtin.pk).exists()
    assert Endpoint.objects.filter(pk=other.pk).exists()


def test_delete_selected_unused_endpoints(admin_client, workflow):
    first = make_basic_endpoint(workflow, name="First")
    second = make_basic_endpoint(workflow, name="Second")

    response = delete_selected(admin_client, Endpoint, [first, second], True)

    assert response.status_code == 302
    assert not Endpoint.objects.filter(pk__in=[first.pk, second.pk]).exists()


def test_delete_in_use_shows_protected_page(admin_client, used_endpoint):
    response = admin_client.get(delete_url(used_endpoint))

    content = response.content.decode()
    assert "protected related objects" in content
    assert "Open ticket uses Ticketing as tickets" in content


def test_delete_in_use_post_rejected(admin_client, used_endpoint):
    admin_client.post(delete_url(used_endpoint), {"post": "yes"})

    assert Endpoint.objects.filter(pk=used_endpoint.pk).exists()
    assert used_endpoint.usages.count() == 1


def test_delete_selected_in_use_rejected(admin_client, used_endpoint):
    response = delete_selected(admin_client, Endpoint, [used_endpoint], True)

    assert "protected related objects" in response.content.decode()
    assert Endpoint.objects.filter(pk=used_endpoint.pk).exists()


@pytest.mark.parametrize("user_client", ["admin_client", "staff_manager_client"])
def test_delete_unused_endpoint_in_admin(request, workflow, user_client):
    client = request.getfixturevalue(user_client)
    endpoint = make_basic_endpoint(workflow)

    response = client.post(delete_url(endpoint), {"post": "yes"})

    assert response.status_code == 302
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert not AuthConfig.objects.filter(pk=endpoint.pk).exists()


@pytest.fixture
def busy_workflow(workflow, builtin):
    """A workflow whose steps use its endpoints, the built-in one included."""
    tickets = make_basic_endpoint(workflow)
    make_step(workflow, usages=[(tickets, "tickets"), (builtin, "console")])
    return workflow


@pytest.mark.parametrize("user_client", ["admin_client", "staff_manager_client"])
def test_workflow_delete_page_not_blocked(request, busy_workflow, user_client):
    client = request.getfixturevalue(user_client)

    response = client.get(delete_url(busy_workflow))

    assert response.status_code == 200
    assert response.context["perms_lacking"] == set()
    assert response.context["protected"] == []


@pytest.mark.parametrize("user_client", ["admin_client", "staff_manager_client"])
def test_workflow_delete_in_admin(request, busy_workflow, user_client):
    client = request.getfixturevalue(user_client)

    response = client.post(delete_url(busy_workflow), {"post": "yes"})

    assert response.status_code == 302
    assert not Workflow.objects.filter(pk=busy_workflow.pk).exists()
    assert not Endpoint.objects.filter(workflow_id=busy_workflow.pk).exists()
    assert not Step.objects.filter(workflow_id=busy_workflow.pk).exists()
    assert not StepUsage.objects.exists()


def test_workflow_delete_selected_in_admin(admin_client, busy_workflow):
    other = Workflow.objects.create(name="Other")

    response = delete_selected(admin_client, Workflow, [busy_workflow, other], True)

    assert response.status_code == 302
    assert not Workflow.objects.exists()
    assert not Endpoint.objects.exists()


def test_viewer_cannot_open_admin(viewer_client):
    response = viewer_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
