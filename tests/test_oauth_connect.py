"""Connect and the callback: state, PKCE, provider errors, Disconnect."""

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from endpoints.models import ActivityEntry, AuthConfig, OAuthState, hash_oauth_value
from tests.conftest import MANAGERS, make_user
from tests.support.oauth import (
    CLIENT_ID,
    callback,
    consent,
    make_code_endpoint,
    start_connect,
)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def stored(endpoint) -> AuthConfig:
    return AuthConfig.objects.get(pk=endpoint.pk)


@pytest.fixture
def crm(workflow, provider):
    return make_code_endpoint(workflow, provider)


def test_connect_redirects_with_pkce(manager_client, crm, provider):
    location = start_connect(manager_client, crm)

    query = query_of(location)
    assert location.startswith(provider.url("/authorize?"))
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://127.0.0.1:8000/oauth/callback/"
    assert query["scope"] == "read offline_access"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32


def test_connect_stores_hashes_and_verifier(manager_client, crm):
    location = start_connect(manager_client, crm)

    state = OAuthState.objects.get()
    query = query_of(location)
    digest = hashlib.sha256(state.code_verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert state.state_hash == hash_oauth_value(query["state"])
    assert query["state"] not in state.state_hash
    assert challenge == query["code_challenge"]
    assert 43 <= len(state.code_verifier) <= 128


def test_redirect_uri_follows_console_base_url(manager_client, crm, settings):
    settings.CONSOLE_BASE_URL = "https://console.example.test/"

    location = start_connect(manager_client, crm)

    redirect = query_of(location)["redirect_uri"]
    assert redirect == "https://console.example.test/oauth/callback/"


def test_connect_allow_stores_tokens(manager_client, manager, crm, provider):
    params = consent(start_connect(manager_client, crm))

    response = callback(manager_client, params)

    config = stored(crm)
    assert response.status_code == 302
    assert response["Location"] == crm.get_absolute_url()
    assert provider.is_active_access_token(config.access_token)
    assert config.refresh_token.startswith("fake-rt-")
    assert config.connected_by == manager
    assert config.connected_at is not None
    assert config.granted_scope == "read offline_access"


def test_connect_sends_pkce_verifier(manager_client, crm, provider):
    params = consent(start_connect(manager_client, crm))

    callback(manager_client, params)

    form = provider.token_requests[0]["form"]
    verifier = OAuthState.objects.get().code_verifier
    assert form["grant_type"] == "authorization_code"
    assert form["code_verifier"] == verifier
    assert form["redirect_uri"] == "http://127.0.0.1:8000/oauth/callback/"


def test_connect_writes_activity(manager_client, crm):
    params = consent(start_connect(manager_client, crm))

    callback(manager_client, params)

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CONNECTED)
    assert entry.outcome == ActivityEntry.Outcome.SUCCESS
    assert entry.endpoint_id == crm.pk


def test_connected_page_shows_who_and_when(manager_client, crm):
    callback(manager_client, consent(start_connect(manager_client, crm)))

    page = manager_client.get(crm.get_absolute_url()).content.decode()

    assert "Connected</span> by manager on" in page
    assert "Disconnect" in page


def test_popup_success_page_closes(manager_client, crm):
    params = consent(start_connect(manager_client, crm, popup=True))

    response = callback(manager_client, params)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-oauth-result="connected"' in page
    assert 'data-popup="true"' in page
    assert "js/oauth-callback.js" in page
    assert "<script>" not in page


def test_missing_state_rejected(manager_client, crm):
    response = callback(manager_client, {"code": "anything"})

    assert response.status_code == 400
    assert "has no state" in response.content.decode()
    assert stored(crm).access_token == ""


def test_forged_state_rejected(manager_client, crm, provider):
    params = consent(start_connect(manager_client, crm))

    response = callback(manager_client, {**params, "state": "forged-state-value"})

    assert response.status_code == 400
    assert "state is unknown" in response.content.decode()
    assert stored(crm).access_token == ""
    assert provider.counts["token"] == 0


