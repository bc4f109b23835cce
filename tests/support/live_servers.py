"""Console servers in processes of their own, sharing the test database.

`console_servers` starts gunicorn with the repository's gunicorn.conf.py and
the console's production settings (``console.settings``, DEBUG off, static
files collected and served by whitenoise) on ports of 127.0.0.1, against
the test database of the running test. Several of them stand for several
hosts behind one load balancer. Tests that use them must commit their data
(``transactional_db``), so that the servers see it, and talk to them over
HTTP only, with `ConsoleClient`.

Users that sign in on these servers need a password hash that the
production settings accept: create them with `make_live_user`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx2
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.conftest import TEST_PASSWORD, make_user

REPOSITORY = Path(__file__).resolve().parents[2]
# Bounds of the readiness wait: attempts, and seconds between them.
READY_ATTEMPTS = 300
READY_INTERVAL = 0.1
# Seconds a stopping server may take before it is killed.
STOP_TIMEOUT = 15
# PBKDF2 iterations of the live users' password hashes: far below Django's
# default, so that the suite stays fast; the servers rehash on sign-in.
LIVE_HASH_ITERATIONS = 1000

CSRF_INPUT_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def database_url(settings_dict: dict) -> str:
    """Return the DATABASE_URL of a connection's settings (the test DB's)."""
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(settings_dict["NAME"])
        if not Path(name).is_absolute():
            raise RuntimeError(
                "Console servers need a SQLite test database in a file; see "
                "tests/settings.py."
            )
        return f"sqlite:///{name}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else f"{user}@"
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"
    raise RuntimeError(f"Console servers do not support the database {engine}.")


def free_port() -> int:
    """Return a port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The variables that console.settings and gunicorn.conf.py read, besides
# those starting with DJANGO_ or GUNICORN_. A process started here gets only
# those that the test sets, so that the environment of the suite (such as
# DATABASE_URL) does not leak in.
CONSOLE_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CONSOLE_BASE_URL",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "FERNET_KEYS",
    "STATIC_ROOT",
    "BEHIND_PROXY",
    "TRUSTED_PROXY_COUNT",
    "CSRF_TRUSTED_ORIGINS",
    "LOG_LEVEL",
    "TIME_ZONE",
    "IMPORT_MAX_BYTES",
}


