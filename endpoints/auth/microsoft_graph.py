"""Microsoft Graph API: Connect with the console's Microsoft Entra ID app.

The authorization code flow of the Microsoft identity platform (v2.0
endpoints) at ``{MICROSOFT_LOGIN_URL}/{MICROSOFT_TENANT}/oauth2/v2.0/``,
with the delegated scopes below. ``offline_access`` makes Microsoft issue
a refresh token. Without one the console would lose access when the first
token expires (about an hour), so a Connect that yields none is rejected
right away, with what to ask the tenant's administrator.

Microsoft reports consent problems as OAuth errors whose description
starts with an ``AADSTS`` code, at the callback (``consent_required``,
``access_denied``) and at the token endpoint (``invalid_grant`` with a
``suberror``). `describe_microsoft_error` turns the codes that need an
administrator into plain words. Test Authentication refreshes the token and
reads ``/v1.0/me``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx2
from django.conf import settings

from endpoints.runtime.errors import ReconnectNeededError, TokenRequestError

from .base import AuthTestResult
from .oauth.console_app import ConsoleAppForm, ConsoleAppMixin
from .oauth.provider_errors import describe_provider_error
from .oauth.tokens import TokenSet
from .oauth_code import OAuth2AuthorizationCode

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

SCOPES = (
    "ChannelMessage.Read.All",
    "Directory.ReadWrite.All",
    "Group.ReadWrite.All",
    "offline_access",
    "OnlineMeetings.ReadWrite",
    "openid",
    "profile",
    "User.Read",
)

_AADSTS_RE = re.compile(r"\bAADSTS(\d+)\b")

ASK_ADMIN = (
    "Ask a Global Administrator or Privileged Role Administrator of your Microsoft "
    "Entra tenant to open Enterprise applications, find the console's app (client "
    "ID {client_id}) and grant admin consent for these delegated permissions: "
    "{scopes}. Then Connect again."
)

# AADSTS codes of the Microsoft identity platform that a manager can act
# on, in plain words. "{ask_admin}" is replaced by ASK_ADMIN.
MICROSOFT_ERROR_MESSAGES: dict[str, str] = {
    "65001": "Nobody has consented to the console's Microsoft app using these "
    "permissions in your organization, and you may not consent yourself. "
    "{ask_admin}",
    "90094": "These permissions need an administrator's consent. {ask_admin}",
    "90099": "The console's Microsoft app is not authorized in your organization "
    "yet. {ask_admin}",
    "65004": "Consent was declined on Microsoft's consent page, so nothing was "
    "granted. Connect again and choose Accept.",
    "50105": "Your account is not assigned to the console's Microsoft app. Ask an "
    "administrator of your tenant to assign you (or your group) to the app under "
    "Enterprise applications, then Connect again.",
    "700016": "Microsoft does not know the console's app in this tenant. An "
    "operator must check MICROSOFT_CLIENT_ID and MICROSOFT_TENANT.",
    "7000215": "Microsoft rejected the client secret of the console's app. An "
    "operator must check MICROSOFT_CLIENT_SECRET.",
    "7000222": "The client secret of the console's Microsoft app expired. An "
    "operator must create a new one and set MICROSOFT_CLIENT_SECRET.",
    "70008": "The stored refresh token expired. Connect the endpoint again.",
    "700082": "The stored refresh token expired after a long time unused. Connect "
    "the endpoint again.",
    "50076": "Your organization requires multi-factor sign-in for this access. "
    "Connect again and complete it.",
    "50079": "Your organization requires you to register for multi-factor sign-in. "
    "Connect again and complete it.",
}

# Words of a description that mean a consent request is waiting for an
# administrator (the admin consent workflow of Microsoft Entra ID).
# NOTE: checked only against the fake's wording, not a live tenant's; a
# pending request that Microsoft words otherwise gets the generic message.
APPROVAL_PENDING_MARKERS = ("approval", "pending", "request has been sent")
APPROVAL_PENDING_MESSAGE = (
    "Your request for access is waiting for an administrator's approval. Ask an "
    "administrator of your Microsoft Entra tenant to review the pending request "
    "for the console's app (client ID {client_id}) under Enterprise applications, "
    "Admin consent requests, and approve it. Connect again once it is approved."
)

MISSING_OFFLINE_ACCESS_ADVICE = (
    "Microsoft issued no refresh token, so the console would lose access when the "
    "first token expires (after about an hour), and it stored nothing. The grant "
    "lacks offline_access: ask an administrator of your tenant to grant the "
    "console's app (client ID {client_id}) the offline_access permission with "
    "admin consent, then Connect again."
)


def aadsts_code(description: str) -> str | None:
    """Return the number of the first ``AADSTS`` code in a description."""
    match = _AADSTS_RE.search(description)
    return match.group(1) if match else None


def describe_microsoft_error(
    error: str, description: str, *, client_id: str, scopes: str
) -> str:
    """Return a sentence for a Microsoft identity platform error.

    Quotes Microsoft's code and description, as `describe_provider_error`
    does for every provider.
    """
    # Microsoft puts the trace and correlation IDs on lines of their own.
    description = " ".join(description.split())
    code = aadsts_code(description)
    lowered = description.lower()
    generic = describe_provider_error(error, description)
    # The "(The provider said ...)" part of the generic sentence.
    quoted = generic[generic.index("(The provider said") :]
    ask_admin = ASK_ADMIN.format(client_id=client_id, scopes=scopes)
    if error in ("access_denied", "consent_required") and any(
        marker in lowered for marker in APPROVAL_PENDING_MARKERS
    ):
        sentence = APPROVAL_PENDING_MESSAGE.format(client_id=client_id)
    elif code in MICROSOFT_ERROR_MESSAGES:
        sentence = MICROSOFT_ERROR_MESSAGES[code].format(ask_admin=ask_admin)
    elif error == "consent_required":
        sentence = MICROSOFT_ERROR_MESSAGES["65001"].format(ask_admin=ask_admin)
    else:
        return generic
    return f"{sentence} {quoted}"


class MicrosoftGraphForm(ConsoleAppForm):
    pass


class MicrosoftGraph(ConsoleAppMixin, OAuth2AuthorizationCode):
    key = "microsoft_graph"
    label = "Microsoft Graph API"
    description = (
        "Connect a Microsoft 365 account with the console's Microsoft app; the "
        "console then sends its delegated token and refreshes it."
    )
    form_class = MicrosoftGraphForm
    test_description = (
        "Refreshes the access token, then reads the signed-in user at /v1.0/me."
    )
    grant_label = "Microsoft app"
    app_label = "Microsoft app"
    client_id_setting = "MICROSOFT_CLIENT_ID"
    client_secret_setting = "MICROSOFT_CLIENT_SECRET"  # noqa: S105 (a name)
    api_url_setting = "MICROSOFT_GRAPH_URL"
    connection_params = ()

    def scope(self) -> str:
        return " ".join(SCOPES)

    def tenant_url(self) -> str:
        login = str(settings.MICROSOFT_LOGIN_URL).rstrip("/")
        return f"{login}/{settings.MICROSOFT_TENANT}/oauth2/v2.0"

    def authorization_url(self) -> str:
        return f"{self.tenant_url()}/authorize"

    def token_url(self) -> str:
        return f"{self.tenant_url()}/token"

    def token_prefix(self) -> str:
        return "Bearer"

    def summary(self) -> str:
        return f"Microsoft app, tenant {settings.MICROSOFT_TENANT}"

    def check_token_response(
        self, data: dict[str, Any], response: httpx2.Response
    ) -> dict[str, Any]:
        # Microsoft adds a suberror (consent_required, bad_token, ...) to
        # invalid_grant, and the description's AADSTS code gives the cause.
        suberror = data.get("suberror")
        if data.get("error") and suberror:
            description = str(data.get("error_description") or "")
            data["error_description"] = f"{description} (suberror {suberror})"
        return data

    def describe_provider_error(self, error: str, description: str) -> str:
        return describe_microsoft_error(
            error,
            description,
            client_id=self.app_client_id(),
            scopes=self.scope(),
        )

    def refresh_rejected(
        self, context: RequestContext, error: TokenRequestError
    ) -> TokenSet:
        # The reason already explains Microsoft's code, such as consent that
        # an administrator revoked.
        raise ReconnectNeededError(
            f"{error.reason} A manager must Connect the endpoint again.",
            provider_error=error.provider_error,
            provider_description=error.provider_description,
            status_code=error.status_code,
        )

    def missing_refresh_token_advice(self) -> str:
        return MISSING_OFFLINE_ACCESS_ADVICE.format(client_id=self.app_client_id())

    def prepare(self, context: RequestContext) -> None:
        self.check_api_origin(context)
        super().prepare(context)

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        self.check_api_origin(context)
        refreshed = super().test_authentication(context)
        if not refreshed.ok:
            return refreshed
        request = context.client.build_request(
            "GET",
            f"{self.api_url()}/v1.0/me",
            headers={
                "Authorization": self.authorization_value(self.config.access_token)
            },
            timeout=context.timeout,
        )
        response = context.send(request)
        data = _json_or_none(response)
        if response.status_code != 200 or not isinstance(data, dict):
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict):
                detail = f"{error.get('code', '')}: {error.get('message', '')}"
            else:
                detail = response.text
            return AuthTestResult(
                ok=False,
                stage="http",
                status_code=response.status_code,
                message=f"The token was refreshed, but Microsoft Graph answered "
                f"/v1.0/me with {response.status_code} {response.reason_phrase}.",
                detail=detail,
            )
        name = data.get("displayName") or "the signed-in user"
        return AuthTestResult(
            ok=True,
            status_code=response.status_code,
            message=f"The token was refreshed, and Microsoft Graph returned the "
            f"profile of {name}.",
        )


def _json_or_none(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


MicrosoftGraphForm.auth_type_class = MicrosoftGraph

AUTH_TYPE = MicrosoftGraph
