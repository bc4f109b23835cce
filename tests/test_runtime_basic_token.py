"""Basic and Token authentication over real sockets, and authenticate()."""

import pytest

from endpoints.auth.basic import BasicForm, encode_credential
from endpoints.models import AuthConfig, Endpoint, Step, StepUsage
from endpoints.runtime import (
    CredentialUnavailableError,
    EndpointNotFoundError,
    authenticate,
    send,
)
from tests.conftest import make_basic_endpoint, make_token_endpoint
from tests.support.servers import Reply

UTF8_HEADER = "Basic b3DDqXJhdGV1cjpww6Rzc3fDtnJk4oKs"


def challenge(request):
    """Respond with 401 and a Basic challenge until credentials arrive."""
    if request.header("Authorization"):
        return Reply(200, b"welcome")
    return Reply(401, b"who are you", [("WWW-Authenticate", 'Basic realm="api"')])


def basic_endpoint(workflow, server, *, preemptive=True, **kwargs):
    endpoint = make_basic_endpoint(workflow, base_url=server.url(path="/api"), **kwargs)
    if not preemptive:
        config = endpoint.auth
        config.params = {**config.params, "preemptive": False}
        config.save()
    return endpoint


@pytest.mark.parametrize("preemptive", [True, False])
def test_basic_utf8_credentials_exact_header(workflow, start_server, preemptive):
    server = start_server(challenge)
    basic_endpoint(
        workflow,
        server,
        username="opérateur",
        password="pässwörd€",
        preemptive=preemptive,
    )

    response = send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 200
    assert server.last.header("Authorization") == UTF8_HEADER


def test_basic_password_with_colons(workflow, http_server):
    basic_endpoint(workflow, http_server, username="svc", password="a:b:c")

    send(workflow, "Tickets", "GET", "/me")

    assert http_server.last.header("Authorization") == "Basic c3ZjOmE6Yjpj"


def test_basic_username_with_colon_rejected(workflow):
    form = BasicForm(
        data={"username": "svc:admin", "password_0": "pw", "preemptive": "on"},
        config=AuthConfig(auth_type="basic"),
    )

    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["username"]] == [
        "colon_in_username"
    ]


def test_preemptive_sends_header_despite_403(workflow, start_server):
    server = start_server(lambda request: Reply(403, b"forbidden"))
    basic_endpoint(workflow, server)

    response = send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 403
    assert len(server.requests) == 1
    expected = "Basic " + encode_credential("svc", "s3cret-pass")
    assert server.requests[0].header("Authorization") == expected


def test_challenge_mode_first_request_bare(workflow, start_server):
    server = start_server(challenge)
    basic_endpoint(workflow, server, preemptive=False)

    response = send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 200
    assert len(server.requests) == 2
    assert server.requests[0].header("Authorization") is None
    assert server.requests[1].header("Authorization").startswith("Basic ")


def test_challenge_mode_ignores_403(workflow, start_server):
    server = start_server(lambda request: Reply(403, b"forbidden"))
    basic_endpoint(workflow, server, preemptive=False)

    response = send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 403
    assert len(server.requests) == 1
    assert server.requests[0].header("Authorization") is None


def test_challenge_mode_needs_basic_scheme(workflow, start_server):
    server = start_server(
        lambda request: Reply(401, b"no", [("WWW-Authenticate", 'Bearer realm="x"')])
    )
    basic_endpoint(workflow, server, preemptive=False)

    response = send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 401
    assert [request.header("Authorization") for request in server.requests] == [None]


def test_challenge_mode_retries_once(workflow, start_server):
    server = start_server(
        lambda request: Reply(401, b"no", [("WWW-Authenticate", "Basic")])
    )
    basic_endpoint(workflow, server, preemptive=False)

    response = send(workflow, "Tickets", "GET", "/me")

    assert response.status_code == 401
    assert len(server.requests) == 2


def test_challenge_after_redirect_same_origin(workflow, start_server):
    def handler(request):
        if request.path == "/api/old":
            return Reply(302, b"", [("Location", "/api/new")])
        return challenge(request)

    server = start_server(handler)
    basic_endpoint(workflow, server, preemptive=False)

    response = send(workflow, "Tickets", "GET", "/old")

    assert response.status_code == 200
    assert [request.path for request in server.requests] == [
        "/api/old",
        "/api/new",
        "/api/new",
    ]
    assert server.requests[0].header("Authorization") is None


def test_token_bearer_prefix(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url(), token="tok-abc")

    send(workflow, "Chat", "GET", "/")

    assert http_server.last.header("Authorization") == "Bearer tok-abc"


