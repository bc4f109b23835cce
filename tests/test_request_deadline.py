"""The overall deadline of a request through an endpoint.

The servers here send one byte per interval, well within the per-read
timeout, so only ENDPOINT_REQUEST_DEADLINE can end the request.
"""

import httpx2
import pytest
from django.core.checks import run_checks
from django.urls import reverse

from endpoints.models import ActivityEntry
from endpoints.runtime import DeadlineExceededError, RequestTimeoutError, send
from endpoints.runtime.api import EndpointCall
from endpoints.runtime.deadline import deadline_scope, limit_timeout
from tests.conftest import make_token_endpoint
from tests.support.oauth import make_password_endpoint
from tests.support.servers import TrickleServer

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\n\r\n"
BODY = b"x" * 200
DEADLINE_SECONDS = 1.0


@pytest.fixture
def short_deadline(settings):
    # Each read may wait 5 s, far longer than the byte interval.
    settings.ENDPOINT_REQUEST_TIMEOUT = 5.0
    settings.ENDPOINT_REQUEST_DEADLINE = DEADLINE_SECONDS


@pytest.fixture
def start_trickle():
    started: list[TrickleServer] = []

    def start(
        response: bytes, interval: float = 0.1, prefix: bytes = b""
    ) -> TrickleServer:
        server = TrickleServer(response, interval, prefix).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def failed_entries():
    return ActivityEntry.objects.filter(event=ActivityEntry.Event.REQUEST_FAILED)


def test_trickled_body_stops_at_deadline(workflow, short_deadline, start_trickle):
    server = start_trickle(BODY, prefix=HEAD)
    make_token_endpoint(workflow, base_url=server.url("/api"))

    with pytest.raises(DeadlineExceededError) as raised:
        send(workflow, "Chat", "GET", "/items")

    error = raised.value
    assert isinstance(error, RequestTimeoutError)
    assert error.stage == "timeout"
    assert str(error) == (
        "Endpoint “Chat”: The request did not finish within 1 s, the deadline "
        "that ENDPOINT_REQUEST_DEADLINE sets for each request through an "
        f"endpoint, so the console stopped waiting for 127.0.0.1:{server.port}."
    )
    assert server.sent < len(BODY)


def test_trickled_head_stops_at_deadline(workflow, short_deadline, start_trickle):
    server = start_trickle(HEAD + BODY, interval=0.05)
    make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(DeadlineExceededError):
        send(workflow, "Chat", "GET", "/")

    assert server.sent < len(HEAD)


def test_deadline_breach_recorded(workflow, short_deadline, start_trickle):
    server = start_trickle(HEAD + BODY)
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(DeadlineExceededError):
        send(workflow, "Chat", "GET", "/items")

    entries = list(failed_entries())
    assert len(entries) == 1
    assert entries[0].endpoint_id == endpoint.pk
    assert entries[0].outcome == ActivityEntry.Outcome.FAILURE
    assert entries[0].detail.startswith(
        "GET /items failed at the timeout stage: The request did not finish within 1 s"
    )


def test_caller_timeout_cannot_exceed_deadline(workflow, short_deadline, start_trickle):
    server = start_trickle(HEAD + BODY)
    make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(DeadlineExceededError):
        send(workflow, "Chat", "GET", "/", timeout=600)

    assert server.sent < len(HEAD + BODY)


def test_deadline_covers_token_request(workflow, short_deadline, provider):
    # The fake provider waits 2 s before its token response.
    provider.switches.slow_seconds = 2.0
    make_password_endpoint(workflow, provider)

    with pytest.raises(DeadlineExceededError):
        send(workflow, "Tickets API", "GET", "/me")

    assert provider.counts["resource"] == 0


