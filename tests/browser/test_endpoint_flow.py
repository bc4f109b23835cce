"""Endpoint pages in Chromium: create, use, guard, export, keyboard, roles."""

import json
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from endpoints.auth import registry
from endpoints.auth.basic import encode_credential
from endpoints.models import ActivityEntry, Endpoint, Step, StepUsage
from tests.browser.harness import assert_accessible, field_labelled
from tests.conftest import TEST_PASSWORD, make_basic_endpoint, make_token_endpoint

# Planted values: none of them may show up in a page or in an export.
PLANTED_USERNAME = "svc-planted-user"
PLANTED_PASSWORD = "planted-Pa55word-9f3k"
PLANTED_TOKEN = "planted-token-71c2e0"


def all_keys(value) -> set[str]:
    """Return every key of every mapping nested in a JSON value."""
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= all_keys(item)
        return keys
    if isinstance(value, list):
        keys = set()
        for item in value:
            keys |= all_keys(item)
        return keys
    return set()


def heading(page):
    return page.get_by_role("heading", level=1)


@pytest.fixture
def step(workflow):
    return Step.objects.create(
        workflow=workflow, name="Notify on-call", kind=Step.Kind.INTEGRATION_SCRIPT
    )


def test_basic_endpoint_create_use_guard_export(
    page, sign_in, manager, workflow, screenshot
):
    sign_in(manager)
    page.get_by_role("link", name=workflow.name).click()
    page.get_by_role("link", name="New endpoint").click()
    page.get_by_label("Basic").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Ticket desk")
    page.get_by_role("textbox", name="Base URL").fill(
        "https://tickets.example.test/api"
    )
    page.get_by_role("textbox", name="Username").fill(PLANTED_USERNAME)
    field_labelled(page, "Password").fill(PLANTED_PASSWORD)
    page.get_by_role("button", name="Create endpoint").click()

    expect(heading(page)).to_have_text("Ticket desk")
    expect(page.get_by_text("A value is set")).to_be_visible()
    expect(field_labelled(page, "Password")).to_have_value("")
    html = page.content()
    assert PLANTED_PASSWORD not in html
    assert encode_credential(PLANTED_USERNAME, PLANTED_PASSWORD) not in html

    page.get_by_role("link", name=workflow.name).click()
    page.get_by_role("link", name="New step").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Open ticket")
    page.get_by_label("Endpoint, row 1").select_option(label="Ticket desk")
    page.get_by_label("Label, row 1").fill("tickets")
    page.get_by_role("button", name="Save step").click()

    expect(page.get_by_text("Step “Open ticket” saved.")).to_be_visible()
    steps_table = page.get_by_role("table", name=f"Steps of {workflow.name}")
    expect(steps_table).to_contain_text("tickets → Ticket desk")

    page.get_by_role("link", name="Ticket desk").click()
    page.get_by_role("link", name="Delete", exact=True).click()

    expect(heading(page)).to_have_text("“Ticket desk” is still in use")
    guard_table = page.get_by_role("table", name="Steps to change first")
    expect(guard_table.get_by_role("link", name="Open ticket")).to_be_visible()
    expect(guard_table).to_contain_text("tickets")
    expect(page.get_by_role("button", name="Delete endpoint")).to_have_count(0)
    screenshot(page, "delete-guard")

    page.get_by_role("link", name=workflow.name).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export").click()
    download = download_info.value
    text = download.path().read_text(encoding="utf-8")

    assert download.suggested_filename == f"{workflow.name}.json"
    export = json.loads(text)
    exported = {endpoint["name"]: endpoint for endpoint in export["endpoints"]}
    assert exported["Ticket desk"]["auth_type"] == "none"
    assert exported["Ticket desk"]["trust_self_signed"] is False
    assert not {"password", "username", "credential"} & all_keys(export)
    assert PLANTED_PASSWORD not in text
    assert PLANTED_USERNAME not in text
    assert encode_credential(PLANTED_USERNAME, PLANTED_PASSWORD) not in text
    assert export["steps"][0]["usages"] == [
        {"endpoint": "Ticket desk", "label": "tickets"}
    ]


