"""Stored secrets that no key decrypts: a clear error for that endpoint alone.

A secret column may hold garbage, a value encrypted with a key that
FERNET_KEYS no longer lists, or a value that decrypts to something other
than the field's type. Each loads as UNREADABLE. The endpoint's page
explains this and what to do. Requests through it fail without sending
anything, and its form does not drop a secret silently. Every other
endpoint and page keeps working.
"""

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.db import connection
from django.urls import reverse
from fernet_fields.hkdf import derive_fernet_key

from endpoints.auth.basic import encode_credential
from endpoints.fields import UNREADABLE
from endpoints.models import ActivityEntry, AuthConfig
from endpoints.runtime import SecretsUnreadableError, send
from tests.api_support import make_service_account, token_header
from tests.conftest import (
    endpoint_form_data,
    error_codes,
    make_basic_endpoint,
    make_custom_header_endpoint,
)
from tests.support.live_servers import REPOSITORY, production_environment

UNKNOWN_KEY = "a-key-that-is-not-in-fernet-keys"
BANNER = "The stored secrets of this endpoint cannot be read"


def store_raw(endpoint_id: int, column: str, value: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            # The column is one of the table's own names, never input.
            f"UPDATE endpoints_authconfig SET {column} = %s "  # noqa: S608
            "WHERE endpoint_id = %s",
            [connection.Database.Binary(value), endpoint_id],
        )


def raw_column(endpoint_id: int, column: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM endpoints_authconfig "  # noqa: S608
            "WHERE endpoint_id = %s",
            [endpoint_id],
        )
        return bytes(cursor.fetchone()[0])


def encrypt_with(key: str, plain_text: bytes) -> bytes:
    return Fernet(derive_fernet_key(key)).encrypt(plain_text)


def encrypt_with_current(plain_text: bytes) -> bytes:
    field = AuthConfig._meta.get_field("secrets")
    return field.fernet.encrypt(plain_text)


DAMAGES = {
    "garbage": lambda: b"\x00\xffthis is not a Fernet token",
    "unknown key": lambda: encrypt_with(UNKNOWN_KEY, b'{"credential": "x"}'),
    "not JSON": lambda: encrypt_with_current(b"plain text, not JSON"),
    "not an object": lambda: encrypt_with_current(b'["a", "list"]'),
    "not UTF-8": lambda: encrypt_with_current(b"\xff\xfe\xfd"),
}


def damage(endpoint, kind: str = "unknown key", columns=("secrets",)) -> None:
    for column in columns:
        store_raw(endpoint.pk, column, DAMAGES[kind]())


@pytest.fixture
def target(http_server, workflow):
    """A Basic endpoint on a real server; no key decrypts its secrets."""
    endpoint = make_basic_endpoint(
        workflow, name="Damaged", base_url=http_server.url(path="/api")
    )
    damage(endpoint, columns=("secrets", "access_token", "refresh_token"))
    return endpoint


@pytest.fixture
def healthy(http_server, workflow):
    return make_basic_endpoint(
        workflow, name="Healthy", base_url=http_server.url(path="/ok")
    )


@pytest.mark.parametrize("kind", sorted(DAMAGES))
def test_damaged_secrets_load_as_unreadable(workflow, kind):
    endpoint = make_basic_endpoint(workflow)
    damage(endpoint, kind)

    config = AuthConfig.objects.get(pk=endpoint.pk)

    assert config.secrets is UNREADABLE
    assert config.unreadable_fields() == ["secrets"]