def test_send_page_shows_deadline(
    manager_client, workflow, short_deadline, start_trickle
):
    server = start_trickle(BODY, prefix=HEAD)
    endpoint = make_token_endpoint(workflow, base_url=server.url())
    url = reverse("endpoints:endpoint_send_request", args=[endpoint.pk])

    response = manager_client.post(
        url, {"method": "GET", "path": "", "headers": "", "body": ""}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The request failed at the timeout stage" in page
    assert "ENDPOINT_REQUEST_DEADLINE" in page
    assert "Traceback" not in page
    assert failed_entries().count() == 1


def test_auth_test_shows_deadline(
    manager_client, workflow, short_deadline, start_trickle
):
    server = start_trickle(HEAD + BODY)
    endpoint = make_token_endpoint(workflow, base_url=server.url())
    url = reverse("endpoints:endpoint_test_auth", args=[endpoint.pk])
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "version": str(endpoint.version),
        "auth-header": "authorization",
        "auth-prefix": "Bearer",
    }

    response = manager_client.post(url, data)

    result = response.context["auth_test"]
    assert result.ok is False
    assert result.stage == "timeout"
    assert "ENDPOINT_REQUEST_DEADLINE" in result.message


def test_fast_response_within_deadline(workflow, short_deadline, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    response = send(workflow, "Chat", "GET", "/")

    assert response.status_code == 200
    assert failed_entries().count() == 0


@pytest.mark.parametrize(
    "timeout",
    [600, None, httpx2.Timeout(600), httpx2.Timeout(None)],
    ids=["seconds", "default", "timeout", "no limit"],
)
def test_call_timeout_capped(workflow, settings, timeout):
    settings.ENDPOINT_REQUEST_TIMEOUT = 900.0
    settings.ENDPOINT_REQUEST_DEADLINE = 20.0
    endpoint = make_token_endpoint(workflow)

    call = EndpointCall(endpoint, timeout=timeout)

    assert call.timeout.connect == 20.0
    assert call.timeout.read == 20.0
    assert call.timeout.write == 20.0
    assert call.timeout.pool == 20.0


def test_shorter_caller_timeout_kept(settings):
    settings.ENDPOINT_REQUEST_DEADLINE = 20.0

    limited = limit_timeout(httpx2.Timeout(3.0, connect=1.0))

    assert limited.connect == 1.0
    assert limited.read == 3.0


def test_inner_scope_keeps_earlier_deadline():
    with deadline_scope(5.0) as outer, deadline_scope(50.0) as inner:
        assert inner is outer


def test_inner_scope_may_be_earlier():
    with deadline_scope(50.0) as outer, deadline_scope(5.0) as inner:
        assert inner.expires_at < outer.expires_at


def check_ids(settings_override, settings) -> list[str]:
    settings.ENDPOINT_REQUEST_DEADLINE = settings_override
    return [message.id for message in run_checks()]


@pytest.mark.parametrize("value", [0, -1, "30", float("nan"), float("inf")])
def test_check_rejects_bad_deadline(settings, value):
    assert "endpoints.E007" in check_ids(value, settings)


@pytest.mark.parametrize("value", [0, -1, "10", float("nan"), float("inf"), True])
def test_check_rejects_bad_timeout(settings, value):
    settings.ENDPOINT_REQUEST_TIMEOUT = value

    assert "endpoints.E009" in [message.id for message in run_checks()]


def test_check_accepts_default_timeout():
    assert "endpoints.E009" not in [message.id for message in run_checks()]


def test_check_warns_above_worker_timeout(settings, monkeypatch):
    monkeypatch.setenv("GUNICORN_TIMEOUT", "20")

    assert "endpoints.W008" in check_ids(30.0, settings)


def test_check_accepts_default(settings, monkeypatch):
    monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)

    ids = check_ids(30.0, settings)

    assert "endpoints.E007" not in ids
    assert "endpoints.W008" not in ids


@pytest.mark.parametrize(
    "timeout", [-1, 0, float("nan"), float("inf"), "10", True, 10**400]
)
def test_invalid_timeout_rejected(workflow, http_server, timeout):
    make_token_endpoint(workflow, base_url=http_server.url())

    with pytest.raises(ValueError, match="must be a positive number of seconds"):
        send(workflow, "Chat", "GET", "/", timeout=timeout)

    assert http_server.requests == []


def test_invalid_timeout_part_rejected(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    with pytest.raises(ValueError, match="got -2"):
        send(workflow, "Chat", "GET", "/", timeout=httpx2.Timeout(5.0, read=-2))

    assert http_server.requests == []
