"""Browser test harness: Debian's Chromium driven by Playwright's sync API.

Every test gets a fresh browser context on the live server. Every HTML
document that a test's pages load is recorded, and after the test body
passes, each one is checked with axe-core (see `tests.browser.harness`):
the test fails on a violation of impact "serious" or "critical", so no
test can skip the check for a page it visits. States that scripts reach
after the load (a revealed field, an added row) are checked with
`assert_accessible`.

Set BROWSER_SCREENSHOT_DIR to a folder outside the repository to keep a
full-page screenshot of each page that a test passes to `screenshot`.
"""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests.browser.harness import VIEWPORT, WAIT_TIMEOUT_MS, DocumentRecorder
from tests.conftest import TEST_PASSWORD

# Playwright's sync API runs an asyncio event loop in the test thread, and
# Django refuses ORM calls from a thread with a running loop unless told
# that this is safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# pytest-django's live server listens on "localhost" unless told otherwise;
# the loopback address keeps the browser's traffic on this machine.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

# Debian's chromium package; scripts/install-chromium installs it. Playwright
# never downloads a browser of its own for these tests.
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
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
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


@pytest.fixture(scope="session")
def serialized_database(django_db_setup, django_db_blocker) -> dict[str, str]:
    """The serialized test database, taken before Playwright starts.

    Django keeps it on the database connection, and connections live in
    context variables. Playwright's sync API runs the tests in a context of
    its own, whose fresh connections lack it, so serialized rollback would
    restore nothing once other database tests ran first.
    """
    with django_db_blocker.unblock():
        return {
            alias: connections[alias]._test_serialized_contents
            for alias in connections
            if hasattr(connections[alias], "_test_serialized_contents")
        }


@pytest.fixture
def _serialized_database_in_context(serialized_database, browser):
    for alias, contents in serialized_database.items():
        connections[alias]._test_serialized_contents = contents


@pytest.fixture
def browser_context(
    serialized_database,
    browser,
    _serialized_database_in_context,
    live_server,
    django_db_serialized_rollback,
    request,
):
    """A fresh browser context per test, pointed at the live server.

    Serialized rollback restores the groups that a data migration creates,
    which the live server's transactional database loses between tests.
    """
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
