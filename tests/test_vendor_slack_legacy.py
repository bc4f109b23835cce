"""Slack (Legacy): the older OAuth flow, its scopes and the legacy mark."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from endpoints.auth import registry
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import APIResponseError, authenticate, send
from tests.support.oauth import start_connect
from tests.support.pages import edit_form_data
from tests.support.vendors import (
    SLACK_CLIENT_SECRET,
    connect,
    make_slack_endpoint,
    stored_config,
)

LEGACY_SCOPES = (
    "users:read,team:read,channels:history,channels:write,channels:read,"
    "chat:write:bot,chat:write:user"
)


@pytest.fixture
def legacy(workflow, provider, slack):
    return make_slack_endpoint(
        workflow, provider, name="Old chat", auth_type="slack_legacy"
    )


@pytest.fixture
def connected(manager_client, legacy):
    response, _ = connect(manager_client, legacy)
    assert response.status_code == 302, response.content
    return legacy


def test_type_is_marked_legacy():
    keys = [auth_type.key for auth_type in registry.selectable_types()]

    assert registry.get("slack_legacy").legacy is True
    assert keys[-1] == "slack_legacy"


def test_type_picker_shows_legacy_badge(manager_client, workflow):
    response = manager_client.get(
        reverse("endpoints:endpoint_create", args=[workflow.pk])
    )

    text = response.content.decode()
    start = text.index('id="type-slack_legacy"')
    assert "Slack (Legacy)" in text[start:]
    assert '<span class="badge">Legacy</span>' in text[start : start + 600]


def test_form_creates_endpoint(manager_client, workflow, provider, slack):
    response = manager_client.post(
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        {
            "auth_type": "slack_legacy",
            "name": "Old Slack",
            "base_url": provider.url("/slack/api"),
        },
    )

    assert response.status_code == 302
    assert Endpoint.objects.get(name="Old Slack").auth.auth_type == "slack_legacy"


def test_form_rejects_unconfigured_app(settings):
    settings.SLACK_CLIENT_ID = ""
    settings.SLACK_CLIENT_SECRET = "configured-secret"
    form = registry.get("slack_legacy")(AuthConfig(auth_type="slack_legacy")).get_form(
        {}
    )

    assert not form.is_valid()
    assert "SLACK_CLIENT_ID is empty" in str(form.non_field_errors())


def test_connect_uses_older_flow(manager_client, legacy, provider):
    location = start_connect(manager_client, legacy)

    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert location.startswith(provider.url("/slack/oauth/authorize?"))
    assert query["scope"] == LEGACY_SCOPES


def test_connect_stores_token_from_oauth_access(connected, slack):
    config = stored_config(connected)

    assert config.access_token.startswith("xoxp-")
    assert slack.counts["oauth.access"] == 1
    assert slack.counts["oauth.v2.access"] == 0
    assert "chat:write:bot" in config.granted_scope.split()
    assert config.params["slack_team_name"] == "Fake Workspace"


def test_connect_error_with_200(manager_client, legacy, slack):
    slack.switches.exchange_error = "invalid_code"

    response, _ = connect(manager_client, legacy)

    assert response.status_code == 400
    assert "Slack rejected the authorization code" in response.content.decode()
    assert stored_config(legacy).access_token == ""


def test_send_posts_with_legacy_scope(connected, workflow):
    response = send(
        workflow,
        "Old chat",
        "POST",
        "/chat.postMessage",
        json={"channel": "C1", "text": "hi"},
        raise_api_errors=True,
    )

    assert response.json()["ok"] is True


def test_send_raises_token_revoked(connected, workflow, slack):
    slack.revoke_tokens()

    with pytest.raises(APIResponseError) as caught:
        send(workflow, "Old chat", "POST", "/auth.test", raise_api_errors=True)

    assert caught.value.api_error == "token_revoked"
    assert SLACK_CLIENT_SECRET not in str(caught.value)
    assert ActivityEntry.objects.filter(
        event=ActivityEntry.Event.REQUEST_FAILED
    ).exists()


def test_authenticate_returns_token(connected, workflow):
    assert authenticate(workflow, "Old chat") == stored_config(connected).access_token


def test_test_authentication(manager_client, connected, slack):
    response = manager_client.post(
        reverse("endpoints:endpoint_test_auth", args=[connected.pk]),
        edit_form_data(connected),
    )

    result = response.context["auth_test"]
    assert result.ok, result.message
    assert slack.counts["auth.test"] == 1
