"""Two console servers on one database behave as one console.

Each server is a gunicorn master with two workers in processes of its own
(tests/support/live_servers.py), so nothing that lives in process memory
is shared between them: sessions, the login throttle and the cache must
live in the database. Runs on SQLite and on PostgreSQL, whichever the suite
uses.
"""

import pytest
from django.urls import reverse

from endpoints.models import LoginFailure
from tests.conftest import MANAGERS, TEST_PASSWORD
from tests.support.live_servers import ConsoleClient, make_live_user

# TODO: add a Connect whose callback lands on the other server, once the
# console has an auth type with Connect. `console_servers` starts the
# servers, and a server on 127.0.0.1 can act as the OAuth provider.


@pytest.fixture
def servers(console_servers):
    return console_servers(2)


@pytest.fixture
def client():
    client = ConsoleClient()
    yield client
    client.close()


@pytest.fixture
def live_manager(transactional_db):
    return make_live_user("live-manager", MANAGERS)


def test_session_from_one_server_works_on_other(servers, client, live_manager):
    first, second = servers

    signed_in = client.sign_in(first.url, "live-manager")
    page = client.get(second.url + reverse("endpoints:workflow_list"))

    assert signed_in.status_code == 302
    assert page.status_code == 200
    assert 'class="account-name">live-manager<' in page.text


def test_sign_out_ends_session_everywhere(servers, client, live_manager):
    first, second = servers
    client.sign_in(first.url, "live-manager")

    client.post_form(
        second.url + reverse("logout"),
        {},
        page_url=second.url + reverse("endpoints:workflow_list"),
    )
    page = client.get(first.url + reverse("endpoints:workflow_list"))

    assert page.status_code == 302
    assert page.headers["location"].startswith(reverse("login"))


def test_throttle_counts_failures_on_both_servers(
    servers, client, live_manager, settings
):
    first, second = servers
    limit = settings.LOGIN_FAILURE_LIMIT

    failures = [
        client.sign_in(servers[index % 2].url, "live-manager", "wrong password")
        for index in range(limit)
    ]
    with_right_password = client.sign_in(second.url, "live-manager", TEST_PASSWORD)
    on_first_server = client.sign_in(first.url, "live-manager", TEST_PASSWORD)

    assert [response.status_code for response in failures] == [200] * limit
    assert with_right_password.status_code == 429
    assert on_first_server.status_code == 429
    assert "Too many failed sign-ins for this username" in on_first_server.text
    assert LoginFailure.objects.count() == limit
