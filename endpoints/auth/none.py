"""No Authorization: requests go out exactly as the step builds them."""

from .base import AuthType


class NoAuthorization(AuthType):
    key = "none"
    label = "No Authorization"
    description = "Send requests without credentials."


AUTH_TYPE = NoAuthorization
