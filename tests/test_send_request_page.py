"""The "Send a test request" page of an endpoint."""

import pytest
from django.urls import reverse

from endpoints.models import ActivityEntry
from endpoints.views.requests import BODY_DISPLAY_BYTES
from tests.conftest import make_basic_endpoint, make_token_endpoint
from tests.support.servers import Reply, unused_port

PLANTED_TOKEN = "PLANTED-page-token-77aa"


def page_url(endpoint):
    return reverse("endpoints:endpoint_send_request", args=[endpoint.pk])


def send_form(client, endpoint, **fields):
    data = {"method": "GET", "path": "", "headers": "", "body": ""}
    data.update(fields)
    return client.post(page_url(endpoint), data)


def test_page_shows_form(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)

    response = manager_client.get(page_url(endpoint))

    assert response.status_code == 200
    assert "Send request" in response.content.decode()


def test_shows_status_headers_body_time(manager_client, workflow, start_server):
    server = start_server(
        lambda request: Reply(
            201, b'{"id": 7}', [("Content-Type", "application/json"), ("X-Id", "7")]
        )
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url(path="/api"))

    response = send_form(
        manager_client,
        endpoint,
        method="POST",
        path="items",
        headers="Content-Type: application/json\nX-Trace: t-9",
        body='{"name": "x"}',
    )

    shown = response.context["shown"]
    assert shown.status_code == 201
    assert ("X-Id", "7") in shown.headers
    assert shown.body == '{"id": 7}'
    assert shown.duration_ms >= 0
    page = response.content.decode()
    assert "201 Created" in page
    assert " ms</dd>" in page
    assert server.last.method == "POST"
    assert server.last.path == "/api/items"
    assert server.last.body == b'{"name": "x"}'
    assert server.last.header("X-Trace") == "t-9"


