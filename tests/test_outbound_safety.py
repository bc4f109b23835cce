"""Outbound safety: redirects, blocked networks, timeouts and the pool."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from endpoints.forms import EndpointForm
from endpoints.models import Endpoint
from endpoints.runtime import (
    BlockedAddressError,
    DNSError,
    RedirectError,
    RequestTimeoutError,
    send,
)
from endpoints.runtime.network import (
    DEFAULT_BLOCKED_NETWORKS,
    NetworkGuard,
    parse_networks,
    resolve_with_system,
)
from endpoints.runtime.pool import ClientPool, clients
from endpoints.runtime.redirects import MAX_REDIRECTS
from tests.conftest import make_token_endpoint
from tests.support import dns
from tests.support.servers import Reply


@pytest.fixture
def no_sockets(monkeypatch):
    """Fail the test if anything opens a TCP connection."""
    opened = []

    def refuse(address, *args, **kwargs):
        opened.append(address)
        raise AssertionError(f"A connection to {address} was opened.")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return opened


def redirect_to(location, status=302):
    return lambda request: Reply(status, b"", [("Location", location)])


def test_cross_origin_redirect_not_followed(workflow, start_server):
    other = start_server()
    server = start_server(redirect_to(other.url(path="/steal")))
    make_token_endpoint(workflow, base_url=server.url(path="/api"))

    with pytest.raises(RedirectError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert other.requests == []
    assert f"127.0.0.1:{other.port}" in str(raised.value)


def test_cross_host_redirect_sends_no_custom_header(workflow, start_server, fake_dns):
    fake_dns["other.example.test"] = ["127.0.0.1"]
    other = start_server()
    server = start_server(redirect_to(other.url(host="other.example.test")))
    make_token_endpoint(
        workflow,
        base_url=server.url(),
        params={"header": "custom", "header_name": "X-Api-Key"},
        secrets={"token": "key-secret-1"},
    )

    with pytest.raises(RedirectError):
        send(workflow, "Chat", "GET", "/x")

    assert other.requests == []


def test_scheme_change_redirect_not_followed(workflow, start_server):
    server = start_server()
    server.handler = redirect_to(server.url().replace("http://", "https://") + "/x")
    make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(RedirectError):
        send(workflow, "Chat", "GET", "/x")

    assert len(server.requests) == 1


def test_same_origin_redirect_followed(workflow, start_server):
    def handler(request):
        if request.path == "/api/old":
            return Reply(301, b"", [("Location", "/api/new")])
        return Reply(200, b"new place")

    server = start_server(handler)
    make_token_endpoint(workflow, base_url=server.url(path="/api"))

    response = send(workflow, "Chat", "GET", "/old")

    assert response.text == "new place"
    assert [request.path for request in server.requests] == ["/api/old", "/api/new"]
    assert server.last.header("Authorization") == "Bearer tok-123456"
    assert len(response.history) == 1


def test_redirect_loop_stops(workflow, start_server):
    server = start_server(redirect_to("/api/loop"))
    make_token_endpoint(workflow, base_url=server.url(path="/api"))

    with pytest.raises(RedirectError) as raised:
        send(workflow, "Chat", "GET", "/loop")

    assert len(server.requests) == MAX_REDIRECTS + 1
    assert "more than" in str(raised.value)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://169.254.10.20:8080",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:1]/",
    ],
)
def test_blocked_literal_address_refused(workflow, no_sockets, base_url):
    Endpoint.objects.create_with_auth(workflow=workflow, name="Meta", base_url=base_url)

    with pytest.raises(BlockedAddressError) as raised:
        send(workflow, "Meta", "GET", "/")

    assert "blocked network" in str(raised.value)
    assert no_sockets == []


@pytest.mark.parametrize(
    "answers",
    [
        ["169.254.169.254"],
        ["fe80::1%eth0"],
        ["::ffff:169.254.169.254"],
        ["127.0.0.1", "169.254.169.254"],
    ],
)
def test_blocked_after_dns_refused(workflow, fake_dns, no_sockets, answers):
    fake_dns["metadata.example.test"] = answers
    make_token_endpoint(workflow, base_url="http://metadata.example.test/")

    with pytest.raises(BlockedAddressError) as raised:
        send(workflow, "Chat", "GET", "/")

    assert "metadata.example.test resolves to" in str(raised.value)
    assert no_sockets == []


def test_blocked_check_happens_at_connect(workflow, http_server, fake_dns):
    fake_dns["rebind.example.test"] = ["127.0.0.1"]
    make_token_endpoint(
        workflow, base_url=f"http://rebind.example.test:{http_server.port}"
    )
    send(workflow, "Chat", "GET", "/first")
    fake_dns["rebind.example.test"] = ["169.254.169.254"]
    clients.close_all()

    with pytest.raises(BlockedAddressError):
        send(workflow, "Chat", "GET", "/second")

    assert [request.path for request in http_server.requests] == ["/first"]


def test_connects_to_checked_address(workflow, http_server, fake_dns):
    fake_dns["api.example.test"] = ["127.0.0.1"]
    make_token_endpoint(
        workflow, base_url=f"http://api.example.test:{http_server.port}"
    )

    send(workflow, "Chat", "GET", "/")

    assert http_server.last.header("Host") == f"api.example.test:{http_server.port}"
    assert dns.QUERIES == ["api.example.test"]


def test_blocked_networks_setting_applies(workflow, http_server, settings):
    settings.ENDPOINT_BLOCKED_NETWORKS = ["127.0.0.0/8"]
    make_token_endpoint(workflow, base_url=http_server.url())

    with pytest.raises(BlockedAddressError):
        send(workflow, "Chat", "GET", "/")

    assert http_server.requests == []


def test_blocked_networks_from_environment(monkeypatch):
    import environ

    monkeypatch.setenv("ENDPOINT_BLOCKED_NETWORKS", "10.0.0.0/8,fd00::/8")

    values = environ.Env().list("ENDPOINT_BLOCKED_NETWORKS")

    assert [str(network) for network in parse_networks(values)] == [
        "10.0.0.0/8",
        "fd00::/8",
    ]


def test_default_blocked_networks_in_settings(settings):
    assert list(DEFAULT_BLOCKED_NETWORKS) == settings.ENDPOINT_BLOCKED_NETWORKS


def test_guard_allows_loopback():
    guard = NetworkGuard(
        blocked=parse_networks(DEFAULT_BLOCKED_NETWORKS), resolver=None
    )

    addresses = guard.resolve("127.0.0.1", 80)

    assert [str(address) for address in addresses] == ["127.0.0.1"]


def test_form_rejects_blocked_literal(workflow):
    form = EndpointForm(
        data={"name": "Meta", "base_url": "http://169.254.169.254/latest"},
        instance=Endpoint(workflow=workflow),
    )

    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["base_url"]] == [
        "blocked_address"
    ]


def test_invalid_name_fails_without_query(workflow):
    make_token_endpoint(workflow, base_url="https://tickets.example.invalid/api")

    with pytest.raises(DNSError) as raised:
        send(workflow, "Chat", "GET", "/")

    assert "tickets.example.invalid" in str(raised.value)
    assert raised.value.stage == "dns"


def test_system_resolver_skips_invalid_names(monkeypatch):
    def no_lookup(*args, **kwargs):
        raise AssertionError("getaddrinfo was called")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)

    with pytest.raises(DNSError):
        resolve_with_system("tickets.example.invalid", 443)


def test_system_resolver_literal_loopback():
    addresses = resolve_with_system("127.0.0.1", 80)

    assert addresses == ["127.0.0.1"]


def test_timeout_per_request(workflow, start_server):
    server = start_server(lambda request: Reply(200, b"late", delay=1.0))
    make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(RequestTimeoutError) as raised:
        send(workflow, "Chat", "GET", "/slow", timeout=0.2)

    assert raised.value.stage == "timeout"
    assert "0.2 s" in str(raised.value)


def test_timeout_default_from_setting(workflow, start_server, settings):
    settings.ENDPOINT_REQUEST_TIMEOUT = 0.2
    server = start_server(lambda request: Reply(200, b"late", delay=1.0))
    make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(RequestTimeoutError):
        send(workflow, "Chat", "GET", "/slow")


def test_cookies_not_kept_between_requests(workflow, start_server):
    server = start_server(
        lambda request: Reply(200, b"", [("Set-Cookie", "session=abc; Path=/")])
    )
    make_token_endpoint(workflow, base_url=server.url())

    send(workflow, "Chat", "GET", "/one")
    send(workflow, "Chat", "GET", "/two")

    assert server.last.header("Cookie") is None


def test_pool_reuses_connection(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    send(workflow, "Chat", "GET", "/one")
    send(workflow, "Chat", "GET", "/two")

    assert http_server.connections == 1
    assert http_server.requests[0].client_port == http_server.requests[1].client_port


def test_pool_rebuilds_after_endpoint_change(workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())
    send(workflow, "Chat", "GET", "/one")

    endpoint.save_version(endpoint.version)
    send(workflow, "Chat", "GET", "/two")

    assert http_server.connections == 2
    assert len(clients) == 1


def test_pool_is_bounded(workflow, http_server):
    pool = ClientPool(max_clients=2)
    endpoints = [
        make_token_endpoint(workflow, name=f"E{index}", base_url=http_server.url())
        for index in range(4)
    ]

    for endpoint in endpoints:
        with pool.lease(endpoint):
            pass

    assert len(pool) == 2


def test_pool_close_all_closes_clients(workflow, http_server):
    pool = ClientPool(max_clients=4)
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())
    with pool.lease(endpoint) as client:
        pass

    pool.close_all()

    assert client.is_closed
    assert len(pool) == 0


def test_pool_keeps_client_in_use(workflow, http_server):
    pool = ClientPool(max_clients=4)
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    with pool.lease(endpoint) as client:
        pool.close_all()
        still_open = not client.is_closed

    assert still_open
    assert client.is_closed


def test_pool_key_follows_trust_switch(workflow, http_server):
    pool = ClientPool(max_clients=4)
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())
    with pool.lease(endpoint) as first:
        pass

    endpoint.trust_self_signed = True
    with pool.lease(endpoint) as second:
        pass

    assert first is not second
    assert first.is_closed


EXIT_SCRIPT = """
import atexit, os, sys
from types import SimpleNamespace

state = {}
# Registered before the pool module is imported, so it runs after the
# pool's own exit handler.
atexit.register(lambda: print("closed" if state["client"].is_closed else "open"))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
import django

django.setup()
from endpoints.runtime.pool import clients

endpoint = SimpleNamespace(
    pk=1, version=1, updated_at=None, trust_self_signed=False,
    pinned_certificate_sha256="", pinned_certificate_pem="",
)
with clients.lease(endpoint) as client:
    state["client"] = client
"""


def test_pool_closed_at_exit():
    result = subprocess.run(  # noqa: S603 (a fixed script and this interpreter)
        [sys.executable, "-c", EXIT_SCRIPT],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "closed"