def test_reused_state_rejected(manager_client, crm, provider):
    params = consent(start_connect(manager_client, crm))
    callback(manager_client, params)
    AuthConfig.objects.filter(pk=crm.pk).update(access_token="", refresh_token="")

    response = callback(manager_client, params)

    assert response.status_code == 400
    assert "accepted once" in response.content.decode()
    assert stored(crm).access_token == ""
    assert provider.counts["token"] == 1


def test_expired_state_rejected(manager_client, crm, provider):
    params = consent(start_connect(manager_client, crm))
    OAuthState.objects.update(created_at=timezone.now() - timedelta(minutes=11))

    response = callback(manager_client, params)

    assert response.status_code == 400
    assert "more than 10 minutes" in response.content.decode()
    assert stored(crm).access_token == ""
    assert provider.counts["token"] == 0


def test_state_within_ten_minutes_accepted(manager_client, crm):
    params = consent(start_connect(manager_client, crm))
    OAuthState.objects.update(created_at=timezone.now() - timedelta(minutes=9))

    response = callback(manager_client, params)

    assert response.status_code == 302
    assert stored(crm).access_token


def test_state_of_other_session_rejected(manager, manager_client, crm):
    params = consent(start_connect(manager_client, crm))
    other_browser = Client()
    other_browser.force_login(manager)

    response = other_browser.get(reverse("endpoints:oauth_callback"), params)

    assert response.status_code == 400
    assert "another session" in response.content.decode()
    assert stored(crm).access_token == ""


def test_state_of_other_user_rejected(manager_client, crm):
    params = consent(start_connect(manager_client, crm))
    other = Client()
    other.force_login(make_user("mallory", MANAGERS))

    response = other.get(reverse("endpoints:oauth_callback"), params)

    assert response.status_code == 400
    assert stored(crm).access_token == ""
    assert OAuthState.objects.get().used_at is None


