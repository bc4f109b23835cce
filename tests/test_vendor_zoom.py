"""Zoom Server-to-Server OAuth against the fake Zoom over a real socket."""

import base64
import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import TokenRequestError, send
from tests.conftest import MANAGERS, make_user
from tests.support.vendors import (
    assert_no_leaks,
    create_through_form,
    press_test_authentication,
    stored_config,
)

ACCOUNT_ID = "acct-PLANTED-0f3a"
CLIENT_ID = "zoom-client-7b21"
CLIENT_SECRET = "PLANTED-zoom-secret-5e9d41"


@pytest.fixture
def zoom(provider, settings):
    """The fake Zoom with one app, and the console's settings pointed at it."""
    settings.ZOOM_TOKEN_URL = provider.url("/zoom/oauth/token")
    fake = provider.vendor("zoom")
    fake.add_app(CLIENT_ID, CLIENT_SECRET, ACCOUNT_ID)
    return fake


def make_zoom_endpoint(workflow, provider, secret=CLIENT_SECRET, name="Meetings"):
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        base_url=provider.url("/zoom/v2"),
        auth_type="zoom",
        params={"account_id": ACCOUNT_ID, "client_id": CLIENT_ID},
        secrets={"client_secret": secret},
    )


# -- Form


def test_form_requires_every_field(manager_client, workflow, provider):
    response = create_through_form(
        manager_client, workflow, "Meetings", provider.url("/zoom/v2"), "zoom", {}
    )

    form = response.context["auth_form"]
    assert response.status_code == 200
    assert set(form.errors) == {"account_id", "client_id", "client_secret"}
    assert not Endpoint.objects.filter(name="Meetings").exists()


def test_form_rejects_short_secret(manager_client, workflow, provider):
    response = create_through_form(
        manager_client,
        workflow,
        "Meetings",
        provider.url("/zoom/v2"),
        "zoom",
        {"account_id": ACCOUNT_ID, "client_id": CLIENT_ID, "client_secret_0": "abc"},
    )

    assert "client_secret" in response.context["auth_form"].errors


def test_form_stores_fields(manager_client, workflow, provider):
    response = create_through_form(
        manager_client,
        workflow,
        "Meetings",
        provider.url("/zoom/v2"),
        "zoom",
        {
            "account_id": ACCOUNT_ID,
            "client_id": CLIENT_ID,
            "client_secret_0": CLIENT_SECRET,
        },
    )

    config = Endpoint.objects.get(name="Meetings").auth
    assert response.status_code == 302
    assert config.params == {"account_id": ACCOUNT_ID, "client_id": CLIENT_ID}
    assert config.secrets == {"client_secret": CLIENT_SECRET}


def test_form_has_no_token_url_field(manager_client, workflow):
    response = manager_client.get(
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        {"auth_type": "zoom"},
    )

    fields = set(response.context["auth_form"].fields)
    assert fields == {"account_id", "client_id", "client_secret"}


# -- Runtime


def test_first_request_gets_token(workflow, provider, zoom):
    make_zoom_endpoint(workflow, provider)

    response = send(workflow, "Meetings", "GET", "/users/me")

    assert response.status_code == 200
    assert response.json()["account_id"] == ACCOUNT_ID
    assert zoom.counts["token"] == 1


def test_token_request_shape(workflow, provider, zoom):
    make_zoom_endpoint(workflow, provider)

    send(workflow, "Meetings", "GET", "/users/me")

    request = zoom.token_requests[0]
    fields = {**request["form"], **request["query"]}
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert fields["grant_type"] == "account_credentials"
    assert fields["account_id"] == ACCOUNT_ID
    assert "client_secret" not in fields
    assert request["headers"]["authorization"] == f"Basic {expected}"


def test_token_stored_encrypted(workflow, provider, zoom):
    endpoint = make_zoom_endpoint(workflow, provider)
    before = timezone.now()

    send(workflow, "Meetings", "GET", "/users/me")

    config = stored_config(endpoint)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token FROM endpoints_authconfig WHERE endpoint_id = %s",
            [endpoint.pk],
        )
        raw = cursor.fetchone()[0]
    assert config.access_token.startswith("fake-zoom-")
    assert config.access_token not in str(raw)
    assert config.refresh_token == ""
    assert config.token_expires_at >= before + timedelta(seconds=3598)


def test_stored_token_reused(workflow, provider, zoom):
    make_zoom_endpoint(workflow, provider)
    send(workflow, "Meetings", "GET", "/users/me")

    send(workflow, "Meetings", "GET", "/users/me")

    assert zoom.counts["token"] == 1


