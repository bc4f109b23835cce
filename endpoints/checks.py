"""System checks for the settings the console cannot run without."""

import os
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, models
from django.db.models import ExpressionWrapper, F

from .validators import is_positive_seconds, validate_base_url

# Stored values per encrypted column that the key check tries to decrypt,
# the most recently created first.
KEY_CHECK_SAMPLE_SIZE = 20


@register()
def check_fernet_keys(app_configs, **kwargs):
    keys = getattr(settings, "FERNET_KEYS", None)
    if not keys or not all(isinstance(key, str) and key for key in keys):
        return [
            Error(
                "FERNET_KEYS is empty, so stored secrets cannot be encrypted.",
                hint="Set FERNET_KEYS to one or more comma-separated random keys; "
                "the first encrypts, all decrypt.",
                id="endpoints.E001",
            )
        ]
    return []


@register()
def check_console_base_url(app_configs, **kwargs):
    value = getattr(settings, "CONSOLE_BASE_URL", "")
    try:
        validate_base_url(value)
    except ValidationError as error:
        return [
            Error(
                f"CONSOLE_BASE_URL {value!r} is not a valid base URL: "
                f"{' '.join(error.messages)}",
                hint="Set CONSOLE_BASE_URL to the console's public address, such "
                "as https://console.example.com.",
                id="endpoints.E002",
            )
        ]
    return []


@register()
def check_blocked_networks(app_configs, **kwargs):
    from .runtime.network import parse_networks

    values = getattr(settings, "ENDPOINT_BLOCKED_NETWORKS", [])
    try:
        parse_networks(values)
    except ValueError as error:
        return [
            Error(
                f"ENDPOINT_BLOCKED_NETWORKS contains an invalid network: {error}.",
                hint="List CIDR ranges separated by commas, such as "
                "169.254.169.254/32,169.254.0.0/16,fe80::/10.",
                id="endpoints.E003",
            )
        ]
    return []


@register()
def check_ca_bundle(app_configs, **kwargs):
    path = getattr(settings, "ENDPOINT_CA_BUNDLE", "")
    if path and not Path(path).is_file():
        return [
            Error(
                f"ENDPOINT_CA_BUNDLE names {path!r}, which is not a file.",
                hint="Set ENDPOINT_CA_BUNDLE to a PEM file of certificate "
                "authorities, or leave it blank to use the system's.",
                id="endpoints.E004",
            )
        ]
    return []


# gunicorn's default worker timeout, which gunicorn.conf.py keeps.
GUNICORN_DEFAULT_TIMEOUT = 60


@register()
def check_request_deadline(app_configs, **kwargs):
    deadline = getattr(settings, "ENDPOINT_REQUEST_DEADLINE", None)
    if not is_positive_seconds(deadline):
        return [
            Error(
                f"ENDPOINT_REQUEST_DEADLINE is {deadline!r}; it must be a positive "
                "number of seconds.",
                hint="Set ENDPOINT_REQUEST_DEADLINE to the seconds that one request "
                "through an endpoint may take in all, such as 30.",
                id="endpoints.E007",
            )
        ]
    try:
        worker_timeout = int(
            os.environ.get("GUNICORN_TIMEOUT", GUNICORN_DEFAULT_TIMEOUT)
        )
    except ValueError:
        return []
    if worker_timeout and deadline >= worker_timeout:
        return [
            Warning(
                f"ENDPOINT_REQUEST_DEADLINE ({deadline:g} s) is not below "
                f"gunicorn's worker timeout ({worker_timeout} s), so a slow target "
                "can get the worker restarted before the request fails cleanly.",
                hint="Lower ENDPOINT_REQUEST_DEADLINE or raise GUNICORN_TIMEOUT, "
                "leaving time for the rest of the page.",
                id="endpoints.W008",
            )
        ]
    return []


@register()
def check_request_timeout(app_configs, **kwargs):
    timeout = getattr(settings, "ENDPOINT_REQUEST_TIMEOUT", None)
    if is_positive_seconds(timeout):
        return []
    return [
        Error(
            f"ENDPOINT_REQUEST_TIMEOUT is {timeout!r}; it must be a positive, "
            "finite number of seconds.",
            hint="Set ENDPOINT_REQUEST_TIMEOUT to the seconds that each connect, "
            "read and write of a request may take, such as 10.",
            id="endpoints.E009",
        )
    ]


@register(Tags.database)
def check_fernet_keys_decrypt(app_configs, databases=None, **kwargs):
    """Decrypt a sample of the stored secrets with FERNET_KEYS.

    A database check, so it runs where Django runs those: ``migrate``,
    ``check --database default`` and the gunicorn start-up hook of
    gunicorn.conf.py. If no sampled value decrypts, FERNET_KEYS is wrong
    and the console must not start. If only some fail, those endpoints
    show an error on their pages, and the check lists them.
    """
    from .fields import encrypted_fields

    if not databases or not _fernet_keys_set():
        return []
    readable, unreadable = 0, []
    for alias in databases:
        for encrypted_field in encrypted_fields():
            found = _sample_column(connections[alias], encrypted_field)
            readable += found[0]
            unreadable.extend(found[1])
    if unreadable and not readable:
        return [
            Error(
                f"None of the {len(unreadable)} stored secrets sampled can be "
                "decrypted with FERNET_KEYS, so FERNET_KEYS does not contain the "
                "key that encrypted them.",
                hint="Set FERNET_KEYS to the keys this database was encrypted "
                "with; to change keys, put the new key first, keep the old ones "
                "and run manage.py rotate_secrets.",
                id="endpoints.E005",
            )
        ]
    if unreadable:
        listed = ", ".join(unreadable[:10])
        more = f" and {len(unreadable) - 10} more" if len(unreadable) > 10 else ""
        return [
            Warning(
                f"{len(unreadable)} sampled stored secrets cannot be decrypted with "
                f"FERNET_KEYS: {listed}{more}. Their endpoints fail until this is "
                "fixed.",
                hint="Add the key that encrypted them to FERNET_KEYS, or enter "
                "those secrets again on their endpoints' pages. manage.py "
                "rotate_secrets --dry-run lists every such value.",
                id="endpoints.W006",
            )
        ]
    return []


def _fernet_keys_set() -> bool:
    keys = getattr(settings, "FERNET_KEYS", None)
    return bool(keys) and all(isinstance(key, str) and key for key in keys)


def _sample_column(connection, encrypted_field) -> tuple[int, list[str]]:
    """Return how many sampled values decrypt, and which ones do not."""
    model = encrypted_field.model
    try:
        if model._meta.db_table not in connection.introspection.table_names():
            # Not migrated yet, as during the first ``migrate``.
            return 0, []
        raw = ExpressionWrapper(
            F(encrypted_field.attname), output_field=models.BinaryField()
        )
        sample = (
            model._base_manager.using(connection.alias)
            .exclude(**{f"{encrypted_field.attname}__isnull": True})
            .order_by("-pk")
            .annotate(stored_token=raw)
            .values_list("pk", "stored_token")[:KEY_CHECK_SAMPLE_SIZE]
        )
        rows = list(sample)
    except DatabaseError:
        # This check is about the keys. An unreachable database fails the
        # command that runs it, or the health check, on its own.
        return 0, []
    readable, unreadable = 0, []
    for pk, stored in rows:
        try:
            encrypted_field.fernet.decrypt(bytes(stored))
        except InvalidToken:
            unreadable.append(
                f"{model._meta.label} pk={pk} field={encrypted_field.name}"
            )
        else:
            readable += 1
    return readable, unreadable
