"""Token responses: expires_in parsing, absolute expiry, provider errors."""

from datetime import UTC, datetime, timedelta

import pytest

from endpoints.auth.oauth.provider_errors import describe_provider_error
from endpoints.auth.oauth.storage import apply_token_set, refresh_skew, token_is_due
from endpoints.auth.oauth.tokens import (
    TokenSet,
    parse_expires_in,
    token_set_from_response,
)
from endpoints.models import AuthConfig

RECEIVED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3599, 3599),
        ("3599", 3599),
        (" 3599 ", 3599),
        ("3599.0", None),
        (3599.0, None),
        ("", None),
        (None, None),
        ("soon", None),
        (-5, None),
        (True, None),
        ("99999999999", None),
    ],
)
def test_parse_expires_in_cases(value, expected):
    assert parse_expires_in(value) == expected


def test_token_set_expiry_counts_from_arrival():
    token_set = token_set_from_response(
        {"access_token": "a", "expires_in": "3599"}, RECEIVED
    )

    assert token_set.expires_at == RECEIVED + timedelta(seconds=3599)


def test_token_set_without_expiry_is_unknown():
    token_set = token_set_from_response({"access_token": "a"}, RECEIVED)

    assert token_set.expires_at is None
    assert token_set.expires_soon(RECEIVED + timedelta(days=365), 60) is False


def test_token_set_repr_hides_tokens():
    token_set = TokenSet(access_token="PLANTED-at", refresh_token="PLANTED-rt")

    assert "PLANTED" not in repr(token_set)


def test_refresh_without_refresh_token_keeps_stored():
    config = AuthConfig(refresh_token="old-refresh")

    apply_token_set(config, TokenSet(access_token="new", refreshed=True))

    assert config.refresh_token == "old-refresh"
    assert config.access_token == "new"


def test_refresh_with_refresh_token_replaces_stored():
    config = AuthConfig(refresh_token="old-refresh")

    apply_token_set(
        config, TokenSet(access_token="new", refresh_token="new-rt", refreshed=True)
    )

    assert config.refresh_token == "new-rt"


def test_new_grant_without_refresh_token_drops_stored():
    config = AuthConfig(refresh_token="old-refresh")

    apply_token_set(config, TokenSet(access_token="new"))

    assert config.refresh_token == ""


def test_token_due_within_skew():
    now = datetime.now(UTC)
    config = AuthConfig(access_token="a", token_expires_at=now + timedelta(seconds=30))

    assert token_is_due(config, 60, now) is True
    assert token_is_due(config, 10, now) is False


def test_token_of_unknown_expiry_never_due():
    config = AuthConfig(access_token="a", token_expires_at=None)

    assert token_is_due(config, 60) is False


def test_provider_error_access_denied_words():
    message = describe_provider_error("access_denied", "The user denied access.")

    assert message.startswith("Access was denied at the provider")
    assert "access_denied: The user denied access." in message


def test_provider_error_one_full_stop():
    ended = describe_provider_error("access_denied", "The user denied access.")
    bare = describe_provider_error("access_denied", "denied")

    assert ended.endswith("(The provider said access_denied: The user denied access.)")
    assert bare.endswith("(The provider said access_denied: denied.)")


def test_provider_error_admin_approval_words():
    message = describe_provider_error(
        "consent_required", "Need admin approval for this app."
    )

    assert message.startswith("An administrator of the provider must approve")


def test_provider_error_unknown_code_quoted():
    message = describe_provider_error("weird_error")

    assert "weird_error" in message


def test_provider_error_long_description_cut():
    message = describe_provider_error("server_error", "x" * 5000)

    assert len(message) < 600


@pytest.mark.parametrize(
    ("lifetime", "expected"),
    [(None, 60), (3600, 60), (240, 60), (120, 30), (30, 7.5), (0, 0)],
)
def test_refresh_skew_for_lifetime(lifetime, expected):
    config = AuthConfig(token_lifetime=lifetime)

    assert refresh_skew(config, 60) == expected


def test_token_set_keeps_lifetime():
    token_set = token_set_from_response(
        {"access_token": "a", "expires_in": "30"}, RECEIVED
    )
    config = AuthConfig()

    apply_token_set(config, token_set)

    assert token_set.lifetime == 30
    assert config.token_lifetime == 30
