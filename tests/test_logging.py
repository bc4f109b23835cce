"""Logs: key=value lines with ids and outcomes, and never a secret.

The main flows run with planted secrets (endpoint passwords and tokens, a
user's password, an API key) and every log record of the run is captured
at DEBUG, as an operator with LOG_LEVEL=DEBUG would see it.
"""

import logging
import re
import threading
from io import StringIO

import httpx2
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.test import Client
from django.urls import reverse

from endpoints.models import ApiToken, Endpoint
from endpoints.runtime import EndpointError, authenticate, send
from tests.conftest import (
    MANAGERS,
    PLANTED_BEARER_TOKEN,
    endpoint_form_data,
    make_user,
)
from tests.support.servers import Reply, unused_port

PLANTED_USER_PASSWORD = "PLANTED-user-password-e4e4"
PLANTED_WRONG_PASSWORD = "PLANTED-wrong-password-f5f5"
PLANTED_NEW_PASSWORD = "PLANTED-new-basic-pw-a6a6"
# A message is key=value pairs separated by spaces; a value has no spaces.
KEY_VALUE_RE = re.compile(r"^[a-z_]+=\S*( [a-z_]+=\S*)*$")


def flow_records(caplog) -> list[logging.LogRecord]:
    """Return the records of the main flows, which run in the fixture."""
    return caplog.get_records("setup")


def formatted(records) -> list[str]:
    """Return every record as a handler would write it, with tracebacks."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) for record in records]


def echo_authorization(request):
    """Respond with the request's credentials in the body and a header."""
    credential = request.header("Authorization") or ""
    return Reply(500, credential.encode(), [("X-Echo", credential or "none")], delay=0)


@pytest.fixture
def main_flows(planted, workflow, start_server, caplog, settings):
    """Run the console's main flows and return the planted secrets.

    Records are captured from the start of the flows, at DEBUG.
    """
    caplog.set_level(logging.DEBUG)
    server = start_server(echo_authorization)
    user = make_user("operator", MANAGERS)
    user.set_password(PLANTED_USER_PASSWORD)
    user.save()
    client = Client()
    secrets = list(planted.secrets) + [
        PLANTED_USER_PASSWORD,
        PLANTED_WRONG_PASSWORD,
        PLANTED_NEW_PASSWORD,
    ]

    # Sign-in: a failure, the right password, a throttled attempt.
    login = reverse("login")
    client.post(login, {"username": "operator", "password": PLANTED_WRONG_PASSWORD})
    client.post(login, {"username": "operator", "password": PLANTED_USER_PASSWORD})
    other = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        other.post(login, {"username": "operator", "password": PLANTED_WRONG_PASSWORD})

    # Edit, conflict, Test Authentication and a test request.
    basic = planted.endpoints["Planted basic"]
    bearer = planted.endpoints["Planted bearer"]
    for endpoint in (basic, bearer):
        Endpoint.objects.filter(pk=endpoint.pk).update(base_url=server.url(path="/api"))
        endpoint.refresh_from_db()
    stale = endpoint_form_data(basic, **{"auth-password_0": PLANTED_NEW_PASSWORD})
    client.post(basic.get_absolute_url(), dict(stale))
    client.post(basic.get_absolute_url(), stale)
    client.post(
        reverse("endpoints:endpoint_test_auth", args=[bearer.pk]),
        endpoint_form_data(bearer),
    )
    client.post(
        reverse("endpoints:endpoint_send_request", args=[bearer.pk]),
        {"method": "GET", "path": "/items", "headers": "", "body": ""},
    )

    # The runtime: an HTTP error, a refused connection, authenticate().
    send(workflow, "Planted bearer", "GET", f"/items?token={PLANTED_BEARER_TOKEN}")
    closed = unused_port()
    Endpoint.objects.filter(pk=bearer.pk).update(
        base_url=f"http://127.0.0.1:{closed.getsockname()[1]}/api"
    )
    with pytest.raises(EndpointError):
        send(workflow, "Planted bearer", "GET", "/items")
    closed.close()
    authenticate(Endpoint.objects.get(pk=basic.pk))

    # Export and import, the API with a planted key, admin, key rotation.
    export = client.get(reverse("endpoints:workflow_export", args=[workflow.pk]))
    client.post(
        reverse("endpoints:workflow_import"),
        {"file": _upload(export.content), "name": "Imported copy"},
    )
    _, api_key = ApiToken.objects.issue(user=user, name="logging")
    secrets.append(api_key)
    Client().get(
        reverse("api:workflow_endpoints", args=[workflow.pk]),
        HTTP_AUTHORIZATION=f"Token {api_key}",
    )
    user.is_superuser = user.is_staff = True
    user.save()
    client.get(reverse("admin:endpoints_authconfig_change", args=[basic.pk]))
    client.post(
        reverse("admin:endpoints_workflow_change", args=[workflow.pk]),
        {"name": workflow.name, "description": "Changed in the admin"},
    )
    out, err = StringIO(), StringIO()
    call_command("rotate_secrets", stdout=out, stderr=err)
    return secrets, out.getvalue() + err.getvalue()


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("export.json", content, content_type="application/json")


