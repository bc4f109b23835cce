"""Saving an endpoint keeps stored secrets at the origin they were saved for.

Each test posts the endpoint page (or the admin) through the test client,
then sends a request through the endpoint to servers on 127.0.0.1 to show
where the secrets went.
"""

import pytest
from django.test import Client
from django.urls import reverse

from endpoints.auth.basic import encode_credential
from endpoints.auth.oauth.connect import redirect_uri
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import EndpointError, send
from endpoints.testing.fake_oauth import FakeOAuthProvider
from tests.conftest import (
    make_basic_endpoint,
    make_custom_header_endpoint,
    make_user,
)
from tests.support.oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    callback,
    consent,
    make_code_endpoint,
    start_connect,
)
from tests.support.pages import edit_form_data
from tests.support.vendors import make_salesforce_endpoint

STORED_PASSWORD = "s3cret-pass"
TYPED_PASSWORD = "PLANTED-retyped-pw-5a0e"
STORED_CREDENTIAL = encode_credential("svc", STORED_PASSWORD)


def save(client, endpoint, **overrides):
    return client.post(
        endpoint.get_absolute_url(), edit_form_data(endpoint, **overrides)
    )


def auth_errors(response) -> list[str]:
    return list(response.context["auth_form"].non_field_errors())


@pytest.fixture
def servers(start_server):
    """The stored origin and a new one, as two servers on 127.0.0.1."""
    return start_server(), start_server()


@pytest.fixture
def other_provider():
    """A second fake provider, on another port, with the same client."""
    fake = FakeOAuthProvider()
    fake.add_client(CLIENT_ID, CLIENT_SECRET, (redirect_uri(),))
    fake.start()
    yield fake
    fake.stop()


# -- Basic and the base URL


def test_basic_new_origin_rejected(manager_client, workflow, servers):
    stored_server, new_server = servers
    endpoint = make_basic_endpoint(workflow, base_url=stored_server.url(path="/v1"))

    response = save(
        manager_client, endpoint, name="Renamed", base_url=new_server.url(path="/v2")
    )

    assert response.status_code == 200
    assert auth_errors(response) == [
        f"The stored password was saved for {stored_server.url()} and is sent "
        f"only there. Type it again to save the endpoint for {new_server.url()}."
    ]
    form = response.context["endpoint_form"]
    assert form["name"].value() == "Renamed"
    assert form["base_url"].value() == new_server.url(path="/v2")
    assert STORED_PASSWORD not in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.base_url == stored_server.url(path="/v1")
    assert endpoint.name == "Tickets"


def test_basic_rejected_save_sends_nothing(manager_client, workflow, servers):
    stored_server, new_server = servers
    endpoint = make_basic_endpoint(workflow, base_url=stored_server.url())
    save(manager_client, endpoint, base_url=new_server.url())

    send(workflow, "Tickets", "GET", "/me")

    assert new_server.requests == []
    assert stored_server.last.header("Authorization") == f"Basic {STORED_CREDENTIAL}"


def test_basic_rejected_save_not_recorded(manager_client, workflow, servers):
    stored_server, new_server = servers
    endpoint = make_basic_endpoint(workflow, base_url=stored_server.url())

    save(manager_client, endpoint, base_url=new_server.url())

    changed = ActivityEntry.objects.filter(event=ActivityEntry.Event.CHANGED)
    assert not changed.exists()
    endpoint.refresh_from_db()
    assert endpoint.version == 1


def test_basic_new_origin_retyped_saved(manager_client, workflow, servers):
    stored_server, new_server = servers
    endpoint = make_basic_endpoint(workflow, base_url=stored_server.url())

    response = save(
        manager_client,
        endpoint,
        base_url=new_server.url(),
        **{"auth-password_0": TYPED_PASSWORD},
    )
    send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 302
    typed = encode_credential("svc", TYPED_PASSWORD)
    assert new_server.last.header("Authorization") == f"Basic {typed}"
    assert stored_server.requests == []


def test_rejection_names_other_typed_secrets(manager_client, workflow, start_server):
    # The custom header type has two secrets. Typing only one of them keeps
    # the other, and the typed one is not shown again on the page.
    endpoint = make_custom_header_endpoint(
        workflow, base_url="https://stored.example.invalid", id_value="acct-77"
    )
    new_server = start_server()

    response = save(
        manager_client,
        endpoint,
        base_url=new_server.url(),
        **{"auth-token_0": "PLANTED-typed-token-3f9b"},
    )

    [error] = auth_errors(response)
    assert error.startswith(
        "The stored id value was saved for https://stored.example.invalid:443 "
    )
    assert error.endswith("Type token again too: secret values are never shown again.")
    assert "PLANTED-typed-token-3f9b" not in response.content.decode()


