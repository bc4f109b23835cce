"""The auth-type hooks that the runtime calls, and its settings checks."""

import pytest
from django.core.checks import run_checks

from endpoints.auth.token import Token
from endpoints.runtime import send
from endpoints.runtime.context import RequestContext
from tests.conftest import make_token_endpoint


@pytest.fixture
def calls(monkeypatch):
    """Record the hooks that the runtime calls on Token, with their context."""
    seen = []
    original_build_auth = Token.build_auth

    def prepare(self, context):
        seen.append(("prepare", context))

    def build_auth(self, context=None):
        seen.append(("build_auth", context))
        return original_build_auth(self, context)

    monkeypatch.setattr(Token, "prepare", prepare)
    monkeypatch.setattr(Token, "build_auth", build_auth)
    return seen


def test_hooks_called_in_order(workflow, http_server, calls):
    make_token_endpoint(workflow, base_url=http_server.url())

    send(workflow, "Chat", "GET", "/")

    assert [name for name, _ in calls] == ["prepare", "build_auth"]


def test_context_carries_acting_user(workflow, http_server, calls, manager, viewer):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    send(workflow, "Chat", "GET", "/", acting_user=viewer, actor=manager, timeout=3)

    context = calls[-1][1]
    assert isinstance(context, RequestContext)
    assert context.acting_user == viewer
    assert context.actor == manager
    assert context.endpoint == endpoint
    assert context.timeout.read == 3
    assert context.persist is True


def test_request_base_url_hook_moves_request(
    workflow, http_server, start_server, monkeypatch
):
    instance = start_server()
    monkeypatch.setattr(
        Token, "request_base_url", lambda self, context: instance.url(path="/v59")
    )
    make_token_endpoint(workflow, base_url=http_server.url())

    send(workflow, "Chat", "GET", "/sobjects")

    assert http_server.requests == []
    assert instance.last.path == "/v59/sobjects"
    assert instance.last.header("Authorization") == "Bearer tok-123456"


def test_auth_flow_client_is_guarded(workflow, http_server, calls):
    make_token_endpoint(workflow, base_url=http_server.url())

    send(workflow, "Chat", "GET", "/")

    client = calls[-1][1].client
    assert client.follow_redirects is False
    assert client.trust_env is False


def test_check_rejects_bad_blocked_network(settings):
    settings.ENDPOINT_BLOCKED_NETWORKS = ["169.254.0.0/16", "not-a-network"]

    ids = [message.id for message in run_checks()]

    assert "endpoints.E003" in ids


def test_check_rejects_missing_ca_bundle(settings, tmp_path):
    settings.ENDPOINT_CA_BUNDLE = str(tmp_path / "missing.pem")

    ids = [message.id for message in run_checks()]

    assert "endpoints.E004" in ids


def test_checks_pass_with_defaults():
    ids = [message.id for message in run_checks()]

    assert "endpoints.E003" not in ids
    assert "endpoints.E004" not in ids
