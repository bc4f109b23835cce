"""Test Authentication from the endpoint form, on typed values, unsaved."""

import pytest
from django.urls import reverse

from endpoints.auth.basic import encode_credential
from endpoints.models import ActivityEntry, Endpoint
from endpoints.runtime.tls import fingerprint
from endpoints.testing.fake_oauth import FakeOAuthProvider
from tests.conftest import (
    make_basic_endpoint,
    make_custom_header_endpoint,
    make_token_endpoint,
)
from tests.support.oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    make_password_endpoint,
)
from tests.support.pages import edit_form_data
from tests.support.servers import Reply, unused_port

PLANTED_PASSWORD = "PLANTED-typed-pw-9c1d"
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def auth_test_url(endpoint):
    return reverse("endpoints:endpoint_test_auth", args=[endpoint.pk])


def create_test_url(workflow):
    return reverse("endpoints:endpoint_create_test_auth", args=[workflow.pk])


def only_with(credential):
    """Respond with 200 to the given Basic credential and 401 otherwise."""

    def handler(request):
        if request.header("Authorization") == f"Basic {credential}":
            return Reply(200, b"hello")
        return Reply(401, b'{"error": "bad credentials"}')

    return handler


def post_test(client, endpoint, **overrides):
    return client.post(auth_test_url(endpoint), edit_form_data(endpoint, **overrides))


def test_uses_typed_password_without_saving(manager_client, workflow, start_server):
    typed = encode_credential("svc", PLANTED_PASSWORD)
    server = start_server(only_with(typed))
    endpoint = make_basic_endpoint(workflow, base_url=server.url())

    response = post_test(
        manager_client, endpoint, **{"auth-password_0": PLANTED_PASSWORD}
    )

    assert response.context["auth_test"].ok
    endpoint.refresh_from_db()
    assert endpoint.auth.secrets["credential"] == encode_credential(
        "svc", "s3cret-pass"
    )


def test_blank_password_uses_stored(manager_client, workflow, start_server):
    stored = encode_credential("svc", "s3cret-pass")
    server = start_server(only_with(stored))
    endpoint = make_basic_endpoint(workflow, base_url=server.url())

    response = post_test(manager_client, endpoint)

    assert response.context["auth_test"].ok
    assert server.last.header("Authorization") == f"Basic {stored}"


def test_uses_typed_base_url(manager_client, workflow, http_server):
    endpoint = make_basic_endpoint(workflow, base_url="https://stored.example.invalid")

    response = post_test(
        manager_client,
        endpoint,
        base_url=http_server.url("127.0.0.1", "/v2"),
        **{"auth-password_0": PLANTED_PASSWORD},
    )

    assert response.context["auth_test"].ok
    assert http_server.last.path == "/v2"
    endpoint.refresh_from_db()
    assert endpoint.base_url == "https://stored.example.invalid"


def test_new_origin_needs_typed_password(manager_client, workflow, http_server):
    endpoint = make_basic_endpoint(workflow, base_url="https://stored.example.invalid")

    response = post_test(manager_client, endpoint, base_url=http_server.url())

    result = response.context["auth_test"]
    assert result.attempted is False
    assert result.message == (
        "The stored password was saved for https://stored.example.invalid:443 and "
        f"is sent only there. Type it again to test against {http_server.url()}."
    )
    assert http_server.requests == []
    assert "Not tested." in response.content.decode()


def test_new_origin_refusal_recorded(manager_client, workflow, http_server):
    endpoint = make_basic_endpoint(workflow, base_url="https://stored.example.invalid")

    post_test(manager_client, endpoint, base_url=http_server.url())

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert entry.detail.startswith(
        f"Test Authentication against {http_server.url()} was not run: "
    )
    endpoint.auth.refresh_from_db()
    assert endpoint.auth.last_tested_at is None


def test_new_origin_typed_token_sent(manager_client, workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url="https://stored.example.invalid")

    response = post_test(
        manager_client,
        endpoint,
        base_url=http_server.url("127.0.0.1", "/v2"),
        **{"auth-token_0": "typed-token-for-new-host"},
    )

    assert response.context["auth_test"].ok
    assert http_server.last.header("Authorization") == "Bearer typed-token-for-new-host"