def clean_environment(**variables: str) -> dict[str, str]:
    """Return this process's environment without the console's variables.

    ``variables`` are added. No ``.env`` file is read (CONSOLE_ENV_FILE).
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "GUNICORN_", "SECURE_", "ENDPOINT_"))
        and not name.startswith(("LOGIN_", "SESSION_", "CSRF_", "DATA_UPLOAD_"))
        and name not in CONSOLE_VARIABLES
    }
    environment.update(CONSOLE_ENV_FILE="", PYTHONUNBUFFERED="1")
    environment.update(variables)
    return environment


def production_environment(**overrides: str) -> dict[str, str]:
    """Return the environment of a console process with production settings.

    It uses the suite's keys, so that it reads what the tests store, and
    plain HTTP on 127.0.0.1: no HTTPS redirect, no secure-only cookies and
    no HSTS. Values in ``overrides`` replace or add variables.
    """
    environment = clean_environment()
    environment.update(
        DJANGO_SETTINGS_MODULE="console.settings",
        SECRET_KEY=settings.SECRET_KEY,
        FERNET_KEYS=",".join(settings.FERNET_KEYS),
        DEBUG="off",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CONSOLE_BASE_URL="http://127.0.0.1:8000",
        SECURE_SSL_REDIRECT="off",
        SESSION_COOKIE_SECURE="off",
        CSRF_COOKIE_SECURE="off",
        SECURE_HSTS_SECONDS="0",
        CONN_MAX_AGE="60",
        CONN_HEALTH_CHECKS="on",
        LOG_LEVEL="INFO",
    )
    environment.update(overrides)
    return environment


def run_manage(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a management command in a process of its own and return it."""
    return subprocess.run(  # noqa: S603 (this interpreter and manage.py)
        [sys.executable, "manage.py", *args],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@dataclass
class ConsoleServer:
    """One gunicorn master with its workers, on its own port."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def is_running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # The master stops its workers on SIGTERM.
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


def start_server(
    environment: dict[str, str],
    log_path: Path,
    workers: int = 2,
    ready_status: int = 200,
) -> ConsoleServer:
    """Start gunicorn on a free port; wait until /health/ has ready_status."""
    port = free_port()
    environment = {
        **environment,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
    }
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "console.wsgi"],
        cwd=REPOSITORY,
        env=environment,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    log_file.close()
    server = ConsoleServer(f"http://127.0.0.1:{port}", process, log_path)
    wait_until_ready(server, ready_status)
    return server


def wait_until_ready(server: ConsoleServer, ready_status: int = 200) -> None:
    """Poll the health URL a bounded number of times."""
    with httpx2.Client(timeout=2) as client:
        for _ in range(READY_ATTEMPTS):
            if not server.is_running():
                raise RuntimeError(f"The console server exited:\n{server.log()}")
            try:
                response = client.get(f"{server.url}/health/")
                if response.status_code == ready_status:
                    return
            except httpx2.TransportError:
                pass
            try:
                server.process.wait(timeout=READY_INTERVAL)
            except subprocess.TimeoutExpired:
                pass
    server.stop()
    raise RuntimeError(f"The console server did not become ready:\n{server.log()}")


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """The static files, hashed and compressed by collectstatic, once."""
    folder = tmp_path_factory.mktemp("staticfiles")
    result = run_manage(
        "collectstatic",
        "--noinput",
        environment=production_environment(
            STATIC_ROOT=str(folder), DATABASE_URL="sqlite:///:memory:"
        ),
    )
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def console_servers(transactional_db, collected_static, tmp_path):
    """Return a function that starts console servers on the test database.

    ``start(count, workers=2, **environment)`` starts ``count`` servers and
    returns them; the variables in ``environment`` are added to each one's
    production environment. Every server is stopped after the test, before
    the test database is emptied.
    """
    started: list[ConsoleServer] = []
    url = database_url(connection.settings_dict)

    def start(count: int = 2, workers: int = 2, **environment: str):
        servers = []
        for _ in range(count):
            env = production_environment(
                DATABASE_URL=url, STATIC_ROOT=str(collected_static), **environment
            )
            log_path = tmp_path / f"console-server-{len(started) + 1}.log"
            server = start_server(env, log_path, workers=workers)
            started.append(server)
            servers.append(server)
        return servers

    yield start
    for server in started:
        server.stop()


def make_live_user(username: str, group_name: str | None = None, **fields):
    """Create a user whose password the console servers can check."""
    user = make_user(username, group_name, **fields)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(
        TEST_PASSWORD, hasher.salt(), iterations=LIVE_HASH_ITERATIONS
    )
    user.save(update_fields=["password"])
    return user


class ConsoleClient:
    """A browser-like HTTP client for console servers: cookies and CSRF.

    One client may talk to several servers, as a browser behind a load
    balancer would: the cookies of 127.0.0.1 go to every port.
    """

    def __init__(self):
        self.http = httpx2.Client(follow_redirects=False, timeout=30)

    def close(self) -> None:
        self.http.close()

    def get(self, url: str) -> httpx2.Response:
        return self.http.get(url)

    def csrf_token(self, page_url: str) -> str:
        """Load a page with a form and return its CSRF token."""
        page = self.http.get(page_url)
        match = CSRF_INPUT_RE.search(page.text)
        assert match, f"No CSRF token at {page_url}: {page.status_code}"
        return match.group(1)

    def post_form(self, url: str, data: dict, page_url: str | None = None):
        """Post a form as the page at ``page_url`` (default: ``url``) would."""
        token = self.csrf_token(page_url or url)
        return self.http.post(url, data={**data, "csrfmiddlewaretoken": token})

    def sign_in(self, server_url: str, username: str, password: str = TEST_PASSWORD):
        """Post the login form of a server and return the response."""
        url = f"{server_url}/accounts/login/"
        return self.post_form(url, {"username": username, "password": password})
