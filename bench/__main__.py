"""Run the benchmark and print its table: ``python -m bench``.

Options: ``--rounds`` (page requests per case), ``--repeats`` (runs of
the export, import and runtime cases), ``--requests`` (requests per
runtime run) and ``--database-url``, a PostgreSQL database for the
expired-token case (default: DATABASE_URL when it names PostgreSQL; the
case is skipped without one). Everything else uses a throwaway SQLite
database in a temporary folder that is deleted afterwards.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .results import Result, table
from .server import REPOSITORY


def console_environment(database_url: str, folder: Path) -> dict[str, str]:
    """Return the environment of the console's processes in this run."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "GUNICORN_", "DATABASE_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        CONSOLE_ENV_FILE="",
        SECRET_KEY=secrets.token_urlsafe(40),
        FERNET_KEYS=secrets.token_urlsafe(32),
        DEBUG="off",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        CONSOLE_BASE_URL="http://127.0.0.1:8000",
        SECURE_SSL_REDIRECT="off",
        SESSION_COOKIE_SECURE="off",
        CSRF_COOKIE_SECURE="off",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        STATIC_ROOT=str(folder / "static"),
        LOG_LEVEL="INFO",
        BENCH_LOG_FILE=str(folder / "console.log"),
        PYTHONUNBUFFERED="1",
    )
    return environment


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="page requests per case")
    parser.add_argument(
        "--repeats", type=int, default=5, help="runs of each in-process case"
    )
    parser.add_argument(
        "--requests", type=int, default=5000, help="requests per runtime run"
    )
    default_url = os.environ.get("DATABASE_URL", "")
    parser.add_argument(
        "--database-url",
        default=default_url if default_url.startswith("postgres") else "",
        help="PostgreSQL database for the expired-token case",
    )
    return parser.parse_args()


def main() -> int:
    arguments = parse_arguments()
    with tempfile.TemporaryDirectory(prefix="console-bench-") as name:
        folder = Path(name)
        environment = console_environment(
            f"sqlite:///{folder / 'bench.sqlite3'}", folder
        )
        os.environ.update(environment)
        results = run_sqlite_cases(arguments, environment, folder)
        if arguments.database_url:
            results.append(
                run_concurrency_case(
                    console_environment(arguments.database_url, folder)
                )
            )
        else:
            sys.stdout.write(
                "The expired-token case was skipped: pass --database-url or set "
                "DATABASE_URL to a PostgreSQL database.\n"
            )
    sys.stdout.write(table(results) + "\n")
    return 0 if all(result.passed is not False for result in results) else 1


def run_sqlite_cases(arguments, environment, folder: Path) -> list[Result]:
    import django

    django.setup()
    from django.core.management import call_command

    from . import data, pages, runtime, seed
    from .server import Gunicorn

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.perf_counter()
    large = seed.seed_workflow("Benchmark large", 1000, 10)
    seconds = time.perf_counter() - started
    sys.stdout.write(
        f"Seeded {large.endpoint_count:,} endpoints and {large.usage_count:,} "
        f"usages in {seconds:.2f} s.\n"
    )
    small = seed.seed_workflow("Benchmark small", 10, 10)
    manager, admin = seed.seed_users()
    loopback = runtime.LoopbackServer()
    seed.seed_runtime_endpoints(loopback.url)

    results = []
    server = Gunicorn.start(environment, folder / "gunicorn.log")
    try:
        results += pages.run_page_cases(server, manager, admin, large, arguments.rounds)
    finally:
        server.stop()
    results += pages.run_query_counts(manager, small, large)
    results += data.run_data_cases(small, large, arguments.repeats)
    try:
        results += runtime.run_runtime_cases(
            loopback.url, arguments.requests, arguments.repeats
        )
    finally:
        loopback.stop()
    return results


def run_concurrency_case(environment: dict[str, str]) -> Result:
    from .concurrency import PROCESSES, THREADS

    completed = subprocess.run(
        [sys.executable, "-m", "bench.concurrency"],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"The expired-token case failed:\n{completed.stderr}")
    outcome = json.loads(completed.stdout.splitlines()[-1])
    total = PROCESSES * THREADS
    statuses = ", ".join(
        f"{count} × HTTP {status}" for status, count in outcome["statuses"].items()
    )
    passed = outcome["token_requests"] == 1 and outcome["statuses"] == {"200": total}
    return Result(
        f"{total} concurrent requests, token just expired, {PROCESSES} processes, "
        "PostgreSQL",
        f"{outcome['token_requests']} token request ({statuses}, "
        f"{outcome['seconds']:.2f} s)",
        "-",
        "-",
        "exactly 1 token request",
        passed,
    )


if __name__ == "__main__":
    sys.exit(main())
