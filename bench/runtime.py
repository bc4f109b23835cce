"""The request runtime cases: Token and OAuth endpoints vs bare httpx2.

Both use the public API for many requests through one endpoint,
`open_endpoint`, which looks the endpoint up and decrypts its secrets once,
as a bare `httpx2.Client` is built once.
"""

import logging
import statistics
import subprocess
import sys
import time

import httpx2

from endpoints.runtime import open_endpoint

from .results import Result, milliseconds, paired_ratio
from .server import REPOSITORY

WORKFLOW = "Benchmark runtime"


class LoopbackServer:
    """`bench.loopback` in a process of its own; stops when stdin closes."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.loopback"],
            cwd=REPOSITORY,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _bare(url: str, count: int) -> float:
    with httpx2.Client(trust_env=False) as client:
        started = time.perf_counter()
        for _ in range(count):
            client.get(f"{url}/ping").raise_for_status()
        return time.perf_counter() - started


def _through(endpoint_name: str, count: int) -> float:
    with open_endpoint(WORKFLOW, endpoint_name) as endpoint:
        started = time.perf_counter()
        for _ in range(count):
            endpoint.send("GET", "/ping").raise_for_status()
        return time.perf_counter() - started


def _through_logging_each(endpoint_name: str, count: int) -> float:
    # The request log at DEBUG, as with LOG_LEVEL=DEBUG: one line per request.
    request_log = logging.getLogger("endpoints.runtime.api")
    level = request_log.level
    request_log.setLevel(logging.DEBUG)
    try:
        return _through(endpoint_name, count)
    finally:
        request_log.setLevel(level)


CASES = (
    ("token", "a Token endpoint", 1.3),
    ("oauth", "an OAuth endpoint, valid cached token", 1.4),
    ("token_debug", "a Token endpoint, a DEBUG log line each", None),
)


def run_runtime_cases(url: str, count: int, repeats: int) -> list[Result]:
    """Send ``count`` requests per run, ``repeats`` runs, interleaved."""
    runs = {
        "bare": lambda: _bare(url, count),
        "token": lambda: _through("loopback-token", count),
        "oauth": lambda: _through("loopback-oauth", count),
        "token_debug": lambda: _through_logging_each("loopback-token", count),
    }
    # One short warm-up run each, so that pooled clients and connections
    # exist.
    _bare(url, 50)
    _through("loopback-token", 50)
    _through("loopback-oauth", 50)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            samples[name].append(run())
    median = {name: statistics.median(values) for name, values in samples.items()}
    results = []
    for name, label, limit in CASES:
        ratio = paired_ratio(samples[name], samples["bare"])
        results.append(
            Result(
                f"{count:,} requests through {label} (open_endpoint) "
                f"vs bare httpx2.Client",
                _per_request(median[name], count),
                _per_request(median["bare"], count),
                f"{ratio:.2f}x",
                f"<= {limit}x" if limit is not None else "-",
                ratio <= limit if limit is not None else None,
            )
        )
    return results


def _per_request(seconds: float, count: int) -> str:
    return f"{milliseconds(seconds)} ({seconds / count * 1e6:.0f} µs each)"
