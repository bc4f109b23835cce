"""Encrypted model fields for the secrets an endpoint stores.

Both fields build on django-fernet-fields-v2, which encrypts with the first
key of ``FERNET_KEYS`` and decrypts with any of them. A value that no key can
decrypt, or that decrypts to something other than the field's type, loads as
`UNREADABLE` instead of raising, so one damaged row cannot break a page that
lists many endpoints. Saving `UNREADABLE` back raises, because that would
overwrite a value that a corrected key list could still read.
"""

import json
import logging
from collections.abc import Iterator

from cryptography.fernet import InvalidToken
from django.apps import apps
from fernet_fields import EncryptedField, EncryptedTextField

logger = logging.getLogger(__name__)


class UnreadableSecret:
    """Marker for an encrypted value that none of ``FERNET_KEYS`` decrypts."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE = UnreadableSecret()


class SecretTextField(EncryptedTextField):
    """Encrypted text that loads as `UNREADABLE` when no key decrypts it."""

    def from_db_value(self, value, expression, connection, *args):
        try:
            return super().from_db_value(value, expression, connection, *args)
        except (InvalidToken, ValueError):
            # ValueError: the plain text is not UTF-8, or not the JSON object
            # that SecretJSONField stores.
            logger.error(
                "event=secret_unreadable model=%s field=%s",
                self.model.__name__,
                self.name,
            )
            return UNREADABLE

    def get_db_prep_save(self, value, connection):
        if hasattr(value, "as_sql"):
            # An expression, such as the stored token that key rotation
            # writes back as it is; encrypting it would encrypt its repr.
            return value
        if value is UNREADABLE:
            raise ValueError(
                f"{self.model.__name__}.{self.name} could not be decrypted with "
                "FERNET_KEYS and cannot be saved back; fix the key list or set a "
                "new value."
            )
        return super().get_db_prep_save(value, connection)


class SecretJSONField(SecretTextField):
    """Encrypted JSON object, stored as the Fernet token of its JSON text."""

    def get_prep_value(self, value):
        if value is None or value is UNREADABLE:
            return value
        return json.dumps(value, sort_keys=True)

    def to_python(self, value):
        if value is None or value is UNREADABLE or isinstance(value, dict):
            return value
        loaded = json.loads(value)
        if not isinstance(loaded, dict):
            raise ValueError("The stored secrets are not a JSON object.")
        return loaded


# The attributes in which django-fernet-fields caches the keys and the Fernet
# object of each field, read from settings the first time a value is
# encrypted or decrypted.
FERNET_CACHE_ATTRIBUTES = ("keys", "fernet_keys", "fernet")


def encrypted_fields() -> Iterator[EncryptedField]:
    """Yield every encrypted field of every installed model, once each.

    Found by introspection, so that key rotation and the key check cover a
    field added later. Proxy models and fields inherited from a concrete
    parent are skipped, since the parent's table contains their values.
    """
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedField):
                yield field


def clear_fernet_caches() -> None:
    """Make every encrypted field read FERNET_KEYS again on its next use."""
    for field in encrypted_fields():
        for attribute in FERNET_CACHE_ATTRIBUTES:
            field.__dict__.pop(attribute, None)
