"""ServiceNow's OAuth 2.0 method: Connect in Chromium via the fake instance."""

import pytest
from playwright.sync_api import expect

from endpoints.models import AuthConfig, Endpoint
from endpoints.runtime import send
from tests.browser.harness import assert_accessible

CLIENT_ID = "snow-browser-client"
CLIENT_SECRET = "PLANTED-snow-browser-secret-19f0"


@pytest.fixture
def changes(workflow, provider, live_server, settings):
    """A ServiceNow OAuth endpoint that Connect returns to the live server."""
    settings.CONSOLE_BASE_URL = live_server.url
    provider.add_client(
        CLIENT_ID, CLIENT_SECRET, (f"{live_server.url}/oauth/callback/",)
    )
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="Changes",
        base_url=provider.url("/servicenow"),
        auth_type="servicenow",
        params={"method": "oauth", "client_id": CLIENT_ID, "scope": ""},
        secrets={"client_secret": CLIENT_SECRET},
    )


def test_servicenow_connect_popup(page, sign_in, manager, changes, provider):
    sign_in(manager)
    page.goto(changes.get_absolute_url())
    expect(page.get_by_label("Authorization URL")).to_have_value(
        provider.url("/servicenow/oauth_auth.do")
    )
    expect(page.get_by_label("Username")).to_be_hidden()
    expect(page.locator("#oauth-status")).to_contain_text("Not connected")

    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Connect", exact=True).click()
    popup = popup_info.value
    expect(popup.get_by_role("heading", name="Allow access?")).to_be_visible()
    assert popup.url.startswith(provider.url("/servicenow/oauth_auth.do?"))
    assert_accessible(popup)
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Allow").click()

    expect(page.locator("#oauth-status")).to_contain_text("Connected")
    config = AuthConfig.objects.get(pk=changes.pk)
    assert config.refresh_token
    assert config.connected_by == manager
    response = send(changes.workflow, "Changes", "GET", "/api/now/table/incident")
    assert response.status_code == 200


def test_servicenow_basic_hides_connect(page, sign_in, manager, workflow, provider):
    endpoint = Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="Incidents",
        base_url=provider.url("/servicenow"),
        auth_type="servicenow",
        params={"method": "basic", "username": "svc.integration"},
        secrets={"password": "PLANTED-snow-browser-pw"},
    )
    sign_in(manager)
    page.goto(endpoint.get_absolute_url())

    expect(page.get_by_label("Username")).to_have_value("svc.integration")
    expect(page.get_by_label("Client ID")).to_be_hidden()
    expect(page.get_by_role("button", name="Connect", exact=True)).to_have_count(0)
    page.get_by_label("OAuth 2.0 (Authorization Code): Connect in the browser").check()
    expect(page.get_by_label("Client ID")).to_be_visible()
    assert_accessible(page)
