"""Connect in Chromium for Slack, Slack (Legacy) and Microsoft Graph API.

The popup goes through the vendor fake's consent page over a socket, and
the fake's pages get the same axe check as the console's.
"""

import pytest
from playwright.sync_api import expect

from endpoints.models import AuthConfig
from endpoints.testing.fake_microsoft import CONSENT_REQUIRED
from tests.browser.harness import assert_accessible
from tests.support.vendors import make_graph_endpoint, make_slack_endpoint


@pytest.fixture
def console_url(live_server, settings):
    settings.CONSOLE_BASE_URL = live_server.url
    return live_server.url


def connect_in_popup(page, endpoint, button: str):
    """Press Connect, check the consent page, press ``button`` in it."""
    page.goto(endpoint.get_absolute_url())
    expect(page.locator("#oauth-status")).to_contain_text("Not connected")
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Connect", exact=True).click()
    popup = popup_info.value
    expect(popup.get_by_role("button", name=button)).to_be_visible()
    assert_accessible(popup)
    return popup


@pytest.mark.parametrize(
    ("auth_type", "heading"),
    [("slack", "Install app?"), ("slack_legacy", "Authorize app?")],
)
def test_slack_connect_in_popup(
    page, sign_in, manager, workflow, provider, slack, console_url, auth_type, heading
):
    chat = make_slack_endpoint(workflow, provider, auth_type=auth_type)
    sign_in(manager)

    popup = connect_in_popup(page, chat, "Allow")
    expect(popup.get_by_role("heading", name=heading)).to_be_visible()
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Allow").click()

    expect(page.locator("#oauth-status")).to_contain_text("Connected")
    assert slack.is_active_token(AuthConfig.objects.get(pk=chat.pk).access_token)


def test_slack_connect_error_shown(
    page, sign_in, manager, workflow, provider, slack, console_url
):
    slack.switches.exchange_error = "invalid_code"
    chat = make_slack_endpoint(workflow, provider)
    sign_in(manager)

    popup = connect_in_popup(page, chat, "Allow")
    popup.get_by_role("button", name="Allow").click()

    expect(popup.get_by_role("heading", name="Connect failed")).to_be_visible()
    expect(popup.locator("#result-message")).to_contain_text(
        "Slack rejected the authorization code"
    )
    assert AuthConfig.objects.get(pk=chat.pk).access_token == ""


def test_microsoft_connect_in_popup(
    page, sign_in, manager, workflow, provider, microsoft, console_url
):
    teams = make_graph_endpoint(workflow, provider)
    sign_in(manager)

    popup = connect_in_popup(page, teams, "Accept")
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Accept").click()

    expect(page.locator("#oauth-status")).to_contain_text("Connected")
    expect(page.locator("#oauth-status")).to_contain_text("by manager on")
    assert AuthConfig.objects.get(pk=teams.pk).refresh_token


def test_microsoft_consent_error_in_popup(
    page, sign_in, manager, workflow, provider, microsoft, console_url
):
    microsoft.switches.consent_error = CONSENT_REQUIRED
    teams = make_graph_endpoint(workflow, provider)
    sign_in(manager)

    popup = connect_in_popup(page, teams, "Accept")
    popup.get_by_role("button", name="Accept").click()

    expect(popup.get_by_role("heading", name="Connect failed")).to_be_visible()
    expect(popup.locator("#result-message")).to_contain_text("grant admin consent")
    expect(popup.locator("#result-message")).to_contain_text("AADSTS65001")
    page.reload()
    expect(page.locator("#oauth-status")).to_contain_text("Not connected")


def test_connect_unconfigured_app_explained(
    page, sign_in, manager, workflow, provider, slack, console_url, settings
):
    chat = make_slack_endpoint(workflow, provider)
    settings.SLACK_CLIENT_SECRET = ""
    sign_in(manager)
    page.goto(chat.get_absolute_url())

    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Connect", exact=True).click()
    popup = popup_info.value

    expect(
        popup.get_by_role("heading", name="Connect is not configured")
    ).to_be_visible()
    expect(popup.locator("#result-message")).to_contain_text("SLACK_CLIENT_SECRET")
