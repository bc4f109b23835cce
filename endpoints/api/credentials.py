"""Short-lived signed credentials for calling the console's API as a user.

The built-in Console endpoint sends one with each request, so that a step
run on behalf of a user sees through the API what that user may see. A
credential carries the user's id and its expiry, signed with SECRET_KEY
(or one of SECRET_KEY_FALLBACKS) under a salt of its own, so it is valid
nowhere else that Django signs values. Nothing about it is stored, and any
console process sharing the secret key accepts it.
"""

import time

from django.core import signing

CREDENTIAL_PREFIX = "ecu_"
CREDENTIAL_SALT = "endpoints.api.console-user-credential"
CREDENTIAL_MAX_AGE_SECONDS = 300


class InvalidCredentialError(Exception):
    """Raised for a credential that is tampered with, malformed or expired.

    ``code`` is ``invalid_credential`` or ``expired_credential``.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def issue_user_credential(user, *, issued_at: float | None = None) -> str:
    """Return a credential for ``user``, valid for CREDENTIAL_MAX_AGE_SECONDS.

    ``issued_at`` is a Unix time, the current time by default.
    """
    if user is None or user.pk is None or not user.is_authenticated:
        raise ValueError("A console user credential needs a saved user.")
    issued = int(time.time() if issued_at is None else issued_at)
    payload = {"uid": user.pk, "exp": issued + CREDENTIAL_MAX_AGE_SECONDS}
    return CREDENTIAL_PREFIX + signing.dumps(payload, salt=CREDENTIAL_SALT)


def read_user_credential(value: str) -> int:
    """Return the user id in a credential; raise `InvalidCredentialError`."""
    if not value.startswith(CREDENTIAL_PREFIX):
        raise InvalidCredentialError(
            "invalid_credential", "This is not a console user credential."
        )
    try:
        payload = signing.loads(
            value.removeprefix(CREDENTIAL_PREFIX), salt=CREDENTIAL_SALT
        )
    except signing.BadSignature as error:
        raise InvalidCredentialError(
            "invalid_credential", "The credential's signature is invalid."
        ) from error
    if not (
        isinstance(payload, dict)
        and type(payload.get("uid")) is int
        and type(payload.get("exp")) is int
    ):
        raise InvalidCredentialError(
            "invalid_credential", "The credential's content is invalid."
        )
    if payload["exp"] <= time.time():
        raise InvalidCredentialError(
            "expired_credential",
            "The credential has expired; request a new one for each call.",
        )
    return payload["uid"]
