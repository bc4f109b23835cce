"""Faults of requests through endpoints: clear errors, activity, no secrets.

Planted secret values must never show up in an exception, an activity
entry or a log line, whatever fails.
"""

import logging

import pytest

from endpoints.auth.basic import encode_credential
from endpoints.models import ActivityEntry
from endpoints.runtime import (
    ConnectionFailedError,
    DNSError,
    EndpointError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TLSError,
    send,
)
from tests.conftest import make_basic_endpoint, make_token_endpoint
from tests.support.servers import Reply, unused_port

PLANTED_TOKEN = "PLANTED-token-5b1e77"
PLANTED_PASSWORD = "PLANTED-password-c0ffee"
PLANTED_CREDENTIAL = encode_credential("svc", PLANTED_PASSWORD)
PLANTED = [PLANTED_TOKEN, PLANTED_PASSWORD, PLANTED_CREDENTIAL]


@pytest.fixture
def refused_url():
    sock = unused_port()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def planted_endpoints(workflow, base_url):
    token = make_token_endpoint(workflow, base_url=base_url, token=PLANTED_TOKEN)
    basic = make_basic_endpoint(workflow, base_url=base_url, password=PLANTED_PASSWORD)
    return token, basic


def leaks(text: str) -> list[str]:
    return [secret for secret in PLANTED if secret in text]


def failed_entries(endpoint):
    return ActivityEntry.objects.filter(
        endpoint=endpoint, event=ActivityEntry.Event.REQUEST_FAILED
    )


def test_connection_refused_error(workflow, refused_url):
    endpoint = make_token_endpoint(workflow, base_url=refused_url)

    with pytest.raises(ConnectionFailedError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert str(raised.value).startswith("Endpoint “Chat”: Could not connect to")
    assert "connection refused" in str(raised.value)
    assert raised.value.stage == "connect"
    assert failed_entries(endpoint).count() == 1


def test_failure_activity_names_stage(workflow, refused_url, manager):
    endpoint = make_token_endpoint(workflow, base_url=refused_url)

    with pytest.raises(ConnectionFailedError):
        send(workflow, "Chat", "POST", "/items?page=2", actor=manager)

    entry = failed_entries(endpoint).get()
    assert entry.detail.startswith("POST /items failed at the connection stage")
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert entry.actor == manager
    assert "page=2" not in entry.detail


def test_dns_failure_activity(workflow):
    endpoint = make_token_endpoint(workflow, base_url="https://gone.example.invalid")

    with pytest.raises(DNSError):
        send(workflow, "Chat", "GET", "/")

    assert "DNS stage" in failed_entries(endpoint).get().detail


def test_timeout_activity(workflow, start_server):
    server = start_server(lambda request: Reply(200, b"late", delay=1.0))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(RequestTimeoutError):
        send(workflow, "Chat", "GET", "/", timeout=0.2)

    assert "timeout stage" in failed_entries(endpoint).get().detail


def test_server_error_returned_and_recorded(workflow, start_server):
    server = start_server(lambda request: Reply(503, b"down for maintenance"))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send(workflow, "Chat", "GET", "/status")

    assert response.status_code == 503
    assert response.text == "down for maintenance"
    detail = failed_entries(endpoint).get().detail
    assert "503 Service Unavailable" in detail


def test_client_error_not_recorded(workflow, start_server):
    server = start_server(lambda request: Reply(404, b"no such thing"))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = send(workflow, "Chat", "GET", "/missing")

    assert response.status_code == 404
    assert failed_entries(endpoint).count() == 0


def test_non_utf8_body_kept_as_bytes(workflow, start_server):
    body = b"\xff\xfe caf\xe9 \x80"
    server = start_server(
        lambda request: Reply(200, body, [("Content-Type", "text/plain")])
    )
    make_token_endpoint(workflow, base_url=server.url())

    response = send(workflow, "Chat", "GET", "/")

    assert response.content == body


def test_body_over_limit_by_length(workflow, start_server, settings):
    settings.ENDPOINT_MAX_RESPONSE_BYTES = 1000
    server = start_server(lambda request: Reply(200, b"x" * 5000))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(ResponseTooLargeError) as raised:
        send(workflow, "Chat", "GET", "/big")

    assert "larger than 1000 bytes" in str(raised.value)
    assert "response stage" in failed_entries(endpoint).get().detail


def test_body_over_limit_when_chunked(workflow, start_server, settings):
    settings.ENDPOINT_MAX_RESPONSE_BYTES = 100_000
    server = start_server(lambda request: Reply(200, b"x" * 300_000, chunked=True))
    make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(ResponseTooLargeError):
        send(workflow, "Chat", "GET", "/big")


def test_huge_body_within_limit(workflow, start_server):
    body = b"0123456789" * 500_000
    server = start_server(lambda request: Reply(200, body, chunked=True))
    make_token_endpoint(workflow, base_url=server.url())

    response = send(workflow, "Chat", "GET", "/big")

    assert response.content == body


def test_invalid_header_value_is_request_error(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    with pytest.raises(EndpointError) as raised:
        send(workflow, "Chat", "GET", "/", headers={"X-Note": "café"})

    assert raised.value.stage == "request"
    assert http_server.requests == []


def test_error_hides_library_exception(workflow, refused_url):
    make_token_endpoint(workflow, base_url=refused_url)

    with pytest.raises(ConnectionFailedError) as raised:
        send(workflow, "Chat", "GET", f"/x?token={PLANTED_TOKEN}")

    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


@pytest.mark.parametrize("name", ["Chat", "Tickets"])
def test_planted_secrets_absent_on_refusal(workflow, refused_url, caplog, name):
    planted_endpoints(workflow, refused_url)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ConnectionFailedError) as raised:
        send(
            workflow,
            name,
            "GET",
            f"/hook?token={PLANTED_TOKEN}&password={PLANTED_PASSWORD}",
        )

    assert leaks(str(raised.value)) == []
    assert leaks(repr(raised.value)) == []
    assert leaks(caplog.text) == []
    for entry in ActivityEntry.objects.all():
        assert leaks(entry.detail) == []


def test_planted_secrets_absent_on_tls_failure(
    workflow, start_server, self_signed_cert, ca_bundle, caplog
):
    server = start_server(ssl_context=self_signed_cert.server_context())
    planted_endpoints(workflow, server.url())
    caplog.set_level(logging.DEBUG)

    for name in ("Chat", "Tickets"):
        with pytest.raises(TLSError) as raised:
            send(workflow, name, "GET", f"/x?token={PLANTED_TOKEN}")
        assert leaks(str(raised.value)) == []

    assert leaks(caplog.text) == []
    assert server.requests == []
    for entry in ActivityEntry.objects.all():
        assert leaks(entry.detail) == []


def test_planted_secrets_absent_on_success(workflow, http_server, caplog):
    planted_endpoints(workflow, http_server.url())
    caplog.set_level(logging.DEBUG)

    send(workflow, "Chat", "GET", f"/x?token={PLANTED_TOKEN}")
    send(workflow, "Tickets", "GET", "/x")

    assert leaks(caplog.text) == []
    assert http_server.requests[0].header("Authorization") == f"Bearer {PLANTED_TOKEN}"


def test_secret_in_path_scrubbed_from_error(workflow, start_server, settings):
    settings.ENDPOINT_MAX_RESPONSE_BYTES = 10
    server = start_server(lambda request: Reply(200, b"x" * 100))
    make_token_endpoint(workflow, base_url=server.url(), token=PLANTED_TOKEN)

    with pytest.raises(ResponseTooLargeError):
        send(workflow, "Chat", "GET", f"/hooks/{PLANTED_TOKEN}")

    detail = ActivityEntry.objects.get(event=ActivityEntry.Event.REQUEST_FAILED).detail
    assert PLANTED_TOKEN not in detail
    assert "/hooks/[redacted]" in detail


def test_one_debug_line_per_request(workflow, http_server, caplog):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())
    caplog.set_level(logging.DEBUG, logger="endpoints.runtime")

    send(workflow, "Chat", "GET", "/x?q=secret-query", headers={"X-Note": "hdr-val"})

    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "endpoints.runtime.api"
    ]
    assert len(lines) == 1
    assert f"endpoint_id={endpoint.pk}" in lines[0]
    assert f"workflow_id={workflow.pk}" in lines[0]
    assert "method=GET status=200" in lines[0]
    assert "outcome=success" in lines[0]
    assert "duration_ms=" in lines[0]
    assert "secret-query" not in caplog.text
    assert "hdr-val" not in caplog.text


