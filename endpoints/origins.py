"""The rule that stored secrets go only to the origin they were saved for.

An auth type sends its secrets to `AuthType.credential_url` (the base URL,
or a token URL for OAuth 2.0 and vendor types). When a form names a URL with
another origin there while a stored secret is kept, the stored value would
go to an address that the person editing may choose without knowing the
secret. Test Authentication and every save path call `new_credential_origin`
and stop until the kept secrets are typed again or cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from endpoints.auth.base import AuthType
    from endpoints.models import AuthConfig, Endpoint

# The activity entry's sentence when tokens_would_move cleared the tokens.
TOKENS_CLEARED_DETAIL = (
    "The stored tokens were cleared because the base URL moved to another origin."
)


@dataclass(frozen=True)
class CredentialOriginChange:
    """A new credential origin for secrets that were saved for another one.

    ``kept_secrets`` are the labels of the secret fields whose stored values
    would go to ``target`` although they were saved for ``saved``.
    """

    saved: str
    target: str
    kept_secrets: list[str]

    def message(self, purpose: str) -> str:
        """Return the error, ending with ``purpose`` and the new origin.

        ``purpose`` completes "Type it again to …", such as "test against".
        The message names fields and origins, never a secret value.
        """
        names = " and ".join(label.lower() for label in self.kept_secrets)
        if len(self.kept_secrets) == 1:
            return (
                f"The stored {names} was saved for {self.saved} and is sent only "
                f"there. Type it again to {purpose} {self.target}."
            )
        return (
            f"The stored {names} were saved for {self.saved} and are sent only "
            f"there. Type them again to {purpose} {self.target}."
        )


def new_credential_origin(
    stored: Endpoint,
    stored_type: AuthType,
    endpoint: Endpoint,
    auth_type: AuthType,
    kept_secrets: list[str],
) -> CredentialOriginChange | None:
    """Return the origin change that the kept secrets would follow, if any.

    ``stored`` and ``stored_type`` are the saved endpoint and its auth type,
    ``endpoint`` and ``auth_type`` the same with the submitted values.
    ``kept_secrets`` are the labels of the secret fields whose stored values
    the submitted configuration keeps. Returns None when nothing is kept or
    the origin of `AuthType.credential_url` is the same.

    Only secret fields count. A stored OAuth 2.0 access token is not one:
    the endpoint page clears the stored tokens when the base URL moves to
    another origin.
    """
    saved = origin_of(stored_type.credential_url(stored))
    target = origin_of(auth_type.credential_url(endpoint))
    if not kept_secrets or saved == target:
        return None
    return CredentialOriginChange(saved, target, list(kept_secrets))


def origin_of(url: str) -> str:
    """Return a URL's origin as ``scheme://host:port``, port filled in.

    IPv6 hosts are in brackets; a URL without a host is returned as it is.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return url
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    port = port or {"http": 80, "https": 443}.get(scheme)
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}:{port}" if port else f"{scheme}://{shown_host}"


def origin_change_details(
    stored: Endpoint,
    stored_type: AuthType,
    endpoint: Endpoint,
    auth_type: AuthType,
) -> list[str]:
    """Return sentences for the activity stream on changed origins.

    One sentence for the base URL when it changed, with its old and new
    origin (or its one origin), and one for the credential URL when its
    origin changed and is not the base URL's. Only origins are named, so no
    path, query string or user info of a URL is recorded.
    """
    details = []
    old_base = origin_of(stored.target_url)
    new_base = origin_of(endpoint.target_url)
    if stored.target_url != endpoint.target_url:
        if old_base == new_base:
            details.append(f"Base URL changed within its origin {new_base}.")
        else:
            details.append(f"Base URL origin: {old_base}, now {new_base}.")
    old_credential = origin_of(stored_type.credential_url(stored))
    new_credential = origin_of(auth_type.credential_url(endpoint))
    if old_credential != new_credential and (old_credential, new_credential) != (
        old_base,
        new_base,
    ):
        details.append(
            f"Credential URL origin: {old_credential or 'none'}, now "
            f"{new_credential or 'none'}."
        )
    return details


def tokens_would_move(config: AuthConfig, old_base_url: str, new_base_url: str) -> bool:
    """Return whether stored tokens would go to a new base URL's other origin.

    Stored tokens are no secret fields, so `new_credential_origin` lets them
    through. The next request would send the access token, or the one that
    a renewal with the refresh token gets, to the new origin.
    """
    has_tokens = bool(config.access_token or config.refresh_token)
    return has_tokens and origin_of(old_base_url) != origin_of(new_base_url)
