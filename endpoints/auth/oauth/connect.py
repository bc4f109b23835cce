"""Connect: the authorization code flow between the console and a provider.

`begin_connect` stores an `OAuthState` row (a hash of the state, a hash of
the session key, the user, the endpoint and the encrypted PKCE verifier) and
returns the provider's authorization URL. `complete_connect` handles the
callback: it accepts the state only for the user and session that made it,
once, within OAUTH_STATE_MAX_AGE_SECONDS, exchanges the code for the
state's endpoint, and stores the tokens. Every rejected callback stores no
token. State lives in the database, so a callback may reach any console
process or host that shares it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from authlib.common.security import generate_token
from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from endpoints import activity
from endpoints.models import ActivityEntry, Endpoint, OAuthState, hash_oauth_value
from endpoints.runtime.api import EndpointCall
from endpoints.runtime.errors import EndpointError

from .client import authorization_url
from .storage import apply_token_set, locked_config, save_tokens

if TYPE_CHECKING:
    from endpoints.auth.oauth_code import OAuth2AuthorizationCode
    from endpoints.runtime.context import RequestContext

    from .tokens import TokenSet

logger = logging.getLogger(__name__)

# RFC 7636, section 4.1: 43 to 128 characters; 64 carry 380 random bits.
CODE_VERIFIER_LENGTH = 64
# Rows of finished or abandoned Connects are deleted after this long.
STATE_RETENTION = timedelta(days=1)


def redirect_uri() -> str:
    """Return the callback URL that providers send the browser back to.

    It is built from CONSOLE_BASE_URL, the console's public address, so it
    is right behind a reverse proxy whatever host and port the process
    listens on.
    """
    path = reverse("endpoints:oauth_callback")
    prefix = get_script_prefix()
    if path.startswith(prefix):
        path = path[len(prefix) :]
    return f"{settings.CONSOLE_BASE_URL.rstrip('/')}/{path.lstrip('/')}"


def connect_type(endpoint: Endpoint) -> OAuth2AuthorizationCode | None:
    """Return the endpoint's auth type if it connects through a browser."""
    auth_type = endpoint.auth.type
    return auth_type if getattr(auth_type, "uses_connect", False) else None


def begin_connect(
    endpoint: Endpoint, *, user: Any, session_key: str, popup: bool
) -> str:
    """Store a new Connect state and return the provider URL to go to."""
    auth_type = connect_type(endpoint)
    if auth_type is None:
        raise ValueError(f"{endpoint.auth.type_label} has no Connect.")
    now = timezone.now()
    OAuthState.objects.filter(created_at__lt=now - STATE_RETENTION).delete()

    state = secrets.token_urlsafe(32)
    verifier = generate_token(CODE_VERIFIER_LENGTH)
    uri = redirect_uri()
    OAuthState.objects.create(
        state_hash=hash_oauth_value(state),
        endpoint=endpoint,
        user=user,
        session_key_hash=hash_oauth_value(session_key),
        code_verifier=verifier,
        redirect_uri=uri,
        popup=popup,
        created_at=now,
    )
    logger.info(
        "event=oauth_connect_started endpoint_id=%s actor_id=%s popup=%s",
        endpoint.pk,
        user.pk,
        popup,
    )
    return authorization_url(
        auth_type.client_credentials(),
        auth_type.authorization_url(),
        redirect_uri=uri,
        state=state,
        code_verifier=verifier,
        extra=auth_type.authorization_params(),
    )


@dataclass(frozen=True)
class ConnectResult:
    """The outcome of a callback, for the page that shows it.

    ``endpoint`` is None when the callback could not be tied to one.
    ``popup`` tells whether Connect ran in a popup window.
    """

    ok: bool
    title: str
    message: str
    status: int = 200
    endpoint: Endpoint | None = None
    popup: bool = False
    code: str = ""


def _rejected(title: str, message: str, *, code: str, **fields: Any) -> ConnectResult:
    return ConnectResult(
        ok=False, title=title, message=message, status=400, code=code, **fields
    )