def test_save_and_create_preselects_endpoint(page, sign_in, manager, workflow, step):
    sign_in(manager)
    page.goto(step.get_absolute_url())
    page.get_by_role("button", name="Save and create a new endpoint").click()

    expect(heading(page)).to_have_text("New endpoint")
    page.get_by_role("radio", name="Token A token").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Pager")
    page.get_by_role("textbox", name="Base URL").fill("https://pager.example.test/v1")
    field_labelled(page, "Token").fill(PLANTED_TOKEN)
    page.get_by_role("button", name="Create endpoint").click()

    expect(heading(page)).to_have_text(step.name)
    row_endpoint = page.get_by_label("Endpoint, row 1")
    expect(row_endpoint.locator("option:checked")).to_have_text("Pager")
    expect(page.get_by_label("Label, row 1")).to_have_value("Pager")

    page.get_by_role("button", name="Save step").click()

    expect(page.get_by_text(f"Step “{step.name}” saved.")).to_be_visible()
    usage = StepUsage.objects.select_related("endpoint").get(step=step)
    assert usage.endpoint.name == "Pager"
    assert usage.label == "Pager"


def test_token_header_switch_shows_matching_fields(
    page, sign_in, manager, workflow, screenshot
):
    sign_in(manager)
    new_token_url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    page.goto(f"{new_token_url}?auth_type=token")
    prefix = page.get_by_role("textbox", name="Token prefix", include_hidden=True)
    token_header = page.get_by_role("textbox", name="Token header", include_hidden=True)
    id_header = page.get_by_role("textbox", name="ID header", include_hidden=True)
    id_value = field_labelled(page, "ID value")

    expect(prefix).to_be_visible()
    expect(token_header).to_be_hidden()
    expect(id_header).to_be_hidden()
    expect(id_value).to_be_hidden()

    page.get_by_label("Custom", exact=True).check()

    expect(prefix).to_be_hidden()
    expect(prefix).to_be_disabled()
    expect(token_header).to_be_visible()
    expect(id_header).to_be_visible()
    expect(id_value).to_be_visible()
    assert_accessible(page)
    screenshot(page, "token-custom-new")

    page.get_by_label("Authorization", exact=True).check()

    expect(prefix).to_be_visible()
    expect(prefix).to_be_enabled()
    expect(token_header).to_be_hidden()
    expect(token_header).to_be_disabled()


def test_custom_header_submits_shown_fields_only(page, sign_in, manager, workflow):
    sign_in(manager)
    new_token_url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    page.goto(f"{new_token_url}?auth_type=token")
    page.get_by_role("textbox", name="Name", exact=True).fill("Paging API")
    page.get_by_role("textbox", name="Base URL").fill("https://paging.example.test/v1")
    page.get_by_label("Custom", exact=True).check()
    page.get_by_role("textbox", name="Token header").fill("X-Api-Key")
    field_labelled(page, "Token").fill(PLANTED_TOKEN)

    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.get_by_role("button", name="Create endpoint").click()

    expect(heading(page)).to_have_text("Paging API")
    form_data = posted.value.post_data
    assert "auth-header_name=X-Api-Key" in form_data
    assert "auth-prefix" not in form_data
    config = Endpoint.objects.get(workflow=workflow, name="Paging API").auth
    assert config.params["header"] == "custom"
    assert "prefix" not in config.params
    assert PLANTED_TOKEN not in page.content()


def test_custom_token_resave_reports_no_changes(page, sign_in, manager, workflow):
    pager = make_token_endpoint(
        workflow,
        name="Pager",
        params={"header": "custom", "header_name": "X-Api-Key"},
        secrets={"token": PLANTED_TOKEN},
    )
    sign_in(manager)
    page.goto(pager.get_absolute_url())

    page.get_by_role("button", name="Save changes").click()

    expect(page.locator(".messages")).to_have_text("Endpoint “Pager” has no changes.")
    assert not ActivityEntry.objects.filter(
        endpoint=pager, event=ActivityEntry.Event.CHANGED
    ).exists()