@pytest.mark.parametrize(
    "new_url",
    ["{origin}/v2/other", "{origin}:443/v1"],
    ids=["path-only", "explicit-port"],
)
def test_same_origin_keeps_secrets(manager_client, workflow, new_url):
    endpoint = make_basic_endpoint(
        workflow, base_url="https://stored.example.invalid/v1"
    )
    base_url = new_url.format(origin="https://stored.example.invalid")

    response = save(manager_client, endpoint, base_url=base_url)

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.base_url == base_url
    assert endpoint.auth.secrets["credential"] == STORED_CREDENTIAL


def test_same_origin_path_sends_stored(manager_client, workflow, start_server):
    server = start_server()
    endpoint = make_basic_endpoint(workflow, base_url=server.url(path="/v1"))

    save(manager_client, endpoint, base_url=server.url(path="/v2"))
    send(workflow, "Tickets", "GET", "/me")

    assert server.last.path == "/v2/me"
    assert server.last.header("Authorization") == f"Basic {STORED_CREDENTIAL}"


# -- OAuth 2.0 Authorization Code and the token URL


def test_oauth_new_token_url_rejected(
    manager_client, workflow, provider, other_provider
):
    endpoint = make_code_endpoint(workflow, provider)

    response = save(
        manager_client, endpoint, **{"auth-token_url": other_provider.url("/token")}
    )

    assert auth_errors(response) == [
        f"The stored client secret was saved for {provider.url()} and is sent "
        f"only there. Type it again to save the endpoint for "
        f"{other_provider.url()}."
    ]
    endpoint.refresh_from_db()
    assert endpoint.auth.params["token_url"] == provider.url("/token")


def test_oauth_rejected_save_connects_to_stored(
    manager_client, workflow, provider, other_provider
):
    endpoint = make_code_endpoint(workflow, provider)
    save(manager_client, endpoint, **{"auth-token_url": other_provider.url("/token")})

    callback(manager_client, consent(start_connect(manager_client, endpoint)))

    assert other_provider.counts["token"] == 0
    assert provider.counts["authorization_code"] == 1
    endpoint.auth.refresh_from_db()
    assert endpoint.auth.access_token


def test_oauth_new_token_url_retyped_saved(
    manager_client, workflow, provider, other_provider
):
    endpoint = make_code_endpoint(workflow, provider)

    response = save(
        manager_client,
        endpoint,
        **{
            "auth-token_url": other_provider.url("/token"),
            "auth-client_secret_0": CLIENT_SECRET,
        },
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.auth.params["token_url"] == other_provider.url("/token")


def test_oauth_token_url_activity_origins(
    manager_client, workflow, provider, other_provider
):
    endpoint = make_code_endpoint(workflow, provider)

    save(
        manager_client,
        endpoint,
        **{
            "auth-token_url": other_provider.url("/token?tenant=PLANTED-q-7d1"),
            "auth-client_secret_0": CLIENT_SECRET,
        },
    )

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CHANGED)
    assert (
        f"Credential URL origin: {provider.url()}, now {other_provider.url()}."
        in entry.detail
    )
    assert "PLANTED-q-7d1" not in entry.detail
    assert CLIENT_SECRET not in entry.detail


def test_oauth_new_base_origin_clears_tokens(
    manager_client, workflow, provider, start_server
):
    endpoint = make_code_endpoint(workflow, provider)
    callback(manager_client, consent(start_connect(manager_client, endpoint)))
    endpoint.auth.refresh_from_db()
    assert endpoint.auth.access_token
    new_server = start_server()

    response = save(manager_client, endpoint, base_url=new_server.url(path="/api"))

    assert response.status_code == 302
    endpoint.auth.refresh_from_db()
    assert endpoint.auth.access_token == ""
    assert endpoint.auth.refresh_token == ""
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CHANGED)
    assert "The stored tokens were cleared" in entry.detail
    with pytest.raises(EndpointError):
        send(workflow, "CRM", "GET", "/items")
    assert new_server.requests == []


