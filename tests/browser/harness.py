"""Helpers for the browser tests: the axe check and locators.

The axe check fails on violations of impact "serious" or "critical".
`DocumentRecorder` keeps every HTML document that a browser context loads
from the live server, as the browser parsed it before the page's scripts
ran, and later loads each one again in a separate page to check it. The
page's styles and scripts come from the live server again, so the checked
page matches what the user saw when the page loaded.
"""

import hashlib
import re
import time
from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Locator, Page

VIEWPORT = {"width": 1280, "height": 800}
# Playwright waits up to this long, in milliseconds, for an element or a
# navigation before it gives up. It bounds waits and asserts no timing.
WAIT_TIMEOUT_MS = 15_000

FAILING_IMPACTS = ("serious", "critical")

# Runs in every main frame before the page's own scripts. Its listener is
# the first for DOMContentLoaded, so it sends the document before
# console.js changes it. The binding's promise resolves once the harness
# has stored the document, and then the flag is set.
RECORD_DOCUMENT_SCRIPT = """
if (window.top === window) {
  document.addEventListener("DOMContentLoaded", () => {
    const doctype = document.doctype ? "<!DOCTYPE html>" : "";
    window.recordDocumentForAxe(
      location.href, doctype + document.documentElement.outerHTML
    ).then(() => { window.documentRecordedForAxe = true; });
  }, { once: true });
}
"""

# A CSRF token differs on every render, so pages that differ only in it are
# checked once.
CSRF_VALUE_RE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*')

AXE = Axe()


def serious_violations(results: dict) -> list[dict]:
    """Return the axe violations whose impact fails a test."""
    return [
        violation
        for violation in results["violations"]
        if violation.get("impact") in FAILING_IMPACTS
    ]


def describe_violations(url: str, violations: list[dict]) -> str:
    """Format violations with rule id, impact, help text and targets."""
    lines = [f"axe found {len(violations)} serious or critical violation(s) at {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    target: {target}")
    return "\n".join(lines)


def run_axe(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now and return failing violations."""
    return serious_violations(AXE.run(page).response)


def assert_accessible(page: Page) -> None:
    """Fail if the page, in its current state, has a serious violation."""
    violations = run_axe(page)
    assert not violations, describe_violations(page.url, violations)


def field_labelled(page: Page, label: str) -> Locator:
    """Return the form control whose label is ``label``.

    The label of a required field ends with an asterisk that is hidden from
    assistive technology, and the match allows it.
    """
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(?: \*)?$"))


@dataclass
class RecordedDocument:
    url: str
    html: str


def wait_until_recorded(page: Page) -> None:
    """Wait until the page's init script has sent its document for axe.

    Polled from here with evaluate(): wait_for_function() evaluates its
    predicate again in the page on each poll, which the console's CSP (no
    'unsafe-eval') rejects.
    """
    deadline = time.monotonic() + WAIT_TIMEOUT_MS / 1000
    while not page.evaluate("() => window.documentRecordedForAxe === true"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} was not recorded for axe in time.")
        page.wait_for_timeout(50)


@dataclass
class DocumentRecorder:
    """Recorder of the documents that a browser context loads."""

    origin: str
    documents: list[RecordedDocument] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def attach(self, context: BrowserContext) -> None:
        """Record the documents and script errors of every page of context."""
        context.expose_binding("recordDocumentForAxe", self.record)
        context.add_init_script(RECORD_DOCUMENT_SCRIPT)
        context.on("page", self.watch_errors)

    def is_recorded_url(self, url: str) -> bool:
        return url.startswith(self.origin + "/")

    def record(self, source, url: str, html: str) -> None:
        if not self.is_recorded_url(url):
            return
        digest = hashlib.sha256(CSRF_VALUE_RE.sub(r"\1", html).encode()).hexdigest()
        key = (url.split("?")[0], digest)
        if key in self._seen:
            return
        self._seen.add(key)
        self.documents.append(RecordedDocument(url, html))

    def watch_errors(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def check(self, context: BrowserContext, browser: Browser) -> None:
        """Load each recorded document again and fail on axe violations."""
        for open_page in context.pages:
            # The document a page shows last may not be recorded yet.
            if self.is_recorded_url(open_page.url):
                wait_until_recorded(open_page)
        reports = []
        replay_context = browser.new_context(viewport=VIEWPORT)
        try:
            page = replay_context.new_page()
            page.set_default_timeout(WAIT_TIMEOUT_MS)
            self.watch_errors(page)
            for document in self.documents:
                violations = self._check_document(page, document)
                if violations:
                    reports.append(describe_violations(document.url, violations))
        finally:
            replay_context.close()
        assert not reports, "\n\n".join(reports)
        assert not self.page_errors, "Script errors on the pages: " + "; ".join(
            self.page_errors
        )

    def _check_document(self, page: Page, document: RecordedDocument) -> list[dict]:
        # The document comes from the recording and its styles and scripts
        # from the live server, so the page looks and behaves as it did.
        def serve_document(route):
            if route.request.resource_type == "document":
                route.fulfill(
                    status=200,
                    content_type="text/html; charset=utf-8",
                    body=document.html,
                )
            else:
                route.continue_()

        page.route("**/*", serve_document)
        try:
            page.goto(document.url)
            return run_axe(page)
        finally:
            page.unroute("**/*", serve_document)