def test_step_add_another_endpoint_row_saves(page, sign_in, manager, workflow, step):
    tickets = make_basic_endpoint(workflow)
    make_token_endpoint(workflow)
    StepUsage.objects.create(step=step, endpoint=tickets, label="tickets")
    sign_in(manager)
    page.goto(step.get_absolute_url())
    rows = page.locator("tr.formset-row")
    expect(rows).to_have_count(2)

    page.get_by_role("button", name="Add another endpoint").click()

    expect(rows).to_have_count(3)
    new_endpoint = page.get_by_label("Endpoint, row 3")
    expect(new_endpoint).to_be_focused()
    assert_accessible(page)
    new_endpoint.select_option(label="Chat")
    page.get_by_label("Label, row 3").fill("chat")
    page.get_by_role("button", name="Save step").click()

    expect(page.get_by_text(f"Step “{step.name}” saved.")).to_be_visible()
    usages = StepUsage.objects.filter(step=step).order_by("label")
    assert [(usage.label, usage.endpoint.name) for usage in usages] == [
        ("chat", "Chat"),
        ("tickets", "Tickets"),
    ]


def test_skip_link_is_first_tab_stop(page, sign_in, manager, workflow):
    sign_in(manager)
    page.goto(workflow.get_absolute_url())
    skip_link = page.get_by_role("link", name="Skip to content")

    page.keyboard.press("Tab")

    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumbs.get_by_role("link", name="Workflows")).to_be_focused()


def test_login_form_works_by_keyboard(page, manager):
    page.goto("/accounts/login/")
    username = page.get_by_role("textbox", name="Username")

    expect(username).to_be_focused()
    page.keyboard.type(manager.get_username())
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("Workflows")
    expect(page.locator(".account-name")).to_have_text(manager.get_username())


def test_login_skip_link_precedes_form(page):
    page.goto("/accounts/login/")
    username = page.get_by_role("textbox", name="Username")
    expect(username).to_be_focused()

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")

    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()


def test_viewer_sees_no_changing_buttons(page, sign_in, viewer, workflow, step):
    endpoint = make_basic_endpoint(workflow)
    StepUsage.objects.create(step=step, endpoint=endpoint, label="tickets")
    sign_in(viewer)

    expect(page.get_by_role("link", name="New workflow")).to_have_count(0)
    page.get_by_role("link", name=workflow.name).click()
    expect(heading(page)).to_have_text(workflow.name)
    for name in ("New endpoint", "New step", "Edit", "Delete"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)

    page.get_by_role("link", name=endpoint.name).click()
    expect(heading(page)).to_have_text(endpoint.name)
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)

    page.goto(step.get_absolute_url())
    expect(heading(page)).to_have_text(step.name)
    expect(page.get_by_label("Endpoint, row 1")).to_be_disabled()
    for name in ("Save step", "Save and create a new endpoint", "Add another endpoint"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)


def test_type_picker_offers_selectable_types(page, sign_in, manager, workflow):
    sign_in(manager)

    page.goto(reverse("endpoints:endpoint_create", args=[workflow.pk]))

    picker = page.get_by_role("group", name="Authentication type")
    expect(picker.get_by_role("radio")).to_have_count(len(registry.selectable_types()))
    for label, key in [
        ("No Authorization", "none"),
        ("Basic", "basic"),
        ("Token A token", "token"),
        ("OAuth 2.0 (Password)", "oauth2_password"),
        ("OAuth 2.0 (Authorization Code)", "oauth2_authorization_code"),
        ("Microsoft Graph API", "microsoft_graph"),
        ("Salesforce", "salesforce"),
        ("ServiceNow", "servicenow"),
        ("BMC Remedy", "remedy"),
        ("Zoom Server-to-Server OAuth", "zoom"),
    ]:
        expect(picker.get_by_role("radio", name=label)).to_have_value(key)
    for key in ("slack", "slack_legacy"):
        expect(picker.locator(f"#type-{key}")).to_have_value(key)
    expect(picker.locator("label[for=type-slack_legacy] .badge")).to_have_text("Legacy")
    expect(picker.locator("label[for=type-slack] .badge")).to_have_count(0)


