"""The Content-Security-Policy header, and templates that keep it.

The browser test in tests/browser/test_csp_browser.py loads the pages in
Chromium and fails on any violation. These tests check the header itself,
and that no template relies on what the policy blocks.
"""

import re
from pathlib import Path

import django
import pytest
from django.contrib import admin
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from console.middleware import ContentSecurityPolicyMiddleware

REPOSITORY = Path(__file__).resolve().parents[1]
ADMIN_TEMPLATES = Path(django.__file__).parent / "contrib" / "admin" / "templates"
TEMPLATE_FOLDERS = [
    REPOSITORY / "templates",
    REPOSITORY / "endpoints" / "templates",
    ADMIN_TEMPLATES,
]

# What a policy without 'unsafe-inline' blocks in markup.
INLINE_SCRIPT_RE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ELEMENT_RE = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE_RE = re.compile(r"\sstyle=", re.IGNORECASE)
HANDLER_ATTRIBUTE_RE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL_RE = re.compile(r"javascript:", re.IGNORECASE)

# Markup that the policy would block but that the console never renders.
# The admin's change list adds a <style> element only when a ModelAdmin
# turns off both of its action bars, which none of the console's does
# (test_no_admin_hides_both_action_bars).
KNOWN_UNRENDERED = {"admin/change_list.html": ["style element: '<style'"]}


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(
        part.strip().split(" ", 1) for part in policy.split(";") if part.strip()
    )


def test_login_page_has_policy(client):
    response = client.get(reverse("login"))

    assert directives(response) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }


def test_policy_allows_no_inline_code(client):
    response = client.get(reverse("login"))

    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url_name", ["endpoints:workflow_list", "endpoints:api_token_list", "admin:index"]
)
def test_console_and_admin_pages_have_policy(admin_client, url_name):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert directives(response)["script-src"] == "'self'"


def test_not_found_page_has_policy(manager_client):
    response = manager_client.get("/no-such-page/")

    assert response.status_code == 404
    assert directives(response)["frame-ancestors"] == "'none'"


def test_view_policy_kept():
    def view(request):
        response = HttpResponse()
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    middleware = ContentSecurityPolicyMiddleware(view)

    response = middleware(RequestFactory().get("/"))

    assert response["Content-Security-Policy"] == "default-src 'none'"


def template_files():
    for folder in TEMPLATE_FOLDERS:
        yield from sorted(folder.rglob("*.html"))


def blocked_markup(text: str) -> list[str]:
    found = []
    for name, pattern in [
        ("inline script", INLINE_SCRIPT_RE),
        ("style element", STYLE_ELEMENT_RE),
        ("style attribute", STYLE_ATTRIBUTE_RE),
        ("event handler attribute", HANDLER_ATTRIBUTE_RE),
        ("javascript: URL", JAVASCRIPT_URL_RE),
    ]:
        found.extend(f"{name}: {match.group(0)!r}" for match in pattern.finditer(text))
    return found


def template_name(path: Path) -> str:
    for folder in TEMPLATE_FOLDERS:
        if folder in path.parents:
            return str(path.relative_to(folder))
    return str(path)


def test_templates_need_no_unsafe_inline():
    problems = {
        template_name(path): blocked_markup(path.read_text())
        for path in template_files()
    }

    found = {name: markup for name, markup in problems.items() if markup}
    assert found == KNOWN_UNRENDERED


def test_no_admin_hides_both_action_bars():
    hiding = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not (model_admin.actions_on_top or model_admin.actions_on_bottom)
    ]

    assert hiding == []


def test_template_check_finds_inline_script():
    text = '<p>x</p><script>alert(1)</script><a onclick="go()" style="color: red">'

    assert len(blocked_markup(text)) == 3
