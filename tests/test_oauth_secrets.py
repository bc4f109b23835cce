"""OAuth secrets: planted values never reach pages, admin, export or logs.

The client secret, the password, the tokens and the PKCE verifier are each
planted, then every place that could show them is searched.
"""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from endpoints.models import ActivityEntry, AuthConfig, Endpoint, OAuthState
from endpoints.runtime import TokenRequestError, send
from tests.conftest import MANAGERS, make_user
from tests.support.oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    callback,
    consent,
    start_connect,
)

PLANTED_CODE_SECRET = "PLANTED-code-client-secret-a9b8"


@pytest.fixture
def planted_oauth(workflow, provider):
    """Both OAuth types created through the console's form, then used."""
    creator = Client()
    creator.force_login(make_user("oauth-planter", MANAGERS, is_staff=True))
    provider.add_client("code-client", PLANTED_CODE_SECRET)
    create = reverse("endpoints:endpoint_create", args=[workflow.pk])
    forms = {
        "Planted password": {
            "auth_type": "oauth2_password",
            "auth-token_url": provider.url("/token"),
            "auth-username": USERNAME,
            "auth-password_0": PASSWORD,
            "auth-client_id": CLIENT_ID,
            "auth-client_secret_0": CLIENT_SECRET,
            "auth-token_endpoint_auth_method": "client_secret_post",
            "auth-expired_status": "401",
        },
        "Planted code": {
            "auth_type": "oauth2_authorization_code",
            "auth-authorization_url": provider.url("/authorize"),
            "auth-token_url": provider.url("/token"),
            "auth-client_id": "code-client",
            "auth-client_secret_0": PLANTED_CODE_SECRET,
            "auth-token_endpoint_auth_method": "client_secret_basic",
            "auth-scope": "read offline_access",
            "auth-token_prefix": "Bearer",
            "auth-expired_status": "401",
        },
    }

    for name, fields in forms.items():
        response = creator.post(
            create, {"name": name, "base_url": provider.url("/api"), **fields}
        )
        assert response.status_code == 302, response.content
    password_endpoint = Endpoint.objects.get(name="Planted password")
    code_endpoint = Endpoint.objects.get(name="Planted code")

    send(workflow, password_endpoint, "GET", "/me")
    callback(creator, consent(start_connect(creator, code_endpoint)))

    secrets = [CLIENT_SECRET, PASSWORD, PLANTED_CODE_SECRET]
    for endpoint in (password_endpoint, code_endpoint):
        config = AuthConfig.objects.get(pk=endpoint.pk)
        assert config.access_token
        assert config.refresh_token
        secrets += [config.access_token, config.refresh_token]
    secrets.append(OAuthState.objects.get().code_verifier)
    return {
        "workflow": workflow,
        "endpoints": [password_endpoint, code_endpoint],
        "secrets": secrets,
        "client": creator,
    }


def leaks(secrets, text) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return [secret for secret in secrets if secret in text]


def test_pages_never_show_oauth_secrets(planted_oauth, manager_client):
    workflow = planted_oauth["workflow"]
    urls = [
        reverse("endpoints:workflow_list"),
        workflow.get_absolute_url(),
        reverse("endpoints:workflow_activity", args=[workflow.pk]),
    ]
    for endpoint in planted_oauth["endpoints"]:
        urls += [
            endpoint.get_absolute_url(),
            reverse("endpoints:endpoint_activity", args=[endpoint.pk]),
            reverse("endpoints:endpoint_send_request", args=[endpoint.pk]),
        ]

    for url in urls:
        response = manager_client.get(url)

        assert response.status_code == 200, url
        assert leaks(planted_oauth["secrets"], response.content) == [], url


def test_admin_never_shows_oauth_secrets(planted_oauth, superuser):
    admin = Client()
    admin.force_login(superuser)
    urls = [
        reverse("admin:endpoints_authconfig_changelist"),
        reverse("admin:endpoints_oauthstate_changelist"),
        reverse("admin:endpoints_endpoint_changelist"),
    ]
    for endpoint in planted_oauth["endpoints"]:
        urls += [
            reverse("admin:endpoints_authconfig_change", args=[endpoint.pk]),
            reverse("admin:endpoints_endpoint_change", args=[endpoint.pk]),
        ]
    urls.append(
        reverse("admin:endpoints_oauthstate_change", args=[OAuthState.objects.get().pk])
    )

    for url in urls:
        response = admin.get(url)

        assert response.status_code == 200, url
        assert leaks(planted_oauth["secrets"], response.content) == [], url


def test_export_never_contains_oauth_secrets(planted_oauth, manager_client):
    workflow = planted_oauth["workflow"]

    response = manager_client.get(
        reverse("endpoints:workflow_export", args=[workflow.pk])
    )

    content = (
        b"".join(response.streaming_content)
        if response.streaming
        else (response.content)
    )
    assert response.status_code == 200
    assert leaks(planted_oauth["secrets"], content) == []
    assert b"oauth2" not in content
    assert b"token_url" not in content


def test_activity_never_contains_oauth_secrets(planted_oauth, provider):
    workflow = planted_oauth["workflow"]
    provider.switches.error_with_200 = True
    provider.switches.invalid_client = True
    password_endpoint = planted_oauth["endpoints"][0]
    AuthConfig.objects.filter(pk=password_endpoint.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(TokenRequestError):
        send(workflow, password_endpoint.name, "GET", "/me")

    details = " ".join(ActivityEntry.objects.values_list("detail", flat=True))

    assert ActivityEntry.objects.filter(
        event=ActivityEntry.Event.REQUEST_FAILED
    ).exists()
    assert leaks(planted_oauth["secrets"], details) == []


def test_logs_never_contain_oauth_secrets(workflow, provider, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(make_user("log-planter", MANAGERS))
    from tests.support.oauth import make_code_endpoint, make_password_endpoint

    password_endpoint = make_password_endpoint(workflow, provider)
    code_endpoint = make_code_endpoint(workflow, provider)
    send(workflow, password_endpoint, "GET", "/me")
    params = consent(start_connect(client, code_endpoint))
    callback(client, params)
    AuthConfig.objects.filter(pk=code_endpoint.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    send(workflow, code_endpoint.name, "GET", "/me")
    secrets = [CLIENT_SECRET, PASSWORD, params["code"], params["state"]]
    for endpoint in (password_endpoint, code_endpoint):
        config = AuthConfig.objects.get(pk=endpoint.pk)
        secrets += [config.access_token, config.refresh_token]
    secrets.append(OAuthState.objects.get().code_verifier)

    logged = "\n".join(record.getMessage() for record in caplog.records)

    assert "event=oauth_token_request" in logged
    assert leaks(secrets, logged) == []


def test_raw_columns_encrypt_oauth_secrets(planted_oauth):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets, access_token, refresh_token FROM endpoints_authconfig"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT code_verifier FROM endpoints_oauthstate")
        rows += cursor.fetchall()
    raw = " ".join(
        bytes(value).decode() if isinstance(value, memoryview) else str(value)
        for row in rows
        for value in row
    )

    assert leaks(planted_oauth["secrets"], raw) == []


def test_token_error_message_scrubbed(workflow, provider):
    from tests.support.oauth import make_password_endpoint

    endpoint = make_password_endpoint(workflow, provider)
    provider.switches.invalid_client = True
    provider.switches.error_with_200 = True
    provider.clients[CLIENT_ID].client_secret = "different"

    with pytest.raises(TokenRequestError) as caught:
        send(workflow, endpoint, "GET", "/me")

    assert CLIENT_SECRET not in str(caught.value)
    assert PASSWORD not in str(caught.value)
