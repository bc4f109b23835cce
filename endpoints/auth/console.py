"""The built-in Console endpoint's authentication.

Requests through the built-in endpoint act as the user on whose behalf the
step runs, so the console's API returns only what that user may see. Each
request carries a console user credential: the user's id and an expiry a
few minutes ahead, signed with the console's SECRET_KEY (see
`endpoints.api.credentials`). No user chooses this type; every workflow's
built-in endpoint has it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx2

from ..api.credentials import issue_user_credential
from ..runtime.errors import AuthenticationError
from .base import AuthType

if TYPE_CHECKING:
    from ..runtime.context import RequestContext


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

    def build_auth(self, context: RequestContext | None = None) -> httpx2.Auth:
        user = context.acting_user if context is not None else None
        if user is None or user.pk is None or not user.is_authenticated:
            raise AuthenticationError(
                "Requests through the built-in Console endpoint act as a user: "
                "pass the user the step runs for as acting_user."
            )
        return ConsoleUserAuth(user)


AUTH_TYPE = ConsoleUser
