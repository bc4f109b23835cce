"""Model rules: the built-in endpoint, PROTECT, auth type lock, cascades."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from endpoints.models import (
    BUILTIN_ENDPOINT_NAME,
    ActivityEntry,
    AuthConfig,
    AuthTypeLockedError,
    BuiltinEndpointError,
    EditConflictError,
    Endpoint,
    Step,
    StepUsage,
    Workflow,
)
from tests.conftest import make_basic_endpoint, make_step, make_token_endpoint


def test_new_workflow_gets_builtin_endpoint(db):
    workflow = Workflow.objects.create(name="Billing")

    builtin = Endpoint.objects.get(workflow=workflow, is_builtin=True)

    assert builtin.name == BUILTIN_ENDPOINT_NAME
    assert builtin.auth.auth_type == "console"
    assert builtin.base_url == "http://127.0.0.1:8000/api"


def test_new_workflow_gets_one_builtin(db):
    workflow = Workflow.objects.create(name="Billing")

    workflow.name = "Billing and invoices"
    workflow.save()

    assert workflow.endpoints.filter(is_builtin=True).count() == 1


def test_builtin_delete_raises(builtin):
    with pytest.raises(BuiltinEndpointError) as raised:
        builtin.delete()

    assert raised.value.code == "builtin_delete"
    assert Endpoint.objects.filter(pk=builtin.pk).exists()


def test_builtin_queryset_delete_raises(workflow, builtin):
    other = make_basic_endpoint(workflow)

    with pytest.raises(BuiltinEndpointError):
        Endpoint.objects.filter(workflow=workflow).delete()

    assert Endpoint.objects.filter(pk=builtin.pk).exists()
    assert Endpoint.objects.filter(pk=other.pk).exists()


def test_builtin_related_manager_delete_raises(workflow, builtin):
    with pytest.raises(BuiltinEndpointError):
        workflow.endpoints.all().delete()

    assert Endpoint.objects.filter(pk=builtin.pk).exists()


def test_queryset_delete_without_builtin_works(workflow):
    endpoint = make_basic_endpoint(workflow)

    Endpoint.objects.filter(pk=endpoint.pk).delete()

    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert not AuthConfig.objects.filter(pk=endpoint.pk).exists()


def test_builtin_rename_raises_on_save(builtin):
    builtin.name = "Renamed"

    with pytest.raises(BuiltinEndpointError) as raised:
        builtin.save()

    assert raised.value.code == "builtin_rename"
    builtin.refresh_from_db()
    assert builtin.name == BUILTIN_ENDPOINT_NAME


def test_builtin_rename_fails_full_clean(builtin):
    builtin.name = "Renamed"

    with pytest.raises(ValidationError) as raised:
        builtin.full_clean()

    assert [error.code for error in raised.value.error_dict["name"]] == [
        "builtin_rename"
    ]


def test_builtin_other_fields_still_save(builtin):
    builtin.trust_self_signed = False
    builtin.save()

    builtin.refresh_from_db()
    assert builtin.name == BUILTIN_ENDPOINT_NAME


def test_endpoint_in_use_orm_delete_protected(used_endpoint):
    with pytest.raises(ProtectedError):
        used_endpoint.delete()

    assert Endpoint.objects.filter(pk=used_endpoint.pk).exists()


def test_endpoint_in_use_queryset_delete_protected(used_endpoint):
    with pytest.raises(ProtectedError):
        Endpoint.objects.filter(pk=used_endpoint.pk).delete()

    assert Endpoint.objects.filter(pk=used_endpoint.pk).exists()


def test_usage_endpoint_is_protect():
    field = StepUsage._meta.get_field("endpoint")

    assert field.remote_field.on_delete.__name__ == "PROTECT"


def raw_delete_endpoint(endpoint_id: int) -> None:
    """Delete an endpoint and its auth row with SQL, bypassing the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM endpoints_authconfig WHERE endpoint_id = %s", [endpoint_id]
        )
        cursor.execute("DELETE FROM endpoints_endpoint WHERE id = %s", [endpoint_id])


@pytest.mark.django_db(transaction=True)
def test_raw_delete_in_use_fails_at_commit():
    workflow = Workflow.objects.create(name="Raw SQL")
    endpoint = make_basic_endpoint(workflow)
    make_step(workflow, usages=[(endpoint, "tickets")])

    with pytest.raises(IntegrityError), transaction.atomic():
        raw_delete_endpoint(endpoint.pk)

    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert AuthConfig.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_raw_delete_unused_commits():
    workflow = Workflow.objects.create(name="Raw SQL")
    endpoint = make_basic_endpoint(workflow)

    with transaction.atomic():
        raw_delete_endpoint(endpoint.pk)

    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_auth_type_change_raises(workflow):
    endpoint = make_basic_endpoint(workflow)
    config = AuthConfig.objects.get(pk=endpoint.pk)
    config.auth_type = "token"

    with pytest.raises(AuthTypeLockedError) as raised:
        config.save()

    assert raised.value.code == "auth_type_locked"
    assert AuthConfig.objects.get(pk=endpoint.pk).auth_type == "basic"


