"""Fixtures shared by the whole suite: users of each role and a workflow."""

import importlib
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse

from endpoints.auth.basic import encode_credential
from endpoints.models import Endpoint, Step, StepUsage, Workflow

pytest_plugins = [
    "tests.support.fixtures",
    "tests.support.oauth",
    "tests.support.fernet",
    "tests.support.live_servers",
    "tests.support.vendors",
]

MANAGERS = "Endpoint managers"
VIEWERS = "Workflow viewers"
TEST_PASSWORD = "correct horse battery staple"


def make_user(username: str, group_name: str | None = None, **fields):
    user = get_user_model().objects.create_user(
        username=username, password=TEST_PASSWORD, **fields
    )
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


# The data migrations that create groups, with the function each runs.
GROUP_MIGRATIONS = [
    ("0002_groups", "create_groups"),
    ("0005_rest_api_user_group", "create_group"),
]


@pytest.fixture(scope="session")
def group_migration_apps(django_db_setup, django_db_blocker):
    """The historical app registry of each group migration, by name."""
    with django_db_blocker.unblock():
        loader = MigrationLoader(connection)
    return {
        name: loader.project_state(("endpoints", name)).apps
        for name, _ in GROUP_MIGRATIONS
    }


def is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def role_groups(request):
    """Create the groups of the data migrations again for transactional tests.

    A transactional test ends with a flush, which keeps no rows; Django
    creates content types and permissions again after it, but not the groups
    that data migrations made, so a later test would find them missing. The
    migrations' own functions run here, with their historical app registry.
    """
    if not is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    apps_by_migration = request.getfixturevalue("group_migration_apps")
    for name, function_name in GROUP_MIGRATIONS:
        module = importlib.import_module(f"endpoints.migrations.{name}")
        getattr(module, function_name)(apps_by_migration[name], None)


@pytest.fixture
def manager(db):
    return make_user("manager", MANAGERS, is_staff=True)


@pytest.fixture
def viewer(db):
    return make_user("viewer", VIEWERS)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="admin", password=TEST_PASSWORD
    )


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def workflow(db):
    return Workflow.objects.create(name="Incidents", description="Test workflow")


def make_basic_endpoint(
    workflow, name="Tickets", username="svc", password="s3cret-pass", **fields
):
    """Create a Basic endpoint as the endpoint form would store it."""
    fields.setdefault("base_url", "https://tickets.example.test/api")
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        auth_type="basic",
        params={"username": username, "preemptive": True},
        secrets={"credential": encode_credential(username, password)},
        **fields,
    )


def make_token_endpoint(workflow, name="Chat", token="tok-123456", **fields):
    """Create a Token endpoint that sends ``Authorization: Bearer <token>``."""
    fields.setdefault("base_url", "https://chat.example.test/api")
    params = fields.pop("params", {"header": "authorization", "prefix": "Bearer"})
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        auth_type="token",
        params=params,
        secrets=fields.pop("secrets", {"token": token}),
        **fields,
    )


def make_custom_header_endpoint(
    workflow,
    name="Pager",
    token="key-123456",
    id_value="",
    header_name="X-Api-Key",
    id_header_name="X-Account",
    **fields,
):
    """Create a Token endpoint that sends the token in a header of its own."""
    fields.setdefault("base_url", "https://pager.example.test/v1")
    params = {"header": "custom", "header_name": header_name}
    secrets = {"token": token}
    if id_value:
        params["id_header_name"] = id_header_name
        secrets["id_value"] = id_value
    return Endpoint.objects.create_with_auth(
        workflow=workflow,
        name=name,
        auth_type="token",
        params=params,
        secrets=secrets,
        **fields,
    )


def make_step(workflow, name="Open ticket", usages=(), kind=Step.Kind.FLOW_STEP):
    """Create a step with a usage for each (endpoint, label) pair."""
    step = Step.objects.create(workflow=workflow, name=name, kind=kind)
    for endpoint, label in usages:
        StepUsage.objects.create(step=step, endpoint=endpoint, label=label)
    return step


