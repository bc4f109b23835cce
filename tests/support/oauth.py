"""The fake OAuth 2.0 provider and OAuth endpoints for the tests."""

from __future__ import annotations

import pytest

from endpoints.auth.oauth.connect import redirect_uri
from endpoints.models import Endpoint
from endpoints.testing.fake_oauth import FakeOAuthProvider

CLIENT_ID = "console-client"
CLIENT_SECRET = "PLANTED-client-secret-4d2e"
USERNAME = "alice"
PASSWORD = "PLANTED-oauth-password-8c1f"


@pytest.fixture
def provider():
    """A fake provider on 127.0.0.1 with one client and one user."""
    fake = FakeOAuthProvider()
    fake.add_client(CLIENT_ID, CLIENT_SECRET, (redirect_uri(),))
    fake.add_user(USERNAME, PASSWORD)
    fake.consenting_user = USERNAME
    fake.start()
    yield fake
    fake.stop()


def make_password_endpoint(workflow, provider, name="Tickets API", **params):
    """Create an OAuth 2.0 (Password) endpoint against the fake provider."""
    stored = {
        "token_url": provider.url("/token"),
        "username": USERNAME,
        "client_id": CLIENT_ID,
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "",
        "expired_status": 401,
    }
    stored.update(params)
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        base_url=provider.url("/api"),
        auth_type="oauth2_password",
        params=stored,
        secrets={"password": PASSWORD, "client_secret": CLIENT_SECRET},
    )


def make_code_endpoint(workflow, provider, name="CRM", **params):
    """Create an OAuth 2.0 (Authorization Code) endpoint, not connected."""
    stored = {
        "authorization_url": provider.url("/authorize"),
        "token_url": provider.url("/token"),
        "client_id": CLIENT_ID,
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "read offline_access",
        "token_prefix": "Bearer",
        "expired_status": 401,
    }
    stored.update(params)
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        base_url=provider.url("/api"),
        auth_type="oauth2_authorization_code",
        params=stored,
        secrets={"client_secret": CLIENT_SECRET},
    )


def connect_directly(endpoint, provider, *, expires_in_seconds=3600):
    """Store tokens that the fake provider issued, as a Connect would."""
    from datetime import timedelta

    from django.utils import timezone

    access, refresh = provider.issue_tokens(CLIENT_ID, USERNAME, "read")
    config = endpoint.auth
    config.access_token = access
    config.refresh_token = refresh
    config.token_expires_at = timezone.now() + timedelta(seconds=expires_in_seconds)
    config.connected_at = timezone.now()
    config.save()
    return access, refresh


def start_connect(client, endpoint, *, popup: bool = False):
    """Press Connect as the signed-in test client; return the provider URL."""
    from django.urls import reverse

    response = client.post(
        reverse("endpoints:endpoint_connect", args=[endpoint.pk]),
        {"popup": "1" if popup else "0"},
    )
    # The console answers with a page that links to the provider, since a
    # redirect of the form submission would break the form-action policy.
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.context["authorization_url"]


def consent(authorize_url: str, decision: str = "allow") -> dict[str, str]:
    """Submit the fake provider's consent page; return the callback query.

    Sends what a browser would: the GET of the page, then the form's POST.
    """
    from urllib.parse import parse_qs, urlsplit

    import httpx2

    with httpx2.Client(follow_redirects=False, trust_env=False) as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        answer = browser.post(
            authorize_url.split("?", 1)[0], data={**query, "decision": decision}
        )
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def callback(client, params: dict[str, str]):
    """Deliver the provider's redirect to the console's callback URL."""
    from django.urls import reverse

    return client.get(reverse("endpoints:oauth_callback"), params)