def test_headers_shown_as_received(manager_client, workflow, start_server):
    server = start_server(
        lambda request: Reply(200, b"", [("X-Mixed-Case", "A"), ("x-mixed-case", "B")])
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send_form(manager_client, endpoint)

    names = [name for name, _ in response.context["shown"].headers]
    assert names[:2] == ["Server", "Date"]
    assert names[2:4] == ["X-Mixed-Case", "x-mixed-case"]


def test_authorization_never_shown(manager_client, workflow, start_server):
    server = start_server(
        lambda request: Reply(
            200,
            f"echo {request.header('Authorization')}".encode(),
            [("X-Echo", request.header("Authorization"))],
        )
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url(), token=PLANTED_TOKEN)

    response = send_form(manager_client, endpoint, path="x")

    page = response.content.decode()
    assert server.last.header("Authorization") == f"Bearer {PLANTED_TOKEN}"
    assert PLANTED_TOKEN not in page
    assert "Bearer [redacted]" in page


def test_token_echoed_in_header_name_redacted(manager_client, workflow, start_server):
    server = start_server(
        lambda request: Reply(200, b"ok", [(f"X-{PLANTED_TOKEN}", "1")])
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url(), token=PLANTED_TOKEN)

    response = send_form(manager_client, endpoint, path="x")

    assert PLANTED_TOKEN not in response.content.decode()
    assert ("X-[redacted]", "1") in response.context["shown"].headers


def test_token_in_utf16_body_redacted(manager_client, workflow, start_server):
    # No charset, so the page reads the UTF-16 body as UTF-8, with a NUL
    # after each letter, which a browser does not show.
    body = f"echo {PLANTED_TOKEN}".encode("utf-16-le")
    server = start_server(
        lambda request: Reply(200, body, [("Content-Type", "text/plain")])
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url(), token=PLANTED_TOKEN)

    response = send_form(manager_client, endpoint, path="x")

    shown_body = response.context["shown"].body.replace("\x00", "")
    assert PLANTED_TOKEN not in shown_body
    assert "[redacted]" in shown_body


def test_large_body_truncated(manager_client, workflow, start_server):
    body = b"a" * (BODY_DISPLAY_BYTES * 3)
    server = start_server(lambda request: Reply(200, body, chunked=True))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send_form(manager_client, endpoint)

    shown = response.context["shown"]
    assert shown.truncated
    assert len(shown.body) == BODY_DISPLAY_BYTES
    assert shown.body_bytes == len(body)
    assert f"showing the first {BODY_DISPLAY_BYTES} of {len(body)} bytes" in (
        response.content.decode()
    )


def test_body_over_limit_is_failure(manager_client, workflow, start_server, settings):
    settings.ENDPOINT_MAX_RESPONSE_BYTES = 1000
    server = start_server(lambda request: Reply(200, b"a" * 2000))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send_form(manager_client, endpoint)

    page = response.content.decode()
    assert "failed at the response stage" in page
    assert "Traceback" not in page


def test_non_utf8_body_shown_safely(manager_client, workflow, start_server):
    server = start_server(
        lambda request: Reply(200, b"ok \xff\xfe <b>", [("Content-Type", "text/plain")])
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send_form(manager_client, endpoint)

    shown = response.context["shown"]
    page = response.content.decode()
    assert not shown.decodable
    assert "ok \ufffd\ufffd &lt;b&gt;" in page
    assert "is not valid utf-8 text" in page


def test_declared_charset_used(manager_client, workflow, start_server):
    server = start_server(
        lambda request: Reply(
            200,
            "café".encode("latin-1"),
            [("Content-Type", "text/plain; charset=latin-1")],
        )
    )
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send_form(manager_client, endpoint)

    assert response.context["shown"].body == "café"


def test_server_error_shown_and_recorded(manager_client, workflow, start_server):
    server = start_server(lambda request: Reply(502, b"upstream broke"))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send_form(manager_client, endpoint)

    assert "502 Bad Gateway" in response.content.decode()
    assert ActivityEntry.objects.filter(
        endpoint=endpoint, event=ActivityEntry.Event.REQUEST_FAILED
    ).exists()


def test_connection_refused_message(manager_client, workflow):
    sock = unused_port()
    endpoint = make_token_endpoint(
        workflow, base_url=f"http://127.0.0.1:{sock.getsockname()[1]}"
    )

    response = send_form(manager_client, endpoint)

    sock.close()
    page = response.content.decode()
    assert response.status_code == 200
    assert "The request failed at the connection stage" in page
    assert "Endpoint “Chat”: Could not connect" in page
    assert "Traceback" not in page


def test_dns_failure_message(manager_client, workflow):
    endpoint = make_basic_endpoint(workflow, base_url="https://gone.example.invalid")

    response = send_form(manager_client, endpoint)

    assert "failed at the DNS stage" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("path", "https://other.example/steal", "invalid_path"),
        ("path", "../up", "invalid_path"),
        ("headers", "no colon here", "invalid_header_line"),
        ("headers", "Bad Name: x", "invalid_header_name"),
        ("headers", "Host: other", "reserved_header_name"),
        ("headers", "X-Note: café", "header_not_ascii"),
    ],
)
def test_invalid_input_rejected(
    manager_client, workflow, http_server, field, value, code
):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    response = send_form(manager_client, endpoint, **{field: value})

    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()[field]] == [code]
    assert http_server.requests == []


def test_viewer_refused(viewer_client, workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    get_response = viewer_client.get(page_url(endpoint))
    post_response = send_form(viewer_client, endpoint)

    assert get_response.status_code == 403
    assert post_response.status_code == 403
    assert http_server.requests == []


def test_endpoint_page_links_here(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)

    page = manager_client.get(endpoint.get_absolute_url()).content.decode()

    assert page_url(endpoint) in page


def test_viewer_sees_no_link(viewer_client, workflow):
    endpoint = make_token_endpoint(workflow)

    page = viewer_client.get(endpoint.get_absolute_url()).content.decode()

    assert page_url(endpoint) not in page