def test_same_origin_new_path_uses_stored(manager_client, workflow, start_server):
    stored = encode_credential("svc", "s3cret-pass")
    server = start_server(only_with(stored))
    endpoint = make_basic_endpoint(workflow, base_url=server.url(path="/v1"))

    response = post_test(manager_client, endpoint, base_url=server.url(path="/v2"))

    assert response.context["auth_test"].ok
    assert server.last.path == "/v2"


def test_activity_names_tested_origin(manager_client, workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url(path="/api"))

    post_test(manager_client, endpoint)

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.detail.startswith(
        f"Test Authentication against {http_server.url()} succeeded: "
    )


def test_unsaved_endpoint_tested(manager_client, workflow, http_server):
    data = {
        "auth_type": "token",
        "name": "New chat",
        "base_url": http_server.url(),
        "auth-header": "authorization",
        "auth-prefix": "Bearer",
        "auth-token_0": "typed-token-1",
    }

    response = manager_client.post(create_test_url(workflow), data)

    assert response.context["auth_test"].ok
    assert http_server.last.header("Authorization") == "Bearer typed-token-1"
    assert not Endpoint.objects.filter(name="New chat").exists()


def test_unsaved_endpoint_activity(manager_client, manager, workflow, http_server):
    data = {
        "auth_type": "basic",
        "name": "New tickets",
        "base_url": http_server.url(),
        "auth-username": "svc",
        "auth-password_0": PLANTED_PASSWORD,
        "auth-preemptive": "on",
    }

    manager_client.post(create_test_url(workflow), data)

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.workflow == workflow
    assert entry.endpoint is None
    assert entry.endpoint_name == "New tickets"
    assert entry.actor == manager
    assert "not saved yet" in entry.detail
    assert PLANTED_PASSWORD not in entry.detail


