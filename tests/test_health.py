"""The health URL: no login, a database query, and nothing revealed."""

import httpx2
import pytest
from django.urls import reverse

from tests.support.live_servers import production_environment, start_server

HEALTH_URL = reverse("health")


def test_health_ok_without_login(client, db):
    response = client.get(HEALTH_URL)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_body_reveals_nothing(client, db):
    response = client.get(HEALTH_URL)

    assert response.content == b'{"status": "ok"}'
    assert "Server" not in response


def test_health_not_cached(client, db):
    response = client.get(HEALTH_URL)

    assert "no-store" in response["Cache-Control"]


def test_health_sets_no_cookie(client, db):
    response = client.get(HEALTH_URL)

    assert response.cookies == {}


def test_health_answers_head(client, db):
    response = client.head(HEALTH_URL)

    assert response.status_code == 200


def test_health_rejects_post(client, db):
    response = client.post(HEALTH_URL)

    assert response.status_code == 405


def test_health_exempt_from_https_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    health = client.get(HEALTH_URL)
    login = client.get(reverse("login"))

    assert health.status_code == 200
    assert login.status_code == 301


@pytest.fixture
def unreachable_database(tmp_path):
    # A SQLite file in a folder that does not exist cannot be opened, on any
    # suite database.
    return f"sqlite:///{tmp_path / 'missing-folder' / 'console.sqlite3'}"


def test_health_503_without_database(unreachable_database, tmp_path):
    environment = production_environment(DATABASE_URL=unreachable_database)
    server = start_server(
        environment, tmp_path / "server.log", workers=1, ready_status=503
    )
    try:
        response = httpx2.get(f"{server.url}{HEALTH_URL}", timeout=10)
    finally:
        server.stop()

    assert response.status_code == 503
    assert response.text == '{"status": "unavailable"}'
    assert "event=health_check outcome=failure error=OperationalError" in (server.log())