def test_code_for_other_endpoint_rejected(manager_client, workflow, crm, provider):
    other = make_code_endpoint(workflow, provider, name="Billing")
    crm_params = consent(start_connect(manager_client, crm))
    other_params = consent(start_connect(manager_client, other))

    response = callback(
        manager_client, {"code": other_params["code"], "state": crm_params["state"]}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "PKCE code_verifier does not match" in page
    assert stored(crm).access_token == ""
    assert stored(other).access_token == ""


def test_access_denied_in_plain_words(manager_client, crm, provider):
    params = consent(start_connect(manager_client, crm), decision="deny")

    response = callback(manager_client, params)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Access was denied at the provider" in page
    assert "Nothing was stored" in page
    assert stored(crm).access_token == ""
    assert provider.counts["token"] == 0
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CONNECTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE


@pytest.mark.parametrize(
    ("error", "description", "words"),
    [
        ("consent_required", "", "needs consent that was not given"),
        (
            "access_denied",
            "Need admin approval",
            "An administrator of the provider must approve",
        ),
        ("interaction_required", "", "sign in or approve"),
    ],
)
def test_provider_errors_in_plain_words(manager_client, crm, error, description, words):
    location = start_connect(manager_client, crm)
    state = query_of(location)["state"]

    response = callback(
        manager_client,
        {"error": error, "error_description": description, "state": state},
    )

    assert response.status_code == 400
    assert words in response.content.decode()


def test_callback_after_logout_stores_nothing(manager_client, crm, provider):
    params = consent(start_connect(manager_client, crm))
    manager_client.logout()

    response = callback(manager_client, params)

    page = response.content.decode()
    assert response.status_code == 401
    assert "You are signed out" in page
    assert "Sign in" in page
    assert stored(crm).access_token == ""
    assert provider.counts["token"] == 0


def test_callback_after_new_login_rejected(manager, manager_client, crm):
    params = consent(start_connect(manager_client, crm))
    manager_client.logout()
    manager_client.force_login(manager)

    response = callback(manager_client, params)

    assert response.status_code == 400
    assert stored(crm).access_token == ""


def test_missing_refresh_token_refused(manager_client, crm, provider):
    provider.switches.no_refresh_token = True
    params = consent(start_connect(manager_client, crm))

    response = callback(manager_client, params)

    page = response.content.decode()
    assert response.status_code == 400
    assert "issued no refresh token" in page
    assert "offline_access" in page
    assert stored(crm).access_token == ""


@pytest.mark.parametrize(
    ("switch", "words"),
    [
        ("invalid_client", "client secret mismatch"),
        ("invalid_grant", "The grant is invalid or expired"),
        ("error_with_200", "client secret mismatch"),
        ("html_instead_of_json", "instead of JSON"),
    ],
)
def test_token_failures_at_callback(manager_client, crm, provider, switch, words):
    params = consent(start_connect(manager_client, crm))
    setattr(provider.switches, switch, True)
    if switch == "error_with_200":
        provider.switches.invalid_client = True

    response = callback(manager_client, params)

    assert response.status_code == 400
    assert words in response.content.decode()
    assert stored(crm).access_token == ""
    assert ActivityEntry.objects.filter(
        event=ActivityEntry.Event.CONNECTED, outcome=ActivityEntry.Outcome.FAILURE
    ).exists()


def test_slow_token_endpoint_at_callback(manager_client, crm, provider, settings):
    settings.ENDPOINT_REQUEST_TIMEOUT = 0.5
    provider.switches.slow_seconds = 2.0
    params = consent(start_connect(manager_client, crm))

    response = callback(manager_client, params)

    assert response.status_code == 400
    assert "did not respond within 0.5 s" in response.content.decode()
    assert stored(crm).access_token == ""


def test_viewer_cannot_connect(viewer_client, crm):
    response = viewer_client.post(reverse("endpoints:endpoint_connect", args=[crm.pk]))

    assert response.status_code == 403
    assert not OAuthState.objects.exists()


def test_connect_get_not_allowed(manager_client, crm):
    response = manager_client.get(reverse("endpoints:endpoint_connect", args=[crm.pk]))

    assert response.status_code == 405


def test_connect_rejects_password_type(manager_client, workflow, provider):
    from tests.support.oauth import make_password_endpoint

    endpoint = make_password_endpoint(workflow, provider)

    response = manager_client.post(
        reverse("endpoints:endpoint_connect", args=[endpoint.pk])
    )

    assert response.status_code == 400


def test_disconnect_clears_tokens(manager_client, crm):
    callback(manager_client, consent(start_connect(manager_client, crm)))

    response = manager_client.post(
        reverse("endpoints:endpoint_disconnect", args=[crm.pk])
    )

    config = stored(crm)
    assert response.status_code == 302
    assert config.access_token == ""
    assert config.refresh_token == ""
    assert config.connected_by is None
    assert ActivityEntry.objects.filter(event=ActivityEntry.Event.DISCONNECTED).exists()


def test_viewer_cannot_disconnect(manager_client, viewer, crm):
    callback(manager_client, consent(start_connect(manager_client, crm)))
    viewer_browser = Client()
    viewer_browser.force_login(viewer)

    response = viewer_browser.post(
        reverse("endpoints:endpoint_disconnect", args=[crm.pk])
    )

    assert response.status_code == 403
    assert stored(crm).access_token


def test_disconnect_get_not_allowed(manager_client, crm):
    response = manager_client.get(
        reverse("endpoints:endpoint_disconnect", args=[crm.pk])
    )

    assert response.status_code == 405


def test_old_states_deleted_on_connect(manager_client, crm):
    start_connect(manager_client, crm)
    OAuthState.objects.update(created_at=timezone.now() - timedelta(days=2))

    start_connect(manager_client, crm)

    assert OAuthState.objects.count() == 1
