"""Fixtures and helpers of the vendor preset tests.

The vendor fakes run inside the fake OAuth provider (see `tests.support.oauth`
and `FakeOAuthProvider.vendor`). The Slack and Microsoft fixtures point the
vendor settings at it, with the console's app credentials set to planted
values that the secret scans look for. `assert_no_leaks` is that scan. The
form helpers post the endpoint forms as a browser would.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from endpoints.models import AuthConfig, Endpoint
from tests.support.oauth import callback, consent, start_connect

SLACK_CLIENT_ID = "console-slack-app"
SLACK_CLIENT_SECRET = "PLANTED-slack-client-secret-6e1d"
MICROSOFT_CLIENT_ID = "5f0c2a9e-1111-4222-8333-0000c0ffee01"
MICROSOFT_CLIENT_SECRET = "PLANTED-microsoft-client-secret-2b7c"
MICROSOFT_TENANT = "tenant.example.test"
SALESFORCE_CONSUMER_KEY = "3MVG9-fake-consumer-key"
SALESFORCE_CONSUMER_SECRET = "PLANTED-sf-consumer-secret-61c2"
SALESFORCE_USERNAME = "integration@acme.example"
SALESFORCE_PASSWORD = "PLANTED-sf-password-93ab"
SALESFORCE_SECURITY_TOKEN = "PLANTEDsfSecurityToken7d"


@pytest.fixture
def slack(provider, settings):
    """The Slack fake, with the console's Slack app pointed at it."""
    fake = provider.vendor("slack")
    fake.add_client(SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)
    settings.SLACK_CLIENT_ID = SLACK_CLIENT_ID
    settings.SLACK_CLIENT_SECRET = SLACK_CLIENT_SECRET
    settings.SLACK_URL = provider.url("/slack")
    settings.SLACK_API_URL = provider.url("/slack/api")
    return fake


@pytest.fixture
def microsoft(provider, settings):
    """The Microsoft fake, with the console's Microsoft app pointed at it."""
    fake = provider.vendor("microsoft")
    fake.add_client(MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET)
    settings.MICROSOFT_CLIENT_ID = MICROSOFT_CLIENT_ID
    settings.MICROSOFT_CLIENT_SECRET = MICROSOFT_CLIENT_SECRET
    settings.MICROSOFT_TENANT = MICROSOFT_TENANT
    settings.MICROSOFT_LOGIN_URL = provider.url("/microsoft")
    settings.MICROSOFT_GRAPH_URL = provider.url("/microsoft/graph")
    return fake


def make_slack_endpoint(workflow, provider, name="Chat", auth_type="slack"):
    """Create a Slack (or Slack (Legacy)) endpoint, not connected."""
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        base_url=provider.url("/slack/api"),
        auth_type=auth_type,
        params={},
        secrets={},
    )


def make_graph_endpoint(workflow, provider, name="Teams"):
    """Create a Microsoft Graph API endpoint, not connected."""
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        base_url=provider.url("/microsoft/graph"),
        auth_type="microsoft_graph",
        params={},
        secrets={},
    )


def make_salesforce_endpoint(workflow, provider, name="CRM", **secrets):
    """Create a Salesforce endpoint with the planted credentials.

    ``secrets`` override the stored secrets, and an empty value leaves that
    secret out.
    """
    stored_secrets = {
        "password": SALESFORCE_PASSWORD,
        "security_token": SALESFORCE_SECURITY_TOKEN,
        "client_secret": SALESFORCE_CONSUMER_SECRET,
    }
    stored_secrets.update(secrets)
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        base_url="https://login.example.test",
        auth_type="salesforce",
        params={
            "environment": "production",
            "username": SALESFORCE_USERNAME,
            "client_id": SALESFORCE_CONSUMER_KEY,
        },
        secrets={key: value for key, value in stored_secrets.items() if value},
    )


def connect(client, endpoint, decision="allow"):
    """Press Connect, answer the fake's consent page, deliver the callback.

    Returns the callback's response and the callback's query parameters.
    """
    params = consent(start_connect(client, endpoint), decision)
    return callback(client, params), params


def create_through_form(client, workflow, name, base_url, auth_type, fields):
    """Post the endpoint form; return the response.

    ``fields`` are the auth form's fields without the ``auth-`` prefix; a
    secret field's value goes in as its typed input.
    """
    data = {"name": name, "base_url": base_url, "auth_type": auth_type}
    for field, value in fields.items():
        data[f"auth-{field}"] = value
    return client.post(reverse("endpoints:endpoint_create", args=[workflow.pk]), data)


def press_test_authentication(client, endpoint, fields):
    """Press Test Authentication on a saved endpoint's page; return it."""
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "version": str(endpoint.version),
    }
    for field, value in fields.items():
        data[f"auth-{field}"] = value
    return client.post(
        reverse("endpoints:endpoint_test_auth", args=[endpoint.pk]), data
    )


def leaks(secrets, text) -> list[str]:
    """Return the secrets that occur in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return [secret for secret in secrets if secret and secret in text]


def assert_no_leaks(planted, *, client=None, urls=(), texts=None):
    """Assert that no planted value occurs on a page or in a text.

    ``client`` fetches each of ``urls`` in the order given, and each page
    must respond with 200. ``texts`` maps a name for the failure message to
    a text or bytes to scan, such as the activity details or the log.
    """
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (
            f"{url} responded with {response.status_code}"
        )
        leaked = leaks(planted, response_body(response))
        assert leaked == [], f"{url} shows the planted values {leaked}"
    for name, text in (texts or {}).items():
        leaked = leaks(planted, text)
        assert leaked == [], f"The {name} contains the planted values {leaked}"


def stored_config(endpoint) -> AuthConfig:
    """Return the endpoint's auth configuration as stored now."""
    return AuthConfig.objects.get(pk=endpoint.pk)


def response_body(response) -> bytes:
    """Return the body of a response, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def download_export(client, workflow):
    """Download the workflow's export; return the response and its body."""
    response = client.get(reverse("endpoints:workflow_export", args=[workflow.pk]))
    return response, response_body(response)
