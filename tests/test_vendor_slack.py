"""Slack: the form, Connect, auth.test, the runtime, and Slack's errors.

Everything runs against the Slack fake over a socket, which responds like
Slack: HTTP 200 with ``"ok": false`` and an error code on failure.
"""

import logging
from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from endpoints.auth import registry
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime import (
    APIResponseError,
    AuthenticationError,
    authenticate,
    open_endpoint,
    send,
)
from tests.conftest import MANAGERS, error_codes, make_user
from tests.support.oauth import start_connect
from tests.support.pages import edit_form_data
from tests.support.vendors import (
    SLACK_CLIENT_ID,
    SLACK_CLIENT_SECRET,
    connect,
    download_export,
    leaks,
    make_slack_endpoint,
    stored_config,
)

SLACK_SCOPES = (
    "channels:history,channels:manage,channels:read,chat:write,"
    "chat:write.customize,chat:write.public,groups:read,groups:write,pins:read,"
    "pins:write,team:read,usergroups:read,users:read"
)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def chat(workflow, provider, slack):
    return make_slack_endpoint(workflow, provider)


@pytest.fixture
def connected(manager_client, chat):
    response, _ = connect(manager_client, chat)
    assert response.status_code == 302, response.content
    return chat


def run_auth_test(manager_client, endpoint):
    response = manager_client.post(
        reverse("endpoints:endpoint_test_auth", args=[endpoint.pk]),
        edit_form_data(endpoint),
    )
    return response.context["auth_test"]


# -- Form -------------------------------------------------------------------


def create_data(provider, **overrides):
    data = {
        "auth_type": "slack",
        "name": "Slack",
        "base_url": provider.url("/slack/api"),
    }
    data.update(overrides)
    return data


def test_form_creates_endpoint_without_fields(
    manager_client, workflow, provider, slack
):
    response = manager_client.post(
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        create_data(provider),
    )

    assert response.status_code == 302
    config = Endpoint.objects.get(name="Slack").auth
    assert config.auth_type == "slack"
    assert config.stored_secrets() == {}


def test_form_rejects_other_base_url(manager_client, workflow, provider, slack):
    response = manager_client.post(
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        create_data(provider, base_url="https://elsewhere.example.test/api"),
    )

    assert response.status_code == 200
    errors = response.context["endpoint_form"].errors["base_url"]
    assert errors == [
        f"Slack tokens are sent only to {provider.url('')} (the SLACK_API_URL "
        f"setting). Change the endpoint's base URL to {provider.url('/slack/api')}."
    ]
    assert not Endpoint.objects.filter(name="Slack").exists()


def test_edit_rejects_other_base_url(manager_client, connected, slack):
    data = edit_form_data(connected)
    data["base_url"] = "https://elsewhere.example.test/api"

    response = manager_client.post(
        reverse("endpoints:endpoint_edit", args=[connected.pk]), data
    )

    assert response.status_code == 200
    assert "sent only to" in response.context["endpoint_form"].errors["base_url"][0]
    connected.refresh_from_db()
    assert connected.base_url != "https://elsewhere.example.test/api"
    assert stored_config(connected).access_token


def test_form_rejects_unconfigured_app(manager_client, workflow, provider, settings):
    settings.SLACK_CLIENT_ID = ""
    settings.SLACK_CLIENT_SECRET = ""

    response = manager_client.post(
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        create_data(provider),
    )

    assert response.status_code == 200
    form = response.context["auth_form"]
    assert error_codes(form, "__all__") == ["app_not_configured"]
    assert "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in response.content.decode()
    assert not Endpoint.objects.filter(name="Slack").exists()


def test_form_names_the_one_missing_setting(workflow, settings):
    settings.SLACK_CLIENT_ID = "app"
    settings.SLACK_CLIENT_SECRET = ""
    form = registry.get("slack")(AuthConfig(auth_type="slack")).get_form({})

    assert not form.is_valid()
    assert "SLACK_CLIENT_SECRET is empty" in form.non_field_errors()[0]


