"""Two console servers on one database behave as one console.

Each server is a gunicorn master with two workers in processes of its own
(tests/support/live_servers.py). Nothing in process memory is shared
between them, so sessions, the login throttle, the cache and the state of a
Connect must live in the database. Runs on SQLite and on PostgreSQL,
whichever the suite uses.
"""

import html
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from endpoints.models import LoginFailure, OAuthState, Workflow
from tests.conftest import MANAGERS, TEST_PASSWORD
from tests.support.live_servers import ConsoleClient, make_live_user
from tests.support.oauth import consent, make_code_endpoint

PROVIDER_LINK_RE = re.compile(r'id="provider-link" href="([^"]+)"')


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


def start_connect_on(server, client, endpoint) -> str:
    """Press Connect on one server and return the provider's URL."""
    page_url = server.url + endpoint.get_absolute_url()
    connect_url = server.url + reverse("endpoints:endpoint_connect", args=[endpoint.pk])
    started = client.post_form(connect_url, {"popup": "0"}, page_url=page_url)
    assert started.status_code == 200, started.text
    match = PROVIDER_LINK_RE.search(started.text)
    assert match, started.text
    return html.unescape(match.group(1))


def deliver_callback(server, client, query: dict[str, str]):
    """Send the provider's redirect to one server, as a load balancer would.

    The redirect URL names the public address, CONSOLE_BASE_URL, which is
    the same for both servers, and the balancer picks the server.
    """
    callback_url = server.url + reverse("endpoints:oauth_callback")
    return client.get(f"{callback_url}?{urlencode(query)}")


@pytest.fixture
def crm(transactional_db, provider):
    workflow = Workflow.objects.create(name="Shared state")
    return make_code_endpoint(workflow, provider)


def test_connect_callback_lands_on_other_server(
    servers, client, live_manager, provider, crm
):
    first, second = servers
    client.sign_in(first.url, "live-manager")

    authorize_url = start_connect_on(first, client, crm)
    query = consent(authorize_url)
    finished = deliver_callback(second, client, query)

    crm.auth.refresh_from_db()
    code_grants = [
        request
        for request in provider.token_requests
        if request["form"].get("grant_type") == "authorization_code"
    ]
    assert finished.status_code == 302
    assert finished.headers["location"] == crm.get_absolute_url()
    assert crm.auth.connected_by_id == live_manager.pk
    assert crm.auth.access_token
    assert crm.auth.refresh_token
    assert len(code_grants) == 1
    assert OAuthState.objects.get(endpoint=crm).used_at is not None


def test_state_used_on_one_server_rejected_on_other(
    servers, client, live_manager, provider, crm
):
    first, second = servers
    client.sign_in(first.url, "live-manager")
    query = consent(start_connect_on(first, client, crm))
    deliver_callback(second, client, query)
    crm.auth.refresh_from_db()
    tokens_after_first = (crm.auth.access_token, crm.auth.refresh_token)

    replayed = deliver_callback(first, client, query)

    crm.auth.refresh_from_db()
    assert replayed.status_code == 400
    assert (crm.auth.access_token, crm.auth.refresh_token) == tokens_after_first
