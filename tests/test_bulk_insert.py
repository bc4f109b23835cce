"""insert_rows: many rows in one statement, read back through the ORM."""

import pytest
from django.db import connection
from django.utils import timezone

from endpoints.bulk_insert import insert_rows
from endpoints.models import AuthConfig, Endpoint, Step

pytestmark = pytest.mark.django_db


def raw_column(table: str, column: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
        return [bytes(row[0]) for row in cursor.fetchall()]


def insert_endpoints(workflow, names: list[str]) -> dict[str, int]:
    insert_rows(
        Endpoint,
        [
            {"name": name, "name_key": name.lower(), "base_url": f"https://{name}.test"}
            for name in names
        ],
        shared={"workflow_id": workflow.pk},
    )
    return dict(
        Endpoint.objects.filter(workflow=workflow, is_builtin=False).values_list(
            "name", "pk"
        )
    )


def test_rows_get_their_values_and_defaults(workflow):
    before = timezone.now()

    ids = insert_endpoints(workflow, ["alpha", "beta"])

    alpha = Endpoint.objects.get(pk=ids["alpha"])
    assert alpha.base_url == "https://alpha.test"
    assert alpha.workflow_id == workflow.pk
    assert alpha.version == 1
    assert alpha.trust_self_signed is False
    assert alpha.pinned_certificate_pem == ""
    assert alpha.created_at >= before
    assert alpha.updated_at >= before
    assert sorted(ids) == ["alpha", "beta"]


def test_shared_values_apply_to_every_row(workflow):
    insert_rows(
        Step,
        [{"name": f"Step {index}", "name_key": f"step {index}"} for index in range(3)],
        shared={"workflow_id": workflow.pk, "kind": Step.Kind.INTEGRATION_SCRIPT},
    )

    kinds = set(Step.objects.filter(workflow=workflow).values_list("kind", flat=True))
    assert kinds == {Step.Kind.INTEGRATION_SCRIPT}
    assert Step.objects.filter(workflow=workflow).count() == 3


def test_encrypted_defaults_get_a_token_each(workflow):
    ids = insert_endpoints(workflow, ["alpha", "beta", "gamma"])

    insert_rows(
        AuthConfig,
        [{"endpoint_id": endpoint_id} for endpoint_id in ids.values()],
        shared={"auth_type": "none", "awaiting_configuration": True},
    )

    configs = AuthConfig.objects.filter(endpoint_id__in=ids.values())
    assert [config.secrets for config in configs] == [{}, {}, {}]
    assert [config.access_token for config in configs] == ["", "", ""]
    assert all(config.awaiting_configuration for config in configs)
    tokens = raw_column(AuthConfig._meta.db_table, "secrets")
    assert len(set(tokens)) == len(tokens)


def test_no_rows_inserts_nothing(workflow):
    insert_rows(Step, [], shared={"workflow_id": workflow.pk})

    assert not Step.objects.filter(workflow=workflow).exists()
