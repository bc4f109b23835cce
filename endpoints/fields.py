"""Encrypted model fields for the secrets an endpoint stores.

Both fields build on django-fernet-fields-v2, which encrypts with the first
key of ``FERNET_KEYS`` and decrypts with any of them. A value that no key can
decrypt loads as `UNREADABLE` instead of raising, so one damaged row cannot
break a page that lists many endpoints. Saving `UNREADABLE` back raises,
because that would overwrite a value that a corrected key list could still
read.
"""

import json
import logging

from cryptography.fernet import InvalidToken
from fernet_fields import EncryptedTextField

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
        except InvalidToken:
            logger.error(
                "event=secret_unreadable model=%s field=%s",
                self.model.__name__,
                self.name,
            )
            return UNREADABLE

    def get_db_prep_save(self, value, connection):
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
        return json.loads(value)
