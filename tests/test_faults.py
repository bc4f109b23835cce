"""Faults and bad input: database restarts, a login storm, tampered cookies,
and requests far over the size limits. Each gets a clean response, and
the console goes on working.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.signing import TimestampSigner
from django.db import connection
from django.test import Client
from django.urls import reverse

from endpoints.models import LoginFailure, Workflow
from tests.conftest import MANAGERS, TEST_PASSWORD, endpoint_form_data
from tests.support.live_servers import CSRF_INPUT_RE, ConsoleClient, make_live_user

STORM_ATTEMPTS = 200
STORM_THREADS = 4

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: ends the server's backend connections with "
    "pg_terminate_backend, which SQLite has no equivalent of",
)


def terminate_other_connections() -> int:
    """End every other connection to the test database; return how many.

    Waits up to 5 s for each backend to exit (PostgreSQL 14 and later), so
    that the next request meets a closed connection, not a closing one.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def live_manager(transactional_db):
    return make_live_user("live-manager", MANAGERS)


@requires_postgresql
def test_request_after_database_restart_succeeds(console_servers, live_manager):
    # One worker, so the second request reuses the first one's connection.
    [server] = console_servers(1, workers=1)
    client = ConsoleClient()
    client.sign_in(server.url, "live-manager")
    before = client.get(server.url + reverse("endpoints:workflow_list"))

    terminated = terminate_other_connections()
    after = client.get(server.url + reverse("endpoints:workflow_list"))
    health = client.get(server.url + reverse("health"))
    client.close()

    assert before.status_code == 200
    assert terminated >= 1
    assert after.status_code == 200
    assert health.status_code == 200


@requires_postgresql
def test_restart_without_health_checks_fails_once(console_servers, live_manager):
    # The same server without CONN_HEALTH_CHECKS, which shows what the
    # setting prevents: the first request after the restart fails.
    [server] = console_servers(1, workers=1, CONN_HEALTH_CHECKS="off")
    client = ConsoleClient()
    client.get(server.url + reverse("health"))

    terminate_other_connections()
    failed = client.get(server.url + reverse("health"))
    recovered = client.get(server.url + reverse("health"))
    client.close()

    assert failed.status_code == 503
    assert recovered.status_code == 200


def storm_attempt(server_url: str, username: str, password: str) -> int:
    client = ConsoleClient()
    try:
        return client.sign_in(server_url, username, password).status_code
    finally:
        client.close()


def test_login_storm_throttled_and_server_up(console_servers, live_manager, settings):
    [server] = console_servers(1)
    limit = settings.LOGIN_FAILURE_LIMIT

    with ThreadPoolExecutor(max_workers=STORM_THREADS) as pool:
        statuses = list(
            pool.map(
                storm_attempt,
                [server.url] * STORM_ATTEMPTS,
                ["live-manager"] * STORM_ATTEMPTS,
                [f"guess-{index}" for index in range(STORM_ATTEMPTS)],
            )
        )
    right_password = storm_attempt(server.url, "live-manager", TEST_PASSWORD)
    health = ConsoleClient().get(server.url + reverse("health"))

    password_checks = statuses.count(200)
    assert set(statuses) <= {200, 429}
    assert password_checks <= limit
    assert statuses.count(429) >= STORM_ATTEMPTS - limit
    assert right_password == 429
    assert LoginFailure.objects.count() == password_checks
    assert health.status_code == 200
    assert server.is_running()
    assert "guess-" not in server.log()


def test_address_storm_across_usernames_throttled(console_servers, settings):
    [server] = console_servers(1)
    address_limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    attempts = address_limit + 30

    statuses = [
        storm_attempt(server.url, f"nobody-{index}", "wrong")
        for index in range(attempts)
    ]

    assert statuses[:address_limit] == [200] * address_limit
    assert statuses[address_limit:] == [429] * (attempts - address_limit)


def test_tampered_session_cookie_signs_out(client, manager):
    client.force_login(manager)
    key = client.cookies["sessionid"].value
    client.cookies["sessionid"] = key[:-1] + ("a" if key[-1] != "a" else "b")

    response = client.get(reverse("endpoints:workflow_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_garbage_session_cookie_signs_out(client, db):
    client.cookies["sessionid"] = "<script>x</script>" * 20

    response = client.get(reverse("endpoints:workflow_list"))

    assert response.status_code == 302


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_tampered_csrf_token_rejected_cleanly(manager, workflow):
    client = csrf_client(manager)
    page = client.get(reverse("endpoints:workflow_edit", args=[workflow.pk]))
    token = CSRF_INPUT_RE.search(page.content.decode()).group(1)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")

    response = client.post(
        reverse("endpoints:workflow_edit", args=[workflow.pk]),
        {"name": "Renamed", "csrfmiddlewaretoken": tampered},
    )

    assert response.status_code == 403
    assert "The form could not be accepted" in response.content.decode()
    assert Workflow.objects.get(pk=workflow.pk).name == workflow.name


def test_missing_csrf_cookie_rejected_cleanly(manager, workflow):
    client = csrf_client(manager)
    page = client.get(reverse("endpoints:workflow_edit", args=[workflow.pk]))
    token = CSRF_INPUT_RE.search(page.content.decode()).group(1)
    del client.cookies["csrftoken"]

    response = client.post(
        reverse("endpoints:workflow_edit", args=[workflow.pk]),
        {"name": "Renamed", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 403
    assert "Traceback" not in response.content.decode()


def test_tampered_messages_cookie_ignored(manager_client):
    signed = TimestampSigner(salt="django.contrib.messages").sign("forged")
    manager_client.cookies["messages"] = signed[:-3] + "xyz"

    response = manager_client.get(reverse("endpoints:workflow_list"))

    assert response.status_code == 200


def test_form_post_over_memory_limit_rejected(manager_client, endpoint, settings):
    data = endpoint_form_data(endpoint)
    data["padding"] = "x" * (4 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    response = manager_client.post(endpoint.get_absolute_url(), data)

    content = response.content.decode()
    assert response.status_code == 400
    assert "The request could not be accepted" in content
    assert "2.5\xa0MB" in content
    assert "Traceback" not in content


def test_form_post_with_too_many_fields_rejected(manager_client, endpoint, settings):
    data = endpoint_form_data(endpoint)
    for index in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10):
        data[f"extra-{index}"] = "x"

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 400
    assert "The request could not be accepted" in response.content.decode()


def test_oversized_post_changes_nothing(manager_client, endpoint, settings):
    data = endpoint_form_data(endpoint, name="Renamed by a huge post")
    data["padding"] = "x" * (4 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    manager_client.post(endpoint.get_absolute_url(), data)

    endpoint.refresh_from_db()
    assert endpoint.name == "Tickets"


def test_import_far_over_limit_rejected(manager_client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "huge.json",
        b"[" + b"0," * (2 * settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES) + b"0]",
        content_type="application/json",
    )

    response = manager_client.post(
        reverse("endpoints:workflow_import"), {"file": upload}
    )

    assert response.status_code == 413
    assert "Traceback" not in response.content.decode()
    assert Workflow.objects.count() == 0
