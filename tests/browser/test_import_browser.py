"""Uploading an export in Chromium, then setting up the imported endpoints.

The console runs in a live test server. Each page on the way is checked
with axe-core. Database work happens before the browser starts or after it
closes, because Playwright's synchronous API runs an event loop in this
thread and Django refuses queries from a thread with a running loop.
"""

import json
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from endpoints.export import build_export
from endpoints.models import AuthConfig, Step, StepUsage, Workflow
from tests.conftest import TEST_PASSWORD, make_basic_endpoint, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM = shutil.which("chromium")


@pytest.fixture
def export_file(tmp_path):
    workflow = Workflow.objects.create(name="Incidents")
    tickets = make_basic_endpoint(workflow, password="planted-browser-Pa55-8812")
    make_basic_endpoint(workflow, name="Billing", base_url="https://billing.test")
    step = Step.objects.create(workflow=workflow, name="Open ticket")
    StepUsage.objects.create(step=step, endpoint=tickets, label="tickets")
    path = tmp_path / "incidents.json"
    path.write_bytes(build_export(workflow).content)
    return path


@pytest.fixture
def manager_login(db):
    make_user("manager", "Endpoint managers", is_staff=True)
    return "manager", TEST_PASSWORD


class Browser:
    """A Chromium page that a test may close before querying the database."""

    def __init__(self):
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True
        )
        self.page = self._browser.new_page()
        self.closed = False

    def close(self):
        if not self.closed:
            self._browser.close()
            self._playwright.stop()
            self.closed = True


@pytest.fixture
def browser():
    """Chromium for one test; the shared browser harness will replace this."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed; run scripts/install-chromium.")
    browser = Browser()
    yield browser
    browser.close()


def assert_accessible(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def sign_in(page, base_url: str, login: tuple[str, str]):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(login[0])
    page.get_by_label("Password").fill(login[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Workflows", exact=True)).to_be_visible()


def test_upload_import_and_configure(live_server, export_file, manager_login, browser):
    page = browser.page
    sign_in(page, live_server.url, manager_login)

    page.get_by_role("link", name="Import workflow").click()
    expect(page.get_by_role("heading", name="Import a workflow")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Export file").set_input_files(str(export_file))
    page.get_by_label("Import as").fill("Incidents (copy)")
    page.get_by_role("button", name="Import workflow").click()

    expect(page.get_by_role("heading", name="Incidents (copy)")).to_be_visible()
    checklist = page.locator("#auth-checklist")
    expect(checklist).to_contain_text("2 imported endpoints have no authentication")
    assert_accessible(page)

    checklist.get_by_role("link", name="Tickets").click()
    expect(page.locator("#awaiting-notice")).to_contain_text(
        "No Authorization, not yet configured"
    )
    assert_accessible(page)
    page.locator("#choose-auth-type").get_by_text("Basic", exact=True).click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Username").fill("svc-import")
    page.locator("input[name='auth-password_0']").fill("typed-in-browser-771")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Endpoint “Tickets” saved.")).to_be_visible()
    expect(page.get_by_text("(cannot be changed)")).to_be_visible()
    page.get_by_role("link", name="Incidents (copy)").first.click()
    expect(page.locator("#auth-checklist")).to_contain_text(
        "1 imported endpoint has no authentication"
    )


def test_upload_bad_file_lists_problems(
    live_server, export_file, manager_login, browser, tmp_path
):
    data = json.loads(export_file.read_bytes())
    data["endpoints"][1]["base_url"] = "ftp://billing.test"
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps(data))
    page = browser.page
    sign_in(page, live_server.url, manager_login)

    page.goto(f"{live_server.url}/workflows/import/")
    page.get_by_label("Export file").set_input_files(str(bad_file))
    page.get_by_role("button", name="Import workflow").click()

    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("The file was not imported")
    expect(problems).to_contain_text("endpoints[1].base_url")
    expect(problems).to_contain_text("A workflow named “Incidents” already exists")
    assert_accessible(page)


def test_upload_stores_unconfigured_endpoints(
    live_server, export_file, manager_login, browser
):
    page = browser.page
    sign_in(page, live_server.url, manager_login)
    page.goto(f"{live_server.url}/workflows/import/")
    page.get_by_label("Export file").set_input_files(str(export_file))
    page.get_by_label("Import as").fill("Stored copy")
    page.get_by_role("button", name="Import workflow").click()
    expect(page.get_by_role("heading", name="Stored copy")).to_be_visible()
    browser.close()

    imported = Workflow.objects.get(name="Stored copy")
    configs = AuthConfig.objects.filter(
        endpoint__workflow=imported, endpoint__is_builtin=False
    )
    assert configs.count() == 2
    assert all(config.awaiting_configuration for config in configs)
