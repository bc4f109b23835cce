"""The built-in Console endpoint's authentication.

Requests through the built-in endpoint act as the user on whose behalf the
step runs, so the console's API returns only what that user may see. No
user chooses this type; every workflow's built-in endpoint has it.
"""

from .base import AuthType


class ConsoleUser(AuthType):
    key = "console"
    label = "Console user"
    description = "Act as the user on whose behalf the step runs."
    selectable = False

    def summary(self) -> str:
        return "As the acting user"

    # TODO: attach a short-lived credential for ``context.acting_user`` in
    # build_auth once the console has its JSON API; until then requests
    # through the built-in endpoint carry no credential.


AUTH_TYPE = ConsoleUser