def test_oauth_refresh_token_alone_cleared_on_move(
    manager_client, workflow, provider, start_server
):
    # Without an access token, a renewal with the refresh token would send
    # the new access token to the new origin.
    endpoint = make_code_endpoint(workflow, provider)
    callback(manager_client, consent(start_connect(manager_client, endpoint)))
    AuthConfig.objects.filter(pk=endpoint.pk).update(access_token="")
    new_server = start_server()

    response = save(manager_client, endpoint, base_url=new_server.url(path="/api"))

    assert response.status_code == 302
    endpoint.auth.refresh_from_db()
    assert endpoint.auth.refresh_token == ""
    with pytest.raises(EndpointError):
        send(workflow, "CRM", "GET", "/items")
    assert new_server.requests == []


def test_oauth_same_base_origin_keeps_tokens(manager_client, workflow, provider):
    endpoint = make_code_endpoint(workflow, provider)
    callback(manager_client, consent(start_connect(manager_client, endpoint)))
    endpoint.auth.refresh_from_db()
    token = endpoint.auth.access_token

    response = save(manager_client, endpoint, base_url=provider.url("/other"))

    assert response.status_code == 302
    endpoint.auth.refresh_from_db()
    assert endpoint.auth.access_token == token


# -- A vendor type: Salesforce with a custom token URL


def test_salesforce_new_token_url_rejected(
    manager_client, workflow, provider, other_provider, settings
):
    settings.SALESFORCE_LOGIN_URL = provider.url("/salesforce")
    endpoint = make_salesforce_endpoint(workflow, provider)

    response = save(
        manager_client,
        endpoint,
        **{
            "auth-environment": "custom",
            "auth-token_url": other_provider.url("/salesforce/services/oauth2/token"),
        },
    )

    [error] = auth_errors(response)
    assert error == (
        "The stored password and security token and consumer secret were saved "
        f"for {provider.url()} and are sent only there. Type them again to save "
        f"the endpoint for {other_provider.url()}."
    )
    endpoint.refresh_from_db()
    assert endpoint.auth.params["environment"] == "production"
    assert other_provider.counts["token"] == 0


# -- Activity


def test_activity_records_base_url_origins(manager_client, workflow, servers):
    stored_server, new_server = servers
    endpoint = make_basic_endpoint(workflow, base_url=stored_server.url(path="/v1"))

    save(
        manager_client,
        endpoint,
        base_url=new_server.url(path="/v2"),
        **{"auth-password_0": TYPED_PASSWORD},
    )

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CHANGED)
    assert entry.detail == (
        "Changed: base url, password. "
        f"Base URL origin: {stored_server.url()}, now {new_server.url()}."
    )
    assert TYPED_PASSWORD not in entry.detail


def test_activity_records_unchanged_origin(manager_client, workflow):
    endpoint = make_basic_endpoint(
        workflow, base_url="https://stored.example.invalid/v1"
    )

    save(manager_client, endpoint, base_url="https://stored.example.invalid/v2")

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CHANGED)
    assert entry.detail == (
        "Changed: base url. Base URL changed within its origin "
        "https://stored.example.invalid:443."
    )


# -- Admin


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def admin_save(client, endpoint, **overrides):
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "loaded_version": str(endpoint.version),
        "auth-TOTAL_FORMS": "1",
        "auth-INITIAL_FORMS": "1",
        "auth-0-endpoint": str(endpoint.pk),
    }
    data.update(overrides)
    url = reverse("admin:endpoints_endpoint_change", args=[endpoint.pk])
    return client.post(url, data)


def test_admin_new_origin_rejected(admin_client, workflow, servers):
    stored_server, new_server = servers
    endpoint = make_basic_endpoint(workflow, base_url=stored_server.url())

    response = admin_save(admin_client, endpoint, base_url=new_server.url())
    send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["base_url"]
    assert errors == [
        f"The stored password was saved for {stored_server.url()} and is sent "
        f"only there. Type it again to save the endpoint for {new_server.url()}. "
        "Secrets are typed on the console's endpoint page, so change the base "
        "URL there."
    ]
    assert new_server.requests == []
    assert stored_server.last.header("Authorization") == f"Basic {STORED_CREDENTIAL}"


