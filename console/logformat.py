"""The key-value log format, with its time text made once per second.

The request runtime writes a line for every request that it sends. The
standard formatter spends a third of its time turning each record's time
into text. `KeyValueFormatter` keeps the text of the current second and
adds the milliseconds, so that its lines are those of the standard
formatter.
"""

import logging
import time

KEY_VALUE_FORMAT = "time=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"


class KeyValueFormatter(logging.Formatter):
    """`logging.Formatter` with KEY_VALUE_FORMAT and a cached time text."""

    def __init__(self, fmt: str = KEY_VALUE_FORMAT, datefmt: str | None = None):
        super().__init__(fmt, datefmt)
        # The whole second and its text, replaced as one tuple, so that
        # threads that format at once each read a matching pair.
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached_second, text = self._second
        if cached_second != second:
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return self.default_msec_format % (text, record.msecs)