def test_endpoint_page_explains_unreadable(manager_client, target):
    response = manager_client.get(target.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert BANNER in content
    assert "adds the key that encrypted them back to FERNET_KEYS" in content
    assert "enter each secret again below and save" in content


def test_viewer_page_explains_unreadable(viewer_client, target):
    response = viewer_client.get(target.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert "a manager must enter the secrets again" in content


def test_secret_field_says_unreadable(manager_client, target):
    response = manager_client.get(target.get_absolute_url())

    content = response.content.decode()
    assert "The stored value cannot be decrypted with the current keys" in content
    assert "A value is set" not in content


def test_other_endpoint_page_unaffected(manager_client, target, healthy):
    response = manager_client.get(healthy.get_absolute_url())

    assert response.status_code == 200
    assert BANNER not in response.content.decode()


def test_workflow_page_still_lists_both(manager_client, target, healthy, workflow):
    response = manager_client.get(workflow.get_absolute_url())

    names = [endpoint.name for endpoint in response.context["endpoint_page"]]
    assert response.status_code == 200
    assert names == ["Console", "Damaged", "Healthy"]


def test_api_reports_endpoint_not_connected(client, target, healthy, workflow):
    headers = token_header(make_service_account())
    url = reverse("api:workflow_endpoints", args=[workflow.pk])

    response = client.get(url, **headers)

    connected = {item["name"]: item["connected"] for item in response.json()["results"]}
    assert response.status_code == 200
    assert connected == {"Console": True, "Damaged": False, "Healthy": True}


def test_admin_shows_secrets_unreadable(admin_client, target):
    url = reverse("admin:endpoints_authconfig_change", args=[target.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert "Unreadable with the current FERNET_KEYS" in response.content.decode()


def test_request_fails_with_clear_error(target, workflow, http_server):
    with pytest.raises(SecretsUnreadableError) as raised:
        send(workflow, "Damaged", "GET", "/items")

    assert str(raised.value).startswith("Endpoint “Damaged”: Its stored secrets")
    assert "FERNET_KEYS" in str(raised.value)
    assert raised.value.stage == "authentication"
    assert http_server.requests == []


def test_request_failure_recorded(target, workflow):
    with pytest.raises(SecretsUnreadableError):
        send(workflow, "Damaged", "GET", "/items")

    entry = ActivityEntry.objects.get(endpoint=target)
    assert entry.event == ActivityEntry.Event.REQUEST_FAILED
    assert "cannot be decrypted with the current FERNET_KEYS" in entry.detail


def test_other_endpoint_requests_still_work(target, healthy, workflow, http_server):
    response = send(workflow, "Healthy", "GET", "/status")

    assert response.status_code == 200
    assert http_server.last.header("Authorization") == (
        "Basic " + encode_credential("svc", "s3cret-pass")
    )


def test_send_request_page_shows_error(manager_client, target):
    url = reverse("endpoints:endpoint_send_request", args=[target.pk])

    response = manager_client.post(url, {"method": "GET", "path": "/items"})

    assert response.status_code == 200
    assert "cannot be decrypted with the current FERNET_KEYS" in (
        response.content.decode()
    )


def test_blank_password_rejected_not_kept(manager_client, target):
    before = raw_column(target.pk, "secrets")

    response = manager_client.post(
        target.get_absolute_url(), endpoint_form_data(target)
    )

    form = response.context["auth_form"]
    assert response.status_code == 200
    assert error_codes(form, "password") == ["unreadable_required"]
    assert raw_column(target.pk, "secrets") == before


def test_password_entered_again_repairs(manager_client, target, workflow, http_server):
    data = endpoint_form_data(target, **{"auth-password_0": "new-pass"})

    response = manager_client.post(target.get_absolute_url(), data)
    send(workflow, "Damaged", "GET", "/items")

    config = AuthConfig.objects.get(pk=target.pk)
    assert response.status_code == 302
    assert config.secrets == {"credential": encode_credential("svc", "new-pass")}
    assert config.unreadable_fields() == []
    assert http_server.last.header("Authorization") == (
        "Basic " + encode_credential("svc", "new-pass")
    )


@pytest.fixture
def custom_header(workflow):
    """A Token endpoint with an ID value, whose secrets no key decrypts."""
    endpoint = make_custom_header_endpoint(workflow, id_value="id-1")
    damage(endpoint)
    return endpoint


def test_optional_secret_not_dropped_silently(manager_client, custom_header):
    data = endpoint_form_data(custom_header, **{"auth-token_0": "new-token"})

    response = manager_client.post(custom_header.get_absolute_url(), data)

    form = response.context["auth_form"]
    assert response.status_code == 200
    assert error_codes(form, "id_value") == ["unreadable"]
    assert AuthConfig.objects.get(pk=custom_header.pk).secrets is UNREADABLE


def test_optional_secret_cleared_on_purpose(manager_client, custom_header):
    data = endpoint_form_data(
        custom_header,
        **{
            "auth-token_0": "new-token",
            "auth-id_value_1": "on",
            # An ID header without an ID value is rejected, so it goes too.
            "auth-id_header_name": "",
        },
    )

    response = manager_client.post(custom_header.get_absolute_url(), data)

    assert response.status_code == 302
    assert AuthConfig.objects.get(pk=custom_header.pk).secrets == {"token": "new-token"}


def test_save_keeps_unreadable_column_as_stored(target):
    before = raw_column(target.pk, "secrets")
    config = AuthConfig.objects.get(pk=target.pk)
    config.last_test_detail = "Checked by a test."

    config.save()

    assert raw_column(target.pk, "secrets") == before
    assert AuthConfig.objects.get(pk=target.pk).last_test_detail == "Checked by a test."


def test_check_warns_about_some_unreadable(target, healthy):
    messages = run_checks(databases=["default"])

    [warning] = [message for message in messages if message.id == "endpoints.W006"]
    assert f"endpoints.AuthConfig pk={target.pk} field=secrets" in warning.msg


def test_check_fails_when_nothing_decrypts(workflow):
    for config in AuthConfig.objects.all():
        for column in ("secrets", "access_token", "refresh_token"):
            store_raw(config.pk, column, DAMAGES["unknown key"]())

    messages = run_checks(databases=["default"])

    assert [
        message.id for message in messages if message.id.startswith("endpoints")
    ] == ["endpoints.E005"]


def test_check_passes_with_right_keys(workflow, healthy):
    messages = run_checks(databases=["default"])

    assert [
        message.id for message in messages if message.id.startswith("endpoints")
    ] == []


@pytest.mark.django_db(transaction=True)
def test_gunicorn_refuses_to_start_with_wrong_keys(workflow):
    from tests.support.live_servers import database_url

    environment = production_environment(
        DATABASE_URL=database_url(connection.settings_dict),
        FERNET_KEYS="a-wrong-key",
        GUNICORN_BIND="127.0.0.1:0",
        GUNICORN_WORKERS="1",
    )

    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "console.wsgi"],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "(endpoints.E005) None of the" in result.stderr
    assert "Traceback" not in result.stderr