def test_admin_same_origin_saved(admin_client, workflow):
    endpoint = make_basic_endpoint(
        workflow, base_url="https://stored.example.invalid/v1"
    )

    response = admin_save(
        admin_client, endpoint, base_url="https://stored.example.invalid:443/v2"
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.base_url == "https://stored.example.invalid:443/v2"


def test_admin_new_origin_without_secrets(admin_client, workflow):
    endpoint = Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="Open data",
        base_url="https://stored.example.invalid",
        auth_type="none",
    )

    response = admin_save(
        admin_client, endpoint, base_url="https://elsewhere.example.invalid"
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.base_url == "https://elsewhere.example.invalid"


def make_open_endpoint(workflow, base_url: str) -> Endpoint:
    """Create a No Authorization endpoint, which keeps no secret fields."""
    return Endpoint.objects.create_with_auth(
        workflow=workflow, name="Open data", base_url=base_url, auth_type="none"
    )


def changed_entry(endpoint) -> ActivityEntry:
    return ActivityEntry.objects.get(
        endpoint=endpoint, event=ActivityEntry.Event.CHANGED
    )


def test_admin_origin_change_recorded(admin_client, workflow):
    endpoint = make_open_endpoint(
        workflow, "https://stored.example.invalid/v1?key=PLANTED-query-9c1e"
    )

    response = admin_save(
        admin_client, endpoint, base_url="https://elsewhere.example.invalid/v2"
    )

    assert response.status_code == 302
    entry = changed_entry(endpoint)
    assert entry.detail == (
        "Changed in the admin. Base URL origin: https://stored.example.invalid:443, "
        "now https://elsewhere.example.invalid:443."
    )
    assert "PLANTED" not in entry.detail


def test_admin_move_within_origin_says_so(admin_client, workflow):
    endpoint = make_open_endpoint(workflow, "https://stored.example.invalid/v1")

    admin_save(admin_client, endpoint, base_url="https://stored.example.invalid/v2")

    entry = changed_entry(endpoint)
    assert entry.detail == (
        "Changed in the admin. Base URL changed within its origin "
        "https://stored.example.invalid:443."
    )


def test_admin_same_url_records_nothing(admin_client, workflow):
    endpoint = make_open_endpoint(workflow, "https://stored.example.invalid")

    response = admin_save(admin_client, endpoint, name="Open data v2")

    assert response.status_code == 302
    assert not ActivityEntry.objects.filter(
        endpoint=endpoint, event=ActivityEntry.Event.CHANGED
    ).exists()


def test_admin_new_origin_clears_tokens(admin_client, workflow):
    endpoint = make_open_endpoint(workflow, "https://stored.example.invalid")
    endpoint.auth.access_token = "PLANTED-access-token-4b2d"
    endpoint.auth.refresh_token = "PLANTED-refresh-token-7a0c"
    endpoint.auth.save()

    response = admin_save(
        admin_client, endpoint, base_url="https://elsewhere.example.invalid"
    )

    assert response.status_code == 302
    endpoint.auth.refresh_from_db()
    assert endpoint.auth.access_token == ""
    assert endpoint.auth.refresh_token == ""
    entry = changed_entry(endpoint)
    assert entry.detail.endswith(
        "The stored tokens were cleared because the base URL moved to another origin."
    )


def test_admin_new_origin_clears_refresh_token(admin_client, workflow):
    endpoint = make_open_endpoint(workflow, "https://stored.example.invalid")
    endpoint.auth.refresh_token = "PLANTED-refresh-token-7a0c"
    endpoint.auth.save()

    admin_save(admin_client, endpoint, base_url="https://elsewhere.example.invalid")

    endpoint.auth.refresh_from_db()
    assert endpoint.auth.refresh_token == ""


def test_admin_same_origin_keeps_tokens(admin_client, workflow):
    endpoint = make_open_endpoint(workflow, "https://stored.example.invalid/v1")
    endpoint.auth.access_token = "PLANTED-access-token-4b2d"
    endpoint.auth.save()

    admin_save(admin_client, endpoint, base_url="https://stored.example.invalid/v2")

    endpoint.auth.refresh_from_db()
    assert endpoint.auth.access_token == "PLANTED-access-token-4b2d"


def test_send_after_rejection_fails_at_stored(manager_client, workflow, start_server):
    # The stored origin does not resolve, so the request fails there and the
    # new server, which the rejected save named, gets nothing.
    new_server = start_server()
    endpoint = make_basic_endpoint(workflow, base_url="https://stored.example.invalid")
    save(manager_client, endpoint, base_url=new_server.url())

    with pytest.raises(EndpointError):
        send(workflow, "Tickets", "GET", "/me")

    assert new_server.requests == []
