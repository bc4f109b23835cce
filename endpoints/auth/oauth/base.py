"""The generic OAuth 2.0 auth type that every OAuth type builds on.

`OAuth2AuthType` implements the runtime's interface (`prepare`,
`build_auth`, `authenticate`, `test_authentication`) once for all OAuth 2.0
types. A type supplies its grant and may override small hooks:

- `client_credentials`, `token_url`, `token_prefix`, `expired_statuses`:
  where and how the client authenticates, and how requests carry the token.
- `request_new_token`: the grant used when no refresh token is stored (the
  password grant, client credentials); by default the endpoint must be
  connected again.
- `refresh_rejected`: the outcome of a refresh rejected with
  ``invalid_grant`` after the stored token was re-read; by default
  "Reconnect needed".
- `check_token_response`, `parse_token_set`, `store_token_extras`: a vendor's
  token response quirks (errors sent with HTTP 200 as ``"ok": false``, a
  token under another key, an instance URL).
- `describe_provider_error`: provider error codes in plain words.

Token lifetime: a token is renewed `OAUTH_REFRESH_SKEW_SECONDS` before its
expiry, or a quarter of its lifetime before when that is less (see
`storage.refresh_skew`). It is also renewed once after the target answers
one of `expired_statuses` (401 by default). Every renewal runs under
`storage.locked_config`, so concurrent requests cause one token request.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import httpx2
from django.conf import settings
from django.utils import timezone

from endpoints import activity
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.runtime.errors import (
    AuthenticationError,
    CredentialUnavailableError,
    ReconnectNeededError,
    TokenRequestError,
)

from ..base import AuthType
from .client import (
    CLIENT_SECRET_BASIC,
    ClientCredentials,
    TokenEndpointClient,
    basic_client_credential,
)
from .provider_errors import describe_provider_error
from .storage import (
    apply_token_set,
    copy_tokens,
    locked_config,
    save_tokens,
    token_is_due,
)
from .tokens import TokenSet, token_set_from_response

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

logger = logging.getLogger(__name__)

DEFAULT_EXPIRED_STATUS = 401
INVALID_GRANT = "invalid_grant"


class OAuth2BearerAuth(httpx2.Auth):
    """Send the access token, and renew it once after an "expired" status.

    The retry happens at most once per request, so a target that rejects
    every token gets two requests, never a loop.
    """

    # The request may go out twice, and the rejected response must be read
    # before the token request reuses the client's connections.
    requires_request_body = True
    requires_response_body = True

    def __init__(self, auth_type: OAuth2AuthType, context: RequestContext):
        self._auth_type = auth_type
        self._context = context

    def __repr__(self) -> str:
        return f"OAuth2BearerAuth(endpoint_id={self._context.endpoint.pk})"

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        token = self._auth_type.config.access_token
        request.headers["Authorization"] = self._auth_type.authorization_value(token)
        response = yield request
        if response.status_code not in self._auth_type.expired_statuses():
            return
        logger.info(
            "event=oauth_token_rejected endpoint_id=%s status=%s",
            self._context.endpoint.pk,
            response.status_code,
        )
        renewed = self._auth_type.renew(self._context, rejected_token=token)
        request.headers["Authorization"] = self._auth_type.authorization_value(renewed)
        yield request


class OAuth2AuthType(AuthType):
    """Base of the OAuth 2.0 auth types; see the module for its hooks."""

    # Whether the type obtains its grant through Connect in a browser.
    uses_connect: ClassVar[bool] = False
    uses_tokens: ClassVar[bool] = True
    # Shown by Test Authentication and in messages for the grant in use.
    grant_label: ClassVar[str] = "OAuth 2.0"

    # -- Configuration hooks -------------------------------------------------

    def token_url(self) -> str:
        return str(self.params.get("token_url", ""))

    def client_credentials(self) -> ClientCredentials:
        """Return the client as registered with the provider."""
        return ClientCredentials(
            token_url=self.token_url(),
            client_id=str(self.params.get("client_id", "")),
            client_secret=str(self.secrets.get("client_secret", "")),
            auth_method=str(
                self.params.get("token_endpoint_auth_method", CLIENT_SECRET_BASIC)
            ),
            scope=str(self.params.get("scope", "")),
        )

    def credential_url(self, endpoint: Endpoint) -> str:
        # The client secret and the grant go to the token endpoint.
        return self.token_url()

    def secret_values(self) -> list[str]:
        """Return the stored secrets and the client_secret_basic credential.

        The credential is derived from the client ID and secret, and a
        provider that quotes the request's Authorization header sends it
        back as it is, so it is a secret of its own.
        """
        values = super().secret_values()
        credentials = self.client_credentials()
        if credentials.client_secret:
            values.append(
                basic_client_credential(
                    credentials.client_id, credentials.client_secret
                )
            )
        return values

    def token_prefix(self) -> str:
        """Return the word before the token in the Authorization header."""
        return str(self.params.get("token_prefix", "Bearer"))

    def authorization_value(self, token: str) -> str:
        prefix = self.token_prefix()
        return f"{prefix} {token}" if prefix else token

    def expired_statuses(self) -> frozenset[int]:
        """Return the statuses that the target sends for an expired token."""
        try:
            status = int(self.params.get("expired_status", DEFAULT_EXPIRED_STATUS))
        except (TypeError, ValueError):
            status = DEFAULT_EXPIRED_STATUS
        return frozenset({status})

    def skew_seconds(self) -> int:
        return int(settings.OAUTH_REFRESH_SKEW_SECONDS)

    # -- Token response hooks ------------------------------------------------

    def check_token_response(
        self, data: dict[str, Any], response: httpx2.Response
    ) -> dict[str, Any]:
        """Return the token response's JSON object, adapted to RFC 6749.

        Vendor presets override this for errors that arrive in another
        shape; put ``error`` and ``error_description`` into the object and
        the request fails with them.
        """
        return data

    def parse_token_set(self, data: dict[str, Any], received_at: datetime) -> TokenSet:
        """Return the token set of a successful response's JSON object."""
        return token_set_from_response(data, received_at)

    def store_token_extras(self, config: AuthConfig, token_set: TokenSet) -> None:
        """Store what a preset reads from a token response besides tokens."""

    def describe_provider_error(self, error: str, description: str) -> str:
        return describe_provider_error(error, description)

    # -- Grants --------------------------------------------------------------

    def token_client(
        self, context: RequestContext, *, redirect_uri: str | None = None
    ) -> TokenEndpointClient:
        """Return a token client that sends through the context's client."""
        return TokenEndpointClient(
            context, self.client_credentials(), self, redirect_uri=redirect_uri
        )

    def request_new_token(self, context: RequestContext) -> TokenSet:
        """Obtain a token without a refresh token, such as by a password grant.

        Types whose grant needs the user in a browser cannot, and raise
        `ReconnectNeededError`.
        """
        raise ReconnectNeededError(
            "The stored authorization cannot be renewed without the user. A "
            "manager must Connect the endpoint again."
        )

    def refresh_rejected(
        self, context: RequestContext, error: TokenRequestError
    ) -> TokenSet:
        """Handle a refresh that the provider answered with invalid_grant.

        Called only when the stored refresh token is still the one that
        failed. By default the endpoint needs a new Connect.
        """
        raise ReconnectNeededError(
            "The provider no longer accepts the stored refresh token "
            f"({error.provider_error}"
            + (f": {error.provider_description}" if error.provider_description else "")
            + "). A manager must Connect the endpoint again.",
            provider_error=error.provider_error,
            provider_description=error.provider_description,
            status_code=error.status_code,
        )

    def obtain_token(self, context: RequestContext, config: AuthConfig) -> TokenSet:
        """Request a new token for ``config``: a refresh if it has a refresh
        token, otherwise `request_new_token`.

        A refresh answered with invalid_grant first re-reads the stored
        refresh token, because another process may have refreshed with it
        meanwhile, and a provider that rotates refresh tokens accepts each
        only once. Only when the stored token is still the one that failed
        does `refresh_rejected` decide.
        """
        if not config.refresh_token:
            return self.request_new_token(context)
        failed = config.refresh_token
        try:
            return self.token_client(context).refresh(failed)
        except TokenRequestError as error:
            if error.provider_error != INVALID_GRANT:
                raise
            rejection = error

        stored = AuthConfig.objects.filter(pk=config.pk).first() if config.pk else None
        if (
            stored is not None
            and stored.refresh_token
            and (stored.refresh_token != failed)
        ):
            logger.info("event=oauth_refresh_token_replaced endpoint_id=%s", config.pk)
            copy_tokens(stored, config)
            if not token_is_due(stored, self.skew_seconds()):
                return TokenSet(
                    access_token=stored.access_token,
                    refresh_token=stored.refresh_token,
                    expires_at=stored.token_expires_at,
                    lifetime=stored.token_lifetime,
                    scope=stored.granted_scope,
                    refreshed=True,
                )
            return self.token_client(context).refresh(stored.refresh_token)
        return self.refresh_rejected(context, rejection)

    # -- The runtime's interface ---------------------------------------------

    def check_usable(self) -> None:
        """Raise when the stored configuration cannot authenticate at all."""
        if self.config.reconnect_needed:
            raise ReconnectNeededError(
                "Reconnect needed: the provider no longer accepts the stored "
                "authorization. A manager must Connect the endpoint again on its "
                "page."
            )

    def prepare(self, context: RequestContext) -> None:
        """Renew the access token when it is missing or about to expire."""
        self.check_usable()
        if token_is_due(self.config, self.skew_seconds()):
            self.renew(context)

    def can_store(self, context: RequestContext) -> bool:
        """Return whether tokens obtained in this context may be stored."""
        return context.persist and self.config.pk is not None

    def renew(
        self,
        context: RequestContext,
        *,
        rejected_token: str | None = None,
        force: bool = False,
        store: bool | None = None,
    ) -> str:
        """Obtain a new access token, unless another request just did.

        Without ``rejected_token`` the token is renewed when it is due; with
        it, when the stored token is still the rejected one. ``force``
        renews in any case. ``store`` defaults to `can_store`. Returns the
        access token to use.
        """
        if not (self.can_store(context) if store is None else store):
            token_set = self.obtain_token(context, self.config)
            apply_token_set(self.config, token_set)
            return token_set.access_token

        failure: ReconnectNeededError | None = None
        with locked_config(self.config.pk) as locked:
            if locked.reconnect_needed:
                copy_tokens(locked, self.config)
                self.check_usable()
            if not force and self._renewed_meanwhile(locked, rejected_token):
                copy_tokens(locked, self.config)
                return self.config.access_token
            try:
                token_set = self.obtain_token(context, locked)
            except ReconnectNeededError as error:
                self._mark_reconnect_needed(context, locked, error)
                failure = error
            else:
                apply_token_set(locked, token_set)
                self.store_token_extras(locked, token_set)
                save_tokens(locked)
                logger.info(
                    "event=oauth_token_stored endpoint_id=%s rotated=%s "
                    "expiry_known=%s",
                    locked.pk,
                    bool(token_set.refresh_token),
                    token_set.expires_at is not None,
                )
        copy_tokens(locked, self.config)
        if failure is not None:
            raise failure
        return self.config.access_token

    def _renewed_meanwhile(
        self, locked: AuthConfig, rejected_token: str | None
    ) -> bool:
        if rejected_token is None:
            return not token_is_due(locked, self.skew_seconds())
        return bool(locked.access_token) and locked.access_token != rejected_token

    def _mark_reconnect_needed(
        self, context: RequestContext, locked: AuthConfig, error: ReconnectNeededError
    ) -> None:
        locked.reconnect_needed = True
        locked.save(update_fields=["reconnect_needed", "updated_at"])
        logger.warning(
            "event=oauth_reconnect_needed endpoint_id=%s provider_error=%s",
            locked.pk,
            error.provider_error or "-",
        )
        activity.record(
            ActivityEntry.Event.RECONNECT_NEEDED,
            actor=context.actor,
            endpoint=context.endpoint,
            outcome=ActivityEntry.Outcome.FAILURE,
            detail=error.reason,
            extra_secrets=self.secret_values(),
        )

    def build_auth(self, context: RequestContext | None = None) -> httpx2.Auth:
        if context is None:
            raise AuthenticationError(
                f"{self.label} authentication needs the request context."
            )
        return OAuth2BearerAuth(self, context)

    def authenticate(self, context: RequestContext) -> str:
        """Return the current access token, renewed first when it is due."""
        token = self.config.access_token
        if not token:
            raise CredentialUnavailableError(
                "No access token is stored for this endpoint."
            )
        return token

    def is_connected(self) -> bool:
        return bool(
            (self.config.access_token or self.config.refresh_token)
            and not self.config.reconnect_needed
        )

    def summary(self) -> str:
        host = urlsplit(self.token_url()).hostname or ""
        return f"{self.grant_label} at {host}" if host else self.grant_label

    def token_result_detail(self, token_set: TokenSet) -> str:
        """Describe an issued token for Test Authentication, without it."""
        if token_set.expires_at is None:
            lifetime = "its lifetime is unknown"
        else:
            seconds = int((token_set.expires_at - timezone.now()).total_seconds())
            lifetime = f"it expires in {max(seconds, 0)} s"
        refresh = (
            "with a refresh token"
            if token_set.refresh_token
            else "without a refresh token"
        )
        return f"The provider issued an access token {refresh}; {lifetime}."
