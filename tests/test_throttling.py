"""Login throttling: failed sign-ins per username and per client address."""

from datetime import timedelta

import pytest
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from endpoints import throttling
from endpoints.models import LoginFailure
from tests.conftest import MANAGERS, TEST_PASSWORD, make_user

LOGIN_URL = reverse("login")
ADMIN_LOGIN_URL = reverse("admin:login")


def sign_in(client, username, password="wrong password", **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def fail_times(client, username, count, **extra):
    return [sign_in(client, username, **extra).status_code for _ in range(count)]


@pytest.fixture
def limit(settings):
    return settings.LOGIN_FAILURE_LIMIT


@pytest.fixture
def user(db):
    return make_user("alice", MANAGERS)


@pytest.fixture
def password_checks():
    """The number of failed password checks, from Django's own signal."""
    failures = []

    def count(sender, credentials, request, **kwargs):
        failures.append(credentials.get("username"))

    user_login_failed.connect(count)
    yield failures
    user_login_failed.disconnect(count)


def test_failures_below_limit_allow_sign_in(client, user, limit):
    fail_times(client, "alice", limit - 1)

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 302


def test_success_forgets_username_failures(client, user, limit):
    fail_times(client, "alice", limit - 1)

    sign_in(client, "alice", TEST_PASSWORD)

    assert LoginFailure.objects.count() == 0


def test_failures_at_limit_reject_right_password(client, user, limit):
    fail_times(client, "alice", limit)

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_throttled_response_says_how_long(client, user, limit, settings):
    fail_times(client, "alice", limit)

    response = sign_in(client, "alice", TEST_PASSWORD)

    content = response.content.decode()
    minutes = settings.LOGIN_FAILURE_WINDOW // 60
    assert "Too many failed sign-ins for this username" in content
    assert f"Wait {minutes} minutes, then try again" in content
    assert 1 <= int(response["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW


def test_wait_counts_from_oldest_failure(client, user, limit, settings):
    fail_times(client, "alice", limit)
    started = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW - 90)
    LoginFailure.objects.update(created_at=started)

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert "Wait 2 minutes" in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 90


def test_failures_past_window_stop_counting(client, user, limit, settings):
    fail_times(client, "alice", limit)
    expired = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW + 1)
    LoginFailure.objects.update(created_at=expired)

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 302
    assert LoginFailure.objects.count() == 0


def test_throttled_attempts_not_counted(client, user, limit):
    fail_times(client, "alice", limit + 10)

    assert LoginFailure.objects.count() == limit


def test_throttled_attempts_skip_password_check(client, user, limit, password_checks):
    fail_times(client, "alice", limit + 10)

    assert len(password_checks) == limit


def test_username_throttle_ignores_letter_case(client, user, limit):
    fail_times(client, "ALICE", limit)

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 429


def test_username_throttle_applies_from_any_address(client, user, limit):
    for index in range(limit):
        sign_in(client, "alice", REMOTE_ADDR=f"192.0.2.{index + 1}")

    response = sign_in(client, "alice", TEST_PASSWORD, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 429


def test_other_username_unaffected(client, user, limit):
    make_user("bob", MANAGERS)
    fail_times(client, "alice", limit)

    response = sign_in(client, "bob", TEST_PASSWORD)

    assert response.status_code == 302


def test_address_throttle_across_usernames(client, user, settings):
    address_limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    for index in range(address_limit):
        sign_in(client, f"guess-{index}")

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 429
    assert "for this network address" in response.content.decode()


def test_address_throttle_spares_other_address(client, user, settings):
    for index in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"guess-{index}")

    response = sign_in(client, "alice", TEST_PASSWORD, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302


def test_forwarded_address_ignored_without_proxy(client, user, settings):
    for index in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"guess-{index}", HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 429


def test_forwarded_address_used_behind_proxy(client, user, settings):
    settings.BEHIND_PROXY = True
    for index in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"guess-{index}", HTTP_X_FORWARDED_FOR="192.0.2.10")

    response = sign_in(
        client, "alice", TEST_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )

    assert response.status_code == 302


def test_forged_forwarded_entries_ignored(client, user, settings):
    settings.BEHIND_PROXY = True
    for index in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        # The client puts a new address first each time; the proxy appends
        # the real one.
        sign_in(
            client,
            f"guess-{index}",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{index}, 192.0.2.10",
        )

    response = sign_in(
        client, "alice", TEST_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99, 192.0.2.10"
    )

    assert response.status_code == 429


def test_rows_store_no_username_or_address(client, user):
    sign_in(client, "alice", REMOTE_ADDR="192.0.2.55")

    [row] = LoginFailure.objects.values("username_digest", "address_digest")

    assert "alice" not in str(row)
    assert "192.0.2.55" not in str(row)
    assert row["username_digest"] == throttling.username_digest("alice")


def test_admin_login_throttled(user, limit):
    client = Client()
    data = {"username": "alice", "password": "wrong password"}
    for _ in range(limit):
        client.post(ADMIN_LOGIN_URL, data)

    response = client.post(
        ADMIN_LOGIN_URL, {"username": "alice", "password": TEST_PASSWORD}
    )

    assert "Too many failed sign-ins for this username" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_admin_throttled_answers_429(user, limit, settings):
    client = Client()
    for _ in range(limit):
        client.post(ADMIN_LOGIN_URL, {"username": "alice", "password": "wrong"})

    response = client.post(
        ADMIN_LOGIN_URL, {"username": "alice", "password": TEST_PASSWORD}
    )

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW


def test_admin_below_limit_not_throttled(db, limit):
    # The admin signs in staff users only.
    make_user("bob", MANAGERS, is_staff=True)
    client = Client()
    for _ in range(limit - 1):
        client.post(ADMIN_LOGIN_URL, {"username": "bob", "password": "wrong"})

    response = client.post(
        ADMIN_LOGIN_URL, {"username": "bob", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert not response.has_header("Retry-After")


def test_admin_wrong_password_answers_200(user):
    response = Client().post(
        ADMIN_LOGIN_URL, {"username": "alice", "password": "wrong"}
    )

    assert response.status_code == 200
    assert not response.has_header("Retry-After")


def test_admin_throttled_by_address(user, settings):
    client = Client()
    for index in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        client.post(ADMIN_LOGIN_URL, {"username": f"guess-{index}", "password": "x"})

    response = client.post(
        ADMIN_LOGIN_URL, {"username": "alice", "password": TEST_PASSWORD}
    )

    assert response.status_code == 429
    assert response.has_header("Retry-After")


def test_admin_sign_in_page_not_cached(client):
    response = client.get(ADMIN_LOGIN_URL)

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_admin_failures_count_for_console_login(client, user, limit):
    for _ in range(limit):
        Client().post(ADMIN_LOGIN_URL, {"username": "alice", "password": "wrong"})

    response = sign_in(client, "alice", TEST_PASSWORD)

    assert response.status_code == 429


def test_begin_attempt_rejects_over_limit(rf, user, limit):
    request = rf.post(LOGIN_URL)
    for _ in range(limit):
        throttling.begin_attempt(request, "alice")

    with pytest.raises(throttling.LoginThrottledError) as raised:
        throttling.begin_attempt(request, "alice")

    assert raised.value.scope == "username"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (900, "15 minutes"),
    ],
)
def test_describe_wait_rounds_up(seconds, text):
    assert throttling.describe_wait(seconds) == text
