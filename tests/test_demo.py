"""The demo command: logins, group membership and the demo workflow."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from console import envfile
from endpoints.management.commands.demo import DEMO_WORKFLOW
from endpoints.models import Endpoint, Step, StepUsage, Workflow

LOGIN_LINE = re.compile(r"^\s+(\w+)\s+user (\w+)\s+password (\S+)$", re.MULTILINE)


def run_demo(*args) -> str:
    output = StringIO()
    call_command("demo", *args, stdout=output)
    return output.getvalue()


def printed_logins(output: str) -> dict[str, str]:
    """Return {username: password} from the command's output."""
    return {user: password for _, user, password in LOGIN_LINE.findall(output)}


@pytest.fixture
def demo_output(db):
    return run_demo()


def test_demo_creates_users(demo_output):
    users = get_user_model().objects.filter(username__in=["manager", "viewer"])

    assert sorted(users.values_list("username", flat=True)) == ["manager", "viewer"]


def test_demo_puts_users_in_groups(demo_output):
    User = get_user_model()

    manager_groups = User.objects.get(username="manager").groups
    viewer_groups = User.objects.get(username="viewer").groups

    assert list(manager_groups.values_list("name", flat=True)) == ["Endpoint managers"]
    assert list(viewer_groups.values_list("name", flat=True)) == ["Workflow viewers"]


def test_demo_manager_is_staff_only(demo_output):
    User = get_user_model()

    assert User.objects.get(username="manager").is_staff is True
    assert User.objects.get(username="manager").is_superuser is False
    assert User.objects.get(username="viewer").is_staff is False


def test_demo_manager_may_change(demo_output):
    manager = get_user_model().objects.get(username="manager")
    viewer = get_user_model().objects.get(username="viewer")

    assert manager.has_perm("endpoints.change_endpoint")
    assert not viewer.has_perm("endpoints.change_endpoint")
    assert viewer.has_perm("endpoints.view_endpoint")


def test_demo_prints_how_to_log_in(demo_output):
    assert "Sign in at http://127.0.0.1:8000/" in demo_output
    assert sorted(printed_logins(demo_output)) == ["manager", "viewer"]


def test_demo_prints_given_port(db):
    output = run_demo("--port", "8001")

    assert "Sign in at http://127.0.0.1:8001/" in output


def test_demo_warns_of_other_base_url(db):
    output = run_demo("--port", "8001")

    assert (
        "CONSOLE_BASE_URL is http://127.0.0.1:8000, not http://127.0.0.1:8001. "
        "Set CONSOLE_BASE_URL=http://127.0.0.1:8001 in .env"
    ) in output


def test_demo_on_base_url_port_no_warning(demo_output):
    assert "CONSOLE_BASE_URL" not in demo_output


def test_envfile_writes_given_port(monkeypatch, tmp_path):
    env_path = tmp_path / ".env"
    monkeypatch.setattr(envfile, "ENV_PATH", env_path)

    assert envfile.main(["--port", "8001"]) == 0

    lines = env_path.read_text().splitlines()
    assert "CONSOLE_BASE_URL=http://127.0.0.1:8001" in lines
    assert "DEBUG=on" in lines


def test_envfile_defaults_to_port_8000(monkeypatch, tmp_path):
    env_path = tmp_path / ".env"
    monkeypatch.setattr(envfile, "ENV_PATH", env_path)

    envfile.main([])

    assert "CONSOLE_BASE_URL=http://127.0.0.1:8000" in env_path.read_text()


def test_envfile_keeps_existing_file(monkeypatch, tmp_path):
    env_path = tmp_path / ".env"
    env_path.write_text("CONSOLE_BASE_URL=http://127.0.0.1:9000\n")
    monkeypatch.setattr(envfile, "ENV_PATH", env_path)

    envfile.main(["--port", "8001"])

    assert env_path.read_text() == "CONSOLE_BASE_URL=http://127.0.0.1:9000\n"


def test_demo_printed_passwords_work(demo_output):
    for username, password in printed_logins(demo_output).items():
        assert authenticate(username=username, password=password) is not None


