"""Test Authentication and "Send a test request" in Chromium."""

from playwright.sync_api import expect

from endpoints.auth.basic import encode_credential
from tests.browser.harness import assert_accessible, field_labelled
from tests.conftest import make_basic_endpoint, make_token_endpoint
from tests.support.servers import Reply

TYPED_PASSWORD = "typed-in-browser-4f2a"


def only_with(credential):
    def handler(request):
        if request.header("Authorization") == f"Basic {credential}":
            return Reply(200, b"welcome")
        return Reply(401, b'{"error": "invalid_credentials"}')

    return handler


def test_auth_test_uses_typed_password(
    page, sign_in, screenshot, manager, workflow, start_server
):
    server = start_server(only_with(encode_credential("svc", TYPED_PASSWORD)))
    endpoint = make_basic_endpoint(workflow, base_url=server.url(path="/api"))
    sign_in(manager)
    page.goto(endpoint.get_absolute_url())

    page.get_by_role("button", name="Test Authentication").click()
    result = page.locator("#auth-test-result")
    expect(result).to_contain_text("failed at the authentication stage")
    expect(result).to_contain_text("invalid_credentials")

    password = field_labelled(page, "Password")
    password.fill(TYPED_PASSWORD)
    page.get_by_role("button", name="Test Authentication").click()
    expect(result).to_contain_text("Test Authentication succeeded")
    expect(password).to_have_value(TYPED_PASSWORD)
    assert_accessible(page)
    screenshot(page, "test-authentication")

    endpoint.auth.refresh_from_db()
    assert endpoint.auth.secrets["credential"] == encode_credential(
        "svc", "s3cret-pass"
    )
    assert endpoint.auth.last_test_ok is True


def test_auth_test_on_new_endpoint(page, sign_in, manager, workflow, http_server):
    sign_in(manager)
    page.goto(f"/workflows/{workflow.pk}/endpoints/new/?auth_type=token")

    field_labelled(page, "Name").fill("Chat")
    field_labelled(page, "Base URL").fill(http_server.url(path="/hooks"))
    field_labelled(page, "Token").fill("typed-token-77")
    page.get_by_role("button", name="Test Authentication").click()

    expect(page.locator("#auth-test-result")).to_contain_text(
        "Test Authentication succeeded"
    )
    assert http_server.last.header("Authorization") == "Bearer typed-token-77"
    assert not workflow.endpoints.filter(name="Chat").exists()


def test_send_test_request(page, sign_in, screenshot, manager, workflow, start_server):
    server = start_server(
        lambda request: Reply(
            200, b'{"open": 3}', [("Content-Type", "application/json")]
        )
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url(path="/api"))
    sign_in(manager)
    page.goto(endpoint.get_absolute_url())

    page.get_by_role("link", name="Send a test request").click()
    field_labelled(page, "Method").select_option("POST")
    field_labelled(page, "Path").fill("issues?state=open")
    field_labelled(page, "Headers").fill("Content-Type: application/json")
    field_labelled(page, "Body").fill('{"title": "Disk full"}')
    page.get_by_role("button", name="Send request").click()

    expect(page.locator(".response-status")).to_have_text("200 OK")
    expect(page.locator(".response-body")).to_have_text('{"open": 3}')
    expect(page.locator(".response-headers")).to_contain_text("application/json")
    expect(page.get_by_text("tok-123456")).to_have_count(0)
    screenshot(page, "send-test-request")
    assert server.last.target == "/api/issues?state=open"
    assert server.last.body == b'{"title": "Disk full"}'


def test_send_test_request_failure(page, sign_in, manager, workflow):
    endpoint = make_token_endpoint(workflow, base_url="https://gone.example.invalid")
    sign_in(manager)
    page.goto(f"/endpoints/{endpoint.pk}/send-request/")

    page.get_by_role("button", name="Send request").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The request failed at the DNS stage")
    expect(alert).to_contain_text("gone.example.invalid")
