"""The pages keep their Content-Security-Policy in Chromium.

Every page reports each violation with a ``securitypolicyviolation`` event,
and Chromium logs one to the console as well. `CspWatch` collects both, and
each test fails on any. The console's pages run in the suite's browser
context, which checks them with axe as well. The admin's pages, which are
Django's own markup, run in a context of their own.
"""

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from endpoints.models import Step
from tests.browser.harness import VIEWPORT, WAIT_TIMEOUT_MS, field_labelled
from tests.conftest import TEST_PASSWORD, make_basic_endpoint, make_step

REPORT_VIOLATIONS_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    `CSP violation: ${event.effectiveDirective} blocked `
    + `${event.blockedURI || "inline code"} on ${event.documentURI}`
  );
});
"""


class CspWatch:
    """Collects the CSP violations that the pages of a context report."""

    def __init__(self, context: BrowserContext):
        self.violations: list[str] = []
        context.add_init_script(REPORT_VIOLATIONS_SCRIPT)
        context.on("console", self.read)

    def read(self, message) -> None:
        text = message.text
        if text.startswith("CSP violation") or "Content Security Policy" in text:
            self.violations.append(text)


@pytest.fixture
def csp(browser_context) -> CspWatch:
    return CspWatch(browser_context)


@pytest.fixture
def admin_context(browser, live_server):
    """A context for the admin's pages, outside the axe check."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(WAIT_TIMEOUT_MS)
    yield context
    context.close()


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert response.headers["content-security-policy"] == (
        settings.CONTENT_SECURITY_POLICY
    )


def test_console_pages_keep_policy(
    page, csp, sign_in, superuser, workflow, http_server
):
    endpoint = make_basic_endpoint(workflow, base_url=http_server.url(path="/api"))
    step = make_step(workflow, usages=[(endpoint, "tickets")])
    visit(page, reverse("login"))
    sign_in(superuser)

    for url in [
        reverse("endpoints:workflow_list"),
        workflow.get_absolute_url(),
        reverse("endpoints:workflow_create"),
        reverse("endpoints:workflow_edit", args=[workflow.pk]),
        reverse("endpoints:workflow_activity", args=[workflow.pk]),
        reverse("endpoints:workflow_import"),
        reverse("endpoints:endpoint_create", args=[workflow.pk]),
        reverse("endpoints:api_token_list"),
        reverse("endpoints:endpoint_activity", args=[endpoint.pk]),
        reverse("endpoints:endpoint_delete", args=[endpoint.pk]),
        reverse("endpoints:step_delete", args=[step.pk]),
    ]:
        visit(page, url)

    # Scripts that change the page: conditional fields, Test Authentication
    # (a fetch), a test request, a new formset row, and a new API token.
    visit(
        page,
        reverse("endpoints:endpoint_create", args=[workflow.pk]) + "?auth_type=token",
    )
    page.get_by_label("Custom").check()
    expect(field_labelled(page, "Token header")).to_be_visible()
    visit(page, endpoint.get_absolute_url())
    page.get_by_role("button", name="Test Authentication").click()
    expect(page.locator("#auth-test-result")).to_contain_text("Test Authentication")
    visit(page, reverse("endpoints:endpoint_send_request", args=[endpoint.pk]))
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("200 OK")).to_be_visible()
    visit(page, step.get_absolute_url())
    page.get_by_role("button", name="Add another").click()
    visit(page, reverse("endpoints:api_token_list"))
    page.get_by_role("textbox", name="Name").fill("CSP check")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("ect_").first).to_be_visible()

    assert csp.violations == []


def test_admin_pages_keep_policy(admin_context, superuser, workflow):
    csp = CspWatch(admin_context)
    endpoint = make_basic_endpoint(workflow)
    step = make_step(workflow, usages=[(endpoint, "tickets")])
    page = admin_context.new_page()
    visit(page, reverse("admin:login"))
    page.get_by_label("Username").fill(superuser.get_username())
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()

    urls = [reverse("admin:index")]
    for model in ["workflow", "endpoint", "authconfig", "step", "stepusage"]:
        urls.append(reverse(f"admin:endpoints_{model}_changelist"))
    for model in ["activityentry", "apitoken", "loginfailure"]:
        urls.append(reverse(f"admin:endpoints_{model}_changelist"))
    urls += [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[superuser.pk]),
        reverse("admin:auth_group_add"),
        reverse("admin:endpoints_workflow_add"),
        reverse("admin:endpoints_workflow_change", args=[workflow.pk]),
        reverse("admin:endpoints_endpoint_change", args=[endpoint.pk]),
        reverse("admin:endpoints_authconfig_change", args=[endpoint.pk]),
        reverse("admin:endpoints_step_delete", args=[step.pk]),
    ]
    for url in urls:
        visit(page, url)

    # The step's usage rows use the autocomplete widget (select2), whose
    # script builds its own elements.
    visit(page, reverse("admin:endpoints_step_change", args=[step.pk]))
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_text("Add another Step usage").click()
    # Changing a row and saving shows the admin's messages.
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_be_visible()

    assert csp.violations == []
    assert Step.objects.filter(pk=step.pk).exists()


def test_watch_reports_inline_script(admin_context, live_server):
    csp = CspWatch(admin_context)
    page = admin_context.new_page()
    probe = f"{live_server.url}/csp-probe/"
    page.route(
        probe,
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Security-Policy": settings.CONTENT_SECURITY_POLICY},
            content_type="text/html; charset=utf-8",
            body='<!DOCTYPE html><html lang="en"><title>probe</title>'
            '<p style="color: red">x</p><script>document.title = "ran";</script>',
        ),
    )

    page.goto(probe)

    expect(page).to_have_title("probe")
    assert any("script-src" in text for text in csp.violations)
    assert any("style-src" in text for text in csp.violations)
