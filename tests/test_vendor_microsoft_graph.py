"""Microsoft Graph API: the form, Connect, consent errors, refresh, /me.

Everything runs against the Microsoft fake over a socket, which responds
with the identity platform's AADSTS errors and Graph's error objects.
"""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from endpoints.auth import registry
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import ReconnectNeededError, send
from endpoints.testing.fake_microsoft import (
    APPROVAL_PENDING,
    CONSENT_REQUIRED,
    USER_DECLINED,
)
from tests.conftest import MANAGERS, error_codes, make_user
from tests.support.oauth import start_connect
from tests.support.pages import edit_form_data
from tests.support.vendors import (
    MICROSOFT_CLIENT_ID,
    MICROSOFT_CLIENT_SECRET,
    MICROSOFT_TENANT,
    connect,
    download_export,
    leaks,
    make_graph_endpoint,
    stored_config,
)

GRAPH_SCOPES = (
    "ChannelMessage.Read.All Directory.ReadWrite.All Group.ReadWrite.All "
    "offline_access OnlineMeetings.ReadWrite openid profile User.Read"
)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def run_auth_test(client, endpoint):
    response = client.post(
        reverse("endpoints:endpoint_test_auth", args=[endpoint.pk]),
        edit_form_data(endpoint),
    )
    return response.context["auth_test"]


@pytest.fixture
def teams(workflow, provider, microsoft):
    return make_graph_endpoint(workflow, provider)


@pytest.fixture
def connected(manager_client, teams):
    response, _ = connect(manager_client, teams)
    assert response.status_code == 302, response.content
    return teams


# -- Form -------------------------------------------------------------------


def test_form_creates_endpoint(manager_client, workflow, provider, microsoft):
    response = manager_client.post(
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        {
            "auth_type": "microsoft_graph",
            "name": "Graph",
            "base_url": provider.url("/microsoft/graph"),
        },
    )

    assert response.status_code == 302
    assert Endpoint.objects.get(name="Graph").auth.auth_type == "microsoft_graph"


def test_form_rejects_unconfigured_app(settings):
    settings.MICROSOFT_CLIENT_ID = ""
    settings.MICROSOFT_CLIENT_SECRET = ""
    config = AuthConfig(auth_type="microsoft_graph")
    form = registry.get("microsoft_graph")(config).get_form({})

    assert not form.is_valid()
    assert error_codes(form, "__all__") == ["app_not_configured"]
    assert "MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET" in str(
        form.non_field_errors()
    )


# -- Connect ----------------------------------------------------------------


def test_connect_url_names_tenant_and_scopes(manager_client, teams, provider):
    location = start_connect(manager_client, teams)

    query = query_of(location)
    expected = provider.url(f"/microsoft/{MICROSOFT_TENANT}/oauth2/v2.0/authorize?")
    assert location.startswith(expected)
    assert query["client_id"] == MICROSOFT_CLIENT_ID
    assert query["scope"] == GRAPH_SCOPES
    assert "offline_access" in query["scope"].split()
    assert query["code_challenge_method"] == "S256"
    assert MICROSOFT_CLIENT_SECRET not in location


def test_connect_stores_tokens(manager_client, manager, teams, microsoft):
    response, _ = connect(manager_client, teams)

    config = stored_config(teams)
    assert response.status_code == 302
    assert microsoft.is_active_access_token(config.access_token)
    assert config.refresh_token
    assert config.token_expires_at is not None
    assert "User.Read" in config.granted_scope.split()
    assert microsoft.tenants == [MICROSOFT_TENANT]


def test_connect_without_offline_access_warns(manager_client, teams, microsoft):
    microsoft.switches.no_offline_access = True

    response, _ = connect(manager_client, teams)

    text = response.content.decode()
    assert response.status_code == 400
    assert "Microsoft issued no refresh token" in text
    assert "offline_access" in text
    assert MICROSOFT_CLIENT_ID in text
    assert stored_config(teams).access_token == ""


@pytest.mark.parametrize(
    ("mode", "words", "code"),
    [
        (CONSENT_REQUIRED, "grant admin consent", "AADSTS65001"),
        (APPROVAL_PENDING, "waiting for an administrator", "AADSTS90094"),
        (USER_DECLINED, "Consent was declined", "AADSTS65004"),
    ],
)
def test_connect_consent_errors(manager_client, teams, microsoft, mode, words, code):
    microsoft.switches.consent_error = mode

    response, _ = connect(manager_client, teams)

    text = response.content.decode()
    assert response.status_code == 400
    assert words in text
    assert code in text
    assert stored_config(teams).access_token == ""
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CONNECTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert code in entry.detail


