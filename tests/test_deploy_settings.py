"""Production settings: the deploy check, and what each variable sets.

Each test runs the console's own settings (console.settings, not the
suite's) in a process of its own, with the environment of a production
deployment as docs/deployment.md describes it.
"""

import json
import runpy
import subprocess
import sys

import httpx2
import pytest
from django.db import connection

from tests.support.live_servers import (
    REPOSITORY,
    clean_environment,
    database_url,
    run_manage,
)

# The variables of the deployment guide's example, with values of this
# suite: nothing here is a real key.
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "console.settings",
    "SECRET_KEY": "deploy-check-"
    + "k3y-0f-f1fty-ch4rs-or-m0re-w1th-many-d1fferent" * 2,
    "FERNET_KEYS": "deploy-check-fernet-key",
    "DEBUG": "off",
    "ALLOWED_HOSTS": "console.example.com",
    "CONSOLE_BASE_URL": "https://console.example.com",
    "DATABASE_URL": "postgres://console@127.0.0.1:5432/console",
    "BEHIND_PROXY": "on",
}

SETTING_NAMES = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "USE_X_FORWARDED_HOST",
    "CSRF_TRUSTED_ORIGINS",
    "ALLOWED_HOSTS",
    "CACHES",
    "STORAGES",
    "STATIC_ROOT",
    "DATABASES",
    "LOGGING",
]

PRINT_SETTINGS = f"""
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({{name: getattr(settings, name, None) for name in {SETTING_NAMES!r}}},
                 default=str))
"""


def production_settings(**changes: str) -> dict:
    """Return the settings of console.settings with PRODUCTION and changes.

    A change of None removes the variable.
    """
    environment = clean_environment(**PRODUCTION)
    for name, value in changes.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    result = subprocess.run(  # noqa: S603 (this interpreter and a fixed script)
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def deploy_check(*args: str, **changes: str) -> subprocess.CompletedProcess:
    environment = clean_environment(**{**PRODUCTION, **changes})
    return run_manage(
        "check", "--deploy", "--fail-level", "WARNING", *args, environment=environment
    )


@pytest.mark.parametrize("value", ["debug", " Debug ", "DEBUG"])
def test_log_level_in_any_case(value):
    settings = production_settings(LOG_LEVEL=value)

    assert settings["LOGGING"]["root"]["level"] == "DEBUG"


def test_deploy_check_clean():
    result = deploy_check()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_deploy_check_clean_with_hsts_preload():
    result = deploy_check(SECURE_HSTS_PRELOAD="on")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.django_db(transaction=True)
def test_deploy_check_clean_with_database():
    url = database_url(connection.settings_dict)

    result = deploy_check("--database", "default", DATABASE_URL=url)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "warning"),
    [
        ("DEBUG", "on", "security.W018"),
        ("SECURE_SSL_REDIRECT", "off", "security.W008"),
        ("SESSION_COOKIE_SECURE", "off", "security.W012"),
        ("CSRF_COOKIE_SECURE", "off", "security.W016"),
        ("SECURE_HSTS_SECONDS", "0", "security.W004"),
        ("SECRET_KEY", "short", "security.W009"),
    ],
)
def test_deploy_check_flags_weakened_setting(variable, value, warning):
    result = deploy_check(**{variable: value})

    assert result.returncode == 1
    assert warning in result.stderr


def test_empty_fernet_keys_fail_check():
    result = deploy_check(FERNET_KEYS="")

    assert result.returncode == 1
    assert "endpoints.E001" in result.stderr


def test_missing_fernet_keys_named_at_start():
    environment = clean_environment(**PRODUCTION)
    environment.pop("FERNET_KEYS")

    result = run_manage("check", environment=environment)

    assert result.returncode == 1
    assert "Set the FERNET_KEYS environment variable" in result.stderr


def test_production_defaults_are_secure():
    values = production_settings()

    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False


def test_proxy_headers_trusted_behind_proxy():
    values = production_settings()

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["USE_X_FORWARDED_HOST"] is True


def test_proxy_headers_ignored_without_proxy():
    values = production_settings(BEHIND_PROXY=None)

    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["USE_X_FORWARDED_HOST"] is False


def test_console_origin_trusted_for_forms():
    values = production_settings(CSRF_TRUSTED_ORIGINS="https://other.example.com")

    assert values["CSRF_TRUSTED_ORIGINS"] == [
        "https://other.example.com",
        "https://console.example.com",
    ]


def test_connections_reused_with_health_checks():
    database = production_settings()["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_connection_reuse_from_environment():
    database = production_settings(CONN_MAX_AGE="300", CONN_HEALTH_CHECKS="off")[
        "DATABASES"
    ]["default"]

    assert database["CONN_MAX_AGE"] == 300
    assert database["CONN_HEALTH_CHECKS"] is False


def test_database_url_options_take_precedence():
    url = "postgres://console@127.0.0.1:5432/console?conn_max_age=5"

    database = production_settings(DATABASE_URL=url, CONN_MAX_AGE="300")["DATABASES"][
        "default"
    ]

    assert database["CONN_MAX_AGE"] == 5


def test_no_connection_reuse_with_debug():
    database = production_settings(DEBUG="on")["DATABASES"]["default"]

    assert database["CONN_MAX_AGE"] == 0


def test_cache_shared_in_database():
    values = production_settings()

    assert values["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "endpoints_cache",
    }


def test_static_files_hashed_and_compressed():
    values = production_settings(STATIC_ROOT="/srv/console/static")

    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert values["STATIC_ROOT"] == "/srv/console/static"


def test_static_files_plain_with_debug():
    values = production_settings(DEBUG="on")

    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


def gunicorn_settings(monkeypatch, **environment: str) -> dict:
    for name in ["GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_CONTROL_SOCKET"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(REPOSITORY / "gunicorn.conf.py"))


def test_gunicorn_bind_and_workers_from_environment(monkeypatch):
    values = gunicorn_settings(
        monkeypatch, GUNICORN_BIND="0.0.0.0:9000", GUNICORN_WORKERS="7"
    )

    assert values["bind"] == ["0.0.0.0:9000"]
    assert values["workers"] == 7


def test_gunicorn_defaults_local_and_several_workers(monkeypatch):
    values = gunicorn_settings(monkeypatch)

    assert values["bind"] == ["127.0.0.1:8000"]
    assert values["workers"] >= 3
    assert values["preload_app"] is False
    assert values["control_socket_disable"] is True


def test_gunicorn_access_log_without_query_or_address(monkeypatch):
    values = gunicorn_settings(monkeypatch)

    assert "%(U)s" in values["access_log_format"]
    assert "%(r)s" not in values["access_log_format"]
    assert "%(h)s" not in values["access_log_format"]


@pytest.fixture
def server(console_servers):
    [server] = console_servers(1)
    return server


def test_pages_link_hashed_static_files(server):
    page = httpx2.get(f"{server.url}/accounts/login/", timeout=10)

    assert page.status_code == 200
    assert "/static/css/console." in page.text
    assert '/static/css/console.css"' not in page.text


def test_hashed_static_served_compressed_forever(server):
    page = httpx2.get(f"{server.url}/accounts/login/", timeout=10).text
    start = page.index("/static/css/console.")
    path = page[start : page.index('"', start)]

    response = httpx2.get(
        f"{server.url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=10
    )

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert "Content-Security-Policy" in response.headers
