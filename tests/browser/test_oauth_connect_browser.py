"""Connect in Chromium through the fake provider's consent page."""

import pytest
from playwright.sync_api import expect

from endpoints.models import AuthConfig
from tests.browser.harness import assert_accessible
from tests.support.oauth import CLIENT_ID, make_code_endpoint

# Makes window.close() a marker instead, so that the popup's last page stays
# open to be checked.
KEEP_POPUP_OPEN_SCRIPT = """
window.close = () => { document.documentElement.dataset.closeRequested = "true"; };
"""
# Makes the browser refuse popups, as a popup blocker does.
BLOCK_POPUPS_SCRIPT = "window.open = () => null;"


@pytest.fixture
def crm(workflow, provider, live_server, settings):
    """An Authorization Code endpoint that redirects to the live server."""
    settings.CONSOLE_BASE_URL = live_server.url
    provider.clients[CLIENT_ID].redirect_uris = (f"{live_server.url}/oauth/callback/",)
    return make_code_endpoint(workflow, provider)


def connect_button(page):
    return page.get_by_role("button", name="Connect", exact=True)


def test_connect_popup_allow_shows_connected(page, sign_in, manager, crm, screenshot):
    sign_in(manager)
    page.goto(crm.get_absolute_url())
    expect(page.locator("#oauth-status")).to_contain_text("Not connected")

    with page.expect_popup() as popup_info:
        connect_button(page).click()
    popup = popup_info.value
    expect(popup.get_by_role("heading", name="Allow access?")).to_be_visible()
    assert_accessible(popup)
    screenshot(popup, "oauth-consent")
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Allow").click()

    expect(page.locator("#oauth-status")).to_contain_text("Connected")
    expect(page.locator("#oauth-status")).to_contain_text("by manager on")
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()
    screenshot(page, "oauth-connected")
    config = AuthConfig.objects.get(pk=crm.pk)
    assert config.refresh_token
    assert config.connected_by == manager


def test_connect_popup_success_page(browser_context, sign_in, page, manager, crm):
    browser_context.add_init_script(KEEP_POPUP_OPEN_SCRIPT)
    sign_in(manager)
    page.goto(crm.get_absolute_url())

    with page.expect_popup() as popup_info:
        connect_button(page).click()
    popup = popup_info.value
    popup.get_by_role("button", name="Allow").click()

    expect(popup.get_by_role("heading", name="Connected")).to_be_visible()
    expect(popup.locator("html")).to_have_attribute("data-close-requested", "true")
    expect(page.locator("#oauth-status")).to_contain_text("Connected")


def test_connect_popup_deny_shows_reason(page, sign_in, manager, crm):
    sign_in(manager)
    page.goto(crm.get_absolute_url())

    with page.expect_popup() as popup_info:
        connect_button(page).click()
    popup = popup_info.value
    popup.get_by_role("button", name="Deny").click()

    expect(popup.get_by_role("heading", name="Connect failed")).to_be_visible()
    expect(popup.locator("#result-message")).to_contain_text(
        "Access was denied at the provider"
    )
    expect(popup.get_by_role("button", name="Close this window")).to_be_visible()
    page.reload()
    expect(page.locator("#oauth-status")).to_contain_text("Not connected")
    assert AuthConfig.objects.get(pk=crm.pk).access_token == ""


def test_connect_without_popup_returns(browser_context, page, sign_in, manager, crm):
    browser_context.add_init_script(BLOCK_POPUPS_SCRIPT)
    sign_in(manager)
    page.goto(crm.get_absolute_url())

    connect_button(page).click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("CRM")
    expect(page.get_by_text("Endpoint “CRM” is connected.")).to_be_visible()
    expect(page.locator("#oauth-status")).to_contain_text("Connected")


def test_disconnect_in_browser(page, sign_in, manager, crm, provider):
    from tests.support.oauth import connect_directly

    connect_directly(crm, provider)
    sign_in(manager)
    page.goto(crm.get_absolute_url())

    page.get_by_role("button", name="Disconnect").click()

    expect(page.get_by_text("is disconnected")).to_be_visible()
    expect(page.locator("#oauth-status")).to_contain_text("Not connected")
