"""The built-in Console endpoint's authentication.

Requests through the built-in endpoint act as the user on whose behalf the
step runs, so the console's API returns only what that user may see. Each
request carries a console user credential: the user's id and an expiry a
few minutes ahead, signed with the console's SECRET_KEY (see
`endpoints.api.credentials`). No user chooses this type; every workflow's
built-in endpoint has it.
"""

from __future__ import annotations

import httpx2

from ..api.credentials import issue_user_credential
from .base import AuthType


class ConsoleUserAuth(httpx2.Auth):
    """Send ``Authorization: Bearer <credential>`` for one user.

    A new credential is signed for every request, so a long-running step
    never sends an expired one.
    """

    def __init__(self, user):
        self._user = user

    def __repr__(self) -> str:
        return f"ConsoleUserAuth(user_id={self._user.pk})"

    def auth_flow(self, request):
        request.headers["Authorization"] = f"Bearer {issue_user_credential(self._user)}"
        yield request


class ConsoleUser(AuthType):
    key = "console"
    label = "Console user"
    description = "Act as the user on whose behalf the step runs."
    selectable = False

    def summary(self) -> str:
        return "As the acting user"

    def credential_for(self, user) -> str:
        """Return a short-lived credential that the API accepts as ``user``.

        Raises ValueError for an anonymous or unsaved user.
        """
        return issue_user_credential(user)

    def build_auth_for(self, user) -> httpx2.Auth:
        """Return the httpx2 auth flow that sends requests as ``user``."""
        if user is None or user.pk is None or not user.is_authenticated:
            raise ValueError("Requests through the built-in endpoint need a user.")
        return ConsoleUserAuth(user)

    def build_auth(self) -> httpx2.Auth | None:
        # TODO: the request runtime has the acting user and should call
        # build_auth_for(acting_user) here. Until it passes that user in,
        # requests through the built-in endpoint carry no credential and the
        # API rejects them with 401.
        return None


AUTH_TYPE = ConsoleUser
