"""Browser test harness: Debian's Chromium driven by Playwright's sync API.

Every test gets a fresh browser context on the live server. Every HTML
document that a test's pages load is recorded. After the test body passes,
each one is checked with axe-core (see `tests.browser.harness`), and the
test fails on a violation of impact "serious" or "critical". So no test
can skip the check for a page it visits. States that scripts reach after
the load (a revealed field, an added row) are checked with
`assert_accessible`.

Set BROWSER_SCREENSHOT_DIR to a folder outside the repository to keep a
full-page screenshot of each page that a test passes to `screenshot`.
"""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests.browser.harness import VIEWPORT, WAIT_TIMEOUT_MS, DocumentRecorder
from tests.conftest import TEST_PASSWORD

# Playwright's sync API runs an asyncio event loop in the test thread, and
# Django rejects ORM calls from a thread with a running loop unless this
# variable allows them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# pytest-django's live server listens on "localhost" unless this variable
# names another address. The loopback address keeps the traffic local.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

# Debian's chromium package, which scripts/install-chromium installs. These
# tests never let Playwright download a browser of its own.
CHROMIUM_EXECUTABLE = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR_VARIABLE = "BROWSER_SCREENSHOT_DIR"

expect.set_options(timeout=WAIT_TIMEOUT_MS)

RECORDER_KEY = pytest.StashKey[tuple[DocumentRecorder, BrowserContext]]()


def pytest_collection_modifyitems(items):
    # Every test in this folder gets the marker, so that -m "not browser"
    # leaves all of them out.
    browser_folder = Path(__file__).parent
    for item in items:
        if browser_folder in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # Runs only when the test body passed, so that an axe report never hides
    # the test's own failure.
    result = yield
    recorded = item.stash.get(RECORDER_KEY, None)
    if recorded is not None:
        recorder, context = recorded
        recorder.check(context, context.browser)
    return result


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_EXECUTABLE, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser, live_server, request):
    """A fresh browser context per test, pointed at the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, accept_downloads=True
    )
    context.set_default_timeout(WAIT_TIMEOUT_MS)
    recorder = DocumentRecorder(origin=live_server.url)
    recorder.attach(context)
    request.node.stash[RECORDER_KEY] = (recorder, context)
    yield context
    context.close()


@pytest.fixture
def page(browser_context) -> Page:
    return browser_context.new_page()


@pytest.fixture
def sign_in(page) -> Callable:
    """Return a function that signs a user in through the login form."""

    def sign_in_as(user, password: str = TEST_PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".account-name")).to_have_text(user.get_username())

    return sign_in_as


@pytest.fixture
def screenshot() -> Callable:
    """Return a function that saves a full-page screenshot, if enabled."""
    folder = os.environ.get(SCREENSHOT_DIR_VARIABLE)

    def save(page: Page, name: str) -> None:
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)

    return save