def test_type_picker_continue_without_choice(page, sign_in, manager, workflow):
    sign_in(manager)
    page.goto(reverse("endpoints:endpoint_create", args=[workflow.pk]))

    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Choose an authentication type to continue."
    )
    expect(heading(page)).to_have_text("New endpoint")


def test_main_pages_render(page, sign_in, manager, workflow, step, screenshot):
    tickets = make_basic_endpoint(
        workflow, username=PLANTED_USERNAME, password=PLANTED_PASSWORD
    )
    chat = make_token_endpoint(workflow, token=PLANTED_TOKEN)
    secrets = [
        PLANTED_PASSWORD,
        encode_credential(PLANTED_USERNAME, PLANTED_PASSWORD),
        PLANTED_TOKEN,
    ]
    StepUsage.objects.create(step=step, endpoint=tickets, label="tickets")
    StepUsage.objects.create(step=step, endpoint=chat, label="chat")
    pages = [
        ("workflow-list", reverse("endpoints:workflow_list"), "Workflows"),
        ("workflow", workflow.get_absolute_url(), workflow.name),
        (
            "type-picker",
            reverse("endpoints:endpoint_create", args=[workflow.pk]),
            "New endpoint",
        ),
        ("basic-endpoint", tickets.get_absolute_url(), tickets.name),
        ("token-endpoint", chat.get_absolute_url(), chat.name),
        ("step", step.get_absolute_url(), step.name),
        (
            "delete-guard",
            reverse("endpoints:endpoint_delete", args=[tickets.pk]),
            f"“{tickets.name}” is still in use",
        ),
    ]
    page.goto("/accounts/login/")
    expect(heading(page)).to_have_text("Sign in")
    screenshot(page, "login")
    sign_in(manager)

    for name, url, title in pages:
        page.goto(url)
        expect(heading(page)).to_have_text(title)
        screenshot(page, name)
        html = page.content()
        assert [secret for secret in secrets if secret in html] == [], name


def test_failed_save_focuses_error_summary(page, sign_in, manager, workflow):
    sign_in(manager)
    page.goto(
        reverse("endpoints:endpoint_create", args=[workflow.pk]) + "?auth_type=basic"
    )
    page.get_by_role("textbox", name="Name", exact=True).fill("Ticket desk")
    page.get_by_role("textbox", name="Base URL").fill("ftp://tickets.example.test")
    page.get_by_role("textbox", name="Username").fill("svc")
    field_labelled(page, "Password").fill(PLANTED_PASSWORD)
    page.get_by_role("button", name="Create endpoint").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("This page has 1 problem:")
    expect(
        page.get_by_text("The new value you typed was not saved; type it again.")
    ).to_be_visible()
    summary.get_by_role("link", name="Base URL").click()
    expect(page.get_by_role("textbox", name="Base URL")).to_be_focused()
    assert PLANTED_PASSWORD not in page.content()


def test_invalid_fields_describe_their_errors(page, sign_in, manager, workflow):
    sign_in(manager)
    page.goto(
        reverse("endpoints:endpoint_create", args=[workflow.pk]) + "?auth_type=basic"
    )
    page.get_by_role("textbox", name="Name", exact=True).fill("Ticket desk")
    page.get_by_role("textbox", name="Base URL").fill("ftp://tickets.example.test")
    page.get_by_role("button", name="Create endpoint").click()

    for name, error_id in [
        ("Base URL", "id_base_url_error"),
        ("Username", "id_auth-username_error"),
        ("Password", "id_auth-password_error"),
    ]:
        error = page.locator(f"#{error_id}").inner_text().strip()
        assert error, name
        expect(field_labelled(page, name)).to_have_accessible_description(
            re.compile(re.escape(error))
        )


def test_add_row_button_spaced_from_table(page, sign_in, manager, workflow, step):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(manager)
    page.goto(step.get_absolute_url())

    table_box = page.locator(".table-wrap").bounding_box()
    button_box = page.get_by_role("button", name="Add another endpoint").bounding_box()

    assert button_box["y"] - (table_box["y"] + table_box["height"]) >= 8
