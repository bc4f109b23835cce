"""Uploading an export in Chromium, then setting up the imported endpoints.

The harness in conftest.py checks every page on the way with axe-core.
"""

import json

import pytest
from playwright.sync_api import expect

from endpoints.export import build_export
from endpoints.models import AuthConfig, Step, StepUsage, Workflow
from tests.browser.harness import assert_accessible
from tests.conftest import make_basic_endpoint


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


def test_upload_import_and_configure(page, sign_in, manager, export_file):
    sign_in(manager)

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


def test_upload_bad_file_lists_problems(page, sign_in, manager, export_file, tmp_path):
    data = json.loads(export_file.read_bytes())
    data["endpoints"][1]["base_url"] = "ftp://billing.test"
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps(data))
    sign_in(manager)

    page.goto("/workflows/import/")
    page.get_by_label("Export file").set_input_files(str(bad_file))
    page.get_by_role("button", name="Import workflow").click()

    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("The file was not imported")
    expect(problems).to_contain_text("endpoints[1].base_url")
    expect(problems).to_contain_text("A workflow named “Incidents” already exists")
    assert_accessible(page)


def test_upload_stores_unconfigured_endpoints(page, sign_in, manager, export_file):
    sign_in(manager)
    page.goto("/workflows/import/")
    page.get_by_label("Export file").set_input_files(str(export_file))
    page.get_by_label("Import as").fill("Stored copy")
    page.get_by_role("button", name="Import workflow").click()
    expect(page.get_by_role("heading", name="Stored copy")).to_be_visible()

    imported = Workflow.objects.get(name="Stored copy")
    configs = AuthConfig.objects.filter(
        endpoint__workflow=imported, endpoint__is_builtin=False
    )
    assert configs.count() == 2
    assert all(config.awaiting_configuration for config in configs)


def test_upload_over_limit_names_only_the_size(
    page, sign_in, manager, settings, tmp_path
):
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = 1024
    large_file = tmp_path / "large.json"
    large_file.write_bytes(b" " * 2048)
    sign_in(manager)

    page.goto("/workflows/import/")
    file_input = page.get_by_label("Export file")
    expect(file_input).to_have_accessible_description(
        "A .json file written by a workflow's Export, up to 1 KiB (1,024 bytes)."
    )
    file_input.set_input_files(str(large_file))
    page.get_by_label("Import as").fill("Too big")
    page.get_by_role("button", name="Import workflow").click()

    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("the limit is 1 KiB (1,024 bytes).")
    expect(page.get_by_text("This field is required.")).to_have_count(0)
    expect(page.get_by_label("Export file")).not_to_have_attribute(
        "aria-invalid", "true"
    )
    assert Workflow.objects.count() == 0
