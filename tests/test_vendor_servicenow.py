"""ServiceNow against the fake instance over a real socket."""

import base64
import logging

import pytest
from django.test import Client
from django.urls import reverse

from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import send
from tests.conftest import MANAGERS, make_user
from tests.support.oauth import callback, consent, start_connect
from tests.support.vendors import (
    assert_no_leaks,
    create_through_form,
    press_test_authentication,
    stored_config,
)

USERNAME = "svc.integration"
PASSWORD = "PLANTED-snow-password-4c7a"
CLIENT_ID = "snow-client-1d0c"
CLIENT_SECRET = "PLANTED-snow-client-secret-88e1"
TABLE_PATH = "/api/now/table/incident"


@pytest.fixture
def servicenow(provider):
    fake = provider.vendor("servicenow")
    fake.add_user(USERNAME, PASSWORD, roles=("itil",))
    fake.add_user("no.roles", PASSWORD, roles=())
    provider.add_client(CLIENT_ID, CLIENT_SECRET)
    return fake


def make_basic_endpoint(workflow, provider, username=USERNAME, password=PASSWORD):
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="Incidents",
        base_url=provider.url("/servicenow"),
        auth_type="servicenow",
        params={"method": "basic", "username": username},
        secrets={"password": password},
    )


def make_oauth_endpoint(workflow, provider, **params):
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="Changes",
        base_url=provider.url("/servicenow"),
        auth_type="servicenow",
        params={"method": "oauth", "client_id": CLIENT_ID, "scope": "", **params},
        secrets={"client_secret": CLIENT_SECRET},
    )


