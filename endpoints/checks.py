"""System checks for the settings the console cannot run without."""

from pathlib import Path

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


@register()
def check_blocked_networks(app_configs, **kwargs):
    from .runtime.network import parse_networks

    values = getattr(settings, "ENDPOINT_BLOCKED_NETWORKS", [])
    try:
        parse_networks(values)
    except ValueError as error:
        return [
            Error(
                f"ENDPOINT_BLOCKED_NETWORKS contains an invalid network: {error}.",
                hint="List CIDR ranges separated by commas, such as "
                "169.254.169.254/32,169.254.0.0/16,fe80::/10.",
                id="endpoints.E003",
            )
        ]
    return []


@register()
def check_ca_bundle(app_configs, **kwargs):
    path = getattr(settings, "ENDPOINT_CA_BUNDLE", "")
    if path and not Path(path).is_file():
        return [
            Error(
                f"ENDPOINT_CA_BUNDLE names {path!r}, which is not a file.",
                hint="Set ENDPOINT_CA_BUNDLE to a PEM file of certificate "
                "authorities, or leave it blank to use the system's.",
                id="endpoints.E004",
            )
        ]
    return []
