"""Fixtures of the runtime tests: servers, certificates, DNS, the pool."""

from __future__ import annotations

import pytest
import trustme

from endpoints.runtime.pool import clients
from tests.support import dns
from tests.support.certificates import ServerCertificate, ca_signed, self_signed
from tests.support.servers import TestServer


@pytest.fixture(autouse=True)
def _isolated_runtime():
    """Give every test an empty client pool and the default test DNS."""
    yield
    clients.close_all()
    dns.reset()


@pytest.fixture
def fake_dns():
    """The test resolver's host table: ``fake_dns["name"] = ["127.0.0.1"]``."""
    return dns.HOSTS


@pytest.fixture
def start_server():
    """Return a function that starts a server and stops it after the test."""
    started: list[TestServer] = []

    def start(handler=None, ssl_context=None) -> TestServer:
        server = TestServer(ssl_context=ssl_context)
        if handler is not None:
            server.handler = handler
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def http_server(start_server) -> TestServer:
    return start_server()


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(test_ca, tmp_path, settings) -> str:
    """Trust the test CA (and only it) for endpoint requests."""
    path = tmp_path / "test-ca.pem"
    test_ca.cert_pem.write_to_path(str(path))
    settings.ENDPOINT_CA_BUNDLE = str(path)
    return str(path)


@pytest.fixture
def ca_signed_cert(test_ca, tmp_path) -> ServerCertificate:
    return ca_signed(test_ca, tmp_path)


@pytest.fixture
def self_signed_cert(tmp_path) -> ServerCertificate:
    return self_signed(tmp_path)