def complete_connect(
    params: dict[str, str], *, user: Any, session_key: str
) -> ConnectResult:
    """Handle the provider's callback with its query parameters.

    The checks run in order: a state is present, it is known, it belongs
    to this user and session, it is unused and not expired. The state is
    then used up, whatever follows, so a code can be tried only once.
    """
    state = params.get("state", "")
    if not state:
        return _rejected(
            "Connect failed",
            "The provider's answer has no state, so the console cannot tell which "
            "Connect it belongs to. Nothing was stored. Press Connect again on the "
            "endpoint's page.",
            code="missing_state",
        )
    record = (
        OAuthState.objects.select_related("endpoint__auth", "endpoint__workflow")
        .filter(state_hash=hash_oauth_value(state))
        .first()
    )
    if record is None:
        return _rejected(
            "Connect failed",
            "The console did not start this Connect: its state is unknown. "
            "Nothing was stored. Press Connect again on the endpoint's page.",
            code="unknown_state",
        )
    endpoint = record.endpoint
    if record.user_id != user.pk or record.session_key_hash != hash_oauth_value(
        session_key
    ):
        # Another user's or another session's state: tell nothing about it.
        return _rejected(
            "Connect failed",
            "This Connect was started in another session. Nothing was stored. "
            "Press Connect again in this browser.",
            code="other_session",
        )
    fields = {"endpoint": endpoint, "popup": record.popup}
    if record.used_at is not None:
        return _rejected(
            "Connect failed",
            "This Connect was already completed or rejected; a state is accepted "
            "once. Nothing was stored. Press Connect again.",
            code="used_state",
            **fields,
        )
    max_age = timedelta(seconds=settings.OAUTH_STATE_MAX_AGE_SECONDS)
    if timezone.now() - record.created_at > max_age:
        return _rejected(
            "Connect expired",
            f"The provider sent the browser back more than "
            f"{_minutes(max_age)} after Connect was pressed. Nothing was stored. "
            "Press Connect again and finish within that time.",
            code="expired_state",
            **fields,
        )
    # Used up before anything else happens, so that of two callbacks with
    # the same state exactly one gets past this point.
    claimed = OAuthState.objects.filter(pk=record.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not claimed:
        return _rejected(
            "Connect failed",
            "This Connect was already completed or rejected; a state is accepted "
            "once. Nothing was stored. Press Connect again.",
            code="used_state",
            **fields,
        )

    auth_type = connect_type(endpoint)
    if auth_type is None:
        return _rejected(
            "Connect failed",
            f"Endpoint “{endpoint.name}” no longer uses an auth type with Connect. "
            "Nothing was stored.",
            code="not_connectable",
            **fields,
        )
    if params.get("error"):
        message = auth_type.describe_provider_error(
            params["error"], params.get("error_description", "")
        )
        _record_failure(endpoint, user, auth_type, message)
        return _rejected(
            "Connect failed",
            f"{message} Nothing was stored.",
            code="provider_error",
            **fields,
        )
    code = params.get("code", "")
    if not code:
        return _rejected(
            "Connect failed",
            "The provider's answer has neither a code nor an error. Nothing was "
            "stored. Press Connect again.",
            code="missing_code",
            **fields,
        )
    return _exchange(record, auth_type, code, user)


def _exchange(
    record: OAuthState, auth_type: OAuth2AuthorizationCode, code: str, user: Any
) -> ConnectResult:
    endpoint = record.endpoint
    fields = {"endpoint": endpoint, "popup": record.popup}
    call = EndpointCall(
        endpoint, auth_type=auth_type, actor=user, record_request_failures=False
    )

    def operation(context: RequestContext) -> TokenSet:
        return auth_type.exchange_code(
            context,
            code=code,
            code_verifier=record.code_verifier,
            redirect_uri=record.redirect_uri,
        )

    try:
        token_set = call.run(operation, action="Connect")
    except EndpointError as error:
        message = error.reason
        _record_failure(endpoint, user, auth_type, message)
        return _rejected(
            "Connect failed",
            f"{message} Nothing was stored.",
            code="token_error",
            **fields,
        )

    with locked_config(endpoint.pk) as locked:
        apply_token_set(locked, token_set)
        auth_type.store_token_extras(locked, token_set)
        locked.connected_at = timezone.now()
        locked.connected_by = user
        save_tokens(locked)
    activity.record(
        ActivityEntry.Event.CONNECTED,
        actor=user,
        endpoint=endpoint,
        detail="Connected through the provider's consent"
        + (f", with scope {token_set.scope}." if token_set.scope else "."),
    )
    logger.info(
        "event=oauth_connected endpoint_id=%s actor_id=%s", endpoint.pk, user.pk
    )
    return ConnectResult(
        ok=True,
        title="Connected",
        message=f"Endpoint “{endpoint.name}” is connected.",
        code="connected",
        **fields,
    )


def _record_failure(
    endpoint: Endpoint, user: Any, auth_type: OAuth2AuthorizationCode, message: str
) -> None:
    activity.record(
        ActivityEntry.Event.CONNECTED,
        actor=user,
        endpoint=endpoint,
        outcome=ActivityEntry.Outcome.FAILURE,
        detail=f"Connect failed: {message}",
        extra_secrets=auth_type.secret_values(),
    )
    logger.warning("event=oauth_connect_failed endpoint_id=%s", endpoint.pk)


def disconnect(endpoint: Endpoint, *, user: Any) -> None:
    """Forget the endpoint's tokens and connection, with an activity entry."""
    with locked_config(endpoint.pk) as locked:
        locked.clear_connection()
        save_tokens(locked)
    activity.record(
        ActivityEntry.Event.DISCONNECTED,
        actor=user,
        endpoint=endpoint,
        detail="Disconnected: the stored tokens were deleted.",
    )
    logger.info(
        "event=oauth_disconnected endpoint_id=%s actor_id=%s", endpoint.pk, user.pk
    )


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 1:
        return f"{minutes} minute" + ("s" if minutes != 1 else "")
    return f"{int(delta.total_seconds())} seconds"
