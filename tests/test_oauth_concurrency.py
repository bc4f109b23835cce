"""One refresh at a time: threads and processes whose token expired at once.

The process test needs PostgreSQL, where the row lock serialises processes;
SQLite ignores SELECT ... FOR UPDATE.
"""

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from endpoints.models import AuthConfig, Endpoint
from endpoints.runtime import send
from tests.support.oauth import connect_directly, make_code_endpoint

THREADS = 6
PROCESSES = 4
# Seconds each process may take; bounds the test if one hangs.
PROCESS_TIMEOUT = 60
REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture
def expired_endpoint(transactional_db, workflow, provider):
    """A connected endpoint whose stored access token has expired."""
    endpoint = make_code_endpoint(workflow, provider)
    connect_directly(endpoint, provider)
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    # The provider responds slowly, so that every request reaches the lock
    # while the first refresh is still under way.
    provider.switches.slow_seconds = 0.5
    provider.switches.rotate_refresh_tokens = True
    return endpoint


def test_threads_cause_one_refresh(expired_endpoint, provider):
    loaded = [
        Endpoint.objects.select_related("auth", "workflow").get(pk=expired_endpoint.pk)
        for _ in range(THREADS)
    ]
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(endpoint):
        try:
            barrier.wait(timeout=10)
            response = send(endpoint.workflow, endpoint, "GET", "/me")
            statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(e,)) for e in loaded]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PROCESS_TIMEOUT)

    assert errors == []
    assert statuses == [200] * THREADS
    assert provider.counts["refresh_token"] == 1


def database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    credentials = f"{user}{password}@" if user else ""
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{credentials}{settings['HOST']}{port}/{settings['NAME']}"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite ignores SELECT ... FOR UPDATE, so only "
    "threads of one process are serialised there",
)
def test_processes_cause_one_refresh(expired_endpoint, provider):
    environment = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    workers = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [
                sys.executable,
                "-m",
                "tests.support.refresh_worker",
                str(expired_endpoint.pk),
            ],
            cwd=REPOSITORY,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=PROCESS_TIMEOUT) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    for (stdout, stderr), worker in zip(outputs, workers, strict=True):
        assert worker.returncode == 0, stderr
        assert stdout.strip() == "status 200", stderr
    assert provider.counts["refresh_token"] == 1
