"""The key-value log format, and the filters on the console's loggers."""

import logging
import sys

import pytest
from django.urls import reverse

from console.logfilters import NoClientErrorTraceback, RemoveQueryString
from console.logformat import KEY_VALUE_FORMAT, KeyValueFormatter


def make_record(msg, args=(), **extra) -> logging.LogRecord:
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, msg, args, None
    )
    for name, value in extra.items():
        setattr(record, name, value)
    return record


QUERY_CASES = [
    (
        '"GET /oauth/callback/?code=PLANTED-c&state=PLANTED-s HTTP/1.1" 302 0',
        '"GET /oauth/callback/ HTTP/1.1" 302 0',
    ),
    ('"GET /?token=PLANTED-t HTTP/1.1" 200 5', '"GET / HTTP/1.1" 200 5'),
    ('"GET /a?x=1 HTTP/1.1" then /b?y=PLANTED-2', '"GET /a HTTP/1.1" then /b'),
    ("'/api/items?key=PLANTED-k'", "'/api/items'"),
    ('"GET /static/app.css HTTP/1.1" 200 10', '"GET /static/app.css HTTP/1.1" 200 10'),
    ("Is the console up?", "Is the console up?"),
]


@pytest.mark.parametrize(("message", "expected"), QUERY_CASES)
def test_query_string_removed(message, expected):
    record = make_record(message)

    kept = RemoveQueryString().filter(record)

    assert kept is True
    assert record.getMessage() == expected


def test_query_string_removed_from_arguments():
    # runserver logs the request line as an argument of a format string.
    record = make_record(
        '"%s" %s %s', ("GET /oauth/callback/?code=PLANTED-code HTTP/1.1", 302, 0)
    )

    RemoveQueryString().filter(record)

    assert record.getMessage() == '"GET /oauth/callback/ HTTP/1.1" 302 0'
    assert "PLANTED" not in record.msg
    assert record.args == ()


def test_message_without_query_keeps_arguments():
    args = ("GET /health/ HTTP/1.1", 200, 2)
    record = make_record('"%s" %s %s', args)

    RemoveQueryString().filter(record)

    assert record.msg == '"%s" %s %s'
    assert record.args == args


def record_with_traceback(status_code) -> logging.LogRecord:
    try:
        raise PermissionError("denied")
    except PermissionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden", (), exc_info
    )
    if status_code is not None:
        record.status_code = status_code
    record.exc_text = "cached traceback"
    return record


@pytest.mark.parametrize("status_code", [400, 403, 404, 499])
def test_client_error_traceback_dropped(status_code):
    record = record_with_traceback(status_code)

    kept = NoClientErrorTraceback().filter(record)

    assert kept is True
    assert record.exc_info is None
    assert record.exc_text is None


@pytest.mark.parametrize("status_code", [500, 503, None, "404"])
def test_other_traceback_kept(status_code):
    record = record_with_traceback(status_code)

    kept = NoClientErrorTraceback().filter(record)

    assert kept is True
    assert record.exc_info is not None
    assert record.exc_text == "cached traceback"


def test_not_found_logged_without_traceback(manager_client, caplog):
    caplog.set_level(logging.WARNING)

    response = manager_client.get(reverse("endpoints:workflow_detail", args=[999999]))

    records = [record for record in caplog.records if record.name == "django.request"]
    assert response.status_code == 404
    assert len(records) == 1
    assert records[0].exc_info is None


# Times within one second, across a second and a minute boundary, and just
# below the next second, where rounding could go wrong.
FORMAT_TIMES = [
    1_780_000_000.0,
    1_780_000_000.25,
    1_780_000_000.999,
    1_780_000_001.5,
    1_780_000_059.9995,
    1_780_000_060.001,
    1_780_000_000.5,
]


def test_key_value_matches_standard_format():
    cached = KeyValueFormatter()
    standard = logging.Formatter(KEY_VALUE_FORMAT)
    for created in FORMAT_TIMES:
        record = make_record("event=sample endpoint_id=%s", (7,))
        record.created = created
        record.msecs = (created - int(created)) * 1000
        assert cached.format(record) == standard.format(record)


def test_key_value_line_shape():
    record = make_record("event=sample endpoint_id=%s", (7,))
    line = KeyValueFormatter().format(record)
    assert line.startswith("time=")
    assert line.endswith(" level=INFO logger=django.server event=sample endpoint_id=7")


def test_key_value_line_keeps_the_traceback():
    try:
        raise ValueError("sample failure")
    except ValueError:
        record = logging.LogRecord(
            "endpoints", logging.ERROR, __file__, 1, "event=failed", (), sys.exc_info()
        )
    line = KeyValueFormatter().format(record)
    assert "event=failed\nTraceback (most recent call last):" in line
    assert line.endswith("ValueError: sample failure")
