"""The JSON API: permissions per role, 401 and 403, pages, the description."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate

from endpoints.api import urls as api_urls
from endpoints.api.credentials import issue_user_credential
from endpoints.models import ApiToken, AuthConfig, Endpoint, Step, StepUsage, Workflow
from tests.api_support import (
    DOCUMENT,
    assert_documented,
    make_service_account,
    token_header,
)
from tests.conftest import make_basic_endpoint, make_token_endpoint, make_user

PLANTED_PASSWORD = "planted-api-Pa55-9120"
PLANTED_TOKEN = "planted-api-token-5512"


@pytest.fixture
def service_account(db):
    return make_service_account()


@pytest.fixture
def populated(workflow):
    tickets = make_basic_endpoint(workflow, password=PLANTED_PASSWORD)
    make_token_endpoint(workflow, token=PLANTED_TOKEN)
    Endpoint.objects.create_with_auth(
        workflow=workflow, name="Status", base_url="https://status.test"
    )
    step = Step.objects.create(workflow=workflow, name="Open ticket")
    StepUsage.objects.create(step=step, endpoint=tickets, label="tickets")
    return workflow


def workflow_url(name: str, workflow) -> str:
    return reverse(f"api:workflow_{name}", args=[workflow.pk])


@pytest.mark.parametrize(
    ("role", "resource", "status"),
    [
        ("manager", "workflows", 200),
        ("manager", "endpoints", 200),
        ("manager", "steps", 200),
        ("manager", "users", 200),
        ("viewer", "workflows", 200),
        ("viewer", "endpoints", 200),
        ("viewer", "steps", 200),
        ("viewer", "users", 403),
        ("service", "workflows", 200),
        ("service", "endpoints", 200),
        ("service", "steps", 200),
        ("service", "users", 200),
        ("nobody", "workflows", 403),
        ("nobody", "endpoints", 403),
        ("nobody", "steps", 403),
        ("nobody", "users", 403),
    ],
)
def test_api_permissions_per_role(client, populated, role, resource, status):
    users = {
        "manager": lambda: make_user("m", "Endpoint managers"),
        "viewer": lambda: make_user("v", "Workflow viewers"),
        "service": make_service_account,
        "nobody": lambda: make_user("n"),
    }
    urls = {
        "workflows": reverse("api:workflow_list"),
        "endpoints": workflow_url("endpoints", populated),
        "steps": workflow_url("steps", populated),
        "users": reverse("api:user_list"),
    }
    documented = {
        "workflows": "/workflows/",
        "endpoints": "/workflows/{workflow_id}/endpoints/",
        "steps": "/workflows/{workflow_id}/steps/",
        "users": "/users/",
    }

    response = client.get(urls[resource], **token_header(users[role]()))

    assert response.status_code == status
    assert_documented(response, documented[resource])


def test_api_rejects_missing_token(client, populated):
    response = client.get(reverse("api:workflow_list"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Token realm="Endpoint Console')
    assert "Bearer realm=" in response["WWW-Authenticate"]
    assert response.json()["error"]["code"] == "missing_credentials"
    assert_documented(response, "/workflows/")


def test_api_ignores_session_login(manager_client, populated):
    response = manager_client.get(reverse("api:workflow_list"))

    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Token ect_unknown-key",
        "Bearer ect_unknown-key",
        "Token not-a-console-key",
        "Basic dXNlcjpwYXNz",
        "Token",
        "ect_no-scheme",
    ],
)
def test_api_rejects_bad_header(client, db, header):
    response = client.get(reverse("api:root"), HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_api_rejects_revoked_token(client, viewer):
    token, key = ApiToken.objects.issue(user=viewer, name="ci")
    token.revoke()

    response = client.get(reverse("api:root"), HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_token"
    assert "WWW-Authenticate" in response


def test_api_rejects_expired_token(client, viewer):
    expired = timezone.now() - timedelta(seconds=1)
    headers = token_header(viewer, expires_at=expired)

    response = client.get(reverse("api:root"), **headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "expired_token"


def test_api_accepts_unexpired_token(client, viewer):
    headers = token_header(viewer, expires_at=timezone.now() + timedelta(days=1))

    response = client.get(reverse("api:root"), **headers)

    assert response.status_code == 200


def test_api_rejects_inactive_user(client, viewer):
    headers = token_header(viewer)
    viewer.is_active = False
    viewer.save()

    response = client.get(reverse("api:root"), **headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "inactive_user"


def test_api_accepts_bearer_scheme(client, viewer):
    _, key = ApiToken.objects.issue(user=viewer, name="ci")

    response = client.get(reverse("api:root"), HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "viewer"


def test_api_root_names_caller(client, viewer):
    response = client.get(reverse("api:root"), **token_header(viewer))

    body = assert_documented(response, "/")
    assert body["user"] == {"id": viewer.pk, "username": "viewer"}
    assert body["authenticated_by"] == "token"


def test_api_records_last_use(client, viewer):
    token, key = ApiToken.objects.issue(user=viewer, name="ci")

    client.get(reverse("api:root"), HTTP_AUTHORIZATION=f"Token {key}")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_api_accepts_console_credential(client, viewer):
    credential = issue_user_credential(viewer)

    response = client.get(
        reverse("api:root"), HTTP_AUTHORIZATION=f"Bearer {credential}"
    )

    assert response.json()["authenticated_by"] == "console_user"
    assert response.json()["user"]["id"] == viewer.pk


def test_api_rejects_expired_credential(client, viewer):
    credential = issue_user_credential(viewer, issued_at=0)

    response = client.get(
        reverse("api:root"), HTTP_AUTHORIZATION=f"Bearer {credential}"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "expired_credential"
    assert "WWW-Authenticate" in response


def test_api_rejects_tampered_credential(client, viewer, manager):
    credential = issue_user_credential(viewer)
    payload, _, signature = credential.rpartition(":")
    forged = issue_user_credential(manager).rpartition(":")[0] + ":" + signature

    response = client.get(reverse("api:root"), HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert payload != forged.rpartition(":")[0]
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credential"


def test_workflow_list_content(client, populated, viewer):
    response = client.get(reverse("api:workflow_list"), **token_header(viewer))

    body = assert_documented(response, "/workflows/")
    assert body["count"] == 1
    assert body["results"][0]["name"] == "Incidents"
    assert body["results"][0]["endpoint_count"] == 4
    assert body["results"][0]["step_count"] == 1


def test_workflow_detail_content(client, populated, viewer):
    response = client.get(workflow_url("detail", populated), **token_header(viewer))

    body = assert_documented(response, "/workflows/{workflow_id}/")
    assert body["id"] == populated.pk
    assert body["endpoints_url"].endswith(workflow_url("endpoints", populated))


def test_workflow_detail_not_found(client, viewer):
    url = reverse("api:workflow_detail", args=[999])

    response = client.get(url, **token_header(viewer))

    assert response.status_code == 404
    assert_documented(response, "/workflows/{workflow_id}/")


def test_endpoints_show_no_secrets(client, populated, viewer):
    response = client.get(workflow_url("endpoints", populated), **token_header(viewer))

    assert PLANTED_PASSWORD not in response.text
    assert PLANTED_TOKEN not in response.text
    assert "credential" not in response.text
    assert "svc" not in response.text


def test_endpoints_content(client, populated, viewer):
    response = client.get(workflow_url("endpoints", populated), **token_header(viewer))

    body = assert_documented(response, "/workflows/{workflow_id}/endpoints/")
    by_name = {item["name"]: item for item in body["results"]}
    assert list(by_name) == ["Console", "Chat", "Status", "Tickets"]
    assert by_name["Console"]["base_url"] == "http://127.0.0.1:8000/api"
    assert by_name["Console"]["auth_type"] == "console"
    assert by_name["Tickets"]["auth_type"] == "basic"
    assert by_name["Tickets"]["connected"] is True
    assert by_name["Tickets"]["usage_count"] == 1
    assert by_name["Status"]["auth_type_label"] == "No Authorization"


def test_endpoint_awaiting_is_not_connected(client, populated, viewer):
    AuthConfig.objects.filter(endpoint__name="Status").update(
        awaiting_configuration=True
    )

    response = client.get(workflow_url("endpoints", populated), **token_header(viewer))

    status = next(i for i in response.json()["results"] if i["name"] == "Status")
    assert status["awaiting_configuration"] is True
    assert status["connected"] is False


def test_endpoint_without_secret_not_connected(client, workflow, viewer):
    make_token_endpoint(workflow, secrets={})

    response = client.get(workflow_url("endpoints", workflow), **token_header(viewer))

    chat = next(i for i in response.json()["results"] if i["name"] == "Chat")
    assert chat["connected"] is False


def test_endpoints_search(client, populated, viewer):
    url = workflow_url("endpoints", populated) + "?q=status.test"

    response = client.get(url, **token_header(viewer))

    assert [item["name"] for item in response.json()["results"]] == ["Status"]


@pytest.mark.parametrize("query", ["%00", "status%00.test", "%1F%7F"])
def test_endpoints_search_ignores_control_characters(client, populated, viewer, query):
    url = workflow_url("endpoints", populated) + f"?q={query}"

    response = client.get(url, **token_header(viewer))

    assert response.status_code == 200
    assert "Status" in [item["name"] for item in response.json()["results"]]


@pytest.mark.parametrize("query", ["ärger", "ÄRGER", "STRASSE", "straße"])
def test_endpoints_search_any_letter_case(client, populated, viewer, query):
    Endpoint.objects.create_with_auth(
        workflow=populated, name="Ärger Straße", base_url="https://aerger.test"
    )
    url = workflow_url("endpoints", populated) + "?" + urlencode({"q": query})

    response = client.get(url, **token_header(viewer))

    assert [item["name"] for item in response.json()["results"]] == ["Ärger Straße"]


def test_workflow_search_any_letter_case(client, populated, viewer):
    Workflow.objects.create(name="Übergabe")
    url = reverse("api:workflow_list") + "?" + urlencode({"q": "übergabe"})

    response = client.get(url, **token_header(viewer))

    assert [item["name"] for item in response.json()["results"]] == ["Übergabe"]


def test_workflow_search_ignores_nul(client, populated, viewer):
    url = reverse("api:workflow_list") + "?q=Inci%00dents"

    response = client.get(url, **token_header(viewer))

    assert response.status_code == 200
    assert [item["name"] for item in response.json()["results"]] == ["Incidents"]


def test_user_search_ignores_nul(client, manager):
    make_user("alice")

    response = client.get(
        reverse("api:user_list") + "?q=ali%00ce", **token_header(manager)
    )

    assert response.status_code == 200
    assert [user["username"] for user in response.json()["results"]] == ["alice"]


def test_steps_content(client, populated, viewer):
    response = client.get(workflow_url("steps", populated), **token_header(viewer))

    body = assert_documented(response, "/workflows/{workflow_id}/steps/")
    step = body["results"][0]
    assert step["name"] == "Open ticket"
    assert step["kind"] == "flow_step"
    assert step["usages"][0]["label"] == "tickets"
    assert step["usages"][0]["endpoint_name"] == "Tickets"


def test_steps_query_count(client, populated, viewer, django_assert_max_num_queries):
    for index in range(10):
        step = Step.objects.create(workflow=populated, name=f"Step {index}")
        StepUsage.objects.create(
            step=step, endpoint=populated.endpoints.get(name="Chat"), label="chat"
        )
    headers = token_header(viewer)

    with django_assert_max_num_queries(10):
        response = client.get(workflow_url("steps", populated), **headers)

    assert response.json()["count"] == 11


def test_endpoints_query_count(
    client, populated, viewer, django_assert_max_num_queries
):
    for index in range(10):
        make_token_endpoint(populated, name=f"Chat {index}")
    headers = token_header(viewer)

    with django_assert_max_num_queries(10):
        response = client.get(workflow_url("endpoints", populated), **headers)

    assert response.json()["count"] == 14


def test_user_search(client, manager, viewer):
    make_user("alice", first_name="Alice", last_name="Oncall", email="a@example.test")
    make_user("bob", first_name="Bob")

    response = client.get(
        reverse("api:user_list") + "?q=oncall", **token_header(manager)
    )

    body = assert_documented(response, "/users/")
    assert [user["username"] for user in body["results"]] == ["alice"]
    assert body["results"][0]["email"] == "a@example.test"
    assert "password" not in response.text


def test_user_search_skips_inactive(client, manager):
    make_user("carol", is_active=False)

    response = client.get(
        reverse("api:user_list") + "?q=carol", **token_header(manager)
    )

    assert response.json()["count"] == 0


def test_user_search_query_too_long(client, manager):
    url = reverse("api:user_list") + "?q=" + "x" * 101

    response = client.get(url, **token_header(manager))

    assert response.status_code == 400
    assert_documented(response, "/users/")


def test_pagination_links(client, manager):
    for index in range(5):
        make_user(f"user{index}")
    headers = token_header(manager)
    url = reverse("api:user_list") + "?page_size=2&q=user"

    first = client.get(url, **headers).json()
    second = client.get(first["next"], **headers).json()

    assert first["count"] == 5
    assert first["previous"] is None
    assert [user["username"] for user in second["results"]] == ["user2", "user3"]
    assert second["previous"].startswith("http://testserver/api/users/?")


@pytest.mark.parametrize(
    "query", ["page=0", "page=x", "page_size=101", "page_size=0", "page=²"]
)
def test_pagination_rejects_bad_parameter(client, manager, query):
    response = client.get(
        reverse("api:user_list") + "?" + query, **token_header(manager)
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_pagination_past_last_page(client, manager):
    url = reverse("api:user_list") + "?page=9"

    response = client.get(url, **token_header(manager))

    assert response.status_code == 404
    assert_documented(response, "/users/")


def test_api_is_read_only(client, viewer):
    response = client.post(reverse("api:workflow_list"), {}, **token_header(viewer))

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert Workflow.objects.count() == 0


def test_api_unknown_path_json_404(client, db):
    response = client.get("/api/nothing/here/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_responses_not_cached(client, viewer):
    response = client.get(reverse("api:root"), **token_header(viewer))

    assert response["Cache-Control"] == "private, no-store"
    assert "Authorization" in response["Vary"]


def test_openapi_served_without_token(client, db):
    response = client.get(reverse("api:openapi"))

    assert response.status_code == 200
    assert response.json()["servers"] == [{"url": "http://testserver/api"}]


def test_openapi_document_is_valid():
    validate(DOCUMENT)


def test_openapi_lists_every_api_path():
    routes = set()
    for pattern in api_urls.urlpatterns:
        route = str(pattern.pattern)
        if pattern.name in ("openapi", "not_found"):
            continue
        routes.add("/" + re.sub(r"<int:pk>", "{workflow_id}", route))

    assert routes == set(DOCUMENT["paths"])
