"""Salesforce against the fake login host and org over a real socket."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from endpoints.auth.salesforce import check_instance_url
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import TokenRequestError, send
from tests.conftest import MANAGERS, make_user
from tests.support.vendors import (
    SALESFORCE_CONSUMER_KEY,
    SALESFORCE_CONSUMER_SECRET,
    SALESFORCE_PASSWORD,
    SALESFORCE_SECURITY_TOKEN,
    SALESFORCE_USERNAME,
    assert_no_leaks,
    create_through_form,
    make_salesforce_endpoint,
    press_test_authentication,
    stored_config,
)

API_PATH = "/services/data/v60.0/sobjects/Account"


@pytest.fixture
def salesforce(provider, settings):
    """The fake Salesforce with one connected app and one user.

    Its login host is the console's production login URL.
    """
    settings.SALESFORCE_LOGIN_URL = provider.url("/salesforce")
    settings.SALESFORCE_SANDBOX_LOGIN_URL = provider.url("/salesforce")
    fake = provider.vendor("salesforce")
    fake.add_app(SALESFORCE_CONSUMER_KEY, SALESFORCE_CONSUMER_SECRET)
    fake.add_user(SALESFORCE_USERNAME, SALESFORCE_PASSWORD, SALESFORCE_SECURITY_TOKEN)
    return fake


# -- Form


FORM_FIELDS = {
    "environment": "production",
    "username": SALESFORCE_USERNAME,
    "password_0": SALESFORCE_PASSWORD,
    "security_token_0": SALESFORCE_SECURITY_TOKEN,
    "client_id": SALESFORCE_CONSUMER_KEY,
    "client_secret_0": SALESFORCE_CONSUMER_SECRET,
}


def test_form_requires_fields(manager_client, workflow):
    response = create_through_form(
        manager_client,
        workflow,
        "CRM",
        "https://login.example.test",
        "salesforce",
        {"environment": "production"},
    )

    errors = response.context["auth_form"].errors
    assert set(errors) == {"username", "password", "client_id", "client_secret"}


def test_form_custom_needs_token_url(manager_client, workflow):
    response = create_through_form(
        manager_client,
        workflow,
        "CRM",
        "https://login.example.test",
        "salesforce",
        {**FORM_FIELDS, "environment": "custom", "token_url": ""},
    )

    assert "token_url" in response.context["auth_form"].errors


def test_form_stores_without_token_url(manager_client, workflow):
    response = create_through_form(
        manager_client,
        workflow,
        "CRM",
        "https://login.example.test",
        "salesforce",
        {**FORM_FIELDS, "token_url": "https://ignored.example.test/token"},
    )

    config = Endpoint.objects.get(name="CRM").auth
    assert response.status_code == 302
    assert config.params == {
        "environment": "production",
        "username": SALESFORCE_USERNAME,
        "client_id": SALESFORCE_CONSUMER_KEY,
    }
    assert config.secrets == {
        "password": SALESFORCE_PASSWORD,
        "security_token": SALESFORCE_SECURITY_TOKEN,
        "client_secret": SALESFORCE_CONSUMER_SECRET,
    }


def test_token_url_by_environment(workflow, settings):
    settings.SALESFORCE_LOGIN_URL = "https://login.salesforce.com"
    settings.SALESFORCE_SANDBOX_LOGIN_URL = "https://test.salesforce.com/"
    endpoint = Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="CRM",
        base_url="https://login.example.test",
        auth_type="salesforce",
        params={"environment": "production"},
    )
    config = endpoint.auth

    production = config.type.token_url()
    config.params = {"environment": "sandbox"}
    sandbox = config.type.token_url()
    config.params = {"environment": "custom", "token_url": "https://a.test/t"}
    custom = config.type.token_url()

    assert production == "https://login.salesforce.com/services/oauth2/token"
    assert sandbox == "https://test.salesforce.com/services/oauth2/token"
    assert custom == "https://a.test/t"


# -- Runtime


def test_request_goes_to_instance_url(workflow, provider, salesforce):
    endpoint = make_salesforce_endpoint(workflow, provider)

    response = send(workflow, "CRM", "GET", API_PATH)

    assert response.status_code == 200
    assert response.json()["path"] == API_PATH
    assert salesforce.api_paths == ["/org-one" + API_PATH]
    assert stored_config(endpoint).instance_url == provider.url("/salesforce/org-one")


def test_password_has_security_token(workflow, provider, salesforce):
    make_salesforce_endpoint(workflow, provider)

    send(workflow, "CRM", "GET", API_PATH)

    form = salesforce.token_requests[0]["form"]
    assert form["grant_type"] == "password"
    assert form["password"] == SALESFORCE_PASSWORD + SALESFORCE_SECURITY_TOKEN
    assert form["client_id"] == SALESFORCE_CONSUMER_KEY
    assert form["client_secret"] == SALESFORCE_CONSUMER_SECRET
    assert "authorization" not in salesforce.token_requests[0]["headers"]


def test_no_expiry_no_refresh_token(workflow, provider, salesforce):
    endpoint = make_salesforce_endpoint(workflow, provider)

    send(workflow, "CRM", "GET", API_PATH)
    send(workflow, "CRM", "GET", API_PATH)

    config = stored_config(endpoint)
    assert config.token_expires_at is None
    assert config.refresh_token == ""
    assert salesforce.counts["token"] == 1


def test_instance_url_with_slash(workflow, provider, salesforce):
    salesforce.instance_url = provider.url("/salesforce/org-one/")
    make_salesforce_endpoint(workflow, provider)

    response = send(workflow, "CRM", "GET", API_PATH)

    assert response.status_code == 200
    assert salesforce.api_paths == ["/org-one" + API_PATH]


def test_invalid_session_gets_new_token(workflow, provider, salesforce):
    endpoint = make_salesforce_endpoint(workflow, provider)
    send(workflow, "CRM", "GET", API_PATH)
    first = stored_config(endpoint).access_token
    salesforce.expire_sessions()

    response = send(workflow, "CRM", "GET", API_PATH)

    assert response.status_code == 200
    assert salesforce.counts["token"] == 2
    assert salesforce.counts["api"] == 3
    assert stored_config(endpoint).access_token != first


def test_retry_goes_to_new_instance(workflow, provider, salesforce):
    endpoint = make_salesforce_endpoint(workflow, provider)
    send(workflow, "CRM", "GET", API_PATH)
    salesforce.expire_sessions()
    salesforce.instance_path = "/org-two"

    response = send(workflow, "CRM", "GET", API_PATH + "?fields=Name")

    assert response.status_code == 200
    assert salesforce.api_paths[-2:] == [
        "/org-one" + API_PATH,
        "/org-two" + API_PATH,
    ]
    assert stored_config(endpoint).instance_url == provider.url("/salesforce/org-two")


def test_invalid_session_retried_once(workflow, provider, salesforce):
    make_salesforce_endpoint(workflow, provider)
    send(workflow, "CRM", "GET", API_PATH)
    salesforce.expire_sessions()
    # Every new session is rejected too: the API lives elsewhere now.
    salesforce.instance_path = "/gone"
    salesforce.instance_url = provider.url("/salesforce/org-one")

    response = send(workflow, "CRM", "GET", API_PATH)

    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert salesforce.counts["token"] == 2
    assert salesforce.api_paths.count("/org-one" + API_PATH) == 3


def test_other_401_not_retried(workflow, provider, salesforce, start_server):
    from tests.support.servers import Reply

    server = start_server(
        lambda request: Reply(
            status=401, body=b'[{"errorCode":"INSUFFICIENT_ACCESS","message":"no"}]'
        )
    )
    salesforce.instance_url = server.url(path="/")
    make_salesforce_endpoint(workflow, provider)

    response = send(workflow, "CRM", "GET", API_PATH)

    assert response.status_code == 401
    assert len(server.requests) == 1
    assert server.last.path == API_PATH
    assert salesforce.counts["token"] == 1


def test_authentication_failure_message(workflow, provider, salesforce):
    make_salesforce_endpoint(workflow, provider, security_token="")

    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "CRM", "GET", API_PATH)

    message = str(raised.value)
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.REQUEST_FAILED)
    assert "Salesforce rejected the login" in message
    assert "security token" in message
    assert "invalid_grant: authentication failure" in message
    assert "Salesforce rejected the login" in entry.detail
    assert SALESFORCE_PASSWORD not in message


def test_unknown_consumer_key_message(workflow, provider, salesforce):
    endpoint = make_salesforce_endpoint(workflow, provider)
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        params={**endpoint.auth.params, "client_id": "unknown-key"}
    )

    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "CRM", "GET", API_PATH)

    assert "does not know this consumer key" in str(raised.value)


def test_missing_instance_url_is_error(workflow, provider, salesforce):
    salesforce.instance_url = None
    endpoint = make_salesforce_endpoint(workflow, provider)

    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "CRM", "GET", API_PATH)

    assert "has no instance_url" in str(raised.value)
    assert salesforce.counts["api"] == 0
    assert stored_config(endpoint).access_token == ""


def test_remote_http_instance_url_is_error(workflow, provider, salesforce):
    salesforce.instance_url = "http://acme.my.example.test"
    make_salesforce_endpoint(workflow, provider)

    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "CRM", "GET", API_PATH)

    assert "not https" in str(raised.value)
    assert salesforce.counts["api"] == 0


@pytest.mark.parametrize(
    ("instance_url", "token_url", "accepted"),
    [
        ("https://acme.my.salesforce.com", "https://login.salesforce.com/t", True),
        ("http://acme.my.salesforce.com", "https://login.salesforce.com/t", False),
        ("http://127.0.0.1:8010/sf", "https://login.salesforce.com/t", False),
        ("http://127.0.0.1:8010/sf", "http://127.0.0.1:8010/t", True),
        ("https://acme.my.salesforce.com?x=1", "https://login.salesforce.com/t", False),
        (
            "https://user@acme.my.salesforce.com",
            "https://login.salesforce.com/t",
            False,
        ),
        ("", "https://login.salesforce.com/t", False),
    ],
)
def test_check_instance_url(instance_url, token_url, accepted):
    if accepted:
        assert check_instance_url(instance_url, token_url) == instance_url
    else:
        with pytest.raises(TokenRequestError):
            check_instance_url(instance_url, token_url)


def test_page_shows_instance_url(manager_client, workflow, provider, salesforce):
    endpoint = make_salesforce_endpoint(workflow, provider)
    before = manager_client.get(endpoint.get_absolute_url())
    send(workflow, "CRM", "GET", API_PATH)

    after = manager_client.get(endpoint.get_absolute_url())

    assert b"Not known yet" in before.content
    assert provider.url("/salesforce/org-one").encode() in after.content


# -- Test Authentication


def test_test_authentication_shows_instance(
    manager_client, workflow, provider, salesforce
):
    endpoint = make_salesforce_endpoint(workflow, provider)

    response = press_test_authentication(
        manager_client,
        endpoint,
        {
            "environment": "production",
            "username": SALESFORCE_USERNAME,
            "client_id": SALESFORCE_CONSUMER_KEY,
        },
    )

    result = response.context["auth_test"]
    assert result.ok, result.message
    assert provider.url("/salesforce/org-one") in result.message
    assert stored_config(endpoint).access_token == ""


def test_test_authentication_failure(manager_client, workflow, provider, salesforce):
    endpoint = make_salesforce_endpoint(workflow, provider)

    response = press_test_authentication(
        manager_client,
        endpoint,
        {
            "environment": "production",
            "username": SALESFORCE_USERNAME,
            "client_id": SALESFORCE_CONSUMER_KEY,
            "password_0": "PLANTED-typed-wrong-password",
        },
    )

    result = response.context["auth_test"]
    assert not result.ok
    assert "Salesforce rejected the login" in result.message
    assert b"PLANTED-typed-wrong-password" not in response.content


# -- Planted secrets


def test_planted_secrets_appear_nowhere(
    workflow, provider, salesforce, caplog, superuser
):
    caplog.set_level(logging.DEBUG)
    endpoint = make_salesforce_endpoint(workflow, provider)
    send(workflow, "CRM", "GET", API_PATH)
    token = stored_config(endpoint).access_token
    salesforce.users[SALESFORCE_USERNAME] = "changed-at-salesforce"
    salesforce.expire_sessions()
    with pytest.raises(TokenRequestError) as raised:
        send(workflow, "CRM", "GET", API_PATH)
    planted = [
        SALESFORCE_CONSUMER_SECRET,
        SALESFORCE_PASSWORD,
        SALESFORCE_SECURITY_TOKEN,
        token,
    ]

    manager = Client()
    manager.force_login(make_user("sf-viewer", MANAGERS, is_staff=True))
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

    assert "Salesforce rejected the login" in str(raised.value)
    assert_no_leaks(
        planted,
        texts={
            "activity details": activity,
            "log": logged,
            "error message": str(raised.value),
        },
    )
