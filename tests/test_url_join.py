"""Joining a base URL and a path, as the runtime does for every request."""

import pytest

from endpoints.runtime import InvalidPathError, join_url, send
from tests.conftest import make_token_endpoint

JOINED = [
    # base URL, path, joined URL
    (
        "https://api.example.test/api/v2",
        "events",
        "https://api.example.test/api/v2/events",
    ),
    (
        "https://api.example.test/api/v2",
        "/events",
        "https://api.example.test/api/v2/events",
    ),
    (
        "https://api.example.test/api/v2/",
        "events",
        "https://api.example.test/api/v2/events",
    ),
    (
        "https://api.example.test/api/v2/",
        "/events",
        "https://api.example.test/api/v2/events",
    ),
    ("https://api.example.test", "events", "https://api.example.test/events"),
    ("https://api.example.test", "/events", "https://api.example.test/events"),
    ("https://api.example.test/", "/events", "https://api.example.test/events"),
    ("https://api.example.test/api/v2", "", "https://api.example.test/api/v2"),
    ("https://api.example.test/api/v2/", "", "https://api.example.test/api/v2/"),
    ("https://api.example.test/api/v2", "/", "https://api.example.test/api/v2/"),
    ("https://api.example.test", "/sub:path", "https://api.example.test/sub:path"),
    ("https://api.example.test", "sub:path", "https://api.example.test/sub:path"),
    ("https://api.example.test", "mailto:x", "https://api.example.test/mailto:x"),
    (
        "https://api.example.test/a",
        "files/a%2Fb",
        "https://api.example.test/a/files/a%2Fb",
    ),
    ("https://api.example.test/a", "caf%C3%A9", "https://api.example.test/a/caf%C3%A9"),
    (
        "https://api.example.test/a",
        "x?sig=ab%2Fcd",
        "https://api.example.test/a/x?sig=ab%2Fcd",
    ),
    (
        "https://api.example.test/a",
        "x?q=a+b&q=c",
        "https://api.example.test/a/x?q=a+b&q=c",
    ),
    ("https://api.example.test/a", "?page=2", "https://api.example.test/a?page=2"),
    ("https://api.example.test/a", "b/../c", "https://api.example.test/a/c"),
    ("https://api.example.test/a", "b/./c", "https://api.example.test/a/b/c"),
    ("https://api.example.test/a", "b/..", "https://api.example.test/a/"),
    ("http://127.0.0.1:8080/api", "v1/items", "http://127.0.0.1:8080/api/v1/items"),
    ("https://[::1]:8443/api", "/x", "https://[::1]:8443/api/x"),
]

REJECTED = [
    "https://other.example/steal",
    "http://other.example/steal",
    "HTTPS://other.example/steal",
    "ftp://other.example/file",
    "//other.example/steal",
    "../x",
    "/../x",
    "a/../../x",
    "..",
    "%2e%2e/x",
    ".%2E/x",
    "a/%2e%2e/%2E%2e/x",
    "a\\..\\x",
    "x#fragment",
    "a b",
    "line\nbreak",
]


@pytest.mark.parametrize(("base_url", "path", "expected"), JOINED)
def test_join_url_cases(base_url, path, expected):
    joined = join_url(base_url, path)

    assert joined == expected


@pytest.mark.parametrize("path", REJECTED)
def test_join_url_rejects_leaving_base(path):
    with pytest.raises(InvalidPathError):
        join_url("https://api.example.test/api/v2", path)


def test_join_url_has_no_double_slash():
    joined = join_url("https://api.example.test/api/v2/", "/events")

    assert "//" not in joined.removeprefix("https://")


def test_join_url_appends_params():
    joined = join_url("https://api.example.test/a", "x", {"q": "a b", "n": 2})

    assert joined == "https://api.example.test/a/x?q=a+b&n=2"


def test_join_url_params_after_given_query():
    joined = join_url("https://api.example.test/a", "x?sig=ab%2Fcd", {"page": 2})

    assert joined == "https://api.example.test/a/x?sig=ab%2Fcd&page=2"


def test_join_url_params_list_values():
    joined = join_url("https://api.example.test/a", "x", [("id", 1), ("id", 2)])

    assert joined == "https://api.example.test/a/x?id=1&id=2"


def test_join_url_params_booleans_and_none():
    joined = join_url("https://api.example.test/a", "", {"on": True, "off": None})

    assert joined == "https://api.example.test/a?on=true&off="


def test_encoded_query_reaches_server_unchanged(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url(path="/api/v2"))

    send(workflow, "Chat", "GET", "events?sig=ab%2Fcd", params={"page": 2})

    assert http_server.last.target == "/api/v2/events?sig=ab%2Fcd&page=2"


def test_colon_path_reaches_server(workflow, http_server):
    make_token_endpoint(workflow, base_url=http_server.url())

    send(workflow, "Chat", "GET", "/sub:path")

    assert http_server.last.target == "/sub:path"


def test_absolute_path_sends_nothing(workflow, http_server, start_server):
    other = start_server()
    make_token_endpoint(workflow, base_url=http_server.url(path="/api"))

    with pytest.raises(InvalidPathError):
        send(workflow, "Chat", "GET", other.url(path="/steal"))

    assert other.requests == []
    assert http_server.requests == []


def test_rejected_path_message_names_endpoint(workflow):
    make_token_endpoint(workflow, base_url="https://chat.example.test/api")

    with pytest.raises(InvalidPathError) as raised:
        send(workflow, "Chat", "GET", "../admin")

    assert "Endpoint “Chat”" in str(raised.value)
    assert raised.value.stage == "url"
