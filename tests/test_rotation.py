"""Key rotation: rotate_secrets re-encrypts with the first key of FERNET_KEYS.

Runs on SQLite and on PostgreSQL, whichever the suite uses. Every test
encrypts with key A first, then rotates to key B.
"""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from fernet_fields import EncryptedField
from fernet_fields.hkdf import derive_fernet_key

from endpoints.fields import UNREADABLE, encrypted_fields
from endpoints.models import AuthConfig, Endpoint, Workflow
from tests.conftest import (
    make_basic_endpoint,
    make_custom_header_endpoint,
    make_token_endpoint,
)

KEY_A = "rotation-test-key-a"
KEY_B = "rotation-test-key-b"
UNKNOWN_KEY = "rotation-test-key-nobody-has"


def read_all() -> dict:
    """Return every stored secret, decrypted, by endpoint id and field."""
    return {
        config.pk: {
            "secrets": config.secrets,
            "access_token": config.access_token,
            "refresh_token": config.refresh_token,
        }
        for config in AuthConfig.objects.order_by("pk")
    }


def raw_columns(endpoint_id: int) -> tuple[bytes, bytes, bytes]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets, access_token, refresh_token FROM endpoints_authconfig "
            "WHERE endpoint_id = %s",
            [endpoint_id],
        )
        row = cursor.fetchone()
    return tuple(bytes(value) for value in row)


def store_raw(endpoint_id: int, column: str, value: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            # The column is one of the table's own names, never input.
            f"UPDATE endpoints_authconfig SET {column} = %s "  # noqa: S608
            "WHERE endpoint_id = %s",
            [connection.Database.Binary(value), endpoint_id],
        )


def encrypt_with(key: str, plain_text: bytes) -> bytes:
    return Fernet(derive_fernet_key(key)).encrypt(plain_text)


def rotate(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_secrets", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def stored_with_key_a(fernet_keys, db):
    """Endpoints of each kind of secret, all encrypted with key A only."""
    fernet_keys(KEY_A)
    workflow = Workflow.objects.create(name="Rotation")
    make_basic_endpoint(workflow, name="Basic", password="PLANTED-rot-pw-1")
    make_token_endpoint(workflow, name="Bearer", token="PLANTED-rot-token-2")
    make_custom_header_endpoint(
        workflow, name="Header", token="PLANTED-rot-key-3", id_value="PLANTED-id-4"
    )
    tokens = make_token_endpoint(workflow, name="Tokens", token="t")
    AuthConfig.objects.filter(pk=tokens.pk).update(
        access_token="PLANTED-access-5", refresh_token="PLANTED-refresh-6"
    )
    return read_all()


def test_every_encrypted_field_is_rotated():
    fields = {f"{field.model.__name__}.{field.name}" for field in encrypted_fields()}

    assert fields == {
        "AuthConfig.secrets",
        "AuthConfig.access_token",
        "AuthConfig.refresh_token",
        "OAuthState.code_verifier",
    }


def test_introspection_finds_every_encrypted_column():
    from django.apps import apps

    declared = {
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedField)
    }

    found = {(field.model, field.name) for field in encrypted_fields()}

    assert found == declared


def test_rotated_values_read_with_new_key_only(stored_with_key_a, fernet_keys):
    fernet_keys(KEY_B, KEY_A)
    rotate()

    fernet_keys(KEY_B)

    assert read_all() == stored_with_key_a


def test_rotated_values_unreadable_with_old_key(stored_with_key_a, fernet_keys):
    fernet_keys(KEY_B, KEY_A)
    rotate()

    fernet_keys(KEY_A)

    values = [value for row in read_all().values() for value in row.values()]
    assert values == [UNREADABLE] * len(values)


def test_rotation_changes_every_stored_token(stored_with_key_a, fernet_keys):
    before = {pk: raw_columns(pk) for pk in stored_with_key_a}
    fernet_keys(KEY_B, KEY_A)

    rotate()

    for pk, columns in before.items():
        after = raw_columns(pk)
        assert all(old != new for old, new in zip(columns, after, strict=True)), pk