def basic_header(username=USERNAME, password=PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def post_new_endpoint(client, workflow, provider, fields, name="Incidents"):
    """Post the new endpoint form for ServiceNow and return the response."""
    return create_through_form(
        client, workflow, name, provider.url("/servicenow"), "servicenow", fields
    )


def basic_fields(username=USERNAME, password=None, **fields):
    """Return the auth form fields of the Basic method.

    A ``password`` goes in as the field's typed input. Without one nothing is
    typed, so a saved endpoint keeps its stored password.
    """
    data = {"method": "basic", "username": username, **fields}
    if password is not None:
        data["password_0"] = password
    return data


def filled_urls(provider, prefix=""):
    """Return the OAuth 2.0 URL fields that the endpoint page fills in.

    ``prefix`` goes before each field name, such as ``auth-`` for the auth
    form of the endpoint page.
    """
    return {
        f"{prefix}authorization_url": provider.url("/servicenow/oauth_auth.do"),
        f"{prefix}token_url": provider.url("/servicenow/oauth_token.do"),
    }


# -- Form


def test_form_basic_requires_user(manager_client, workflow, provider):
    response = post_new_endpoint(
        manager_client, workflow, provider, {"method": "basic"}
    )

    assert set(response.context["auth_form"].errors) == {"username", "password"}


def test_form_oauth_requires_client(manager_client, workflow, provider):
    response = post_new_endpoint(
        manager_client, workflow, provider, {"method": "oauth"}, name="Changes"
    )

    assert set(response.context["auth_form"].errors) == {"client_id", "client_secret"}


def test_form_rejects_colon_username(manager_client, workflow, provider):
    response = post_new_endpoint(
        manager_client,
        workflow,
        provider,
        basic_fields(username="a:b", password=PASSWORD),
    )

    assert "username" in response.context["auth_form"].errors


def test_form_basic_drops_oauth_fields(manager_client, workflow, provider):
    response = post_new_endpoint(
        manager_client,
        workflow,
        provider,
        basic_fields(password=PASSWORD, client_id="typed-then-hidden"),
    )

    config = Endpoint.objects.get(name="Incidents").auth
    assert response.status_code == 302
    assert config.params == {"method": "basic", "username": USERNAME}
    assert config.secrets == {"password": PASSWORD}


def test_form_fills_urls_from_base(manager_client, workflow, provider):
    endpoint = make_oauth_endpoint(workflow, provider)

    response = manager_client.get(endpoint.get_absolute_url())

    form = response.context["auth_form"]
    assert form["authorization_url"].value() == provider.url(
        "/servicenow/oauth_auth.do"
    )
    assert form["token_url"].value() == provider.url("/servicenow/oauth_token.do")


def test_saving_filled_urls_keeps_tokens(
    manager_client, workflow, provider, servicenow
):
    from tests.support.pages import edit_form_data

    endpoint = make_oauth_endpoint(workflow, provider)
    callback(manager_client, consent(start_connect(manager_client, endpoint)))
    endpoint.refresh_from_db()

    response = manager_client.post(
        endpoint.get_absolute_url(),
        edit_form_data(
            endpoint,
            **filled_urls(provider, prefix="auth-"),
        ),
    )

    config = stored_config(endpoint)
    assert response.status_code == 302
    assert config.refresh_token
    assert config.params["token_url"] == ""


def test_oauth_urls_editable(workflow, provider):
    endpoint = make_oauth_endpoint(
        workflow, provider, token_url="https://sso.example.test/oauth_token.do"
    )

    auth_type = endpoint.auth.type

    assert auth_type.token_url() == "https://sso.example.test/oauth_token.do"
    assert auth_type.authorization_url() == provider.url("/servicenow/oauth_auth.do")


# -- Runtime: Basic


def test_basic_sends_preemptively(workflow, provider, servicenow):
    make_basic_endpoint(workflow, provider)

    response = send(workflow, "Incidents", "GET", TABLE_PATH)

    assert response.status_code == 200
    assert servicenow.table_requests == [
        {"table": "incident", "authorization": basic_header()}
    ]


def test_basic_wrong_password_returns_401(workflow, provider, servicenow):
    make_basic_endpoint(workflow, provider, password="PLANTED-wrong-snow-pw")

    response = send(workflow, "Incidents", "GET", TABLE_PATH)

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "User Not Authenticated"
    assert servicenow.counts["table"] == 1


# -- Runtime: OAuth 2.0


def test_oauth_connect_then_request(manager_client, workflow, provider, servicenow):
    endpoint = make_oauth_endpoint(workflow, provider)

    authorize_url = start_connect(manager_client, endpoint)
    result = callback(manager_client, consent(authorize_url))
    response = send(workflow, "Changes", "GET", TABLE_PATH)

    token_request = provider.token_requests[0]
    assert authorize_url.startswith(provider.url("/servicenow/oauth_auth.do?"))
    assert result.status_code in (200, 302)
    assert stored_config(endpoint).refresh_token
    assert token_request["form"]["client_secret"] == CLIENT_SECRET
    assert response.status_code == 200
    assert servicenow.table_requests[0]["authorization"].startswith("Bearer ")


def test_oauth_refresh_after_401(manager_client, workflow, provider, servicenow):
    endpoint = make_oauth_endpoint(workflow, provider)
    callback(manager_client, consent(start_connect(manager_client, endpoint)))
    provider.expire_access_tokens()

    response = send(workflow, "Changes", "GET", TABLE_PATH)

    assert response.status_code == 200
    assert provider.counts["refresh_token"] == 1
    assert servicenow.counts["table"] == 2


def test_oauth_not_connected_message(workflow, provider, servicenow):
    from endpoints.runtime import AuthenticationError

    make_oauth_endpoint(workflow, provider)

    with pytest.raises(AuthenticationError) as raised:
        send(workflow, "Changes", "GET", TABLE_PATH)

    assert "not connected" in str(raised.value)
    assert servicenow.counts["table"] == 0


def test_basic_has_no_connect(manager_client, workflow, provider):
    endpoint = make_basic_endpoint(workflow, provider)

    response = manager_client.post(
        reverse("endpoints:endpoint_connect", args=[endpoint.pk]), {"popup": "0"}
    )
    page = manager_client.get(endpoint.get_absolute_url())

    assert response.status_code == 400
    assert b"data-oauth-connect" not in page.content


# -- Test Authentication


def test_basic_test_reads_record(manager_client, workflow, provider, servicenow):
    endpoint = make_basic_endpoint(workflow, provider)

    response = press_test_authentication(manager_client, endpoint, basic_fields())

    result = response.context["auth_test"]
    assert result.ok, result.message
    assert "returned 1 record(s) of the sys_user table" in result.message
    assert "Record 1 of sys_user" in result.detail
    assert servicenow.table_requests[0]["table"] == "sys_user"


def test_basic_test_shows_servicenow_error(
    manager_client, workflow, provider, servicenow
):
    endpoint = make_basic_endpoint(workflow, provider)

    response = press_test_authentication(
        manager_client, endpoint, basic_fields(password="PLANTED-typed-snow-pw")
    )

    result = response.context["auth_test"]
    assert not result.ok
    assert result.status_code == 401
    assert (
        "ServiceNow returned: User Not Authenticated: Required to provide Auth "
        "information." in result.message
    )
    assert b"User Not Authenticated" in response.content
    assert b"PLANTED-typed-snow-pw" not in response.content


def test_basic_test_without_itil_role(manager_client, workflow, provider, servicenow):
    endpoint = make_basic_endpoint(workflow, provider, username="no.roles")

    response = press_test_authentication(
        manager_client, endpoint, basic_fields(username="no.roles")
    )

    result = response.context["auth_test"]
    assert not result.ok
    assert result.status_code == 403
    assert "itil role" in result.message


def test_oauth_test_refreshes(manager_client, workflow, provider, servicenow):
    endpoint = make_oauth_endpoint(workflow, provider)
    callback(manager_client, consent(start_connect(manager_client, endpoint)))

    # The page shows the URLs filled in, and the browser posts them back.
    response = press_test_authentication(
        manager_client,
        endpoint,
        {
            "method": "oauth",
            "client_id": CLIENT_ID,
            "scope": "",
            **filled_urls(provider),
        },
    )

    result = response.context["auth_test"]
    assert result.ok, result.message
    assert provider.counts["refresh_token"] == 1


# -- Planted secrets


def test_planted_secrets_appear_nowhere(
    manager_client, workflow, provider, servicenow, caplog, superuser
):
    caplog.set_level(logging.DEBUG)
    basic = make_basic_endpoint(workflow, provider)
    oauth = make_oauth_endpoint(workflow, provider)
    send(workflow, "Incidents", "GET", TABLE_PATH)
    params = consent(start_connect(manager_client, oauth))
    callback(manager_client, params)
    send(workflow, "Changes", "GET", TABLE_PATH)
    press_test_authentication(
        manager_client, basic, basic_fields(password="PLANTED-bad-pw-1")
    )
    config = stored_config(oauth)
    planted = [
        PASSWORD,
        CLIENT_SECRET,
        basic_header().split(" ")[1],
        config.access_token,
        config.refresh_token,
        params["code"],
        "PLANTED-bad-pw-1",
    ]

    viewer = Client()
    viewer.force_login(make_user("snow-viewer", MANAGERS, is_staff=True))
    admin = Client()
    admin.force_login(superuser)
    assert_no_leaks(planted, client=viewer, urls=[workflow.get_absolute_url()])
    for endpoint in (basic, oauth):
        assert_no_leaks(
            planted,
            client=viewer,
            urls=[
                endpoint.get_absolute_url(),
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
        client=viewer,
        urls=[reverse("endpoints:workflow_export", args=[workflow.pk])],
    )
    activity = " ".join(ActivityEntry.objects.values_list("detail", flat=True))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    details = " ".join(AuthConfig.objects.values_list("last_test_detail", flat=True))

    assert_no_leaks(
        planted,
        texts={
            "activity details": activity,
            "log": logged,
            "last test details": details,
        },
    )
