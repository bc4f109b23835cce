"""Bulk seeding of the benchmark's workflows, users and runtime endpoints."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from endpoints.models import AuthConfig, Endpoint, Step, StepUsage, Workflow
from endpoints.validators import name_key

# One in SEARCH_EVERY endpoints has SEARCH_TERM in its base URL, so a
# search for it matches endpoint_count / SEARCH_EVERY endpoints.
SEARCH_TERM = "billing"
SEARCH_EVERY = 20
USAGES_PER_STEP = 10


@dataclass(frozen=True)
class Seeded:
    workflow: Workflow
    endpoint_count: int
    usage_count: int


def seed_workflow(name: str, endpoint_count: int, usages_per_endpoint: int) -> Seeded:
    """Create a workflow with Token endpoints and steps, in bulk.

    The built-in Console endpoint counts as one of ``endpoint_count``. Each
    step uses `USAGES_PER_STEP` different endpoints, so every endpoint has
    about ``usages_per_endpoint`` usages.
    """
    with transaction.atomic():
        workflow = Workflow.objects.create(name=name, description="Benchmark data")
        endpoints = Endpoint.objects.bulk_create(
            Endpoint(
                workflow=workflow,
                name=f"Service {index:04d}",
                name_key=name_key(f"Service {index:04d}"),
                base_url=_base_url(index),
            )
            for index in range(1, endpoint_count)
        )
        AuthConfig.objects.bulk_create(
            AuthConfig(
                endpoint=endpoint,
                auth_type="token",
                params={"header": "authorization", "prefix": "Bearer"},
                secrets={"token": "bench-" + secrets.token_urlsafe(24)},
            )
            for endpoint in endpoints
        )
        endpoints.insert(0, workflow.endpoints.get(is_builtin=True))

        usage_count = endpoint_count * usages_per_endpoint
        step_count = usage_count // USAGES_PER_STEP
        steps = Step.objects.bulk_create(
            Step(
                workflow=workflow,
                name=f"Step {index:05d}",
                name_key=name_key(f"Step {index:05d}"),
            )
            for index in range(step_count)
        )
        StepUsage.objects.bulk_create(
            (
                StepUsage(
                    step=step,
                    endpoint=endpoints[(index + offset) % endpoint_count],
                    label=f"label{offset}",
                )
                for index, step in enumerate(steps)
                for offset in range(USAGES_PER_STEP)
            ),
            batch_size=2000,
        )
    return Seeded(workflow, endpoint_count, step_count * USAGES_PER_STEP)


def _base_url(index: int) -> str:
    if index % SEARCH_EVERY == 1:
        return f"https://{SEARCH_TERM}-{index:04d}.example.test/api"
    return f"https://svc-{index:04d}.example.test/api"


def seed_users():
    """Create a manager and a superuser; return both."""
    users = get_user_model().objects
    manager = users.create_user("bench-manager", is_staff=True)
    manager.groups.add(Group.objects.get(name="Endpoint managers"))
    admin = users.create_superuser("bench-admin", password=None)
    return manager, admin


def seed_runtime_endpoints(base_url: str) -> Workflow:
    """Create a Token and an OAuth endpoint with a valid token at base_url."""
    workflow = Workflow.objects.create(name="Benchmark runtime")
    Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="loopback-token",
        base_url=base_url,
        auth_type="token",
        params={"header": "authorization", "prefix": "Bearer"},
        secrets={"token": "bench-" + secrets.token_urlsafe(24)},
    )
    oauth = Endpoint.objects.create_with_auth(
        workflow=workflow,
        name="loopback-oauth",
        base_url=base_url,
        auth_type="oauth2_authorization_code",
        params={
            # Never contacted: the stored token stays valid for the run.
            "authorization_url": "http://127.0.0.1:9/authorize",
            "token_url": "http://127.0.0.1:9/token",
            "client_id": "bench-client",
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "read",
            "token_prefix": "Bearer",
            "expired_status": 401,
        },
        secrets={"client_secret": "bench-" + secrets.token_urlsafe(24)},
    )
    config = oauth.auth
    config.access_token = "bench-access-" + secrets.token_urlsafe(24)
    config.refresh_token = "bench-refresh-" + secrets.token_urlsafe(24)
    config.token_expires_at = timezone.now() + timedelta(hours=2)
    config.connected_at = timezone.now()
    config.save()
    return workflow
