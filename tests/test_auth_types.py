"""Auth types applied to httpx2 requests.

A MockTransport records the requests. The Basic retry of a streamed body
needs a real server on 127.0.0.1, because MockTransport reads the body into
memory before its handler runs, which hides a stream that cannot be sent
twice.
"""

import base64
import http.server
import threading

import httpx2
import pytest

from endpoints.auth import registry
from endpoints.auth.basic import decode_credential, encode_credential
from endpoints.models import AuthConfig

BASE_URL = "https://target.example.test/api"


class Recorder:
    """A MockTransport handler that records requests and replays responses.

    The last response repeats once the others are used up.
    """

    def __init__(self, *responses: httpx2.Response):
        self.responses = list(responses)
        # Copies of each request's headers as sent, because an auth flow may
        # change the same Request object and send it again.
        self.requests: list[httpx2.Headers] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request.headers.copy())
        if len(self.responses) > 1:
            return self.responses.pop(0)
        return self.responses[0]

    def authorization_headers(self) -> list[str | None]:
        return [headers.get("Authorization") for headers in self.requests]


def send(config: AuthConfig, recorder: Recorder, url: str = BASE_URL):
    auth = config.type.build_auth()
    with httpx2.Client(transport=httpx2.MockTransport(recorder)) as client:
        return client.get(url, auth=auth)


def basic_config(username="svc", password="pw-123456", preemptive=True):
    return AuthConfig(
        auth_type="basic",
        params={"username": username, "preemptive": preemptive},
        secrets={"credential": encode_credential(username, password)},
    )


def token_config(params: dict, secrets: dict) -> AuthConfig:
    return AuthConfig(auth_type="token", params=params, secrets=secrets)


def challenge(value: str, status: int = 401) -> httpx2.Response:
    return httpx2.Response(status, headers={"WWW-Authenticate": value})


OK = httpx2.Response(200, text="ok")


def test_credential_of_non_ascii_user():
    assert encode_credential("opérateur", "pässwörd€") == (
        "b3DDqXJhdGV1cjpww6Rzc3fDtnJk4oKs"
    )


def test_credential_of_password_with_colons():
    assert encode_credential("svc", "a:b:c") == "c3ZjOmE6Yjpj"


def test_credential_is_utf8_base64():
    credential = encode_credential("opérateur", "pässwörd€")

    assert base64.b64decode(credential) == "opérateur:pässwörd€".encode()


def test_decode_splits_at_first_colon():
    assert decode_credential("c3ZjOmE6Yjpj") == ("svc", "a:b:c")


def test_preemptive_basic_on_first_request():
    recorder = Recorder(OK)

    send(basic_config(), recorder)

    expected = "Basic " + encode_credential("svc", "pw-123456")
    assert recorder.authorization_headers() == [expected]


def test_preemptive_basic_sends_exact_credential():
    recorder = Recorder(OK)

    send(basic_config("opérateur", "pässwörd€"), recorder)

    assert recorder.authorization_headers() == [
        "Basic b3DDqXJhdGV1cjpww6Rzc3fDtnJk4oKs"
    ]


def test_preemptive_basic_does_not_retry_401():
    recorder = Recorder(challenge('Basic realm="api"'))

    response = send(basic_config(), recorder)

    assert response.status_code == 401
    assert len(recorder.requests) == 1


def test_non_preemptive_first_request_bare():
    recorder = Recorder(OK)

    response = send(basic_config(preemptive=False), recorder)

    assert response.status_code == 200
    assert recorder.authorization_headers() == [None]


@pytest.mark.parametrize(
    "header",
    [
        'Basic realm="api"',
        "basic",
        'Bearer realm="api", Basic realm="api"',
        'Basic realm="api", charset="UTF-8"',
    ],
)
def test_non_preemptive_retries_after_basic_challenge(header):
    recorder = Recorder(challenge(header), OK)

    response = send(basic_config(preemptive=False), recorder)

    expected = "Basic " + encode_credential("svc", "pw-123456")
    assert response.status_code == 200
    assert recorder.authorization_headers() == [None, expected]


def test_non_preemptive_basic_in_second_header():
    first = httpx2.Response(
        401,
        headers=[
            ("WWW-Authenticate", 'Bearer realm="api"'),
            ("WWW-Authenticate", 'Basic realm="api"'),
        ],
    )
    recorder = Recorder(first, OK)

    send(basic_config(preemptive=False), recorder)

    assert len(recorder.requests) == 2


def test_non_preemptive_retries_only_once():
    recorder = Recorder(challenge('Basic realm="api"'))

    response = send(basic_config(preemptive=False), recorder)

    assert response.status_code == 401
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    "response",
    [
        challenge('Bearer realm="api"'),
        challenge("Basicish"),
        httpx2.Response(401),
        challenge('Basic realm="api"', status=403),
        httpx2.Response(403),
    ],
    ids=["bearer-only", "basicish", "no-challenge", "403-with-basic", "403"],
)
def test_non_preemptive_no_retry(response):
    recorder = Recorder(response)

    send(basic_config(preemptive=False), recorder)

    assert recorder.authorization_headers() == [None]