def test_consent_required_names_what_to_grant(manager_client, teams, microsoft):
    microsoft.switches.consent_error = CONSENT_REQUIRED

    response, _ = connect(manager_client, teams)

    text = response.content.decode()
    assert MICROSOFT_CLIENT_ID in text
    assert "Directory.ReadWrite.All" in text
    assert "Administrator" in text


def test_connect_wrong_client_secret(manager_client, teams, microsoft, settings):
    microsoft.clients[MICROSOFT_CLIENT_ID] = "another-secret-value"

    response, _ = connect(manager_client, teams)

    text = response.content.decode()
    assert response.status_code == 400
    assert "MICROSOFT_CLIENT_SECRET" in text
    assert "AADSTS7000215" in text


# -- Runtime ----------------------------------------------------------------


def test_send_reads_me(connected, workflow):
    response = send(workflow, "Teams", "GET", "/v1.0/me")

    assert response.status_code == 200
    assert response.json()["displayName"] == "Demo User"


def test_send_refreshes_before_expiry(connected, workflow, microsoft):
    first = stored_config(connected)
    AuthConfig.objects.filter(pk=connected.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=5)
    )

    response = send(workflow, "Teams", "GET", "/v1.0/me")

    assert response.status_code == 200
    assert stored_config(connected).access_token != first.access_token
    assert microsoft.counts["token"] == 2


def test_send_retries_after_401(connected, workflow, microsoft):
    microsoft.expire_access_tokens()

    response = send(workflow, "Teams", "GET", "/v1.0/me")

    assert response.status_code == 200
    assert microsoft.counts["graph"] == 2


def test_refresh_consent_revoked_needs_reconnect(connected, workflow, microsoft):
    microsoft.switches.refresh_consent_required = True
    AuthConfig.objects.filter(pk=connected.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises(ReconnectNeededError) as caught:
        send(workflow, "Teams", "GET", "/v1.0/me")

    assert "AADSTS65001" in str(caught.value)
    assert stored_config(connected).reconnect_needed
    assert ActivityEntry.objects.filter(
        event=ActivityEntry.Event.RECONNECT_NEEDED
    ).exists()


# -- Test Authentication ----------------------------------------------------


def test_test_authentication_refreshes_and_reads_me(
    manager_client, connected, microsoft
):
    before = stored_config(connected).access_token

    result = run_auth_test(manager_client, connected)

    assert result.ok, result.message
    assert "Demo User" in result.message
    assert stored_config(connected).access_token != before
    assert microsoft.counts["graph"] == 1
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.outcome == ActivityEntry.Outcome.SUCCESS


def test_test_authentication_consent_revoked(manager_client, connected, microsoft):
    microsoft.switches.refresh_consent_required = True

    result = run_auth_test(manager_client, connected)

    assert not result.ok
    assert "grant admin consent" in result.message
    assert "AADSTS65001" in result.message
    assert microsoft.counts["graph"] == 0
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE


def test_test_authentication_not_connected(manager_client, teams, microsoft):
    result = run_auth_test(manager_client, teams)

    assert not result.ok
    assert microsoft.counts["token"] == 0


# -- Secrets ----------------------------------------------------------------


def test_planted_secrets_appear_nowhere(
    workflow, provider, microsoft, caplog, superuser
):
    caplog.set_level(logging.DEBUG)
    manager = Client()
    manager.force_login(make_user("graph-planter", MANAGERS, is_staff=True))
    teams = make_graph_endpoint(workflow, provider)
    _, params = connect(manager, teams)
    first = stored_config(teams)
    run_auth_test(manager, teams)
    renewed = stored_config(teams)
    planted = [
        MICROSOFT_CLIENT_SECRET,
        first.access_token,
        first.refresh_token,
        renewed.access_token,
        renewed.refresh_token,
        params["code"],
    ]
    # Failures whose messages pass through every scrubbed place.
    microsoft.clients[MICROSOFT_CLIENT_ID] = "rotated-elsewhere-secret"
    run_auth_test(manager, teams)
    microsoft.switches.consent_error = CONSENT_REQUIRED
    connect(manager, teams)

    admin = Client()
    admin.force_login(superuser)
    pages = [
        manager.get(teams.get_absolute_url()).content,
        manager.get(workflow.get_absolute_url()).content,
        manager.get(reverse("endpoints:workflow_activity", args=[workflow.pk])).content,
        admin.get(
            reverse("admin:endpoints_authconfig_change", args=[teams.pk])
        ).content,
    ]
    export, exported = download_export(manager, workflow)
    details = " ".join(ActivityEntry.objects.values_list("detail", flat=True))
    logged = "\n".join(record.getMessage() for record in caplog.records)

    for page in pages:
        assert leaks(planted, page) == []
    assert leaks(planted, exported) == []
    assert b"microsoft_graph" not in exported
    assert leaks(planted, details) == []
    assert leaks(planted, logged) == []
    assert "event=oauth_token_request" in logged