def test_new_token_on_expiry(workflow, provider, zoom):
    endpoint = make_zoom_endpoint(workflow, provider)
    send(workflow, "Meetings", "GET", "/users/me")
    first = stored_config(endpoint).access_token
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=30)
    )

    response = send(workflow, "Meetings", "GET", "/users/me")

    assert response.status_code == 200
    assert zoom.counts["token"] == 2
    assert stored_config(endpoint).access_token != first


def test_expired_at_zoom_gets_new_token_once(workflow, provider, zoom):
    make_zoom_endpoint(workflow, provider)
    send(workflow, "Meetings", "GET", "/users/me")
    zoom.expire_tokens()

    response = send(workflow, "Meetings", "GET", "/users/me")

    assert response.status_code == 200
    assert zoom.counts["token"] == 2
    assert zoom.counts["api"] == 3


def test_invalid_client_message(workflow, provider, zoom):
    make_zoom_endpoint(workflow, provider, secret="PLANTED-wrong-zoom-secret")

    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "Meetings", "GET", "/users/me")

    message = str(raised.value)
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.REQUEST_FAILED)
    assert "Zoom rejected the client ID or client secret" in message
    assert "invalid_client" in message
    assert "PLANTED-wrong-zoom-secret" not in message
    assert "Zoom rejected the client ID" in entry.detail


def test_wrong_account_message(workflow, provider, zoom):
    endpoint = make_zoom_endpoint(workflow, provider)
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        params={"account_id": "another-account", "client_id": CLIENT_ID}
    )

    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "Meetings", "GET", "/users/me")

    assert "Check the account ID" in str(raised.value)


# -- Test Authentication


def test_test_authentication_succeeds(manager_client, workflow, provider, zoom):
    endpoint = make_zoom_endpoint(workflow, provider)

    response = press_test_authentication(
        manager_client,
        endpoint,
        {"account_id": ACCOUNT_ID, "client_id": CLIENT_ID},
    )

    result = response.context["auth_test"]
    assert result.ok, result.message
    assert "expires in" in result.message
    assert stored_config(endpoint).access_token == ""


def test_test_authentication_invalid_client(manager_client, workflow, provider, zoom):
    endpoint = make_zoom_endpoint(workflow, provider)

    response = press_test_authentication(
        manager_client,
        endpoint,
        {
            "account_id": ACCOUNT_ID,
            "client_id": CLIENT_ID,
            "client_secret_0": "PLANTED-typed-wrong-secret",
        },
    )

    result = response.context["auth_test"]
    assert not result.ok
    assert "Zoom rejected the client ID or client secret" in result.message
    assert b"PLANTED-typed-wrong-secret" not in response.content


# -- Planted secrets


def test_planted_secrets_appear_nowhere(workflow, provider, zoom, caplog, superuser):
    caplog.set_level(logging.DEBUG)
    endpoint = make_zoom_endpoint(workflow, provider)
    send(workflow, "Meetings", "GET", "/users/me")
    token = stored_config(endpoint).access_token
    zoom.apps[CLIENT_ID].client_secret = "rotated-at-zoom-secret"
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "Meetings", "GET", "/users/me")
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    planted = [CLIENT_SECRET, token, basic]

    manager = Client()
    manager.force_login(make_user("zoom-viewer", MANAGERS, is_staff=True))
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

    assert_no_leaks(
        planted,
        texts={
            "activity details": activity,
            "log": logged,
            "error message": str(raised.value),
        },
    )


@pytest.mark.django_db(transaction=True)
def test_expired_token_renewed_once(workflow, provider, zoom):
    import threading

    endpoint = make_zoom_endpoint(workflow, provider)
    send(workflow, "Meetings", "GET", "/users/me")
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    statuses = []

    def request():
        try:
            statuses.append(send(workflow, "Meetings", "GET", "/users/me").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200, 200, 200]
    assert zoom.counts["token"] == 2


def test_secret_with_reserved_characters(workflow, provider, zoom):
    # The client form-encodes each part of the Basic credentials, so "+",
    # "/", "=" and "%" reach Zoom as the secret's own characters.
    secret = "PLANTED+zoom/secret=with%reserved chars"
    zoom.apps[CLIENT_ID].client_secret = secret
    make_zoom_endpoint(workflow, provider, secret=secret)

    response = send(workflow, "Meetings", "GET", "/users/me")

    assert response.status_code == 200
    assert zoom.counts["token"] == 1