def endpoint_form_data(endpoint, **overrides) -> dict:
    """Return the edit form's POST data for an endpoint as it is stored.

    Secret inputs are left blank, which keeps the stored values. Keys in
    ``overrides`` replace or add fields, and a value of None removes one.
    Auth fields carry the ``auth-`` prefix, as in the page.
    """
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "version": str(endpoint.version),
    }
    if endpoint.trust_self_signed:
        data["trust_self_signed"] = "on"
    for name, value in endpoint.auth.params.items():
        if value is True:
            data[f"auth-{name}"] = "on"
        elif value not in (False, None):
            data[f"auth-{name}"] = str(value)
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def error_codes(form, field: str) -> list[str]:
    """Return the codes of the errors that a bound form has on ``field``."""
    return [error.code for error in form.errors.as_data().get(field, [])]


@pytest.fixture
def other_manager(db):
    return make_user("manager2", MANAGERS, is_staff=True)


@pytest.fixture
def endpoint(workflow):
    return make_basic_endpoint(workflow)


@pytest.fixture
def used_endpoint(workflow):
    """A Basic endpoint that the step "Open ticket" uses as ``tickets``."""
    endpoint = make_basic_endpoint(workflow, name="Ticketing")
    make_step(workflow, usages=[(endpoint, "tickets")])
    return endpoint


@pytest.fixture
def builtin(workflow):
    return workflow.endpoints.get(is_builtin=True)


PLANTED_USERNAME = "planted-user-3c9d"
PLANTED_BASIC_PASSWORD = "PLANTED-basic-pw-7f3a"
PLANTED_BEARER_TOKEN = "PLANTED-bearer-token-91be"
PLANTED_HEADER_TOKEN = "PLANTED-header-token-c2d4"
PLANTED_ID_TOKEN = "PLANTED-id-endpoint-token-0a1b"
PLANTED_ID_VALUE = "PLANTED-id-value-5e6f"

# The POST data of the new-endpoint form for one endpoint per secret field.
PLANTED_FORMS = {
    "Planted basic": {
        "auth_type": "basic",
        "auth-username": PLANTED_USERNAME,
        "auth-password_0": PLANTED_BASIC_PASSWORD,
        "auth-preemptive": "on",
    },
    "Planted bearer": {
        "auth_type": "token",
        "auth-header": "authorization",
        "auth-prefix": "Bearer",
        "auth-token_0": PLANTED_BEARER_TOKEN,
    },
    "Planted header": {
        "auth_type": "token",
        "auth-header": "custom",
        "auth-header_name": "X-Api-Key",
        "auth-token_0": PLANTED_HEADER_TOKEN,
    },
    "Planted header with ID": {
        "auth_type": "token",
        "auth-header": "custom",
        "auth-header_name": "X-Api-Key",
        "auth-token_0": PLANTED_ID_TOKEN,
        "auth-id_header_name": "X-Account",
        "auth-id_value_0": PLANTED_ID_VALUE,
    },
}


@dataclass
class Planted:
    workflow: Workflow
    endpoints: dict[str, Endpoint]
    step: Step
    secrets: list[str]

    def find_in(self, text: str | bytes) -> list[str]:
        """Return the planted secrets that occur in ``text``."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        return [secret for secret in self.secrets if secret in text]


@pytest.fixture
def planted(workflow):
    """Create one endpoint per secret field through the console, each with a
    planted value, and a step that uses two of them."""
    creator = Client()
    creator.force_login(make_user("planter", MANAGERS))
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    for index, (name, fields) in enumerate(PLANTED_FORMS.items()):
        base_url = f"https://planted{index}.example.test/api"
        response = creator.post(url, {"name": name, "base_url": base_url, **fields})
        assert response.status_code == 302, response.content
    endpoints = {
        endpoint.name: endpoint
        for endpoint in Endpoint.objects.filter(name__in=PLANTED_FORMS)
    }
    step = make_step(
        workflow,
        name="Planted step",
        usages=[
            (endpoints["Planted basic"], "basic"),
            (endpoints["Planted bearer"], "bearer"),
        ],
    )
    credential = encode_credential(PLANTED_USERNAME, PLANTED_BASIC_PASSWORD)
    secrets = [
        PLANTED_BASIC_PASSWORD,
        credential,
        PLANTED_BEARER_TOKEN,
        PLANTED_HEADER_TOKEN,
        PLANTED_ID_TOKEN,
        PLANTED_ID_VALUE,
    ]
    return Planted(workflow=workflow, endpoints=endpoints, step=step, secrets=secrets)
