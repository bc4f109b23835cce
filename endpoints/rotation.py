"""Re-encrypt stored secrets with the first key of FERNET_KEYS.

`rotate_secrets` walks every encrypted column of every model (found by
`endpoints.fields.encrypted_fields`) in batches of primary keys. Each batch
is one transaction that locks its rows and reads the stored Fernet tokens
as bytes. Each token that a later key encrypted is written back encrypted
with the first key. The plain text is never converted to the field's
Python value, so a column of any type rotates alike. Tokens that the first
key already decrypts are left as they are, and so are tokens that no key
decrypts. Those are reported by model, primary key and field, never by
value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, Value
from fernet_fields import EncryptedField

from .fields import encrypted_fields

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class UnreadableValue:
    """A stored value that none of FERNET_KEYS decrypts."""

    model: str
    pk: object
    field: str

    def __str__(self) -> str:
        return f"{self.model} pk={self.pk} field={self.field}"


@dataclass
class ColumnReport:
    """Counts for one encrypted column."""

    model: str
    field: str
    rotated: int = 0
    current: int = 0
    empty: int = 0
    unreadable: list[UnreadableValue] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.model}.{self.field}"


@dataclass
class RotationReport:
    """The counts of a rotation, or of a dry run, for every column."""

    dry_run: bool
    columns: list[ColumnReport] = field(default_factory=list)

    @property
    def rotated(self) -> int:
        return sum(column.rotated for column in self.columns)

    @property
    def current(self) -> int:
        return sum(column.current for column in self.columns)

    @property
    def unreadable(self) -> list[UnreadableValue]:
        return [value for column in self.columns for value in column.unreadable]


class KeyRing:
    """The Fernet keys of one field: the first encrypts, all decrypt."""

    def __init__(self, encrypted_field: EncryptedField):
        keys = [Fernet(key) for key in encrypted_field.fernet_keys]
        self.first = keys[0]
        self.all = MultiFernet(keys)

    def is_current(self, token: bytes) -> bool:
        try:
            self.first.decrypt(token)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        """Return the token encrypted with the first key.

        Raises InvalidToken when no key decrypts it.
        """
        return self.all.rotate(token)


def rotate_secrets(
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[ColumnReport, int], None] | None = None,
) -> RotationReport:
    """Re-encrypt every stored secret with the first key of FERNET_KEYS.

    With ``dry_run`` nothing is written and the report counts what would
    be re-encrypted. ``progress`` is called after each batch with the
    column's report so far and the number of rows read in that batch.
    """
    report = RotationReport(dry_run=dry_run)
    for encrypted_field in encrypted_fields():
        column = ColumnReport(
            model=encrypted_field.model._meta.label, field=encrypted_field.name
        )
        report.columns.append(column)
        _rotate_column(encrypted_field, column, dry_run, batch_size, progress)
    return report


def _rotate_column(
    encrypted_field: EncryptedField,
    column: ColumnReport,
    dry_run: bool,
    batch_size: int,
    progress: Callable[[ColumnReport, int], None] | None,
) -> None:
    model = encrypted_field.model
    keys = KeyRing(encrypted_field)
    # The column as stored, bytes instead of the field's decrypted value.
    raw = ExpressionWrapper(
        F(encrypted_field.attname), output_field=models.BinaryField()
    )
    last_pk = None
    while True:
        with transaction.atomic(using=model.objects.db):
            rows = model._base_manager.order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            if not dry_run:
                rows = rows.select_for_update()
            batch = list(
                rows.annotate(stored_token=raw).values_list("pk", "stored_token")[
                    :batch_size
                ]
            )
            for pk, stored in batch:
                _rotate_value(model, encrypted_field, keys, column, pk, stored, dry_run)
        if not batch:
            return
        last_pk = batch[-1][0]
        if progress is not None:
            progress(column, len(batch))


def _rotate_value(model, encrypted_field, keys, column, pk, stored, dry_run) -> None:
    if stored is None:
        column.empty += 1
        return
    token = bytes(stored)
    if keys.is_current(token):
        column.current += 1
        return
    try:
        rotated = keys.rotate(token)
    except InvalidToken:
        column.unreadable.append(
            UnreadableValue(model._meta.label, pk, encrypted_field.name)
        )
        return
    column.rotated += 1
    if not dry_run:
        # A Value of BinaryField is written as given, past the field's own
        # encryption, which would encrypt the token a second time.
        model._base_manager.filter(pk=pk).update(
            **{
                encrypted_field.attname: Value(
                    rotated, output_field=models.BinaryField()
                )
            }
        )
