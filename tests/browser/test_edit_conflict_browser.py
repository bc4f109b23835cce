"""Two managers edit one endpoint in Chromium, each in a browser context.

The second save is rejected with the conflict page, which shows both
versions side by side and keeps the second manager's values in the form.
Saving again replaces the stored version, and nothing is lost on the way.
"""

import pytest
from playwright.sync_api import expect

from endpoints.auth.basic import encode_credential
from endpoints.models import Endpoint
from tests.browser.harness import (
    VIEWPORT,
    WAIT_TIMEOUT_MS,
    assert_accessible,
    field_labelled,
)
from tests.conftest import TEST_PASSWORD, make_basic_endpoint

SECOND_PASSWORD = "typed-by-second-manager-5e1c"


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_have_text(user.get_username())


@pytest.fixture
def second_context(browser, live_server):
    """A second browser context: its own cookies, so its own session."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(WAIT_TIMEOUT_MS)
    yield context
    context.close()


def conflict_cells(page, label: str) -> list[str]:
    row = page.locator("#edit-conflict tbody tr").filter(
        has=page.get_by_role("rowheader", name=label)
    )
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_second_save_shows_both_versions(
    page, second_context, manager, other_manager, workflow, screenshot
):
    endpoint = make_basic_endpoint(workflow, name="Tickets")
    second = second_context.new_page()
    sign_in(page, manager)
    sign_in(second, other_manager)
    page.goto(endpoint.get_absolute_url())
    second.goto(endpoint.get_absolute_url())

    # The first manager saves a new base URL.
    page.get_by_role("textbox", name="Base URL").fill(
        "https://tickets.example.test/first"
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Endpoint “Tickets” saved.")).to_be_visible()

    # The second, still on version 1, renames it and types a new password.
    second.get_by_role("textbox", name="Name", exact=True).fill("Ticket desk")
    second.get_by_role("textbox", name="Base URL").fill(
        "https://tickets.example.test/second"
    )
    field_labelled(second, "Password").fill(SECOND_PASSWORD)
    second.get_by_label("Preemptive").uncheck()
    with second.expect_response(endpoint.get_absolute_url()) as conflict:
        second.get_by_role("button", name="Save changes").click()
    screenshot(second, "edit-conflict")

    assert conflict.value.status == 409
    expect(
        second.get_by_role("heading", name="Someone else saved this endpoint")
    ).to_be_visible()
    assert conflict_cells(second, "Name Differs") == ["Tickets", "Ticket desk"]
    assert conflict_cells(second, "Base URL Differs") == [
        "https://tickets.example.test/first",
        "https://tickets.example.test/second",
    ]
    assert conflict_cells(second, "Preemptive Differs") == ["On", "Off"]
    assert conflict_cells(second, "Password Differs") == [
        "A value is set",
        "A new value (not shown; enter it again)",
    ]
    assert SECOND_PASSWORD not in second.content()
    # The form keeps the second manager's values, not the stored ones.
    expect(second.get_by_role("textbox", name="Name", exact=True)).to_have_value(
        "Ticket desk"
    )
    expect(second.get_by_role("textbox", name="Base URL")).to_have_value(
        "https://tickets.example.test/second"
    )
    expect(second.get_by_label("Preemptive")).not_to_be_checked()
    assert_accessible(second)

    # Nothing of the first save was lost.
    stored = Endpoint.objects.get(pk=endpoint.pk)
    assert (stored.name, stored.base_url, stored.version) == (
        "Tickets",
        "https://tickets.example.test/first",
        2,
    )

    # Saving again, with the password typed again, replaces version 2.
    field_labelled(second, "Password").fill(SECOND_PASSWORD)
    second.get_by_role("button", name="Save changes").click()
    expect(second.get_by_text("Endpoint “Ticket desk” saved.")).to_be_visible()

    stored.refresh_from_db()
    assert (stored.name, stored.base_url, stored.version) == (
        "Ticket desk",
        "https://tickets.example.test/second",
        3,
    )
    assert stored.auth.params["preemptive"] is False
    assert stored.auth.stored_secrets() == {
        "credential": encode_credential("svc", SECOND_PASSWORD)
    }
