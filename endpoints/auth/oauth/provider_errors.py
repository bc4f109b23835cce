"""Provider errors in plain words.

The codes are those of RFC 6749 (sections 4.1.2.1 and 5.2) and of OpenID
Connect Core (section 3.1.2.6), which many OAuth 2.0 providers send too.
Every message quotes the provider's code and description as well, so that
an administrator can look them up at the provider.
"""

from __future__ import annotations

PROVIDER_ERROR_MESSAGES: dict[str, str] = {
    "access_denied": "Access was denied at the provider: the user chose Deny, or "
    "the account may not grant this access.",
    "consent_required": "The provider needs consent that was not given. Connect "
    "again and approve the requested access.",
    "interaction_required": "The provider needs the user to sign in or approve "
    "access in the browser. Connect again.",
    "login_required": "The provider needs the user to sign in. Connect again.",
    "invalid_scope": "The provider rejected the requested scope. Check the scope "
    "against the scopes that the client may request.",
    "unauthorized_client": "The provider does not allow this client to use this "
    "grant type. Check the client's registration at the provider.",
    "invalid_client": "The provider rejected the client ID or client secret.",
    "invalid_grant": "The provider rejected the grant: the username and password, "
    "the authorization code or the refresh token is invalid, expired or revoked.",
    "invalid_request": "The provider rejected the request as malformed. Check the "
    "URLs and the client's registration.",
    "unsupported_grant_type": "The provider does not support this grant type.",
    "unsupported_response_type": "The provider does not support the authorization "
    "code flow for this client.",
    "server_error": "The provider failed while handling the request. Try again later.",
    "temporarily_unavailable": "The provider is temporarily unavailable. Try again "
    "later.",
}

# Words of a description that mean an administrator must approve the
# access first, for providers that send only access_denied or
# consent_required then.
ADMIN_APPROVAL_MARKERS = ("admin approval", "admin consent", "administrator")
ADMIN_APPROVAL_MESSAGE = (
    "An administrator of the provider must approve this access before it can be "
    "granted. Ask them to approve the client, then Connect again."
)

# Longer descriptions are cut, so that a provider cannot fill a page.
MAX_DESCRIPTION_CHARS = 300


def describe_provider_error(error: str, description: str = "") -> str:
    """Return a sentence for a provider error, quoting its code and text."""
    lowered = description.lower()
    if error in ("access_denied", "consent_required") and any(
        marker in lowered for marker in ADMIN_APPROVAL_MARKERS
    ):
        sentence = ADMIN_APPROVAL_MESSAGE
    else:
        sentence = PROVIDER_ERROR_MESSAGES.get(
            error, "The provider answered with an error."
        )
    if len(description) > MAX_DESCRIPTION_CHARS:
        description = description[:MAX_DESCRIPTION_CHARS] + "…"
    quoted = f"{error}: {description}" if description else error
    # A description is often a sentence with its own full stop.
    stop = "" if quoted.endswith((".", "!", "?", "…")) else "."
    return f"{sentence} (The provider said {quoted}{stop})"
