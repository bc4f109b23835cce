"""The demo's vendor endpoints, working against the vendor fakes."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from endpoints.models import AuthConfig, Endpoint
from endpoints.runtime import send
from endpoints.testing.fake_microsoft import (
    DEMO_MICROSOFT_CLIENT_ID,
    DEMO_MICROSOFT_CLIENT_SECRET,
    DEMO_MICROSOFT_TENANT,
)
from endpoints.testing.fake_oauth import FakeOAuthProvider
from endpoints.testing.fake_slack import DEMO_SLACK_CLIENT_ID, DEMO_SLACK_CLIENT_SECRET
from tests.support.vendors import connect

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def makefile_values() -> dict[str, str]:
    """Return the NAME=value pairs of the Makefile's DEMO_VENDOR_ENV."""
    text = MAKEFILE.read_text()
    block = text[text.index("DEMO_VENDOR_ENV :=") : text.index("DEMO_ENV :=")]
    return dict(re.findall(r"([A-Z_]+)=(\S+)", block))


@pytest.fixture
def demo_fakes(settings):
    """The fake provider on a free port, with settings as make demo sets."""
    fake = FakeOAuthProvider()
    for vendor in fake.vendors.values():
        vendor.seed_demo()
    fake.start()
    values = makefile_values()
    base = f"http://127.0.0.1:{fake.port}"
    settings.DEMO_OAUTH_PROVIDER_PORT = fake.port
    for name, value in values.items():
        if name != "DEMO_OAUTH_PROVIDER_PORT":
            setattr(settings, name, value.replace("$(DEMO_FAKES)", base))
    yield fake
    fake.stop()


def run_demo() -> str:
    output = StringIO()
    call_command("demo", stdout=output)
    return output.getvalue()


def test_makefile_uses_fake_demo_apps():
    values = makefile_values()

    assert values["SLACK_CLIENT_ID"] == DEMO_SLACK_CLIENT_ID
    assert values["SLACK_CLIENT_SECRET"] == DEMO_SLACK_CLIENT_SECRET
    assert values["MICROSOFT_CLIENT_ID"] == DEMO_MICROSOFT_CLIENT_ID
    assert values["MICROSOFT_CLIENT_SECRET"] == DEMO_MICROSOFT_CLIENT_SECRET
    assert values["MICROSOFT_TENANT"] == DEMO_MICROSOFT_TENANT


def test_demo_creates_vendor_endpoints(db, demo_fakes):
    output = run_demo()

    types = dict(Endpoint.objects.values_list("name", "auth__auth_type"))
    assert types["Team chat"] == "slack"
    assert types["Team chat (old app)"] == "slack_legacy"
    assert types["Meetings"] == "microsoft_graph"
    meetings = Endpoint.objects.get(name="Meetings")
    assert meetings.base_url == demo_fakes.url("/microsoft/graph")
    assert "do not point at the fakes" not in output


def test_demo_warns_without_vendor_settings(db, settings):
    settings.SLACK_API_URL = "https://slack.com/api"

    output = run_demo()

    assert "SLACK_API_URL" in output
    assert "do not point at the fakes" in output


def test_demo_warns_of_real_zoom_url(db, settings):
    settings.ZOOM_TOKEN_URL = "https://zoom.us/oauth/token"

    output = run_demo()

    assert "ZOOM_TOKEN_URL" in output
    assert "Bridge meetings cannot work" in output


def test_demo_vendor_endpoints_connect(db, demo_fakes, client, django_user_model):
    run_demo()
    manager = django_user_model.objects.get(username="manager")
    client.force_login(manager)
    workflow = Endpoint.objects.get(name="Team chat").workflow

    for name in ("Team chat", "Team chat (old app)", "Meetings"):
        endpoint = Endpoint.objects.get(name=name)
        response, _ = connect(client, endpoint)
        assert response.status_code == 302, (name, response.content)
        assert AuthConfig.objects.get(pk=endpoint.pk).access_token, name

    slack = send(workflow, "Team chat", "POST", "/auth.test", raise_api_errors=True)
    graph = send(workflow, "Meetings", "GET", "/v1.0/me")
    assert slack.json()["ok"] is True
    assert graph.status_code == 200


LOGIN_VENDOR_REQUESTS = {
    "Sales CRM": "/services/data/v60.0/limits",
    "Service desk": "/api/now/table/incident?sysparm_limit=1",
    "Remedy incidents": "/api/arsys/v1/entry/HPD:Help%20Desk",
    "Bridge meetings": "/users/me",
}


@pytest.mark.parametrize("name", sorted(LOGIN_VENDOR_REQUESTS))
def test_demo_login_vendor_endpoint_works(db, demo_fakes, name):
    run_demo()
    workflow = Endpoint.objects.get(name=name).workflow

    response = send(workflow, name, "GET", LOGIN_VENDOR_REQUESTS[name])

    assert response.status_code == 200, response.text
