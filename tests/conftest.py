"""Fixtures shared by the whole suite: users of each role and a workflow."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from endpoints.auth.basic import encode_credential
from endpoints.models import Endpoint, Workflow

pytest_plugins = ["tests.support.fixtures"]

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
