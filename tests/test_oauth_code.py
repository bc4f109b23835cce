"""OAuth 2.0 (Authorization Code) after Connect: refresh, reconnect, forms."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import (
    AuthenticationError,
    ReconnectNeededError,
    authenticate,
    send,
)
from endpoints.runtime.api import EndpointCall
from tests.support.oauth import connect_directly, make_code_endpoint
from tests.support.pages import edit_form_data


def stored(endpoint) -> AuthConfig:
    return AuthConfig.objects.get(pk=endpoint.pk)


def expire_stored_token(endpoint) -> None:
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def crm(workflow, provider):
    endpoint = make_code_endpoint(workflow, provider)
    connect_directly(endpoint, provider)
    return Endpoint.objects.select_related("auth").get(pk=endpoint.pk)


def test_connected_endpoint_sends_token(workflow, crm, provider):
    response = send(workflow, "CRM", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["token"] == 0


def test_expired_token_refreshed(workflow, crm, provider):
    expire_stored_token(crm)

    response = send(workflow, "CRM", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["refresh_token"] == 1


def test_unconnected_endpoint_fails_clearly(workflow, provider):
    make_code_endpoint(workflow, provider, name="New CRM")

    with pytest.raises(AuthenticationError) as caught:
        send(workflow, "New CRM", "GET", "/me")

    assert "press Connect" in str(caught.value)
    assert provider.counts["token"] == 0


def test_invalid_grant_marks_reconnect_needed(workflow, crm, provider):
    provider.revoke_refresh_tokens()
    expire_stored_token(crm)

    with pytest.raises(ReconnectNeededError):
        send(workflow, "CRM", "GET", "/me")

    assert stored(crm).reconnect_needed is True
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.RECONNECT_NEEDED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert "invalid_grant" in entry.detail


def test_reconnect_needed_fails_without_request(workflow, crm, provider):
    provider.revoke_refresh_tokens()
    expire_stored_token(crm)
    with pytest.raises(ReconnectNeededError):
        send(workflow, "CRM", "GET", "/me")
    requests_before = provider.counts["token"]

    with pytest.raises(ReconnectNeededError) as caught:
        send(workflow, "CRM", "GET", "/me")

    assert "Reconnect needed" in str(caught.value)
    assert provider.counts["token"] == requests_before


def test_reconnect_needed_on_pages(workflow, crm, manager_client):
    AuthConfig.objects.filter(pk=crm.pk).update(reconnect_needed=True)

    endpoint_page = manager_client.get(crm.get_absolute_url()).content.decode()
    workflow_page = manager_client.get(workflow.get_absolute_url()).content.decode()
    list_page = manager_client.get(reverse("endpoints:workflow_list")).content.decode()

    assert "Reconnect needed" in endpoint_page
    assert "Reconnect needed" in workflow_page
    assert "Reconnect needed: 1 endpoint" in list_page


def test_stale_process_uses_refreshed_token(workflow, crm, provider):
    provider.switches.rotate_refresh_tokens = True
    stale = Endpoint.objects.select_related("auth").get(pk=crm.pk)
    stale.auth.token_expires_at = timezone.now() - timedelta(seconds=1)
    expire_stored_token(crm)
    send(workflow, "CRM", "GET", "/me")

    response = send(workflow, stale, "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["refresh_token"] == 1
    assert stored(crm).reconnect_needed is False


def test_invalid_grant_rereads_stored_token(workflow, crm, provider):
    provider.switches.rotate_refresh_tokens = True
    stale = Endpoint.objects.select_related("auth").get(pk=crm.pk)
    expire_stored_token(crm)
    send(workflow, "CRM", "GET", "/me")
    auth_type = stale.auth.type
    call = EndpointCall(stale, auth_type=auth_type)

    token_set = call.run(
        lambda context: auth_type.obtain_token(context, stale.auth), action="test"
    )

    assert token_set.access_token == stored(crm).access_token
    assert provider.counts["refresh_token"] == 2
    assert stored(crm).reconnect_needed is False


def test_rotated_token_rejected_twice_reconnects(workflow, crm, provider):
    provider.switches.rotate_refresh_tokens = True
    first_refresh = stored(crm).refresh_token
    expire_stored_token(crm)
    send(workflow, "CRM", "GET", "/me")
    AuthConfig.objects.filter(pk=crm.pk).update(refresh_token=first_refresh)
    expire_stored_token(crm)

    with pytest.raises(ReconnectNeededError):
        send(workflow, "CRM", "GET", "/me")

    assert stored(crm).reconnect_needed is True


def test_expired_access_401_refreshes_once(workflow, crm, provider):
    provider.expire_access_tokens()

    response = send(workflow, "CRM", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["refresh_token"] == 1


def test_token_prefix_sent(workflow, provider, start_server):
    target = start_server()
    endpoint = make_code_endpoint(workflow, provider, token_prefix="Token")
    access, _ = connect_directly(endpoint, provider)
    endpoint.base_url = target.url()
    endpoint.save()

    send(workflow, "CRM", "GET", "/")

    assert target.last.header("Authorization") == f"Token {access}"


def test_blank_prefix_sends_bare_token(workflow, provider, start_server):
    target = start_server()
    endpoint = make_code_endpoint(workflow, provider, token_prefix="")
    access, _ = connect_directly(endpoint, provider)
    endpoint.base_url = target.url()
    endpoint.save()

    send(workflow, "CRM", "GET", "/")

    assert target.last.header("Authorization") == access


def test_authenticate_refreshes_first(workflow, crm, provider):
    expire_stored_token(crm)

    token = authenticate(Endpoint.objects.get(pk=crm.pk))

    assert token == stored(crm).access_token
    assert provider.counts["refresh_token"] == 1


def test_test_authentication_refreshes(manager_client, crm, provider):
    provider.switches.rotate_refresh_tokens = True
    old_refresh = stored(crm).refresh_token

    response = manager_client.post(
        reverse("endpoints:endpoint_test_auth", args=[crm.pk]),
        edit_form_data(crm),
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 200
    assert 'data-outcome="success"' in response.content.decode()
    assert stored(crm).refresh_token != old_refresh


def test_test_authentication_changed_client(manager_client, crm, provider):
    response = manager_client.post(
        reverse("endpoints:endpoint_test_auth", args=[crm.pk]),
        edit_form_data(crm, **{"auth-client_id": "another-client"}),
        headers={"X-Requested-With": "fetch"},
    )

    page = response.content.decode()
    assert 'data-outcome="failure"' in page
    assert "Save them and Connect again" in page
    assert provider.counts["token"] == 0


def test_changing_client_id_clears_tokens(manager_client, crm):
    response = manager_client.post(
        crm.get_absolute_url(), edit_form_data(crm, **{"auth-client_id": "other"})
    )

    config = stored(crm)
    assert response.status_code == 302
    assert config.access_token == ""
    assert config.refresh_token == ""


def test_saving_other_fields_keeps_tokens(manager_client, crm):
    tokens = (stored(crm).access_token, stored(crm).refresh_token)

    manager_client.post(crm.get_absolute_url(), edit_form_data(crm, name="CRM 2"))

    config = stored(crm)
    assert config.endpoint.name == "CRM 2"
    assert (config.access_token, config.refresh_token) == tokens


def test_save_keeps_concurrently_refreshed_token(manager_client, crm):
    data = edit_form_data(crm, name="CRM 2")
    AuthConfig.objects.filter(pk=crm.pk).update(refresh_token="rotated-meanwhile")

    manager_client.post(crm.get_absolute_url(), data)

    assert stored(crm).refresh_token == "rotated-meanwhile"


def test_redirect_url_read_only_with_copy(manager_client, crm):
    page = manager_client.get(crm.get_absolute_url()).content.decode()

    assert 'value="http://127.0.0.1:8000/oauth/callback/" readonly' in page
    assert 'data-copy-target="oauth-redirect-url"' in page


def test_create_form_validates_urls(manager_client, workflow):
    response = manager_client.post(
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        {
            "auth_type": "oauth2_authorization_code",
            "name": "Bad",
            "base_url": "https://crm.example.test/api",
            "auth-authorization_url": "https://user:pw@login.example.test/auth",
            "auth-token_url": "ftp://login.example.test/token",
            "auth-client_id": "client",
            "auth-client_secret_0": "secret",
            "auth-token_endpoint_auth_method": "client_secret_basic",
            "auth-expired_status": "401",
        },
    )

    errors = response.context["auth_form"].errors.as_data()
    assert response.status_code == 200
    assert [e.code for e in errors["authorization_url"]] == ["userinfo"]
    assert [e.code for e in errors["token_url"]] == ["invalid_scheme"]
