"""OAuth 2.0 (Password) through the runtime, against the fake provider."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from endpoints.models import ActivityEntry, AuthConfig
from endpoints.runtime import (
    BlockedAddressError,
    RequestTimeoutError,
    TLSError,
    TokenRequestError,
    send,
)
from endpoints.testing.fake_oauth import MISSING
from tests.support.oauth import CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME
from tests.support.oauth import make_password_endpoint as make_endpoint


def stored(endpoint) -> AuthConfig:
    return AuthConfig.objects.get(pk=endpoint.pk)


def expire_stored_token(endpoint) -> None:
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_first_request_gets_token(workflow, provider):
    make_endpoint(workflow, provider)

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 200
    assert response.json()["user"] == USERNAME
    assert provider.counts["password"] == 1


def test_stored_token_reused(workflow, provider):
    make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")

    send(workflow, "Tickets API", "GET", "/me")

    assert provider.counts["token"] == 1


def test_password_grant_form_fields(workflow, provider):
    make_endpoint(workflow, provider, scope="read write")

    send(workflow, "Tickets API", "GET", "/me")

    form = provider.token_requests[0]["form"]
    assert form["grant_type"] == "password"
    assert form["username"] == USERNAME
    assert form["password"] == PASSWORD
    assert form["scope"] == "read write"
    assert "client_secret" not in form


def test_client_secret_basic_header(workflow, provider):
    make_endpoint(workflow, provider)

    send(workflow, "Tickets API", "GET", "/me")

    headers = provider.token_requests[0]["headers"]
    assert headers["authorization"].startswith("Basic ")


# RFC 6749, section 2.3.1: the client ID and secret are form-encoded
# before they are joined with ":", so each may contain these characters.
ENCODED_CLIENT_ID = "console:client+1 é"
ENCODED_CLIENT_SECRET = "PLANTED s:cr+t/%é€"


def test_client_secret_basic_encodes_parts(workflow, provider):
    provider.add_client(ENCODED_CLIENT_ID, ENCODED_CLIENT_SECRET)
    endpoint = make_endpoint(workflow, provider, client_id=ENCODED_CLIENT_ID)
    config = stored(endpoint)
    config.secrets = {**config.secrets, "client_secret": ENCODED_CLIENT_SECRET}
    config.save()

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["password"] == 1
    header = provider.token_requests[0]["headers"]["authorization"]
    decoded = base64.b64decode(header.removeprefix("Basic ")).decode("ascii")
    assert decoded == (
        "console%3Aclient%2B1+%C3%A9:PLANTED+s%3Acr%2Bt%2F%25%C3%A9%E2%82%AC"
    )


def test_client_secret_basic_wrong_secret_rejected(workflow, provider):
    provider.add_client(ENCODED_CLIENT_ID, ENCODED_CLIENT_SECRET)
    endpoint = make_endpoint(workflow, provider, client_id=ENCODED_CLIENT_ID)
    config = stored(endpoint)
    config.secrets = {**config.secrets, "client_secret": "PLANTED s:cr+t/%e€"}
    config.save()

    with pytest.raises(TokenRequestError) as caught:
        send(workflow, "Tickets API", "GET", "/me")

    assert caught.value.provider_error == "invalid_client"


def test_client_secret_post_body(workflow, provider):
    make_endpoint(workflow, provider, token_endpoint_auth_method="client_secret_post")

    response = send(workflow, "Tickets API", "GET", "/me")

    request = provider.token_requests[0]
    assert response.status_code == 200
    assert request["form"]["client_id"] == CLIENT_ID
    assert request["form"]["client_secret"] == CLIENT_SECRET
    assert "authorization" not in request["headers"]


def test_token_stored_encrypted_with_expiry(workflow, provider):
    endpoint = make_endpoint(workflow, provider)
    before = timezone.now()

    send(workflow, "Tickets API", "GET", "/me")

    config = stored(endpoint)
    assert config.access_token.startswith("fake-at-")
    assert config.refresh_token.startswith("fake-rt-")
    assert before + timedelta(seconds=3599) <= config.token_expires_at
    assert config.token_expires_at <= timezone.now() + timedelta(seconds=3600)


def test_refresh_shortly_before_expiry(workflow, provider, settings):
    settings.OAUTH_REFRESH_SKEW_SECONDS = 60
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=30)
    )

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["refresh_token"] == 1


def test_refresh_without_new_token_keeps_old(workflow, provider):
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    first_refresh = stored(endpoint).refresh_token
    expire_stored_token(endpoint)

    send(workflow, "Tickets API", "GET", "/me")
    expire_stored_token(endpoint)
    send(workflow, "Tickets API", "GET", "/me")

    refreshes = [
        request["form"]["refresh_token"]
        for request in provider.token_requests
        if request["form"]["grant_type"] == "refresh_token"
    ]
    assert refreshes == [first_refresh, first_refresh]
    assert stored(endpoint).refresh_token == first_refresh
    assert provider.counts["password"] == 1


def test_rotated_refresh_token_replaces_old(workflow, provider):
    provider.switches.rotate_refresh_tokens = True
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    first_refresh = stored(endpoint).refresh_token
    expire_stored_token(endpoint)

    send(workflow, "Tickets API", "GET", "/me")
    second_refresh = stored(endpoint).refresh_token
    expire_stored_token(endpoint)
    response = send(workflow, "Tickets API", "GET", "/me")

    assert second_refresh != first_refresh
    assert response.status_code == 200
    assert provider.counts["refresh_token"] == 2
    assert provider.counts["password"] == 1


def test_rejected_refresh_falls_back_to_password(workflow, provider):
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    provider.revoke_refresh_tokens()
    expire_stored_token(endpoint)

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["password"] == 2
    assert stored(endpoint).reconnect_needed is False


@pytest.mark.parametrize("expires_in", ["3599.0", "", MISSING, "soon"])
def test_unparsable_expires_in_is_unknown(workflow, provider, expires_in):
    provider.switches.expires_in = expires_in
    endpoint = make_endpoint(workflow, provider)

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 200
    assert stored(endpoint).token_expires_at is None


def test_string_expires_in_is_seconds(workflow, provider):
    provider.switches.expires_in = "3599"
    endpoint = make_endpoint(workflow, provider)
    before = timezone.now()

    send(workflow, "Tickets API", "GET", "/me")

    expires_at = stored(endpoint).token_expires_at
    assert before + timedelta(seconds=3599) <= expires_at
    assert expires_at <= timezone.now() + timedelta(seconds=3599)


def test_unknown_expiry_401_renews_once(workflow, provider):
    provider.switches.expires_in = MISSING
    make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    provider.expire_access_tokens()

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["token"] == 2
    assert provider.counts["resource"] == 3


def test_always_expired_target_two_requests(workflow, provider, start_server):
    from tests.support.servers import Reply

    target = start_server(lambda request: Reply(status=401, body=b"expired"))
    endpoint = make_endpoint(workflow, provider)
    endpoint.base_url = target.url()
    endpoint.save()

    response = send(workflow, "Tickets API", "GET", "/")

    assert response.status_code == 401
    assert len(target.requests) == 2
    assert provider.counts["token"] == 2


def test_403_expired_status_renews(workflow, provider):
    provider.switches.resource_expired_status = 403
    make_endpoint(workflow, provider, expired_status=403)
    send(workflow, "Tickets API", "GET", "/me")
    provider.expire_access_tokens()

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 200
    assert provider.counts["token"] == 2


def test_403_not_expired_status_by_default(workflow, provider):
    provider.switches.resource_expired_status = 403
    make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    provider.expire_access_tokens()

    response = send(workflow, "Tickets API", "GET", "/me")

    assert response.status_code == 403
    assert provider.counts["token"] == 1


def test_retry_sends_new_token(workflow, provider):
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    old_token = stored(endpoint).access_token
    provider.expire_access_tokens()

    send(workflow, "Tickets API", "GET", "/me")

    new_token = stored(endpoint).access_token
    assert new_token != old_token
    assert provider.is_active_access_token(new_token)


def test_invalid_client_names_provider_error(workflow, provider):
    provider.switches.invalid_client = True
    endpoint = make_endpoint(workflow, provider)

    with pytest.raises(TokenRequestError) as caught:
        send(workflow, "Tickets API", "GET", "/me")

    assert caught.value.provider_error == "invalid_client"
    assert "client secret mismatch" in str(caught.value)
    assert stored(endpoint).access_token == ""


def test_error_with_200_is_failure(workflow, provider):
    provider.switches.invalid_client = True
    provider.switches.error_with_200 = True
    endpoint = make_endpoint(workflow, provider)

    with pytest.raises(TokenRequestError) as caught:
        send(workflow, "Tickets API", "GET", "/me")

    message = str(caught.value)
    assert caught.value.provider_error == "invalid_client"
    assert caught.value.status_code == 200
    assert "client secret mismatch" in message
    assert "access_token" not in message
    assert "KeyError" not in message
    assert stored(endpoint).access_token == ""


def test_html_instead_of_json_is_clear(workflow, provider):
    provider.switches.html_instead_of_json = True
    endpoint = make_endpoint(workflow, provider)

    with pytest.raises(TokenRequestError) as caught:
        send(workflow, "Tickets API", "GET", "/me")

    assert "text/html instead of JSON" in str(caught.value)
    assert stored(endpoint).access_token == ""


def test_token_failure_writes_activity(workflow, provider):
    provider.switches.html_instead_of_json = True
    make_endpoint(workflow, provider)

    with pytest.raises(TokenRequestError):
        send(workflow, "Tickets API", "GET", "/me")

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.REQUEST_FAILED)
    assert "token request stage" in entry.detail
    assert "text/html" in entry.detail


def test_slow_token_endpoint_times_out(workflow, provider):
    provider.switches.slow_seconds = 2.0
    endpoint = make_endpoint(workflow, provider)

    with pytest.raises(RequestTimeoutError) as caught:
        send(workflow, "Tickets API", "GET", "/me", timeout=0.5)

    assert "did not respond within 0.5 s" in str(caught.value)
    assert stored(endpoint).access_token == ""
    assert ActivityEntry.objects.filter(
        event=ActivityEntry.Event.REQUEST_FAILED, detail__contains="timeout"
    ).exists()


def test_slow_token_endpoint_within_timeout(workflow, provider):
    provider.switches.slow_seconds = 0.2

    make_endpoint(workflow, provider)
    response = send(workflow, "Tickets API", "GET", "/me", timeout=5)

    assert response.status_code == 200


def test_wrong_password_invalid_grant(workflow, provider):
    endpoint = make_endpoint(workflow, provider)
    config = endpoint.auth
    config.secrets = {**config.secrets, "password": "wrong"}
    config.save()

    with pytest.raises(TokenRequestError) as caught:
        send(workflow, "Tickets API", "GET", "/me")

    assert caught.value.provider_error == "invalid_grant"
    assert "Invalid username or password" in str(caught.value)


def test_token_url_passes_network_guard(workflow, provider, settings):
    settings.ENDPOINT_BLOCKED_NETWORKS = ["127.0.0.0/8"]
    make_endpoint(workflow, provider)

    with pytest.raises(BlockedAddressError):
        send(workflow, "Tickets API", "GET", "/me")

    assert provider.counts["token"] == 0


def test_token_url_tls_is_verified(workflow, provider, start_server, self_signed_cert):
    tls_server = start_server(ssl_context=self_signed_cert.server_context())
    make_endpoint(workflow, provider, token_url=tls_server.url(path="/token"))

    with pytest.raises(TLSError):
        send(workflow, "Tickets API", "GET", "/me")

    assert tls_server.requests == []


def test_authenticate_returns_access_token(workflow, provider):
    from endpoints.runtime import authenticate

    endpoint = make_endpoint(workflow, provider)

    token = authenticate(endpoint)

    assert token == stored(endpoint).access_token
    assert provider.is_active_access_token(token)


def test_short_lived_token_reused(workflow, provider, settings):
    settings.OAUTH_REFRESH_SKEW_SECONDS = 60
    provider.switches.expires_in = 30
    endpoint = make_endpoint(workflow, provider)

    statuses = [
        send(workflow, "Tickets API", "GET", "/me").status_code for _ in range(5)
    ]

    assert statuses == [200] * 5
    assert provider.counts["token"] == 1
    assert stored(endpoint).token_lifetime == 30


def test_short_lived_token_renewed_near_expiry(workflow, provider, settings):
    settings.OAUTH_REFRESH_SKEW_SECONDS = 60
    provider.switches.expires_in = 30
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    # A quarter of the 30 s lifetime, 7.5 s, is the skew for this token.
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=7)
    )

    send(workflow, "Tickets API", "GET", "/me")

    assert provider.counts["refresh_token"] == 1
    assert stored(endpoint).token_lifetime == 30


def test_short_lived_token_kept_before_skew(workflow, provider, settings):
    settings.OAUTH_REFRESH_SKEW_SECONDS = 60
    provider.switches.expires_in = 30
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=20)
    )

    send(workflow, "Tickets API", "GET", "/me")

    assert provider.counts["token"] == 1


def test_unknown_lifetime_keeps_full_skew(workflow, provider, settings):
    settings.OAUTH_REFRESH_SKEW_SECONDS = 60
    endpoint = make_endpoint(workflow, provider)
    send(workflow, "Tickets API", "GET", "/me")
    # As stored before lifetimes were recorded.
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        token_lifetime=None, token_expires_at=timezone.now() + timedelta(seconds=30)
    )

    send(workflow, "Tickets API", "GET", "/me")

    assert provider.counts["refresh_token"] == 1


def test_lifetime_unknown_when_expires_in_missing(workflow, provider):
    provider.switches.expires_in = MISSING
    endpoint = make_endpoint(workflow, provider)

    send(workflow, "Tickets API", "GET", "/me")

    assert stored(endpoint).token_lifetime is None
