"""Authentication of API requests by the Authorization header.

Two kinds of value are accepted, each as ``Authorization: Token <value>`` or
``Authorization: Bearer <value>``: a user's API token (``ect_…``), looked up
by its hash, and a console user credential (``ecu_…``) that the built-in
endpoint signs. The session cookie is ignored, so a request authenticates as
exactly the user its header names, and cross-site requests cannot use a
signed-in browser's session. Every check reads the database or the signature,
so any number of console processes agree on the result.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from ..models import API_KEY_PREFIX, ApiToken, hash_api_key
from .credentials import CREDENTIAL_PREFIX, InvalidCredentialError, read_user_credential

logger = logging.getLogger(__name__)

ACCEPTED_SCHEMES = ("token", "bearer")
REALM = "Endpoint Console API"

# last_used_at is written at most this often per token, so that a busy
# integration does not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiCaller:
    """The user a request acts as, and how it authenticated."""

    user: object
    method: str
    token: ApiToken | None = None


class ApiAuthenticationError(Exception):
    """Raised when a request's credentials are missing or not accepted."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def challenge(self) -> str:
        """Return the WWW-Authenticate value for this failure (RFC 6750)."""
        bearer = f'Bearer realm="{REALM}"'
        if self.code != "missing_credentials":
            # RFC 6750, section 3: the description is printable ASCII
            # without a double quote or a backslash.
            description = "".join(
                "'" if char in '“”"' else char
                for char in self.message
                if char in "“”" or (" " <= char <= "~" and char != "\\")
            )
            bearer += f', error="invalid_token", error_description="{description}"'
        return f'Token realm="{REALM}", {bearer}'


def authenticate_request(request) -> ApiCaller:
    """Return who a request acts as; raise `ApiAuthenticationError`."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiAuthenticationError(
            "missing_credentials",
            "Send an API token as “Authorization: Token <key>”.",
        )
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() not in ACCEPTED_SCHEMES or not value:
        raise ApiAuthenticationError(
            "invalid_header",
            "Use “Authorization: Token <key>” or “Authorization: Bearer <key>”.",
        )
    if value.startswith(CREDENTIAL_PREFIX):
        return _authenticate_credential(value)
    if value.startswith(API_KEY_PREFIX):
        return _authenticate_token(value)
    raise ApiAuthenticationError("invalid_token", "The API token is not valid.")


def _authenticate_token(key: str) -> ApiCaller:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_api_key(key))
        .first()
    )
    if token is None:
        raise ApiAuthenticationError("invalid_token", "The API token is not valid.")
    if token.revoked_at is not None:
        logger.info("event=api_auth_failed reason=revoked token_id=%s", token.pk)
        raise ApiAuthenticationError("revoked_token", "The API token was revoked.")
    if token.is_expired:
        logger.info("event=api_auth_failed reason=expired token_id=%s", token.pk)
        raise ApiAuthenticationError("expired_token", "The API token has expired.")
    if not token.user.is_active:
        logger.info("event=api_auth_failed reason=inactive_user token_id=%s", token.pk)
        raise ApiAuthenticationError(
            "inactive_user", "The API token's user account is deactivated."
        )

    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    return ApiCaller(user=token.user, method="token", token=token)


def _authenticate_credential(value: str) -> ApiCaller:
    try:
        user_id = read_user_credential(value)
    except InvalidCredentialError as error:
        logger.info("event=api_auth_failed reason=%s", error.code)
        raise ApiAuthenticationError(error.code, str(error)) from error
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        logger.info("event=api_auth_failed reason=inactive_user user_id=%s", user_id)
        raise ApiAuthenticationError(
            "inactive_user", "The credential's user account is deactivated."
        )
    return ApiCaller(user=user, method="console_user")
