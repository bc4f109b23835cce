"""The fake_oauth_provider command serves the provider for the demo."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from endpoints.testing.fake_oauth import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
)

REPOSITORY = Path(__file__).resolve().parent.parent
# Bounds the wait for the command to listen, in tries of 0.1 s.
START_TRIES = 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_command_serves_password_grant():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and command)
        [sys.executable, "manage.py", "fake_oauth_provider", "--port", str(port)],
        cwd=REPOSITORY,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tests.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        for _ in range(START_TRIES):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        response = httpx2.post(
            f"http://127.0.0.1:{port}/token",
            data={
                "grant_type": "password",
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
            },
            auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            trust_env=False,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert f"127.0.0.1:{port}" in banner
    assert response.status_code == 200
    assert response.json()["access_token"].startswith("fake-at-")
