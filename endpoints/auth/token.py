"""Token authentication: a token, and optionally an ID, in request headers.

With the Authorization header the value is ``<prefix> <token>``, or the bare
token when the prefix is blank. With a custom header the token goes in a
header of the user's naming, and an optional second header carries an ID
such as an account or key ID.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import httpx2
from django import forms
from django.core.exceptions import ValidationError

from endpoints.runtime.errors import CredentialUnavailableError

from ..validators import (
    validate_header_name,
    validate_header_value,
    validate_token_prefix,
)
from .base import AuthForm, AuthTestResult, AuthType
from .http_status import check_base_url
from .secret_field import (
    ISSUED_SECRET_MIN_LENGTH,
    SecretAction,
    SecretChange,
    SecretField,
)

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext

AUTHORIZATION = "authorization"
CUSTOM = "custom"


class HeaderAuth(httpx2.Auth):
    """Set fixed headers on every request."""

    def __init__(self, headers: dict[str, str]):
        self._headers = headers

    def __repr__(self) -> str:
        return f"HeaderAuth(headers={sorted(self._headers)})"

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        # Item by item, because Headers.update took four times as long for
        # one header (timeit, httpx2 2.16 on CPython 3.11).
        for name, value in self._headers.items():
            request.headers[name] = value
        yield request


class TokenForm(AuthForm):
    header = forms.ChoiceField(
        choices=[(AUTHORIZATION, "Authorization"), (CUSTOM, "Custom")],
        initial=AUTHORIZATION,
        widget=forms.RadioSelect,
        help_text="Send the token in the Authorization header, or in a header "
        "that the target names.",
    )
    prefix = forms.CharField(
        label="Token prefix",
        required=False,
        initial="Bearer",
        max_length=40,
        validators=[validate_token_prefix],
        help_text="Sent before the token, such as Bearer. Leave blank to send "
        "the bare token.",
    )
    header_name = forms.CharField(
        label="Token header",
        max_length=100,
        validators=[validate_header_name],
        help_text="Name of the header that carries the token, such as X-Api-Key.",
    )
    token = SecretField(
        min_length=ISSUED_SECRET_MIN_LENGTH, validators=[validate_header_value]
    )
    id_header_name = forms.CharField(
        label="ID header",
        required=False,
        max_length=100,
        validators=[validate_header_name],
        help_text="Optional. Name of a header that carries an ID with the token.",
    )
    id_value = SecretField(
        label="ID value",
        required=False,
        validators=[validate_header_value],
        help_text="The value of the ID header.",
    )

    conditional_fields = {
        "prefix": ("header", AUTHORIZATION),
        "header_name": ("header", CUSTOM),
        "id_header_name": ("header", CUSTOM),
        "id_value": ("header", CUSTOM),
    }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("header") != CUSTOM:
            return cleaned

        id_header = cleaned.get("id_header_name")
        id_value_set = self._id_value_present(cleaned.get("id_value"))
        # An invalid ID header name already has its own error.
        if id_value_set and not id_header and "id_header_name" not in self.errors:
            self.add_error(
                "id_header_name",
                ValidationError(
                    "Name the header that carries the ID value, or clear the ID value.",
                    code="id_header_missing",
                ),
            )

        # An ID header with no value would not be sent, and the page would not
        # show that. An invalid ID value already has its own error.
        if id_header and not id_value_set and "id_value" not in self.errors:
            self.add_error(
                "id_value",
                ValidationError(
                    "Enter the ID value, or clear the ID header.",
                    code="id_value_missing",
                ),
            )

        token_header = cleaned.get("header_name")
        if token_header and id_header and token_header.lower() == id_header.lower():
            self.add_error(
                "id_header_name",
                ValidationError(
                    "Use a different header for the ID than for the token.",
                    code="same_header",
                ),
            )
        return cleaned

    def _id_value_present(self, change: SecretChange | None) -> bool:
        if change is None:
            return False
        if change.action is SecretAction.SET:
            return True
        return change.action is SecretAction.KEEP and self.secret_is_set("id_value")


class Token(AuthType):
    key = "token"
    label = "Token"
    description = "A token or API key sent in a request header."
    form_class = TokenForm
    test_description = "Sends a GET request to the base URL with the token."

    def summary(self) -> str:
        if self.params.get("header") == CUSTOM:
            return f"Header {self.params.get('header_name', '')}"
        prefix = self.params.get("prefix", "")
        return f"Authorization: {prefix} …" if prefix else "Authorization: bare token"

    def is_connected(self) -> bool:
        return bool(self.secrets.get("token"))

    def request_headers(self) -> dict[str, str]:
        """Return the headers that carry the stored token and ID."""
        token = self.secrets.get("token")
        if not token:
            return {}
        if self.params.get("header") == CUSTOM:
            headers = {self.params["header_name"]: token}
            id_header = self.params.get("id_header_name")
            id_value = self.secrets.get("id_value")
            if id_header and id_value:
                headers[id_header] = id_value
            return headers
        prefix = self.params.get("prefix", "")
        return {"Authorization": f"{prefix} {token}" if prefix else token}

    def build_auth(self, context: RequestContext | None = None) -> httpx2.Auth | None:
        headers = self.request_headers()
        return HeaderAuth(headers) if headers else None

    def authenticate(self, context: RequestContext) -> str:
        """Return the stored token, without any prefix."""
        token = self.secrets.get("token")
        if not token:
            raise CredentialUnavailableError(
                "No token is stored for this endpoint; enter one on the endpoint's "
                "page."
            )
        return token

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        return check_base_url(
            context, self.request_base_url(context), self.build_auth(context)
        )


AUTH_TYPE = Token
