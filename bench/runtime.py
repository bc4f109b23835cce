"""The request runtime cases: Token and OAuth endpoints vs bare httpx2.

Both use the public API for many requests through one endpoint,
`open_endpoint`, which looks the endpoint up and decrypts its secrets once,
as a bare `httpx2.Client` is built once.
"""

import statistics
import subprocess
import sys
import time

import httpx2

from endpoints.runtime import open_endpoint

from .results import Result, milliseconds
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


def run_runtime_cases(url: str, count: int, repeats: int) -> list[Result]:
    """Send ``count`` requests per run, ``repeats`` runs, interleaved."""
    # One warm-up run each, so that pooled clients and connections exist.
    _bare(url, 50)
    _through("loopback-token", 50)
    _through("loopback-oauth", 50)
    samples: dict[str, list[float]] = {"bare": [], "token": [], "oauth": []}
    for _ in range(repeats):
        samples["bare"].append(_bare(url, count))
        samples["token"].append(_through("loopback-token", count))
        samples["oauth"].append(_through("loopback-oauth", count))
    median = {name: statistics.median(values) for name, values in samples.items()}
    results = []
    for name, label, limit in (
        ("token", "a Token endpoint", 1.3),
        ("oauth", "an OAuth endpoint, valid cached token", 1.4),
    ):
        ratio = median[name] / median["bare"]
        results.append(
            Result(
                f"{count:,} requests through {label} (open_endpoint) "
                f"vs bare httpx2.Client",
                _per_request(median[name], count),
                _per_request(median["bare"], count),
                f"{ratio:.2f}x",
                f"<= {limit}x",
                ratio <= limit,
            )
        )
    return results


def _per_request(seconds: float, count: int) -> str:
    return f"{milliseconds(seconds)} ({seconds / count * 1e6:.0f} µs each)"
