"""The send_request management command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from endpoints.models import Step, StepUsage
from tests.conftest import make_token_endpoint
from tests.support.servers import Reply, unused_port


def run(*args):
    out = StringIO()
    call_command("send_request", *args, stdout=out)
    return out.getvalue()


def test_prints_status_headers_body(workflow, start_server):
    server = start_server(
        lambda request: Reply(
            200, b'{"ok": true}', [("Content-Type", "application/json")]
        )
    )
    make_token_endpoint(workflow, base_url=server.url(path="/api"))

    output = run(workflow.name, "Chat", "GET", "/status")

    lines = output.splitlines()
    assert lines[0] == "HTTP 200 OK"
    assert "Content-Type: application/json" in lines
    assert lines[-1] == '{"ok": true}'
    assert server.last.path == "/api/status"


def test_sends_headers_params_json(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    run(
        workflow.name,
        "Chat",
        "POST",
        "/items?sig=ab%2Fcd",
        "--header",
        "X-Trace: t-1",
        "--param",
        "page=2",
        "--json",
        '{"name": "x"}',
    )

    assert http_server.last.target == "/items?sig=ab%2Fcd&page=2"
    assert http_server.last.header("X-Trace") == "t-1"
    assert json.loads(http_server.last.body) == {"name": "x"}
    assert http_server.last.header("Authorization") == "Bearer tok-123456"


def test_sends_data_body(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    run(workflow.name, "Chat", "PUT", "/note", "--data", "plain text")

    assert http_server.last.body == b"plain text"


def test_resolves_label(workflow, http_server):
    endpoint = make_token_endpoint(workflow, base_url=http_server.url())
    step = Step.objects.create(workflow=workflow, name="Notify")
    StepUsage.objects.create(step=step, endpoint=endpoint, label="chat-api")

    output = run(workflow.name, "chat-api", "GET")

    assert output.startswith("HTTP 200 OK")


def test_http_error_exits_two(workflow, start_server):
    server = start_server(lambda request: Reply(503, b"down"))
    make_token_endpoint(workflow, base_url=server.url())
    out = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("send_request", workflow.name, "Chat", "GET", "/", stdout=out)

    assert raised.value.returncode == 2
    assert "503 Service Unavailable" in str(raised.value)
    assert out.getvalue().startswith("HTTP 503 Service Unavailable")


def test_connection_refused_exits_one(workflow):
    sock = unused_port()
    make_token_endpoint(workflow, base_url=f"http://127.0.0.1:{sock.getsockname()[1]}")

    with pytest.raises(CommandError) as raised:
        run(workflow.name, "Chat", "GET", "/?token=tok-123456")

    sock.close()
    assert raised.value.returncode == 1
    assert "failed at the connection stage" in str(raised.value)
    assert "tok-123456" not in str(raised.value)


def test_unknown_endpoint_exits_one(workflow):
    with pytest.raises(CommandError) as raised:
        run(workflow.name, "Nowhere", "GET")

    assert "no endpoint named 'Nowhere'" in str(raised.value)


def test_non_utf8_body_printed_safely(workflow, start_server):
    server = start_server(lambda request: Reply(200, b"ok \xff"))
    make_token_endpoint(workflow, base_url=server.url())

    output = run(workflow.name, "Chat", "GET")

    assert output.splitlines()[-1] == "ok \ufffd"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--header", "no-colon", "is not NAME:VALUE"),
        ("--header", "Host: x", "set by the HTTP client"),
        ("--param", "novalue", "is not NAME=VALUE"),
        ("--json", "{bad", "is not valid JSON"),
        ("--as-user", "nobody", "There is no user 'nobody'"),
        ("--timeout", "-1", "'-1' is not a positive number of seconds"),
        ("--timeout", "0", "'0' is not a positive number of seconds"),
        ("--timeout", "nan", "'nan' is not a positive number of seconds"),
        ("--timeout", "soon", "'soon' is not a positive number of seconds"),
    ],
)
def test_bad_options_rejected(workflow, http_server, option, value, message):
    make_token_endpoint(workflow, base_url=http_server.url())

    with pytest.raises(CommandError) as raised:
        run(workflow.name, "Chat", "GET", option, value)

    assert message in str(raised.value)
    assert http_server.requests == []


def test_timeout_option(workflow, start_server):
    server = start_server(lambda request: Reply(200, b"late", delay=1.0))
    make_token_endpoint(workflow, base_url=server.url())

    with pytest.raises(CommandError) as raised:
        run(workflow.name, "Chat", "GET", "--timeout", "0.2")

    assert "failed at the timeout stage" in str(raised.value)


def test_token_echoed_in_header_name_redacted(workflow, start_server):
    token = "PLANTED-command-token-5d"
    server = start_server(lambda request: Reply(200, b"ok", [(f"X-{token}", "1")]))
    make_token_endpoint(workflow, base_url=server.url(), token=token)

    output = run(workflow.name, "Chat", "GET")

    assert token not in output
    assert "X-[redacted]: 1" in output
