"""Helpers of the vendor preset tests: forms posted as a browser would."""

from __future__ import annotations

from django.urls import reverse


def create_through_form(client, workflow, name, base_url, auth_type, fields):
    """Post the endpoint form; return the response.

    ``fields`` are the auth form's fields without the ``auth-`` prefix; a
    secret field's value goes in as its typed input.
    """
    data = {"name": name, "base_url": base_url, "auth_type": auth_type}
    for field, value in fields.items():
        data[f"auth-{field}"] = value
    return client.post(reverse("endpoints:endpoint_create", args=[workflow.pk]), data)


def press_test_authentication(client, endpoint, fields):
    """Press Test Authentication on a saved endpoint's page; return it."""
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "version": str(endpoint.version),
    }
    for field, value in fields.items():
        data[f"auth-{field}"] = value
    return client.post(
        reverse("endpoints:endpoint_test_auth", args=[endpoint.pk]), data
    )


def leaks(secrets, text) -> list[str]:
    """Return the secrets that occur in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return [secret for secret in secrets if secret and secret in text]
