"""Changing FERNET_KEYS within a test.

django-fernet-fields caches each field's keys and Fernet object the first
time the field encrypts or decrypts. So a test that changes the setting
must clear those caches too, and `fernet_keys` does both.
"""

import pytest

from endpoints.fields import clear_fernet_caches


@pytest.fixture
def fernet_keys(settings):
    """Return a function that sets FERNET_KEYS for every encrypted field.

    ``use(key_b, key_a)`` makes key_b encrypt and both decrypt. The suite's
    keys apply again after the test.
    """

    def use(*keys: str) -> None:
        settings.FERNET_KEYS = list(keys)
        clear_fernet_caches()

    yield use
    # The settings fixture restores FERNET_KEYS after this; the fields read
    # it again on their next use.
    clear_fernet_caches()
