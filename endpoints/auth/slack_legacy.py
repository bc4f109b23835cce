"""Slack (Legacy): the older Slack OAuth flow, for endpoints that use it.

Slack's first OAuth flow sends the browser to ``{SLACK_URL}/oauth/authorize``
with the older, finer scopes (``chat:write:bot``, ``channels:write``) and
exchanges the code at ``{SLACK_API_URL}/oauth.access``, which returns the
token at the top level of its response. Errors arrive as in the v2 flow, with
HTTP 200 and ``"ok": false``, and are handled the same way. The type stays
for endpoints connected this way; the type picker lists it as legacy so
that new endpoints choose Slack.
"""

from __future__ import annotations

from .slack import Slack, SlackForm

LEGACY_SCOPES = (
    "users:read",
    "team:read",
    "channels:history",
    "channels:write",
    "channels:read",
    "chat:write:bot",
    "chat:write:user",
)


class SlackLegacyForm(SlackForm):
    pass


class SlackLegacy(Slack):
    key = "slack_legacy"
    label = "Slack (Legacy)"
    description = (
        "The older Slack OAuth flow and scopes, kept for endpoints connected with "
        "it. Choose Slack for new endpoints."
    )
    legacy = True
    form_class = SlackLegacyForm
    scopes = LEGACY_SCOPES
    authorize_path = "/oauth/authorize"
    token_method = "oauth.access"  # noqa: S105 (a method name)


SlackLegacyForm.auth_type_class = SlackLegacy

AUTH_TYPE = SlackLegacy
