"""System checks for the settings the console cannot run without."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ValidationError

from .validators import validate_base_url


@register()
def check_fernet_keys(app_configs, **kwargs):
    keys = getattr(settings, "FERNET_KEYS", None)
    if not keys or not all(isinstance(key, str) and key for key in keys):
        return [
            Error(
                "FERNET_KEYS is empty, so stored secrets cannot be encrypted.",
                hint="Set FERNET_KEYS to one or more comma-separated random keys; "
                "the first encrypts, all decrypt.",
                id="endpoints.E001",
            )
        ]
    return []


@register()
def check_console_base_url(app_configs, **kwargs):
    value = getattr(settings, "CONSOLE_BASE_URL", "")
    try:
        validate_base_url(value)
    except ValidationError as error:
        return [
            Error(
                f"CONSOLE_BASE_URL {value!r} is not a valid base URL: "
                f"{' '.join(error.messages)}",
                hint="Set CONSOLE_BASE_URL to the console's public address, such "
                "as https://console.example.com.",
                id="endpoints.E002",
            )
        ]
    return []
