"""Secrets: encrypted at rest, write-only in forms, absent from every page."""

import pytest
from django.db import connection
from django.urls import reverse

from endpoints.auth.basic import decode_credential, encode_credential
from endpoints.models import AuthConfig, Endpoint
from tests.conftest import (
    PLANTED_BASIC_PASSWORD,
    PLANTED_ID_VALUE,
    PLANTED_USERNAME,
    endpoint_form_data,
    error_codes,
    make_basic_endpoint,
    make_custom_header_endpoint,
    make_token_endpoint,
)

SECRET_SET_TEXT = "A value is set"


def raw_auth_columns(endpoint_id: int) -> dict[str, bytes]:
    """Read an endpoint's auth row with SQL, as the database stores it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets, params, access_token, refresh_token "
            "FROM endpoints_authconfig WHERE endpoint_id = %s",
            [endpoint_id],
        )
        row = cursor.fetchone()
    columns = {}
    for name, value in zip(
        ["secrets", "params", "access_token", "refresh_token"], row, strict=True
    ):
        if isinstance(value, memoryview):
            value = value.tobytes()
        elif isinstance(value, str):
            value = value.encode()
        columns[name] = value or b""
    return columns


def test_raw_secrets_column_hides_planted_values(planted):
    for name, endpoint in planted.endpoints.items():
        raw = raw_auth_columns(endpoint.pk)

        leaked = planted.find_in(raw["secrets"] + raw["params"])

        assert raw["secrets"], name
        assert leaked == [], name


def test_raw_secrets_column_decrypts_to_planted(planted):
    config = AuthConfig.objects.get(pk=planted.endpoints["Planted header with ID"].pk)

    assert config.stored_secrets()["id_value"] == PLANTED_ID_VALUE


def test_raw_token_columns_encrypted(workflow):
    endpoint = make_token_endpoint(workflow)
    config = endpoint.auth
    config.access_token = "PLANTED-access-token-aa11"
    config.refresh_token = "PLANTED-refresh-token-bb22"
    config.save()

    raw = raw_auth_columns(endpoint.pk)

    assert raw["access_token"]
    assert b"PLANTED-access-token-aa11" not in raw["access_token"]
    assert b"PLANTED-refresh-token-bb22" not in raw["refresh_token"]


def test_basic_stores_only_credential(planted):
    config = planted.endpoints["Planted basic"].auth

    secrets = config.stored_secrets()

    assert set(secrets) == {"credential"}
    assert decode_credential(secrets["credential"]) == (
        PLANTED_USERNAME,
        PLANTED_BASIC_PASSWORD,
    )


def test_basic_password_not_in_params(planted):
    config = planted.endpoints["Planted basic"].auth

    assert set(config.params) == {"username", "preemptive"}


def test_raw_column_hides_basic_credential(planted):
    endpoint = planted.endpoints["Planted basic"]
    credential = encode_credential(PLANTED_USERNAME, PLANTED_BASIC_PASSWORD)

    raw = raw_auth_columns(endpoint.pk)

    assert credential.encode() not in raw["secrets"]


def test_edit_page_says_secret_is_set(manager_client, workflow):
    endpoint = make_basic_endpoint(workflow, password="PLANTED-pw-edit-1234")

    response = manager_client.get(endpoint.get_absolute_url())

    assert SECRET_SET_TEXT in response.content.decode()
    assert b"PLANTED-pw-edit-1234" not in response.content


def test_new_form_says_no_value_set(manager_client, workflow):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])

    response = manager_client.get(url, {"auth_type": "basic"})

    assert "No value is set." in response.content.decode()
    assert SECRET_SET_TEXT not in response.content.decode()


def test_empty_password_keeps_credential(manager_client, workflow, endpoint):
    before = endpoint.auth.stored_secrets()
    data = endpoint_form_data(endpoint, base_url="https://tickets.example.test/v2")

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 302
    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.stored_secrets() == before
    assert Endpoint.objects.get(pk=endpoint.pk).base_url.endswith("/v2")


def test_empty_token_keeps_token(manager_client, workflow):
    endpoint = make_token_endpoint(workflow, token="tok-keep-5678")
    data = endpoint_form_data(endpoint, **{"auth-prefix": "Token"})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 302
    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.stored_secrets() == {"token": "tok-keep-5678"}
    assert config.params["prefix"] == "Token"


def test_typed_token_replaces_token(manager_client, workflow):
    endpoint = make_token_endpoint(workflow, token="tok-old-5678")
    data = endpoint_form_data(endpoint, **{"auth-token_0": "tok-new-9012"})

    manager_client.post(endpoint.get_absolute_url(), data)

    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.stored_secrets() == {"token": "tok-new-9012"}


def test_clear_box_removes_optional_secret(manager_client, workflow):
    endpoint = make_custom_header_endpoint(workflow, id_value="acct-42")
    data = endpoint_form_data(
        endpoint, **{"auth-id_value_1": "on", "auth-id_header_name": ""}
    )

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 302
    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert "id_value" not in config.stored_secrets()
    assert config.stored_secrets()["token"] == "key-123456"


def test_clearing_id_value_needs_header_cleared(manager_client, workflow):
    endpoint = make_custom_header_endpoint(workflow, id_value="acct-42")
    before = endpoint.auth.stored_secrets()
    data = endpoint_form_data(endpoint, **{"auth-id_value_1": "on"})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert error_codes(response.context["auth_form"], "id_value") == [
        "id_value_missing"
    ]
    assert "Enter the ID value, or clear the ID header." in response.content.decode()
    assert AuthConfig.objects.get(pk=endpoint.pk).stored_secrets() == before


def test_clear_box_shown_only_for_optional(manager_client, workflow):
    endpoint = make_custom_header_endpoint(workflow, id_value="acct-42")

    response = manager_client.get(endpoint.get_absolute_url())

    content = response.content.decode()
    assert 'name="auth-id_value_1"' in content
    assert 'name="auth-token_1"' not in content


@pytest.mark.parametrize(
    ("make_endpoint", "field"),
    [
        (make_token_endpoint, "token"),
        (make_custom_header_endpoint, "token"),
        (make_basic_endpoint, "password"),
    ],
)
def test_clearing_required_secret_rejected(
    manager_client, workflow, make_endpoint, field
):
    endpoint = make_endpoint(workflow)
    before = endpoint.auth.stored_secrets()
    data = endpoint_form_data(endpoint, **{f"auth-{field}_1": "on"})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert error_codes(response.context["auth_form"], field) == ["clear_required"]
    assert AuthConfig.objects.get(pk=endpoint.pk).stored_secrets() == before


def test_typing_and_clearing_rejected(manager_client, workflow):
    endpoint = make_custom_header_endpoint(workflow, id_value="acct-42")
    before = endpoint.auth.stored_secrets()
    data = endpoint_form_data(
        endpoint, **{"auth-id_value_0": "acct-43", "auth-id_value_1": "on"}
    )

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert error_codes(response.context["auth_form"], "id_value") == ["set_and_clear"]
    assert AuthConfig.objects.get(pk=endpoint.pk).stored_secrets() == before


def test_new_required_secret_missing_rejected(manager_client, workflow):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    data = {
        "auth_type": "basic",
        "name": "Tickets",
        "base_url": "https://tickets.example.test/api",
        "auth-username": "svc",
    }

    response = manager_client.post(url, data)

    assert error_codes(response.context["auth_form"], "password") == ["required"]
    assert not Endpoint.objects.filter(name="Tickets").exists()


def test_username_change_needs_password(manager_client, workflow, endpoint):
    before = endpoint.auth.stored_secrets()
    data = endpoint_form_data(endpoint, **{"auth-username": "svc-new"})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert error_codes(response.context["auth_form"], "password") == [
        "password_needed_for_username"
    ]
    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.params["username"] == "svc"
    assert config.stored_secrets() == before


def test_username_change_with_password_saves(manager_client, workflow, endpoint):
    data = endpoint_form_data(
        endpoint, **{"auth-username": "svc-new", "auth-password_0": "new-pass-99"}
    )

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 302
    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.params["username"] == "svc-new"
    assert config.stored_secrets() == {
        "credential": encode_credential("svc-new", "new-pass-99")
    }


def test_switching_to_authorization_drops_id(manager_client, workflow):
    endpoint = make_custom_header_endpoint(workflow, id_value="acct-42")
    data = endpoint_form_data(
        endpoint, **{"auth-header": "authorization", "auth-prefix": "Bearer"}
    )

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 302
    config = AuthConfig.objects.get(pk=endpoint.pk)
    assert config.stored_secrets() == {"token": "key-123456"}
    assert "id_header_name" not in config.params


def test_failed_create_does_not_echo_typed_secret(manager_client, workflow):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    data = {
        "auth_type": "token",
        "name": "Chat",
        "base_url": "ftp://chat.example.test",
        "auth-header": "authorization",
        "auth-prefix": "Bearer",
        "auth-token_0": "PLANTED-typed-token-3344",
    }

    response = manager_client.post(url, data)

    assert response.status_code == 200
    assert b"PLANTED-typed-token-3344" not in response.content


def test_failed_edit_does_not_echo_secrets(manager_client, workflow):
    endpoint = make_basic_endpoint(workflow, password="PLANTED-stored-pw-5566")
    data = endpoint_form_data(
        endpoint,
        base_url="ftp://tickets.example.test",
        **{"auth-password_0": "PLANTED-typed-pw-7788"},
    )

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 200
    assert b"PLANTED-stored-pw-5566" not in response.content
    assert b"PLANTED-typed-pw-7788" not in response.content


UNSAVED_TEXT = "The new value you typed was not saved; type it again."


def test_failed_create_warns_typed_secret_lost(manager_client, workflow):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    data = {
        "auth_type": "token",
        "name": "Chat",
        "base_url": "ftp://chat.example.test",
        "auth-header": "authorization",
        "auth-prefix": "Bearer",
        "auth-token_0": "PLANTED-typed-token-3344",
    }

    response = manager_client.post(url, data)

    content = response.content.decode()
    assert content.count(UNSAVED_TEXT) == 1
    assert 'id="id_auth-token_0_unsaved"' in content
    assert "id_auth-token_0_status id_auth-token_0_unsaved" in content


def test_failed_edit_warns_typed_secret_lost(manager_client, workflow, endpoint):
    data = endpoint_form_data(
        endpoint,
        base_url="ftp://tickets.example.test",
        **{"auth-password_0": "PLANTED-typed-pw-7788"},
    )

    response = manager_client.post(endpoint.get_absolute_url(), data)

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_auth-password_0_unsaved"' in content
    assert UNSAVED_TEXT in content
    assert b"PLANTED-typed-pw-7788" not in response.content


def test_failed_edit_untyped_secret_no_warning(manager_client, workflow, endpoint):
    data = endpoint_form_data(endpoint, base_url="ftp://tickets.example.test")

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 200
    assert UNSAVED_TEXT not in response.content.decode()


def test_edit_page_without_post_no_warning(manager_client, endpoint):
    response = manager_client.get(endpoint.get_absolute_url())

    assert UNSAVED_TEXT not in response.content.decode()


def test_secret_of_4096_characters_saves(manager_client, workflow, endpoint):
    password = "p" * 4096
    data = endpoint_form_data(endpoint, **{"auth-password_0": password})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 302
    credential = AuthConfig.objects.get(pk=endpoint.pk).stored_secrets()["credential"]
    assert decode_credential(credential) == ("svc", password)


@pytest.mark.parametrize(
    ("make_endpoint", "field", "fields"),
    [
        (make_basic_endpoint, "password", {}),
        (make_token_endpoint, "token", {}),
        (make_custom_header_endpoint, "id_value", {"id_value": "acct-42"}),
    ],
)
def test_secret_over_4096_characters_rejected(
    manager_client, workflow, make_endpoint, field, fields
):
    endpoint = make_endpoint(workflow, **fields)
    before = endpoint.auth.stored_secrets()
    data = endpoint_form_data(endpoint, **{f"auth-{field}_0": "x" * 4097})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert error_codes(response.context["auth_form"], field) == ["max_length"]
    assert "Use at most 4,096 characters (this value has 4,097)." in (
        response.content.decode()
    )
    assert AuthConfig.objects.get(pk=endpoint.pk).stored_secrets() == before


def test_missing_secret_has_standard_message(manager_client, workflow):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    data = {
        "auth_type": "basic",
        "name": "Tickets",
        "base_url": "https://tickets.example.test/api",
        "auth-username": "svc",
    }

    response = manager_client.post(url, data)

    assert response.context["auth_form"].errors["password"] == [
        "This field is required."
    ]


def test_viewer_secret_field_has_no_keep_hint(viewer_client, endpoint):
    response = viewer_client.get(endpoint.get_absolute_url())

    content = response.content.decode()
    assert "A value is set." in content
    assert "Leave blank to keep it" not in content


def test_manager_secret_field_has_keep_hint(manager_client, endpoint):
    response = manager_client.get(endpoint.get_absolute_url())

    assert "A value is set. Leave blank to keep it." in response.content.decode()


def console_pages(planted) -> list[str]:
    workflow = planted.workflow
    urls = [
        reverse("endpoints:workflow_list"),
        workflow.get_absolute_url(),
        reverse("endpoints:workflow_edit", args=[workflow.pk]),
        reverse("endpoints:workflow_delete", args=[workflow.pk]),
        reverse("endpoints:step_create", args=[workflow.pk]),
        planted.step.get_absolute_url(),
        reverse("endpoints:step_delete", args=[planted.step.pk]),
    ]
    for endpoint in planted.endpoints.values():
        urls.append(endpoint.get_absolute_url())
        urls.append(reverse("endpoints:endpoint_delete", args=[endpoint.pk]))
    return urls


def test_console_pages_show_no_secret(manager_client, planted):
    for url in console_pages(planted):
        response = manager_client.get(url)

        assert response.status_code == 200, url
        assert planted.find_in(response.content) == [], url


def test_viewer_pages_show_no_secret(viewer_client, planted):
    urls = [planted.workflow.get_absolute_url(), planted.step.get_absolute_url()]
    urls += [endpoint.get_absolute_url() for endpoint in planted.endpoints.values()]

    for url in urls:
        response = viewer_client.get(url)

        assert response.status_code == 200, url
        assert planted.find_in(response.content) == [], url


def test_edit_pages_say_every_secret_set(manager_client, planted):
    for endpoint in planted.endpoints.values():
        response = manager_client.get(endpoint.get_absolute_url())

        assert SECRET_SET_TEXT in response.content.decode(), endpoint.name


def admin_pages(planted) -> list[str]:
    urls = [
        reverse("admin:endpoints_endpoint_changelist"),
        reverse("admin:endpoints_authconfig_changelist"),
        reverse("admin:endpoints_step_changelist"),
        reverse("admin:endpoints_stepusage_changelist"),
        reverse("admin:endpoints_activityentry_changelist"),
        reverse("admin:endpoints_workflow_change", args=[planted.workflow.pk]),
        reverse("admin:endpoints_step_change", args=[planted.step.pk]),
    ]
    for endpoint in planted.endpoints.values():
        urls.append(reverse("admin:endpoints_endpoint_change", args=[endpoint.pk]))
        urls.append(reverse("admin:endpoints_authconfig_change", args=[endpoint.pk]))
    return urls


def test_admin_pages_show_no_secret(client, superuser, planted):
    client.force_login(superuser)

    for url in admin_pages(planted):
        response = client.get(url)

        assert response.status_code == 200, url
        assert planted.find_in(response.content) == [], url


def test_admin_search_by_secret_finds_nothing(client, superuser, planted):
    client.force_login(superuser)
    url = reverse("admin:endpoints_endpoint_changelist")

    response = client.get(url, {"q": PLANTED_BASIC_PASSWORD})

    assert response.context["cl"].result_count == 0
