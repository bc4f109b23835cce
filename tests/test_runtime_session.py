"""open_endpoint: many requests through one endpoint, over real sockets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from endpoints.models import AuthConfig, Endpoint
from endpoints.runtime import EndpointNotFoundError, open_endpoint, send
from tests.conftest import make_token_endpoint
from tests.support.oauth import connect_directly, make_code_endpoint
from tests.support.servers import Reply


def accept_only(token: str):
    """Return a handler that responds 200 to ``Bearer <token>``, else 401."""

    def handler(request):
        if request.header("Authorization") == f"Bearer {token}":
            return Reply(200, b"ok")
        return Reply(401, b"rejected")

    return handler


def store_token(endpoint: Endpoint, token: str) -> None:
    # As a manager's save in another process would: the session's objects
    # are not touched.
    config = AuthConfig.objects.get(pk=endpoint.pk)
    config.secrets = {"token": token}
    config.save()


def test_session_sends_without_queries(
    workflow, http_server, django_assert_num_queries
):
    make_token_endpoint(workflow, base_url=http_server.url(path="/api"))

    with open_endpoint(workflow, "Chat") as chat:
        with django_assert_num_queries(0):
            statuses = [chat.send("GET", f"/items/{n}").status_code for n in range(3)]

    assert statuses == [200, 200, 200]
    assert [request.path for request in http_server.requests] == [
        "/api/items/0",
        "/api/items/1",
        "/api/items/2",
    ]
    assert {request.header("Authorization") for request in http_server.requests} == {
        "Bearer tok-123456"
    }


def test_session_401_reloads_changed_token(workflow, start_server):
    server = start_server(accept_only("tok-new-654321"))
    endpoint = make_token_endpoint(workflow, base_url=server.url(path="/api"))

    with open_endpoint(workflow, "Chat") as chat:
        store_token(endpoint, "tok-new-654321")
        response = chat.send("POST", "/items", json={"n": 1})

    assert response.status_code == 200
    assert [request.header("Authorization") for request in server.requests] == [
        "Bearer tok-123456",
        "Bearer tok-new-654321",
    ]
    assert server.last.body == b'{"n":1}'


def test_session_401_unchanged_not_resent(
    workflow, start_server, django_assert_num_queries
):
    server = start_server(accept_only("another-token"))
    make_token_endpoint(workflow, base_url=server.url(path="/api"))

    with open_endpoint(workflow, "Chat") as chat:
        # The one query reloads the endpoint with its auth configuration.
        with django_assert_num_queries(1):
            response = chat.send("GET", "/items")

    assert response.status_code == 401
    assert len(server.requests) == 1


def test_session_deleted_endpoint_raises(workflow, start_server):
    server = start_server(accept_only("another-token"))
    endpoint = make_token_endpoint(workflow, base_url=server.url(path="/api"))

    with open_endpoint(workflow, "Chat") as chat:
        Endpoint.objects.filter(pk=endpoint.pk).delete()
        with pytest.raises(EndpointNotFoundError):
            chat.send("GET", "/items")


def test_session_unknown_name_raises(workflow):
    with pytest.raises(EndpointNotFoundError):
        open_endpoint(workflow, "Nobody")


def test_session_reload_without_change(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url(path="/api"))

    with open_endpoint(workflow, "Chat") as chat:
        assert chat.reload() is False


@pytest.fixture
def crm(workflow, provider):
    endpoint = make_code_endpoint(workflow, provider)
    connect_directly(endpoint, provider)
    return endpoint


def expire_in(session) -> None:
    session.endpoint.auth.token_expires_at = timezone.now() - timedelta(seconds=1)


def test_session_oauth_valid_token_no_queries(
    workflow, crm, provider, django_assert_num_queries
):
    with open_endpoint(workflow, "CRM") as session:
        with django_assert_num_queries(0):
            responses = [session.send("GET", "/me") for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert provider.counts["token"] == 0
    assert provider.counts["resource"] == 3


def test_sessions_due_token_renewed_once(workflow, crm, provider):
    provider.switches.rotate_refresh_tokens = True
    first = open_endpoint(workflow, "CRM")
    second = open_endpoint(workflow, "CRM")
    expire_in(first)
    expire_in(second)
    AuthConfig.objects.filter(pk=crm.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )

    first_status = first.send("GET", "/me").status_code
    second_status = second.send("GET", "/me").status_code

    assert first_status == 200
    assert second_status == 200
    assert provider.counts["refresh_token"] == 1
    stored = AuthConfig.objects.get(pk=crm.pk)
    assert second.endpoint.auth.access_token == stored.access_token
    assert stored.reconnect_needed is False


def test_session_oauth_401_renews_once(workflow, crm, provider):
    with open_endpoint(workflow, "CRM") as session:
        provider.expire_access_tokens()
        response = session.send("GET", "/me")

    assert response.status_code == 200
    assert provider.counts["refresh_token"] == 1
    assert provider.counts["resource"] == 2


def test_send_by_names_one_query(workflow, http_server, django_assert_num_queries):
    make_token_endpoint(workflow, base_url=http_server.url(path="/api"))

    with django_assert_num_queries(1):
        response = send("Incidents", "Chat", "GET", "/items")

    assert response.status_code == 200
