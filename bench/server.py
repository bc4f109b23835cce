"""gunicorn on 127.0.0.1 for the page cases, and its worker's memory."""

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

REPOSITORY = Path(__file__).resolve().parent.parent
# Bounds of the wait for the server: attempts, and seconds between them.
READY_ATTEMPTS = 300
READY_INTERVAL = 0.1
STOP_TIMEOUT = 15


def free_port() -> int:
    """Return a port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gunicorn:
    """A gunicorn master with one worker, started by the benchmark."""

    url: str
    process: subprocess.Popen

    @classmethod
    def start(cls, environment: dict[str, str], log_path: Path) -> "Gunicorn":
        port = free_port()
        environment = {
            **environment,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
            # The worker must live through the run, for the memory case.
            "GUNICORN_MAX_REQUESTS": "0",
            "GUNICORN_ACCESS_LOG": "",
        }
        with log_path.open("w") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "console.wsgi"],
                cwd=REPOSITORY,
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        server = cls(f"http://127.0.0.1:{port}", process)
        server._wait_until_ready(log_path)
        return server

    def _wait_until_ready(self, log_path: Path) -> None:
        with httpx2.Client(timeout=2, trust_env=False) as client:
            for _ in range(READY_ATTEMPTS):
                if self.process.poll() is not None:
                    break
                try:
                    if client.get(f"{self.url}/health/").status_code == 200:
                        return
                except httpx2.TransportError:
                    pass
                time.sleep(READY_INTERVAL)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}")

    def worker_pid(self) -> int:
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if len(children) != 1:
            raise RuntimeError(f"Expected one gunicorn worker, found {children}.")
        return int(children[0])

    def worker_rss_kib(self) -> int:
        """Return the resident set size of the worker, in KiB (Linux only)."""
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("VmRSS is missing from /proc/PID/status.")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # The master stops its worker on SIGTERM.
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
