"""The expired-token case: concurrent requests across processes.

Run as ``python -m bench.concurrency`` with DATABASE_URL naming a
PostgreSQL database; it prints one JSON line. It creates a workflow with an
OAuth 2.0 (Authorization Code) endpoint against the fake OAuth provider,
whose stored access token has just expired, starts PROCESSES workers of
`bench.refresh_worker` with THREADS threads each, releases them together,
counts the provider's token requests and deletes the workflow again.
"""

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta

PROCESSES = 4
THREADS = 50
# Seconds each worker may take; bounds the case if one hangs.
WORKER_TIMEOUT = 120
CLIENT_ID = "bench-client"


def main() -> int:
    import django

    django.setup()

    from django.core.management import call_command
    from django.utils import timezone

    from endpoints.models import Endpoint, Workflow
    from endpoints.testing.fake_oauth import FakeOAuthProvider

    from .server import REPOSITORY

    call_command("migrate", verbosity=0)
    client_secret = "bench-" + secrets.token_urlsafe(24)
    provider = FakeOAuthProvider()
    provider.add_client(CLIENT_ID, client_secret)
    provider.add_user("bench-user", "unused")
    # Slow token answers keep the first refresh under way while the other
    # requests reach the lock.
    provider.switches.slow_seconds = 0.3
    provider.switches.rotate_refresh_tokens = True
    provider.start()
    workflow = Workflow.objects.create(name=f"Benchmark expiry {secrets.token_hex(4)}")
    try:
        endpoint = Endpoint.objects.create_with_auth(
            workflow=workflow,
            name="expiring",
            base_url=provider.url("/api"),
            auth_type="oauth2_authorization_code",
            params={
                "authorization_url": provider.url("/authorize"),
                "token_url": provider.url("/token"),
                "client_id": CLIENT_ID,
                "token_endpoint_auth_method": "client_secret_basic",
                "scope": "read",
                "token_prefix": "Bearer",
                "expired_status": 401,
            },
            secrets={"client_secret": client_secret},
        )
        access, refresh = provider.issue_tokens(CLIENT_ID, "bench-user", "read")
        config = endpoint.auth
        config.access_token = access
        config.refresh_token = refresh
        config.token_expires_at = timezone.now() - timedelta(seconds=1)
        config.connected_at = timezone.now()
        config.save()
        provider.expire_access_tokens()
        outcome = _run_workers(endpoint.pk, REPOSITORY)
    finally:
        workflow.delete()
        provider.stop()
    outcome["token_requests"] = provider.counts["token"]
    outcome["refresh_requests"] = provider.counts["refresh_token"]
    sys.stdout.write(json.dumps(outcome) + "\n")
    return 0


def _run_workers(endpoint_id: int, repository) -> dict:
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.refresh_worker",
                str(endpoint_id),
                str(THREADS),
            ],
            cwd=repository,
            env=os.environ.copy(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for worker in workers:
            line = worker.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"A worker failed to start: {worker.stderr.read()}")
        started = time.perf_counter()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=WORKER_TIMEOUT) for worker in workers]
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    statuses: dict[str, int] = {}
    for (stdout, stderr), worker in zip(outputs, workers, strict=True):
        if worker.returncode != 0:
            raise RuntimeError(f"A worker failed: {stderr}")
        if stderr.strip():
            sys.stderr.write(stderr)
        for status, count in json.loads(stdout.splitlines()[-1]).items():
            statuses[status] = statuses.get(status, 0) + count
    return {"statuses": statuses, "seconds": elapsed}


if __name__ == "__main__":
    sys.exit(main())
