"""HTTP Basic authentication (RFC 7617).

Only the encoded credential, ``base64(UTF-8 "username:password")``, is
stored, encrypted. The password is never stored or shown on its own, so
changing the username needs the password again.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Generator
from typing import TYPE_CHECKING

import httpx2
from django import forms
from django.core.exceptions import ValidationError

from endpoints.runtime.errors import CredentialUnavailableError

from ..validators import validate_basic_username
from .base import AuthForm, AuthTestResult, AuthType
from .http_status import check_base_url
from .secret_field import SecretAction, SecretField

if TYPE_CHECKING:
    from endpoints.models import AuthConfig
    from endpoints.runtime.context import RequestContext


def encode_credential(username: str, password: str) -> str:
    """Return the Basic credential: ``user:password`` in UTF-8, base64."""
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def decode_credential(credential: str) -> tuple[str, str]:
    """Return (username, password) from an encoded credential."""
    username, _, password = base64.b64decode(credential).decode().partition(":")
    return username, password


# One WWW-Authenticate header may list several challenges, separated by
# commas (RFC 9110, section 11.6.1).
_BASIC_CHALLENGE_RE = re.compile(r"(?:^|,)\s*basic(?:\s|,|$)", re.IGNORECASE)


def has_basic_challenge(response: httpx2.Response) -> bool:
    """Return whether a response challenges for Basic credentials."""
    challenges = response.headers.get_list("www-authenticate", split_commas=False)
    return any(_BASIC_CHALLENGE_RE.search(challenge) for challenge in challenges)


class BasicAuth(httpx2.Auth):
    """Send the Basic credential preemptively, or once after a challenge."""

    def __init__(self, credential: str, *, preemptive: bool):
        self._header = f"Basic {credential}"
        self._preemptive = preemptive
        # After a challenge the request goes out a second time, so httpx2
        # must read a streamed body into memory first to send it again.
        self.requires_request_body = not preemptive

    def __repr__(self) -> str:
        return f"BasicAuth(preemptive={self._preemptive})"

    def auth_flow(
        self, request: httpx2.Request
    ) -> Generator[httpx2.Request, httpx2.Response, None]:
        if self._preemptive:
            request.headers["Authorization"] = self._header
            yield request
            return

        response = yield request
        if response.status_code != 401 or not has_basic_challenge(response):
            return
        # The challenge must come from the request's own origin. A redirect to
        # another host must not make the credential follow it.
        if response.request.url.origin != request.url.origin:
            return
        request.headers["Authorization"] = self._header
        yield request


class BasicForm(AuthForm):
    username = forms.CharField(
        max_length=200,
        strip=False,
        validators=[validate_basic_username],
        help_text="A user allowed to call the target's API. It must not contain "
        "a colon.",
    )
    password = SecretField(
        help_text="Only the encoded credential is stored, encrypted; the "
        "password is never shown again.",
    )
    preemptive = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Send the credentials with every request. Clear it to send "
        "them only after the target answers 401 with a Basic challenge.",
    )

    def clean_username(self) -> str:
        # The field keeps spaces, as a username may have them, so a username
        # of only spaces would pass the required check.
        username = self.cleaned_data["username"]
        if not username.strip():
            raise ValidationError(
                self.fields["username"].error_messages["required"], code="required"
            )
        return username

    def secret_is_set(self, name: str) -> bool:
        if name == "password":
            return bool(self.config.stored_secrets().get("credential"))
        return super().secret_is_set(name)

    def clean(self):
        cleaned = super().clean()
        username = cleaned.get("username")
        password = cleaned.get("password")
        stored_username = self.config.params.get("username")
        if (
            username is not None
            and password is not None
            and password.action is SecretAction.KEEP
            and stored_username is not None
            and username != stored_username
        ):
            raise ValidationError(
                {
                    "password": ValidationError(
                        "Enter the password again: the stored credential was made "
                        "with the previous username.",
                        code="password_needed_for_username",
                    )
                }
            )
        return cleaned

    def apply(self, config: AuthConfig) -> None:
        secrets = dict(config.stored_secrets())
        username = self.cleaned_data["username"]
        password = self.cleaned_data["password"]
        if password.action is SecretAction.SET:
            secrets["credential"] = encode_credential(username, password.value)
        config.params = {
            **config.params,
            "username": username,
            "preemptive": self.cleaned_data["preemptive"],
        }
        config.secrets = secrets


class Basic(AuthType):
    key = "basic"
    label = "Basic"
    description = "A username and password, sent as an HTTP Basic credential."
    form_class = BasicForm
    test_description = "Sends a GET request to the base URL with the credentials."

    def summary(self) -> str:
        username = self.params.get("username", "")
        mode = "preemptive" if self.params.get("preemptive", True) else "on challenge"
        return f"User {username}, {mode}"

    def is_connected(self) -> bool:
        return bool(self.secrets.get("credential"))

    def secret_values(self) -> list[str]:
        values = super().secret_values()
        credential = self.secrets.get("credential")
        if credential:
            _, password = decode_credential(credential)
            if password:
                values.append(password)
        return values

    def build_auth(self, context: RequestContext | None = None) -> httpx2.Auth | None:
        credential = self.secrets.get("credential")
        if not credential:
            return None
        return BasicAuth(credential, preemptive=self.params.get("preemptive", True))

    def authenticate(self, context: RequestContext) -> str:
        """Return the base64 credential that follows ``Basic`` in the header.

        The header value is ``"Basic " + credential``.
        """
        credential = self.secrets.get("credential")
        if not credential:
            raise CredentialUnavailableError(
                "No Basic password is stored for this endpoint; enter one on the "
                "endpoint's page."
            )
        return credential

    def test_authentication(self, context: RequestContext) -> AuthTestResult:
        return check_base_url(
            context, self.request_base_url(context), self.build_auth(context)
        )


AUTH_TYPE = Basic
