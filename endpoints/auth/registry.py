"""The list of auth types and lookups by key."""

import threading
from importlib import import_module

from .base import AuthType

# One line per auth type. Each module defines exactly one AuthType subclass
# named ``AUTH_TYPE``.
AUTH_TYPE_MODULES = (
    "endpoints.auth.none",
    "endpoints.auth.basic",
    "endpoints.auth.token",
    "endpoints.auth.oauth_password",
    "endpoints.auth.oauth_code",
    "endpoints.auth.slack",
    "endpoints.auth.slack_legacy",
    "endpoints.auth.microsoft_graph",
    "endpoints.auth.salesforce",
    "endpoints.auth.servicenow",
    "endpoints.auth.remedy",
    "endpoints.auth.zoom",
    "endpoints.auth.console",
)

_types: dict[str, type[AuthType]] = {}
_load_lock = threading.Lock()


def _load() -> dict[str, type[AuthType]]:
    # The table is filled in a local dict and published whole, so that a
    # thread never sees it half filled while another thread loads it.
    global _types
    if not _types:
        with _load_lock:
            if not _types:
                loaded: dict[str, type[AuthType]] = {}
                for module_path in AUTH_TYPE_MODULES:
                    auth_type = import_module(module_path).AUTH_TYPE
                    if auth_type.key in loaded:
                        raise RuntimeError(
                            f"Auth type key {auth_type.key!r} is used twice."
                        )
                    loaded[auth_type.key] = auth_type
                _types = loaded
    return _types


def get(key: str) -> type[AuthType]:
    """Return the auth type class for ``key``; raise KeyError if unknown."""
    try:
        return _load()[key]
    except KeyError:
        raise KeyError(f"Unknown auth type {key!r}.") from None


def is_registered(key: str) -> bool:
    return key in _load()


def label(key: str) -> str:
    """Return the label of ``key``, or the key itself if it is unknown."""
    auth_type = _load().get(key)
    return auth_type.label if auth_type else key


def all_types() -> list[type[AuthType]]:
    return list(_load().values())


def selectable_types() -> list[type[AuthType]]:
    """Return the types a user may choose, current ones before legacy ones."""
    types = [auth_type for auth_type in _load().values() if auth_type.selectable]
    return sorted(types, key=lambda auth_type: auth_type.legacy)