def test_demo_creates_workflow(demo_output):
    workflow = Workflow.objects.get(name=DEMO_WORKFLOW)

    names = sorted(workflow.endpoints.values_list("name", flat=True))

    assert names == [
        "Asset inventory",
        "Bridge meetings",
        "CRM",
        "Chat webhook",
        "Console",
        "Meetings",
        "Paging API",
        "Remedy incidents",
        "Sales CRM",
        "Service desk",
        "Status page",
        "Team chat",
        "Team chat (old app)",
        "Ticketing",
    ]
    assert workflow.steps.count() == 8
    assert StepUsage.objects.filter(step__workflow=workflow).count() == 14


def test_demo_endpoints_have_their_types(demo_output):
    workflow = Workflow.objects.get(name=DEMO_WORKFLOW)

    types = dict(workflow.endpoints.values_list("name", "auth__auth_type"))

    assert types == {
        "Console": "console",
        "Status page": "none",
        "Ticketing": "basic",
        "Chat webhook": "token",
        "Paging API": "token",
        "Asset inventory": "oauth2_password",
        "CRM": "oauth2_authorization_code",
        "Team chat": "slack",
        "Team chat (old app)": "slack_legacy",
        "Meetings": "microsoft_graph",
        "Sales CRM": "salesforce",
        "Service desk": "servicenow",
        "Remedy incidents": "remedy",
        "Bridge meetings": "zoom",
    }


def test_demo_basic_stores_credential_only(demo_output):
    ticketing = Endpoint.objects.get(name="Ticketing")

    assert set(ticketing.auth.stored_secrets()) == {"credential"}


def test_demo_is_idempotent(demo_output):
    counts = (Workflow.objects.count(), Endpoint.objects.count(), Step.objects.count())

    second_output = run_demo()

    assert (
        Workflow.objects.count(),
        Endpoint.objects.count(),
        Step.objects.count(),
    ) == counts
    assert get_user_model().objects.count() == 2
    assert "Created the workflow" not in second_output


def test_demo_rerun_prints_new_passwords(demo_output):
    second = printed_logins(run_demo())

    assert authenticate(username="manager", password=second["manager"]) is not None
    assert second["manager"] != printed_logins(demo_output)["manager"]


def test_demo_keeps_changed_workflow(demo_output):
    ticketing = Endpoint.objects.get(name="Ticketing")
    ticketing.base_url = "https://tickets.example.test/changed"
    ticketing.save()

    run_demo()

    ticketing.refresh_from_db()
    assert ticketing.base_url == "https://tickets.example.test/changed"


def test_demo_reset_recreates_workflow(demo_output):
    Endpoint.objects.filter(name="Status page").update(
        base_url="https://status.example.test/changed"
    )

    run_demo("--reset")

    assert Workflow.objects.filter(name=DEMO_WORKFLOW).count() == 1
    assert Endpoint.objects.get(name="Status page").base_url == (
        "https://status.example.test/api/v2"
    )


def test_demo_pages_open(client, demo_output):
    password = printed_logins(demo_output)["viewer"]
    client.login(username="viewer", password=password)
    workflow = Workflow.objects.get(name=DEMO_WORKFLOW)

    response = client.get(workflow.get_absolute_url())

    assert response.status_code == 200


def test_demo_oauth_endpoints_use_fake_provider(demo_output, settings):
    provider = f"http://127.0.0.1:{settings.DEMO_OAUTH_PROVIDER_PORT}"

    crm = Endpoint.objects.get(name="CRM")

    assert crm.auth.params["authorization_url"] == f"{provider}/authorize"
    assert crm.auth.params["token_url"] == f"{provider}/token"
    assert "offline_access" in crm.auth.params["scope"]
    assert crm.auth.type.is_connected() is False


def test_demo_password_endpoint_gets_token(db, settings):
    from endpoints.runtime import send
    from endpoints.testing.fake_oauth import (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_PASSWORD,
        DEMO_USERNAME,
        FakeOAuthProvider,
    )

    provider = FakeOAuthProvider()
    provider.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    provider.add_user(DEMO_USERNAME, DEMO_PASSWORD)
    provider.start()
    settings.DEMO_OAUTH_PROVIDER_PORT = provider.port
    try:
        run_demo()

        response = send(DEMO_WORKFLOW, "Asset inventory", "GET", "/me")
    finally:
        provider.stop()

    assert response.status_code == 200
    assert response.json()["user"] == DEMO_USERNAME