def test_type_picker_lists_slack_as_current():
    keys = [auth_type.key for auth_type in registry.selectable_types()]

    assert registry.get("slack").legacy is False
    assert keys.index("slack") < keys.index("slack_legacy")


# -- Connect ----------------------------------------------------------------


def test_connect_uses_v2_flow_and_scopes(manager_client, chat, provider):
    location = start_connect(manager_client, chat)

    query = query_of(location)
    assert location.startswith(provider.url("/slack/oauth/v2/authorize?"))
    assert query["client_id"] == SLACK_CLIENT_ID
    assert query["scope"] == SLACK_SCOPES
    assert query["code_challenge_method"] == "S256"
    assert SLACK_CLIENT_SECRET not in location


def test_connect_stores_bot_token(manager_client, manager, chat, slack):
    response, _ = connect(manager_client, chat)

    config = stored_config(chat)
    assert response.status_code == 302
    assert config.access_token.startswith("xoxb-")
    assert slack.is_active_token(config.access_token)
    assert config.refresh_token == ""
    assert config.token_expires_at is None
    assert config.connected_by == manager
    assert "chat:write" in config.granted_scope.split()
    assert config.params["slack_team_name"] == "Fake Workspace"
    assert slack.token_requests[-1]["client_secret"] == SLACK_CLIENT_SECRET


def test_connect_exchange_error_with_200(manager_client, chat, slack):
    slack.switches.exchange_error = "bad_client_secret"

    response, _ = connect(manager_client, chat)

    text = response.content.decode()
    assert response.status_code == 400
    assert "Slack rejected the client secret" in text
    assert "bad_client_secret" in text
    assert stored_config(chat).access_token == ""
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.CONNECTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert "bad_client_secret" in entry.detail


def test_connect_user_token_only_is_explained(manager_client, chat, slack):
    slack.switches.user_token_only = True

    response, _ = connect(manager_client, chat)

    text = response.content.decode()
    assert response.status_code == 400
    assert "only a user token" in text
    assert stored_config(chat).access_token == ""


def test_connect_denied_in_slack(manager_client, chat):
    response, _ = connect(manager_client, chat, decision="deny")

    assert response.status_code == 400
    assert "Access was denied" in response.content.decode()
    assert stored_config(chat).access_token == ""


def test_connect_without_app_settings(manager_client, chat, settings):
    settings.SLACK_CLIENT_SECRET = ""

    response = manager_client.post(
        reverse("endpoints:endpoint_connect", args=[chat.pk]), {"popup": "0"}
    )

    assert response.status_code == 503
    assert "SLACK_CLIENT_SECRET is empty" in response.content.decode()


# -- Runtime ----------------------------------------------------------------


def test_send_uses_bot_token(connected, workflow, slack):
    response = send(workflow, "Chat", "POST", "/auth.test")

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert slack.counts["auth.test"] == 1


def test_send_returns_ok_false_by_default(connected, workflow, slack):
    response = send(workflow, "Chat", "POST", "/chat.postMessage", json={})

    assert response.status_code == 200
    assert response.json()["error"] == "channel_not_found"


def test_send_raises_ok_false_when_asked(connected, workflow, slack):
    with pytest.raises(APIResponseError) as caught:
        send(
            workflow,
            "Chat",
            "POST",
            "/chat.postMessage",
            json={},
            raise_api_errors=True,
        )

    assert caught.value.api_error == "channel_not_found"
    assert caught.value.status_code == 200
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.REQUEST_FAILED)
    assert "channel_not_found" in entry.detail


