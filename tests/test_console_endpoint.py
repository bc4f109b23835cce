"""The built-in Console endpoint calling the console's API as the acting user.

The console runs in a live test server; requests go over a real socket
with the ConsoleUser auth type's httpx2 auth flow.
"""

import httpx2
import pytest

from endpoints.api.credentials import issue_user_credential
from endpoints.auth.console import ConsoleUser, ConsoleUserAuth
from endpoints.models import Workflow
from endpoints.runtime import send
from endpoints.runtime.errors import AuthenticationError
from tests.api_support import make_service_account
from tests.conftest import make_basic_endpoint, make_user

# Transactional, so that the live server's thread reads the test's data. The
# role_groups fixture creates the groups again; a serialized rollback as
# well failed on the content types that a flush before it had made again.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def console(live_server, settings):
    """A workflow whose built-in endpoint targets the live server's API."""
    settings.CONSOLE_BASE_URL = live_server.url
    workflow = Workflow.objects.create(name="Incidents")
    make_basic_endpoint(workflow, password="planted-live-Pa55-3344")
    return workflow.endpoints.select_related("auth").get(is_builtin=True)


def call_as(endpoint, user, path: str) -> httpx2.Response:
    auth = endpoint.auth.type.build_auth_for(user)
    with httpx2.Client(auth=auth, timeout=10) as client:
        return client.get(endpoint.target_url + path)


def test_builtin_endpoint_targets_live_api(console, live_server):
    assert console.target_url == f"{live_server.url}/api"
    assert isinstance(console.auth.type, ConsoleUser)


def test_viewer_acts_as_viewer(console):
    viewer = make_user("viewer", "Workflow viewers")

    response = call_as(console, viewer, "/")

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "viewer"
    assert response.json()["authenticated_by"] == "console_user"


def test_viewer_sees_workflows(console):
    viewer = make_user("viewer", "Workflow viewers")

    response = call_as(console, viewer, f"/workflows/{console.workflow_id}/endpoints/")

    names = [endpoint["name"] for endpoint in response.json()["results"]]
    assert response.status_code == 200
    assert names == ["Console", "Tickets"]
    assert "planted-live-Pa55-3344" not in response.text


def test_viewer_cannot_search_users(console):
    viewer = make_user("viewer", "Workflow viewers")

    response = call_as(console, viewer, "/users/")

    assert response.status_code == 403


def test_manager_can_search_users(console):
    manager = make_user("manager", "Endpoint managers")

    response = call_as(console, manager, "/users/?q=manager")

    assert response.status_code == 200
    assert [user["username"] for user in response.json()["results"]] == ["manager"]


def test_service_account_has_api_access(console):
    service = make_service_account()

    workflows = call_as(console, service, "/workflows/")
    steps = call_as(console, service, f"/workflows/{console.workflow_id}/steps/")
    users = call_as(console, service, "/users/")

    assert workflows.status_code == 200
    assert workflows.json()["results"][0]["name"] == "Incidents"
    assert steps.status_code == 200
    assert users.status_code == 200


def test_user_without_rights_forbidden(console):
    outsider = make_user("outsider")

    response = call_as(console, outsider, "/workflows/")

    assert response.status_code == 403


def test_expired_credential_rejected(console):
    viewer = make_user("viewer", "Workflow viewers")
    expired = issue_user_credential(viewer, issued_at=0)

    response = httpx2.get(
        console.target_url + "/",
        headers={"Authorization": f"Bearer {expired}"},
        timeout=10,
    )

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_tampered_credential_rejected(console):
    viewer = make_user("viewer", "Workflow viewers")
    credential = issue_user_credential(viewer)
    tampered = credential[:-2] + ("A" if credential[-2] != "A" else "B") + "x"

    response = httpx2.get(
        console.target_url + "/",
        headers={"Authorization": f"Bearer {tampered}"},
        timeout=10,
    )

    assert response.status_code == 401


def test_build_auth_without_acting_user_fails(console):
    with pytest.raises(AuthenticationError, match="acting_user"):
        console.auth.type.build_auth()


def test_runtime_sends_as_acting_user(console):
    viewer = make_user("viewer", "Workflow viewers")

    response = send(console.workflow, "Console", "GET", "/", acting_user=viewer)

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "viewer"
    assert response.json()["authenticated_by"] == "console_user"


def test_runtime_without_acting_user_fails(console):
    with pytest.raises(AuthenticationError, match="acting_user"):
        send(console.workflow, "Console", "GET", "/")


def test_credential_for_needs_user(console):
    with pytest.raises(ValueError, match="saved user"):
        console.auth.type.credential_for(None)


def test_auth_flow_sets_fresh_header(console):
    viewer = make_user("viewer", "Workflow viewers")
    auth = ConsoleUserAuth(viewer)
    request = httpx2.Request("GET", console.target_url + "/")

    sent = next(auth.auth_flow(request))

    assert sent.headers["Authorization"].startswith("Bearer ecu_")
    assert "viewer" not in repr(auth)