def test_token_blank_prefix_sends_bare(workflow, http_server):
    make_token_endpoint(
        workflow,
        base_url=http_server.url(),
        token="tok-abc",
        params={"header": "authorization", "prefix": ""},
    )

    send(workflow, "Chat", "GET", "/")

    assert http_server.last.header("Authorization") == "tok-abc"


def test_token_custom_header_with_id(workflow, http_server):
    make_token_endpoint(
        workflow,
        base_url=http_server.url(),
        params={
            "header": "custom",
            "header_name": "X-Api-Key",
            "id_header_name": "X-Account",
        },
        secrets={"token": "key-1", "id_value": "acct-7"},
    )

    send(workflow, "Chat", "GET", "/")

    assert http_server.last.header("X-Api-Key") == "key-1"
    assert http_server.last.header("X-Account") == "acct-7"
    assert http_server.last.header("Authorization") is None


def test_token_custom_header_without_id(workflow, http_server):
    make_token_endpoint(
        workflow,
        base_url=http_server.url(),
        params={"header": "custom", "header_name": "X-Api-Key"},
        secrets={"token": "key-1"},
    )

    send(workflow, "Chat", "GET", "/")

    assert http_server.last.header("X-Api-Key") == "key-1"
    assert http_server.last.header("X-Account") is None


def test_no_authorization_sends_no_header(workflow, http_server):
    Endpoint.objects.create_with_auth(
        workflow=workflow, name="Open", base_url=http_server.url()
    )

    send(workflow, "Open", "GET", "/")

    assert http_server.last.header("Authorization") is None


def test_send_body_json_and_headers(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    send(
        workflow,
        "Chat",
        "POST",
        "/messages",
        json={"text": "héllo"},
        headers={"X-Trace": "t-1"},
    )

    assert http_server.last.method == "POST"
    assert http_server.last.body == '{"text":"héllo"}'.encode()
    assert http_server.last.header("X-Trace") == "t-1"


def test_send_resolves_step_label(workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())
    step = Step.objects.create(workflow=workflow, name="Notify")
    StepUsage.objects.create(step=step, endpoint=endpoint, label="chat-api")

    response = send(workflow.name, "chat-api", "GET", "/")

    assert response.status_code == 200


def test_send_name_ignores_case(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    response = send(workflow.pk, "CHAT", "GET", "/")

    assert response.status_code == 200


def test_send_ambiguous_label_raises(workflow):
    first = make_token_endpoint(workflow, name="One")
    second = make_token_endpoint(workflow, name="Two")
    for name, endpoint in (("A", first), ("B", second)):
        step = Step.objects.create(workflow=workflow, name=name)
        StepUsage.objects.create(step=step, endpoint=endpoint, label="api")

    with pytest.raises(EndpointNotFoundError) as raised:
        send(workflow, "api", "GET", "/")

    assert "different endpoints" in str(raised.value)


def test_send_unknown_endpoint_raises(workflow):
    with pytest.raises(EndpointNotFoundError) as raised:
        send(workflow, "Nowhere", "GET", "/")

    assert "no endpoint named 'Nowhere'" in str(raised.value)


def test_send_unknown_workflow_raises(db):
    with pytest.raises(EndpointNotFoundError):
        send("No such workflow", "Chat", "GET", "/")


def test_authenticate_token_returns_token(workflow):
    endpoint = make_token_endpoint(workflow, token="tok-xyz")

    credential = authenticate(endpoint)

    assert credential == "tok-xyz"


def test_authenticate_basic_returns_credential(workflow):
    endpoint = make_basic_endpoint(workflow, username="svc", password="a:b:c")

    credential = authenticate(endpoint)

    assert credential == "c3ZjOmE6Yjpj"


def test_authenticate_no_authorization_raises(workflow):
    endpoint = Endpoint.objects.create_with_auth(
        workflow=workflow, name="Open", base_url="https://open.example.test"
    )

    with pytest.raises(CredentialUnavailableError) as raised:
        authenticate(endpoint)

    assert "No Authorization" in str(raised.value)


def test_authenticate_builtin_raises(workflow):
    builtin = workflow.endpoints.get(is_builtin=True)

    with pytest.raises(CredentialUnavailableError):
        authenticate(builtin)


def test_authenticate_missing_token_raises(workflow):
    endpoint = make_token_endpoint(workflow, secrets={})

    with pytest.raises(CredentialUnavailableError):
        authenticate(endpoint)