@pytest.mark.parametrize(
    ("break_token", "code", "words"),
    [
        ("unknown", "invalid_auth", "rejected the stored token as invalid"),
        ("revoke", "token_revoked", "The Slack token was revoked"),
    ],
)
def test_send_token_errors(connected, workflow, slack, break_token, code, words):
    if break_token == "revoke":
        slack.revoke_tokens()
    else:
        AuthConfig.objects.filter(pk=connected.pk).update(access_token="xoxb-unknown")

    with pytest.raises(APIResponseError) as caught:
        send(workflow, "Chat", "POST", "/auth.test", raise_api_errors=True)

    assert caught.value.api_error == code
    assert words in str(caught.value)
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.REQUEST_FAILED)
    assert code in entry.detail
    assert entry.outcome == ActivityEntry.Outcome.FAILURE


def test_send_missing_scope_names_scope(workflow, provider, slack, manager_client):
    slack.switches.granted_scopes = ("users:read",)
    chat = make_slack_endpoint(workflow, provider)
    connect(manager_client, chat)

    with pytest.raises(APIResponseError) as caught:
        send(
            workflow,
            "Chat",
            "POST",
            "/chat.postMessage",
            json={"channel": "C1", "text": "hi"},
            raise_api_errors=True,
        )

    assert caught.value.api_error == "missing_scope"
    assert "needed: chat:write" in str(caught.value)
    assert ActivityEntry.objects.filter(
        event=ActivityEntry.Event.REQUEST_FAILED, detail__contains="missing_scope"
    ).exists()


def test_send_refuses_other_base_url(connected, workflow, slack):
    Endpoint.objects.filter(pk=connected.pk).update(
        base_url="https://elsewhere.example.test/api"
    )

    with pytest.raises(AuthenticationError) as caught:
        send(workflow, "Chat", "POST", "/auth.test")

    assert "sent only to" in str(caught.value)
    assert slack.counts["auth.test"] == 0


def test_authenticate_returns_bot_token(connected, workflow, slack):
    token = authenticate(workflow, "Chat")

    assert token == stored_config(connected).access_token
    assert token.startswith("xoxb-")


def test_rotated_token_refreshes_on_expiry(workflow, provider, slack, manager_client):
    slack.switches.rotate_tokens = True
    chat = make_slack_endpoint(workflow, provider)
    connect(manager_client, chat)
    first = stored_config(chat)
    assert first.refresh_token.startswith("xoxe-1-")
    AuthConfig.objects.filter(pk=chat.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = send(workflow, "Chat", "POST", "/auth.test", raise_api_errors=True)

    renewed = stored_config(chat)
    assert response.json()["ok"] is True
    assert renewed.access_token != first.access_token
    assert renewed.refresh_token != first.refresh_token


def test_token_expired_in_body_renews_once(workflow, provider, slack, manager_client):
    slack.switches.rotate_tokens = True
    chat = make_slack_endpoint(workflow, provider)
    connect(manager_client, chat)
    slack.expire_tokens()

    response = send(workflow, "Chat", "POST", "/auth.test", raise_api_errors=True)

    assert response.json()["ok"] is True
    assert slack.counts["auth.test"] == 2
    assert slack.is_active_token(stored_config(chat).access_token)


# -- Test Authentication ----------------------------------------------------


def test_test_authentication_calls_auth_test(manager_client, connected, slack):
    result = run_auth_test(manager_client, connected)

    assert result.ok, result.message
    assert "Fake Workspace" in result.message
    assert slack.counts["auth.test"] == 1
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.outcome == ActivityEntry.Outcome.SUCCESS


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("invalid_auth", "rejected the stored token as invalid"),
        ("token_revoked", "The Slack token was revoked"),
    ],
)
def test_test_authentication_failures(manager_client, connected, slack, code, words):
    if code == "token_revoked":
        slack.revoke_tokens()
    else:
        AuthConfig.objects.filter(pk=connected.pk).update(access_token="xoxb-gone")

    result = run_auth_test(manager_client, connected)

    assert not result.ok
    assert result.stage == "authentication"
    assert words in result.message
    assert code in result.message
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert code in entry.detail