def test_records_last_test_on_config(manager_client, workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    post_test(manager_client, endpoint)

    endpoint.auth.refresh_from_db()
    assert endpoint.auth.last_test_ok is True
    assert endpoint.auth.last_tested_at is not None
    assert "succeeded" in endpoint.auth.last_test_detail


def test_records_tested_activity(manager_client, manager, workflow, start_server):
    server = start_server(lambda request: Reply(401, b"no"))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    post_test(manager_client, endpoint)

    entry = ActivityEntry.objects.get(endpoint=endpoint)
    assert entry.event == ActivityEntry.Event.TESTED
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert entry.actor == manager
    assert "authentication stage" in entry.detail


def test_authentication_stage_shows_answer(manager_client, workflow, start_server):
    server = start_server(only_with("nothing"))
    endpoint = make_basic_endpoint(workflow, base_url=server.url())

    response = post_test(manager_client, endpoint)

    result = response.context["auth_test"]
    assert result.stage == "authentication"
    assert result.status_code == 401
    page = response.content.decode()
    assert "failed at the authentication stage" in page
    assert "401 Unauthorized" in page
    assert "bad credentials" in page


def test_http_stage_for_server_error(manager_client, workflow, start_server):
    server = start_server(lambda request: Reply(500, b"stack overflow"))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = post_test(manager_client, endpoint)

    assert response.context["auth_test"].stage == "http"
    assert "failed at the HTTP status stage" in response.content.decode()


def test_dns_stage(manager_client, workflow):
    endpoint = make_token_endpoint(workflow, base_url="https://gone.example.invalid")

    response = post_test(manager_client, endpoint)

    assert response.context["auth_test"].stage == "dns"
    assert "failed at the DNS stage" in response.content.decode()


def test_connect_stage(manager_client, workflow):
    sock = unused_port()
    endpoint = make_token_endpoint(
        workflow, base_url=f"http://127.0.0.1:{sock.getsockname()[1]}"
    )

    response = post_test(manager_client, endpoint)

    sock.close()
    assert response.context["auth_test"].stage == "connect"
    assert "failed at the connection stage" in response.content.decode()


def test_timeout_stage(manager_client, workflow, start_server, settings):
    settings.ENDPOINT_REQUEST_TIMEOUT = 0.2
    server = start_server(lambda request: Reply(200, b"late", delay=1.0))
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = post_test(manager_client, endpoint)

    assert response.context["auth_test"].stage == "timeout"


def test_tls_stage(manager_client, workflow, start_server, self_signed_cert, ca_bundle):
    server = start_server(ssl_context=self_signed_cert.server_context())
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = post_test(manager_client, endpoint)

    assert response.context["auth_test"].stage == "tls"
    assert "failed at the TLS stage" in response.content.decode()
    assert ActivityEntry.objects.filter(
        endpoint=endpoint, event=ActivityEntry.Event.SECURITY_ERROR
    ).exists()


def test_typed_trust_switch_accepts_for_test(
    manager_client, workflow, start_server, self_signed_cert, ca_bundle
):
    server = start_server(ssl_context=self_signed_cert.server_context())
    endpoint = make_token_endpoint(workflow, base_url=server.url())

    response = post_test(manager_client, endpoint, trust_self_signed="on")

    result = response.context["auth_test"]
    assert result.ok
    assert "accepted for this test" in result.message
    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == ""


def test_saved_trust_switch_pins(
    manager_client, workflow, start_server, self_signed_cert, ca_bundle
):
    server = start_server(ssl_context=self_signed_cert.server_context())
    endpoint = make_token_endpoint(
        workflow, base_url=server.url(), trust_self_signed=True
    )

    response = post_test(manager_client, endpoint)

    assert response.context["auth_test"].ok
    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == fingerprint(
        self_signed_cert.certificate
    )


def test_fragment_for_script(manager_client, workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    response = manager_client.post(
        auth_test_url(endpoint), edit_form_data(endpoint), **FETCH
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Test Authentication succeeded" in page
    assert "<form" not in page


def test_invalid_values_not_tested(manager_client, workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    response = manager_client.post(
        auth_test_url(endpoint), edit_form_data(endpoint, base_url="ftp://x"), **FETCH
    )

    assert response.status_code == 400
    assert "Not tested" in response.content.decode()
    assert http_server.requests == []


def test_typed_secret_not_rendered(manager_client, workflow, start_server):
    typed = encode_credential("svc", PLANTED_PASSWORD)
    server = start_server(
        lambda request: Reply(
            401, f"you sent {request.header('Authorization')}".encode()
        )
    )
    endpoint = make_basic_endpoint(workflow, base_url=server.url())

    response = post_test(
        manager_client, endpoint, **{"auth-password_0": PLANTED_PASSWORD}
    )

    page = response.content.decode()
    assert PLANTED_PASSWORD not in page
    assert typed not in page
    assert "[redacted]" in page


def test_viewer_cannot_test(viewer_client, workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())

    response = viewer_client.post(auth_test_url(endpoint), edit_form_data(endpoint))

    assert response.status_code == 403
    assert http_server.requests == []


def test_viewer_cannot_test_new(viewer_client, workflow, http_server):
    data = {"auth_type": "token", "name": "X", "base_url": http_server.url()}

    response = viewer_client.post(create_test_url(workflow), data)

    assert response.status_code == 403


def test_no_authorization_offers_no_test(manager_client, workflow):
    endpoint = Endpoint.objects.create_with_auth(
        workflow=workflow, name="Open", base_url="https://open.example.test"
    )

    page = manager_client.get(endpoint.get_absolute_url()).content.decode()
    response = manager_client.post(auth_test_url(endpoint), edit_form_data(endpoint))

    assert "Test Authentication" not in page
    assert response.status_code == 400


@pytest.mark.parametrize("creating", [True, False])
def test_button_on_form(manager_client, workflow, creating):
    endpoint = make_basic_endpoint(workflow)
    if creating:
        url = (
            reverse("endpoints:endpoint_create", args=[workflow.pk])
            + "?auth_type=basic"
        )
        action = create_test_url(workflow)
    else:
        url = endpoint.get_absolute_url()
        action = auth_test_url(endpoint)

    page = manager_client.get(url).content.decode()

    assert f'formaction="{action}"' in page
    assert "Test Authentication</button>" in page


def test_new_port_is_new_origin(manager_client, workflow, start_server):
    stored_server = start_server()
    typed_server = start_server()
    endpoint = make_basic_endpoint(workflow, base_url=stored_server.url())

    response = post_test(manager_client, endpoint, base_url=typed_server.url())

    assert response.context["auth_test"].attempted is False
    assert typed_server.requests == []
    assert stored_server.requests == []


def test_new_scheme_is_new_origin(manager_client, workflow, http_server):
    endpoint = make_basic_endpoint(
        workflow, base_url=f"https://127.0.0.1:{http_server.port}"
    )

    response = post_test(manager_client, endpoint, base_url=http_server.url())

    assert response.context["auth_test"].attempted is False
    assert http_server.requests == []


def test_default_port_is_same_origin(manager_client, workflow):
    endpoint = make_basic_endpoint(workflow, base_url="https://stored.example.invalid")

    response = post_test(
        manager_client, endpoint, base_url="https://stored.example.invalid:443/v2"
    )

    result = response.context["auth_test"]
    assert result.attempted is True
    assert result.stage == "dns"


def test_new_origin_lists_every_kept_secret(manager_client, workflow, http_server):
    endpoint = make_custom_header_endpoint(
        workflow, base_url="https://stored.example.invalid", id_value="acct-77"
    )

    response = post_test(manager_client, endpoint, base_url=http_server.url())

    message = response.context["auth_test"].message
    assert message.startswith("The stored token and id value were saved for ")
    assert message.endswith(f"Type them again to test against {http_server.url()}.")
    assert http_server.requests == []


def test_new_origin_needs_every_kept_secret(manager_client, workflow, http_server):
    endpoint = make_custom_header_endpoint(
        workflow, base_url="https://stored.example.invalid", id_value="acct-77"
    )

    response = post_test(
        manager_client,
        endpoint,
        base_url=http_server.url(),
        **{"auth-token_0": "typed-token-for-new-host"},
    )

    message = response.context["auth_test"].message
    assert message.startswith("The stored id value was saved for ")
    assert http_server.requests == []


def test_refused_test_sends_no_secret(manager_client, workflow, http_server):
    endpoint = make_basic_endpoint(workflow, base_url="https://stored.example.invalid")

    response = post_test(manager_client, endpoint, base_url=http_server.url())

    page = response.content.decode()
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert "s3cret-pass" not in page
    assert "s3cret-pass" not in entry.detail
    assert entry.endpoint_id == endpoint.pk


@pytest.fixture
def other_provider():
    fake = FakeOAuthProvider()
    fake.add_client(CLIENT_ID, CLIENT_SECRET)
    fake.add_user(USERNAME, PASSWORD)
    fake.start()
    yield fake
    fake.stop()


def test_oauth_new_token_url_refused(
    manager_client, workflow, provider, other_provider
):
    endpoint = make_password_endpoint(workflow, provider)

    response = post_test(
        manager_client, endpoint, **{"auth-token_url": other_provider.url("/token")}
    )

    result = response.context["auth_test"]
    assert result.attempted is False
    assert f"were saved for {provider.url()} and are sent only there" in (
        result.message
    )
    assert other_provider.counts["token"] == 0
    assert provider.counts["token"] == 0


def test_oauth_new_token_url_with_secrets(
    manager_client, workflow, provider, other_provider
):
    endpoint = make_password_endpoint(workflow, provider)

    response = post_test(
        manager_client,
        endpoint,
        **{
            "auth-token_url": other_provider.url("/token"),
            "auth-password_0": PASSWORD,
            "auth-client_secret_0": CLIENT_SECRET,
        },
    )

    assert response.context["auth_test"].ok
    assert other_provider.counts["password"] == 1
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TESTED)
    assert entry.detail.startswith(
        f"Test Authentication against {other_provider.url()} succeeded: "
    )


def test_oauth_new_base_url_keeps_secrets(manager_client, workflow, provider):
    # The OAuth 2.0 secrets go to the token URL, which is unchanged.
    endpoint = make_password_endpoint(workflow, provider)

    response = post_test(
        manager_client, endpoint, base_url="https://elsewhere.example.test/api"
    )

    assert response.context["auth_test"].ok
    assert provider.counts["password"] == 1