def test_basic_without_credential_sends_nothing():
    config = AuthConfig(auth_type="basic", params={"username": "svc"}, secrets={})
    recorder = Recorder(OK)

    send(config, recorder)

    assert recorder.authorization_headers() == [None]


def test_basic_auth_repr_hides_credential():
    auth = basic_config(password="PLANTED-repr-pw").type.build_auth()

    assert encode_credential("svc", "PLANTED-repr-pw") not in repr(auth)


def test_bearer_token_with_prefix():
    config = token_config(
        {"header": "authorization", "prefix": "Bearer"}, {"token": "tok-123"}
    )
    recorder = Recorder(OK)

    send(config, recorder)

    assert recorder.authorization_headers() == ["Bearer tok-123"]


def test_token_with_other_prefix():
    config = token_config(
        {"header": "authorization", "prefix": "Token"}, {"token": "tok-123"}
    )
    recorder = Recorder(OK)

    send(config, recorder)

    assert recorder.authorization_headers() == ["Token tok-123"]


def test_token_with_blank_prefix_is_bare():
    config = token_config({"header": "authorization", "prefix": ""}, {"token": "t-1"})
    recorder = Recorder(OK)

    send(config, recorder)

    assert recorder.authorization_headers() == ["t-1"]


def test_custom_header_token_only():
    config = token_config(
        {"header": "custom", "header_name": "X-Api-Key"}, {"token": "key-123"}
    )
    recorder = Recorder(OK)

    send(config, recorder)

    headers = recorder.requests[0]
    assert headers["X-Api-Key"] == "key-123"
    assert "Authorization" not in headers
    assert "X-Account" not in headers


def test_custom_header_token_and_id():
    config = token_config(
        {"header": "custom", "header_name": "X-Api-Key", "id_header_name": "X-Account"},
        {"token": "key-123", "id_value": "acct-42"},
    )
    recorder = Recorder(OK)

    send(config, recorder)

    headers = recorder.requests[0]
    assert headers["X-Api-Key"] == "key-123"
    assert headers["X-Account"] == "acct-42"


def test_custom_header_id_name_without_value():
    config = token_config(
        {"header": "custom", "header_name": "X-Api-Key", "id_header_name": "X-Account"},
        {"token": "key-123"},
    )
    recorder = Recorder(OK)

    send(config, recorder)

    assert "X-Account" not in recorder.requests[0]


def test_token_sent_on_every_request():
    config = token_config(
        {"header": "authorization", "prefix": "Bearer"}, {"token": "tok-123"}
    )
    recorder = Recorder(OK)
    auth = config.type.build_auth()

    with httpx2.Client(transport=httpx2.MockTransport(recorder)) as client:
        client.get(BASE_URL, auth=auth)
        client.get(BASE_URL + "/second", auth=auth)

    assert recorder.authorization_headers() == ["Bearer tok-123", "Bearer tok-123"]


def test_header_auth_repr_hides_token():
    config = token_config(
        {"header": "authorization", "prefix": "Bearer"}, {"token": "PLANTED-repr-tok"}
    )

    assert "PLANTED-repr-tok" not in repr(config.type.build_auth())


def test_no_authorization_adds_nothing():
    config = AuthConfig(auth_type="none")
    recorder = Recorder(OK)

    send(config, recorder)

    assert recorder.authorization_headers() == [None]


def test_basic_secret_values_include_password():
    config = basic_config(password="pw-123456")

    values = config.type.secret_values()

    assert "pw-123456" in values
    assert encode_credential("svc", "pw-123456") in values


def test_selectable_types_exclude_console():
    keys = [auth_type.key for auth_type in registry.selectable_types()]

    assert "console" not in keys
    # Registry order, with the legacy Slack type moved last.
    assert keys == [
        "none",
        "basic",
        "token",
        "oauth2_password",
        "oauth2_authorization_code",
        "slack",
        "microsoft_graph",
        "salesforce",
        "servicenow",
        "remedy",
        "zoom",
        "slack_legacy",
    ]


class ChallengingHandler(http.server.BaseHTTPRequestHandler):
    """Respond 401 with a Basic challenge to a request without credentials.

    A request with an Authorization header gets 200 and its own body back.
    """

    def do_POST(self):
        body = self.read_body()
        if not self.headers.get("Authorization"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="api"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b""
        while size := int(self.rfile.readline().strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        return body

    def log_message(self, format, *args):
        pass


@pytest.fixture
def challenging_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ChallengingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()
    server.server_close()
    thread.join()


def test_non_preemptive_retry_resends_streamed_body(challenging_server):
    auth = basic_config(preemptive=False).type.build_auth()

    def body():
        yield b"first part, "
        yield b"second part"

    with httpx2.Client() as client:
        response = client.post(challenging_server, content=body(), auth=auth)

    assert response.status_code == 200
    assert response.content == b"first part, second part"
