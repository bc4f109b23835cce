"""The console's settings with the benchmark's URLs and a log file.

The fixed page of `bench.urls` is the floor of the page cases, so it runs
through the same middleware as every console page. Logs go to
BENCH_LOG_FILE, so that the request runtime's log line costs what it costs
in a deployment that writes its log to a file.
"""

import os

from console.settings import *  # noqa: F403
from console.settings import LOGGING

ROOT_URLCONF = "bench.urls"

LOGGING["handlers"]["console"] = {
    "class": "logging.FileHandler",
    "filename": os.environ.get("BENCH_LOG_FILE", os.devnull),
    "formatter": "keyvalue",
}
