"""BMC Remedy against the fake AR System REST API over a real socket."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from endpoints.auth.remedy import jwt_expiry
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import AuthenticationError, authenticate, send
from tests.conftest import MANAGERS, make_user
from tests.support.vendors import (
    assert_no_leaks,
    create_through_form,
    press_test_authentication,
    stored_config,
)

USERNAME = "integration"
PASSWORD = "PLANTED-remedy-password-2f8e"
ENTRY_PATH = "/api/arsys/v1/entry/HPD:Help%20Desk"


@pytest.fixture
def remedy(provider):
    fake = provider.vendor("remedy")
    fake.add_user(USERNAME, PASSWORD)
    return fake


def make_remedy_endpoint(workflow, provider, password=PASSWORD, name="Remedy"):
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        base_url=provider.url("/remedy"),
        auth_type="remedy",
        params={"username": USERNAME},
        secrets={"password": password},
    )


# -- Form


def test_form_requires_fields(manager_client, workflow, provider):
    response = create_through_form(
        manager_client, workflow, "Remedy", provider.url("/remedy"), "remedy", {}
    )

    assert set(response.context["auth_form"].errors) == {"username", "password"}


def test_form_stores_fields(manager_client, workflow, provider):
    response = create_through_form(
        manager_client,
        workflow,
        "Remedy",
        provider.url("/remedy"),
        "remedy",
        {"username": USERNAME, "password_0": PASSWORD},
    )

    config = Endpoint.objects.get(name="Remedy").auth
    assert response.status_code == 302
    assert config.params == {"username": USERNAME}
    assert config.secrets == {"password": PASSWORD}


def test_new_password_clears_cached_token(manager_client, workflow, provider, remedy):
    from tests.support.pages import edit_form_data

    endpoint = make_remedy_endpoint(workflow, provider)
    send(workflow, "Remedy", "GET", ENTRY_PATH)

    response = manager_client.post(
        endpoint.get_absolute_url(),
        edit_form_data(
            stored_config(endpoint).endpoint, **{"auth-password_0": "new-one"}
        ),
    )

    assert response.status_code == 302
    assert stored_config(endpoint).access_token == ""


# -- Runtime


def test_login_then_ar_jwt(workflow, provider, remedy):
    make_remedy_endpoint(workflow, provider)

    response = send(workflow, "Remedy", "GET", ENTRY_PATH)

    login = remedy.logins[0]
    assert response.status_code == 200
    assert response.json()["entries"][0]["values"]["Submitter"] == USERNAME
    assert login["form"] == {"username": USERNAME, "password": PASSWORD}
    assert login["content_type"].startswith("application/x-www-form-urlencoded")


def test_token_cached_encrypted(workflow, provider, remedy):
    endpoint = make_remedy_endpoint(workflow, provider)

    send(workflow, "Remedy", "GET", ENTRY_PATH)
    send(workflow, "Remedy", "GET", ENTRY_PATH)

    config = stored_config(endpoint)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token FROM endpoints_authconfig WHERE endpoint_id = %s",
            [endpoint.pk],
        )
        raw = str(cursor.fetchone()[0])
    assert remedy.counts["login"] == 1
    assert config.access_token.count(".") == 2
    assert config.access_token not in raw
    assert config.token_expires_at == jwt_expiry(config.access_token)


def test_authorization_header(workflow, provider, remedy):
    endpoint = make_remedy_endpoint(workflow, provider)

    send(workflow, "Remedy", "GET", ENTRY_PATH)

    token = stored_config(endpoint).access_token
    assert remedy.api_authorizations == [f"AR-JWT {token}"]
    assert authenticate(workflow, "Remedy") == token
    assert remedy.counts["login"] == 1


def test_401_logs_in_again_once(workflow, provider, remedy):
    endpoint = make_remedy_endpoint(workflow, provider)
    send(workflow, "Remedy", "GET", ENTRY_PATH)
    first = stored_config(endpoint).access_token
    remedy.expire_tokens()

    response = send(workflow, "Remedy", "GET", ENTRY_PATH)

    assert response.status_code == 200
    assert remedy.counts["login"] == 2
    assert remedy.counts["api"] == 3
    assert stored_config(endpoint).access_token != first


def test_second_401_returned(workflow, provider, remedy):
    make_remedy_endpoint(workflow, provider)
    send(workflow, "Remedy", "GET", ENTRY_PATH)
    remedy.reject_tokens = True

    response = send(workflow, "Remedy", "GET", ENTRY_PATH)

    assert response.status_code == 401
    assert response.json()[0]["messageNumber"] == 623
    assert remedy.counts["login"] == 2
    assert remedy.counts["api"] == 3


def test_login_again_before_expiry(workflow, provider, remedy):
    endpoint = make_remedy_endpoint(workflow, provider)
    send(workflow, "Remedy", "GET", ENTRY_PATH)
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=10)
    )

    send(workflow, "Remedy", "GET", ENTRY_PATH)

    assert remedy.counts["login"] == 2


def test_login_rejected_message(workflow, provider, remedy):
    make_remedy_endpoint(workflow, provider, password="PLANTED-wrong-remedy-pw")

    with pytest.raises(AuthenticationError) as raised:
        send(workflow, "Remedy", "GET", ENTRY_PATH)

    message = str(raised.value)
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.REQUEST_FAILED)
    assert "Remedy rejected the login of user integration (401" in message
    assert "ERROR 623: Authentication failed" in message
    assert "ERROR 623" in entry.detail
    assert "PLANTED-wrong-remedy-pw" not in message
    assert remedy.counts["api"] == 0


def test_base_url_not_remedy(workflow, provider, remedy):
    endpoint = make_remedy_endpoint(workflow, provider)
    Endpoint.objects.filter(pk=endpoint.pk).update(base_url=provider.url("/nothing"))

    with pytest.raises(AuthenticationError) as raised:
        send(workflow, "Remedy", "GET", ENTRY_PATH)

    assert "responded with 404 Not Found without a token" in str(raised.value)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_log_in_once(workflow, provider, remedy):
    make_remedy_endpoint(workflow, provider)
    statuses = []

    def request():
        try:
            statuses.append(send(workflow, "Remedy", "GET", ENTRY_PATH).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200, 200, 200]
    assert remedy.counts["login"] == 1


# -- Test Authentication


def test_test_authentication_logs_in(manager_client, workflow, provider, remedy):
    endpoint = make_remedy_endpoint(workflow, provider)

    response = press_test_authentication(
        manager_client, endpoint, {"username": USERNAME}
    )

    result = response.context["auth_test"]
    assert result.ok, result.message
    assert "expires in" in result.message
    assert remedy.counts["login"] == 1
    assert stored_config(endpoint).access_token == ""


def test_test_authentication_shows_remedy_error(
    manager_client, workflow, provider, remedy
):
    endpoint = make_remedy_endpoint(workflow, provider)

    response = press_test_authentication(
        manager_client,
        endpoint,
        {"username": USERNAME, "password_0": "PLANTED-typed-remedy-pw"},
    )

    result = response.context["auth_test"]
    assert not result.ok
    assert result.status_code == 401
    assert "ERROR 623: Authentication failed" in result.message
    assert b"ERROR 623: Authentication failed" in response.content
    assert b"PLANTED-typed-remedy-pw" not in response.content


# -- Planted secrets


def test_planted_secrets_appear_nowhere(workflow, provider, remedy, caplog, superuser):
    caplog.set_level(logging.DEBUG)
    endpoint = make_remedy_endpoint(workflow, provider)
    send(workflow, "Remedy", "GET", ENTRY_PATH)
    token = stored_config(endpoint).access_token
    remedy.users[USERNAME] = "changed-in-remedy"
    remedy.expire_tokens()
    with pytest.raises(AuthenticationError) as raised:
        send(workflow, "Remedy", "GET", ENTRY_PATH)
    planted = [PASSWORD, token]

    manager = Client()
    manager.force_login(make_user("remedy-viewer", MANAGERS, is_staff=True))
    admin = Client()
    admin.force_login(superuser)
    assert_no_leaks(
        planted,
        client=manager,
        urls=[
            endpoint.get_absolute_url(),
            workflow.get_absolute_url(),
            reverse("endpoints:endpoint_activity", args=[endpoint.pk]),
        ],
    )
    assert_no_leaks(
        planted,
        client=admin,
        urls=[reverse("admin:endpoints_authconfig_change", args=[endpoint.pk])],
    )
    assert_no_leaks(
        planted,
        client=manager,
        urls=[reverse("endpoints:workflow_export", args=[workflow.pk])],
    )
    activity = " ".join(ActivityEntry.objects.values_list("detail", flat=True))
    logged = "\n".join(record.getMessage() for record in caplog.records)

    assert "Remedy rejected the login" in str(raised.value)
    assert_no_leaks(
        planted,
        texts={
            "activity details": activity,
            "log": logged,
            "error message": str(raised.value),
        },
    )