def test_no_secret_in_any_log_record(main_flows, caplog):
    secrets, _ = main_flows

    lines = formatted(flow_records(caplog))

    leaked = {secret for secret in secrets for line in lines if secret in line}
    assert len(lines) > 20
    assert leaked == set()


def test_no_secret_in_rotation_output(main_flows):
    secrets, output = main_flows

    assert [secret for secret in secrets if secret in output] == []


def test_console_lines_are_key_value(main_flows, caplog):
    ours = [
        record.getMessage()
        for record in flow_records(caplog)
        if record.name.startswith(("endpoints", "console"))
    ]

    not_key_value = [message for message in ours if not KEY_VALUE_RE.match(message)]
    assert not_key_value == []


def test_each_request_logged_with_ids_and_outcome(main_flows, caplog, planted):
    bearer = planted.endpoints["Planted bearer"]

    requests = [
        record.getMessage()
        for record in flow_records(caplog)
        if record.getMessage().startswith("event=endpoint_request ")
        and f"endpoint_id={bearer.pk} " in record.getMessage()
    ]

    # The echo server responds with 500, a failure at the status stage. The
    # last request finds no server at all.
    outcomes = [
        re.search(r"outcome=(\w+) stage=(\w+)", line).groups() for line in requests
    ]
    assert outcomes == [
        ("failure", "status"),
        ("failure", "status"),
        ("failure", "status"),
        ("failure", "connect"),
    ]
    assert all(f"workflow_id={bearer.workflow_id} " in line for line in requests)


def test_each_change_logged_with_ids_and_outcome(main_flows, caplog, planted):
    basic = planted.endpoints["Planted basic"]

    messages = [record.getMessage() for record in flow_records(caplog)]

    changed = [m for m in messages if m.startswith("event=activity kind=changed")]
    assert any(f"endpoint_id={basic.pk} " in line for line in changed)
    assert any(line.startswith("event=endpoint_edit_conflict") for line in messages)
    assert any(
        line.startswith("event=admin_change action=change model=endpoints.Workflow")
        and "outcome=success" in line
        for line in messages
    )
    assert any(line.startswith("event=import_done workflow_id=") for line in messages)


def test_sign_ins_logged_without_username(main_flows, caplog):
    messages = [record.getMessage() for record in flow_records(caplog)]

    sign_ins = [m for m in messages if m.startswith("event=login")]
    assert "event=login_failed outcome=failure code=invalid_login" in sign_ins
    assert any(m.startswith("event=login outcome=success user_id=") for m in sign_ins)
    assert any(m.startswith("event=login_throttled scope=username") for m in sign_ins)
    assert not any("operator" in m for m in sign_ins)


def serve_in_thread(server) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_runserver_log_without_callback_query(caplog):
    caplog.set_level(logging.INFO)
    # runserver's own server and request handler, with the application
    # that runserver serves; get_wsgi_application() would set up logging
    # again and remove the capturing handler.
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(WSGIHandler())
    thread = serve_in_thread(server)
    callback = reverse("endpoints:oauth_callback")
    url = f"http://127.0.0.1:{server.server_address[1]}{callback}"
    try:
        httpx2.get(
            url, params={"code": "PLANTED-code-b7b7", "state": "PLANTED-state-c8c8"}
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    lines = formatted(caplog.records)
    server_lines = [line for line in lines if line.startswith("django.server ")]
    assert len(server_lines) == 1
    assert f"GET {callback} HTTP/1.1" in server_lines[0]
    assert not [line for line in lines if "PLANTED" in line]


def test_forbidden_logged_once_without_traceback(viewer_client, workflow, caplog):
    caplog.set_level(logging.INFO)

    response = viewer_client.post(
        reverse("endpoints:workflow_delete", args=[workflow.pk])
    )

    records = [record for record in caplog.records if record.name == "django.request"]
    assert response.status_code == 403
    assert [record.getMessage() for record in records] == [
        f"Forbidden (Permission denied): {response.wsgi_request.path}"
    ]
    assert records[0].exc_info is None


def test_django_loggers_write_through_root_only():
    loggers = [logging.getLogger(name) for name in ("django", "django.server")]

    assert [logger.handlers for logger in loggers] == [[], []]
    assert all(logger.propagate for logger in loggers)
