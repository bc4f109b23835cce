"""Bulk inserts of many rows whose columns are mostly the same.

An import creates a thousand endpoints, their auth configurations and
their steps, and ``bulk_create`` spent most of the import's time building a
model instance for each row and preparing each of its fields.
`insert_rows` prepares a column that every row shares once, from a model
instance built with the shared values and the fields' defaults, and runs
one ``executemany``. Encrypted fields are prepared for each row all the
same, so that every row gets a Fernet token of its own.

Like ``bulk_create``, it calls no ``save()`` and sends no signals. Unlike
it, it sets no primary keys on anything: callers read the new rows' keys
back by a unique column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin
from fernet_fields import EncryptedField


@dataclass(frozen=True)
class _Column:
    """The source of one column's value: the row, or a value all rows share."""

    field: models.Field
    # The rows' key of the field, when each row has a value of its own.
    row_key: str | None = None
    # The value that every row shares: prepared for the database, or as the
    # model has it when ``encrypt_each`` is set.
    shared: Any = None
    encrypt_each: bool = False

    def param(self, row: Mapping[str, Any]) -> Any:
        if self.row_key is not None:
            return self.field.get_db_prep_save(row[self.row_key], connection)
        if self.encrypt_each:
            return self.field.get_db_prep_save(self.shared, connection)
        return self.shared


def insert_rows(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    shared: Mapping[str, Any],
) -> None:
    """Insert a row of ``model`` for each mapping of ``rows``.

    Each row maps field attribute names (``workflow_id``, not ``workflow``)
    to its own values, and every row names the same fields. A field that
    a row does not name takes its value from ``shared``, or else its
    default. ``auto_now`` and ``auto_now_add`` fields get one timestamp for
    all rows.
    """
    if not rows:
        return
    template = model(**shared)
    varying = set(rows[0])
    columns: list[_Column] = []
    for field in model._meta.concrete_fields:
        if isinstance(field, AutoFieldMixin):
            continue
        if field.attname in varying:
            columns.append(_Column(field, row_key=field.attname))
            continue
        value = field.pre_save(template, add=True)
        if isinstance(field, EncryptedField):
            columns.append(_Column(field, shared=value, encrypt_each=True))
        else:
            prepared = field.get_db_prep_save(value, connection)
            columns.append(_Column(field, shared=prepared))

    quote = connection.ops.quote_name
    names = ", ".join(quote(column.field.column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    # Only the model's own table and column names are put into the SQL.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({placeholders})"  # noqa: S608
    params = [[column.param(row) for column in columns] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