def test_test_authentication_not_connected(manager_client, chat, slack):
    result = run_auth_test(manager_client, chat)

    assert not result.ok
    assert "not connected" in result.message
    assert slack.counts["auth.test"] == 0


# -- Secrets ----------------------------------------------------------------


def test_planted_secrets_appear_nowhere(workflow, provider, slack, caplog, superuser):
    caplog.set_level(logging.DEBUG)
    slack.switches.rotate_tokens = True
    manager = Client()
    manager.force_login(make_user("slack-planter", MANAGERS, is_staff=True))
    chat = make_slack_endpoint(workflow, provider)
    _, params = connect(manager, chat)
    config = stored_config(chat)
    planted = [
        SLACK_CLIENT_SECRET,
        config.access_token,
        config.refresh_token,
        params["code"],
    ]
    # Failures whose messages pass through every scrubbed place.
    with pytest.raises(APIResponseError):
        send(
            workflow,
            "Chat",
            "POST",
            "/chat.postMessage",
            json={},
            raise_api_errors=True,
        )
    slack.revoke_tokens()
    run_auth_test(manager, chat)
    slack.switches.exchange_error = "bad_client_secret"
    connect(manager, chat)

    admin = Client()
    admin.force_login(superuser)
    pages = [
        manager.get(chat.get_absolute_url()).content,
        manager.get(workflow.get_absolute_url()).content,
        manager.get(reverse("endpoints:workflow_activity", args=[workflow.pk])).content,
        manager.get(reverse("endpoints:endpoint_send_request", args=[chat.pk])).content,
        admin.get(reverse("admin:endpoints_authconfig_change", args=[chat.pk])).content,
    ]
    export, exported = download_export(manager, workflow)
    details = " ".join(ActivityEntry.objects.values_list("detail", flat=True))
    logged = "\n".join(record.getMessage() for record in caplog.records)

    for page in pages:
        assert leaks(planted, page) == []
    assert leaks(planted, exported) == []
    assert b'"auth_type": "slack' not in exported
    assert b"slack_team" not in exported
    assert leaks(planted, details) == []
    assert leaks(planted, logged) == []
    assert "event=oauth_token_request" in logged


def test_session_raises_api_errors(connected, workflow, slack):
    slack.revoke_tokens()

    with open_endpoint(workflow, "Chat") as chat:
        unchecked = chat.send("POST", "/auth.test")
        with pytest.raises(APIResponseError) as caught:
            chat.send("POST", "/auth.test", raise_api_errors=True)

    assert unchecked.status_code == 200
    assert unchecked.json()["ok"] is False
    assert caught.value.api_error == "token_revoked"


def test_command_raises_ok_false_when_asked(connected, workflow, slack):
    slack.revoke_tokens()
    out = StringIO()

    call_command(
        "send_request", workflow.name, "Chat", "POST", "/auth.test", stdout=out
    )
    with pytest.raises(CommandError) as caught:
        call_command(
            "send_request",
            workflow.name,
            "Chat",
            "POST",
            "/auth.test",
            "--raise-api-errors",
            stdout=StringIO(),
        )

    assert "token_revoked" in out.getvalue()
    assert caught.value.returncode == 1
    assert "token_revoked" in str(caught.value)


def test_admin_rejects_other_base_url(chat, slack):
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    data = {
        "name": chat.name,
        "base_url": "https://elsewhere.example.test/api",
        "loaded_version": str(chat.version),
        "auth-TOTAL_FORMS": "1",
        "auth-INITIAL_FORMS": "1",
        "auth-0-endpoint": str(chat.pk),
    }

    response = client.post(
        reverse("admin:endpoints_endpoint_change", args=[chat.pk]), data
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["base_url"]
    assert "sent only to" in errors[0]
    chat.refresh_from_db()
    assert chat.base_url != "https://elsewhere.example.test/api"