def test_builtin_auth_type_change_raises(builtin):
    config = builtin.auth
    config.auth_type = "none"

    with pytest.raises(AuthTypeLockedError):
        config.save()


def test_same_auth_type_saves(workflow):
    endpoint = make_token_endpoint(workflow)
    config = endpoint.auth
    config.params = {**config.params, "prefix": "Token"}

    config.save()

    assert AuthConfig.objects.get(pk=endpoint.pk).params["prefix"] == "Token"


def test_awaiting_configuration_allows_one_change(workflow):
    endpoint = Endpoint.objects.create_with_auth(
        workflow=workflow, name="Imported", base_url="https://imported.example.test"
    )
    AuthConfig.objects.filter(pk=endpoint.pk).update(awaiting_configuration=True)
    config = AuthConfig.objects.get(pk=endpoint.pk)
    config.auth_type = "token"

    config.save()

    stored = AuthConfig.objects.get(pk=endpoint.pk)
    assert stored.auth_type == "token"
    assert stored.awaiting_configuration is False


def test_awaiting_configuration_second_change_raises(workflow):
    endpoint = Endpoint.objects.create_with_auth(
        workflow=workflow, name="Imported", base_url="https://imported.example.test"
    )
    AuthConfig.objects.filter(pk=endpoint.pk).update(awaiting_configuration=True)
    config = AuthConfig.objects.get(pk=endpoint.pk)
    config.auth_type = "token"
    config.save()
    config = AuthConfig.objects.get(pk=endpoint.pk)
    config.auth_type = "basic"

    with pytest.raises(AuthTypeLockedError):
        config.save()

    assert AuthConfig.objects.get(pk=endpoint.pk).auth_type == "token"


def test_unknown_auth_type_raises(workflow):
    endpoint = Endpoint.objects.create(
        workflow=workflow, name="Odd", base_url="https://odd.example.test"
    )

    with pytest.raises(ValidationError) as raised:
        AuthConfig.objects.create(endpoint=endpoint, auth_type="carrier-pigeon")

    assert raised.value.code == "unknown_auth_type"


def test_workflow_delete_removes_everything(workflow, builtin):
    endpoint = make_basic_endpoint(workflow)
    step = make_step(workflow, usages=[(endpoint, "tickets"), (builtin, "console")])

    workflow.delete()

    assert not Workflow.objects.filter(pk=workflow.pk).exists()
    assert not Step.objects.filter(pk=step.pk).exists()
    assert not StepUsage.objects.filter(step_id=step.pk).exists()
    assert not Endpoint.objects.filter(pk__in=[endpoint.pk, builtin.pk]).exists()
    assert not AuthConfig.objects.filter(pk__in=[endpoint.pk, builtin.pk]).exists()


def test_workflow_queryset_delete_removes_everything(workflow, builtin):
    endpoint = make_basic_endpoint(workflow)
    make_step(workflow, usages=[(endpoint, "tickets")])
    other = Workflow.objects.create(name="Untouched")

    Workflow.objects.filter(pk=workflow.pk).delete()

    assert not Endpoint.objects.filter(workflow_id=workflow.pk).exists()
    assert not Step.objects.filter(workflow_id=workflow.pk).exists()
    assert other.endpoints.filter(is_builtin=True).exists()


def test_workflow_delete_keeps_activity(workflow):
    endpoint = make_basic_endpoint(workflow)
    entry = ActivityEntry.objects.create(
        workflow=workflow,
        endpoint=endpoint,
        workflow_name=workflow.name,
        endpoint_name=endpoint.name,
        event=ActivityEntry.Event.CREATED,
    )

    workflow.delete()

    entry.refresh_from_db()
    assert entry.workflow_id is None
    assert entry.endpoint_name == endpoint.name


def test_usage_of_other_workflow_rejected(workflow):
    other = Workflow.objects.create(name="Other")
    foreign = make_basic_endpoint(other)
    step = make_step(workflow)

    with pytest.raises(ValidationError) as raised:
        StepUsage.objects.create(step=step, endpoint=foreign, label="foreign")

    assert raised.value.code == "other_workflow"


def test_duplicate_name_key_rejected_by_database(workflow):
    make_basic_endpoint(workflow, name="Tickets")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_basic_endpoint(workflow, name="TICKETS")


def test_save_version_increments(workflow):
    endpoint = make_basic_endpoint(workflow)

    endpoint.base_url = "https://tickets.example.test/v2"
    endpoint.save_version(1)

    endpoint.refresh_from_db()
    assert endpoint.version == 2
    assert endpoint.base_url == "https://tickets.example.test/v2"


def test_save_version_stale_raises(workflow):
    endpoint = make_basic_endpoint(workflow)
    endpoint.save_version(1)
    stale = Endpoint.objects.get(pk=endpoint.pk)
    stale.base_url = "https://stale.example.test"

    with pytest.raises(EditConflictError):
        stale.save_version(1)

    endpoint.refresh_from_db()
    assert endpoint.base_url == "https://tickets.example.test/api"
    assert endpoint.version == 2
