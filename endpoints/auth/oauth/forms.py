"""Form fields shared by the OAuth 2.0 auth types."""

from __future__ import annotations

from typing import ClassVar

from django import forms

from endpoints.validators import validate_oauth_url, validate_token_prefix

from ..base import AuthForm
from ..secret_field import (
    ISSUED_SECRET_MIN_LENGTH,
    SecretAction,
    SecretChange,
    SecretField,
)
from .client import CLIENT_SECRET_BASIC, CLIENT_SECRET_POST

AUTH_METHOD_CHOICES = [
    (CLIENT_SECRET_BASIC, "HTTP Basic (client_secret_basic)"),
    (CLIENT_SECRET_POST, "In the request body (client_secret_post)"),
]
EXPIRED_STATUS_CHOICES = [
    ("401", "401 Unauthorized"),
    ("403", "403 Forbidden"),
]


def oauth_url_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=2000,
        validators=[validate_oauth_url],
        widget=forms.URLInput(attrs={"spellcheck": "false"}),
        help_text=help_text,
    )


class OAuth2Form(AuthForm):
    """The client fields that every OAuth 2.0 type has.

    ``identity_fields`` name the settings whose change makes the stored
    tokens belong to another provider, client or user; saving such a change
    clears them. Secret fields listed there count when a new value is
    typed.
    """

    identity_fields: ClassVar[tuple[str, ...]] = ("token_url", "client_id")

    token_url = oauth_url_field(
        "Access token URL",
        "The provider's token endpoint, such as https://login.example.com/oauth/token.",
    )
    client_id = forms.CharField(
        label="Client ID",
        max_length=500,
        help_text="The ID of the client (application) registered with the provider.",
    )
    client_secret = SecretField(
        label="Client secret",
        min_length=ISSUED_SECRET_MIN_LENGTH,
        help_text="Stored encrypted and never shown again.",
    )
    token_endpoint_auth_method = forms.ChoiceField(
        label="Client authentication",
        choices=AUTH_METHOD_CHOICES,
        initial=CLIENT_SECRET_BASIC,
        help_text="How the client ID and secret go to the token endpoint. Most "
        "providers accept HTTP Basic.",
    )
    scope = forms.CharField(
        label="Scope",
        required=False,
        max_length=2000,
        help_text="Space-separated scopes to request, such as read write. Leave "
        "blank for the provider's default.",
    )
    expired_status = forms.TypedChoiceField(
        label="Token expired status",
        choices=EXPIRED_STATUS_CHOICES,
        coerce=int,
        initial="401",
        help_text="The status with which the target rejects an expired token. "
        "The console then gets a new token and sends the request once more.",
    )

    def clean_scope(self) -> str:
        return " ".join(self.cleaned_data["scope"].split())

    def clears_tokens(self) -> bool:
        if not hasattr(self, "cleaned_data"):
            return False
        stored = self.config.params
        for name in self.identity_fields:
            value = self.cleaned_data.get(name)
            if isinstance(value, SecretChange):
                if value.action is SecretAction.SET:
                    return True
            elif name in self.cleaned_data and stored.get(name) != value:
                return True
        return False


class TokenPrefixMixin(forms.Form):
    token_prefix = forms.CharField(
        label="Token prefix",
        required=False,
        initial="Bearer",
        max_length=40,
        validators=[validate_token_prefix],
        help_text="Sent before the access token in the Authorization header. "
        "Leave blank to send the bare token.",
    )