def test_rotation_reports_counts(stored_with_key_a, fernet_keys):
    fernet_keys(KEY_B, KEY_A)
    rows = len(stored_with_key_a)

    out, _ = rotate()

    assert f"re-encrypted {3 * rows} value(s), 0 already encrypted" in out
    assert "0 unreadable" in out


def test_second_rotation_finds_all_current(stored_with_key_a, fernet_keys):
    fernet_keys(KEY_B, KEY_A)
    rotate()
    rows = len(stored_with_key_a)

    out, _ = rotate()

    assert f"re-encrypted 0 value(s), {3 * rows} already encrypted" in out


def test_rotation_reports_progress_per_batch(stored_with_key_a, fernet_keys):
    fernet_keys(KEY_B, KEY_A)
    rows = len(stored_with_key_a)

    out, _ = rotate("--batch-size", "2")

    progress = [line for line in out.splitlines() if "AuthConfig.secrets:" in line]
    assert len(progress) == -(-rows // 2)
    assert progress[-1].startswith(f"endpoints.AuthConfig.secrets: rows read {rows},")


def test_rotation_keeps_updated_at(stored_with_key_a, fernet_keys):
    before = dict(AuthConfig.objects.values_list("pk", "updated_at"))
    fernet_keys(KEY_B, KEY_A)

    rotate()

    assert dict(AuthConfig.objects.values_list("pk", "updated_at")) == before


def test_dry_run_writes_nothing(stored_with_key_a, fernet_keys):
    before = {pk: raw_columns(pk) for pk in stored_with_key_a}
    fernet_keys(KEY_B, KEY_A)

    out, _ = rotate("--dry-run")

    assert {pk: raw_columns(pk) for pk in stored_with_key_a} == before
    assert f"Dry run: would re-encrypt {3 * len(before)} value(s)" in out


def test_dry_run_then_old_key_still_needed(stored_with_key_a, fernet_keys):
    fernet_keys(KEY_B, KEY_A)
    rotate("--dry-run")

    fernet_keys(KEY_B)

    assert AuthConfig.objects.first().secrets is UNREADABLE


@pytest.fixture
def one_unknown(stored_with_key_a, fernet_keys):
    """One endpoint whose secrets were encrypted with a key not in the list."""
    endpoint = Endpoint.objects.get(name="Bearer")
    planted = encrypt_with(UNKNOWN_KEY, b'{"token": "PLANTED-unknown-7"}')
    store_raw(endpoint.pk, "secrets", planted)
    fernet_keys(KEY_B, KEY_A)
    return endpoint, planted


def test_dry_run_lists_unreadable_value(one_unknown):
    endpoint, _ = one_unknown

    with pytest.raises(CommandError) as raised:
        call_command(
            "rotate_secrets", "--dry-run", stdout=StringIO(), stderr=StringIO()
        )

    assert "1 unreadable" in str(raised.value)


def test_unreadable_value_named_by_model_pk_field(one_unknown):
    endpoint, planted = one_unknown
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("rotate_secrets", "--dry-run", stdout=StringIO(), stderr=err)

    expected = f"endpoints.AuthConfig pk={endpoint.pk} field=secrets"
    assert err.getvalue().splitlines() == [f"Unreadable with every key: {expected}"]
    assert planted.decode() not in err.getvalue()


def test_rotation_leaves_unreadable_value_as_stored(one_unknown):
    endpoint, planted = one_unknown

    with pytest.raises(CommandError):
        call_command("rotate_secrets", stdout=StringIO(), stderr=StringIO())

    assert raw_columns(endpoint.pk)[0] == planted


def test_rotation_with_unreadable_rotates_the_rest(one_unknown, fernet_keys):
    endpoint, _ = one_unknown
    with pytest.raises(CommandError):
        call_command("rotate_secrets", stdout=StringIO(), stderr=StringIO())

    fernet_keys(KEY_B)

    readable = AuthConfig.objects.exclude(pk=endpoint.pk)
    assert all(config.secrets_readable for config in readable)


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError):
        call_command("rotate_secrets", "--batch-size", "0")
