"""Logging filters that keep secrets and noise out of the console's logs.

`LOGGING` in console/settings.py attaches them to Django's loggers.
"""

import logging
import re

# A request target with a query string: "/path?query", up to a space or a
# quote.
_QUERY_RE = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


class RemoveQueryString(logging.Filter):
    """Remove the query string from every URL in a record's message.

    For ``django.server``, the request log of ``runserver``, which the demo
    uses: its lines contain the request line, whose query string may carry
    an OAuth code and state, or a token that a step put there.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _QUERY_RE.sub(r"\1", message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True


class NoClientErrorTraceback(logging.Filter):
    """Drop the traceback of records about responses below status 500.

    ``django.request`` logs a 403 or 404 with the exception that caused it,
    which adds nothing to the message. Server errors keep it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
