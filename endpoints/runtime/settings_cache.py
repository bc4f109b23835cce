"""The ENDPOINT_* settings that every request reads, read once per process.

Each attribute of Django's lazy settings object costs a Python-level
lookup, and each request needs six of them. A change made through
override_settings (as the tests make) sends ``setting_changed``, which
clears the cache.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class RuntimeSettings:
    """The request runtime's settings, as read at one time."""

    request_deadline: float
    client_pool_size: int
    # The settings that shape a pooled client's connections, for its key.
    client_settings: tuple


@functools.cache
def runtime_settings() -> RuntimeSettings:
    """Return the request runtime's settings, read once per change."""
    return RuntimeSettings(
        request_deadline=float(settings.ENDPOINT_REQUEST_DEADLINE),
        client_pool_size=settings.ENDPOINT_CLIENT_POOL_SIZE,
        client_settings=(
            settings.ENDPOINT_CA_BUNDLE,
            tuple(settings.ENDPOINT_BLOCKED_NETWORKS),
            settings.ENDPOINT_RESOLVER,
            settings.ENDPOINT_MAX_RESPONSE_BYTES,
        ),
    )


@receiver(setting_changed)
def forget_runtime_settings(*, setting: str, **kwargs) -> None:
    if setting.startswith("ENDPOINT_"):
        runtime_settings.cache_clear()