def test_success_writes_no_line_at_info(workflow, http_server, caplog):
    make_token_endpoint(workflow, base_url=http_server.url())
    caplog.set_level(logging.INFO, logger="endpoints.runtime")

    response = send(workflow, "Chat", "GET", "/x")

    assert response.status_code == 200
    assert [r for r in caplog.records if r.name == "endpoints.runtime.api"] == []


def test_failure_log_line_names_stage(workflow, refused_url, caplog):
    make_token_endpoint(workflow, base_url=refused_url)
    caplog.set_level(logging.INFO, logger="endpoints.runtime")

    with pytest.raises(ConnectionFailedError):
        send(workflow, "Chat", "GET", "/")

    record = next(r for r in caplog.records if r.name == "endpoints.runtime.api")
    assert record.levelno == logging.WARNING
    assert "outcome=failure stage=connect" in record.getMessage()


def test_server_error_logged_as_failure(workflow, start_server, caplog):
    server = start_server(lambda request: Reply(503, b"down"))
    make_token_endpoint(workflow, base_url=server.url())
    caplog.set_level(logging.INFO, logger="endpoints.runtime")

    response = send(workflow, "Chat", "GET", "/")

    record = next(r for r in caplog.records if r.name == "endpoints.runtime.api")
    assert response.status_code == 503
    assert record.levelno == logging.WARNING
    assert "status=503" in record.getMessage()
    assert "outcome=failure stage=status" in record.getMessage()


def test_httpx_request_log_silenced(workflow, http_server, caplog):
    make_token_endpoint(workflow, base_url=http_server.url())

    send(workflow, "Chat", "GET", "/x?q=1")

    assert [r for r in caplog.records if r.name.startswith("httpx2")] == []
