"""The console's own OAuth 2.0 apps (Slack, Microsoft), read from settings.

Vendor presets that connect with an app registered by the console's
operator take the client ID and secret from settings instead of the
endpoint's form, so managers never see or type them. `ConsoleAppMixin`
gives such a type its client credentials, adds the app's secret to the
values that are scrubbed from every message, and names the settings to set
when they are empty. It also keeps the vendor's tokens on the vendor's API
origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django import forms
from django.conf import settings

from endpoints.runtime.errors import AuthenticationError

from ..base import AuthForm
from .client import CLIENT_SECRET_POST, ClientCredentials, basic_client_credential

if TYPE_CHECKING:
    from endpoints.runtime.context import RequestContext


def origin(url: str) -> str:
    """Return ``scheme://host[:port]`` of a URL, lower-cased."""
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"


class ConsoleAppMixin:
    """Client credentials from settings; mix in before `OAuth2AuthType`.

    A type names the settings of its app in ``client_id_setting`` and
    ``client_secret_setting``, and the setting of the API that its tokens
    are for in ``api_url_setting``.
    """

    app_label: ClassVar[str]
    client_id_setting: ClassVar[str]
    client_secret_setting: ClassVar[str]
    api_url_setting: ClassVar[str]
    token_auth_method: ClassVar[str] = CLIENT_SECRET_POST

    def app_client_id(self) -> str:
        return str(getattr(settings, self.client_id_setting, "") or "")

    def app_client_secret(self) -> str:
        return str(getattr(settings, self.client_secret_setting, "") or "")

    def connect_problem(self) -> str | None:
        """Return what to configure before Connect works, or None."""
        missing = [
            name
            for name, value in (
                (self.client_id_setting, self.app_client_id()),
                (self.client_secret_setting, self.app_client_secret()),
            )
            if not value
        ]
        if not missing:
            return None
        names = " and ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        return (
            f"The console's {self.app_label} is not configured: {names} {verb} "
            "empty. An operator must register the app, set these settings in the "
            "console's environment and restart it; then press Connect again."
        )

    def scope(self) -> str:
        raise NotImplementedError

    def client_credentials(self) -> ClientCredentials:
        return ClientCredentials(
            token_url=self.token_url(),
            client_id=self.app_client_id(),
            client_secret=self.app_client_secret(),
            auth_method=self.token_auth_method,
            scope=self.scope(),
        )

    def secret_values(self) -> list[str]:
        """Return the stored tokens and the app's client secret."""
        values = super().secret_values()
        secret = self.app_client_secret()
        if secret:
            values += [secret, basic_client_credential(self.app_client_id(), secret)]
        return values

    def api_url(self) -> str:
        return str(getattr(settings, self.api_url_setting)).rstrip("/")

    def check_api_origin(self, context: RequestContext) -> None:
        """Raise unless the endpoint's base URL is on the vendor's API origin.

        The vendor's token is sent with every request, so a base URL on
        another host would hand it to that host.
        """
        problem = self.base_url_problem(context.endpoint.target_url)
        if problem:
            raise AuthenticationError(problem)

    def base_url_problem(self, base_url: str) -> str | None:
        """Return why ``base_url`` is not on the vendor's API origin, if so."""
        expected = origin(self.api_url())
        if origin(base_url) == expected:
            return None
        return (
            f"{self.label} tokens are sent only to {expected} (the "
            f"{self.api_url_setting} setting). Change the endpoint's base URL "
            f"to {self.api_url()}."
        )


class ConsoleAppForm(AuthForm):
    """The form of a type that connects with the console's app: no fields.

    A new endpoint is rejected while the app's settings are empty, because
    it could never be connected; saved endpoints stay editable.
    """

    auth_type_class: ClassVar[type]

    def clean(self):
        cleaned = super().clean()
        if self.config.pk is None:
            problem = self.auth_type_class(self.config).connect_problem()
            if problem:
                raise forms.ValidationError(problem, code="app_not_configured")
        return cleaned
