"""API tokens: created and revoked on the user's own page, stored hashed."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import timezone

from endpoints.admin import ApiTokenAdmin
from endpoints.models import ActivityEntry, ApiToken, hash_api_key
from tests.conftest import make_user

TOKENS_URL = reverse("endpoints:api_token_list")
KEY_RE = re.compile(r'value="(ect_[A-Za-z0-9_-]+)"')


def create_token(client, name: str = "CI", expires_in: str = "90"):
    response = client.post(TOKENS_URL, {"name": name, "expires_in": expires_in})
    match = KEY_RE.search(response.text)
    return response, match.group(1) if match else None


def test_token_page_needs_login(client, db):
    response = client.get(TOKENS_URL)

    assert response.status_code == 302


def test_token_page_for_any_user(client, db):
    client.force_login(make_user("plain"))

    response = client.get(TOKENS_URL)

    assert response.status_code == 200
    assert "You have no API tokens yet." in response.text


def test_create_shows_key_once(viewer_client):
    response, key = create_token(viewer_client)

    assert response.status_code == 201
    assert key is not None
    assert response["Cache-Control"] == "no-store"
    again = viewer_client.get(TOKENS_URL)
    assert key not in again.text
    assert key[:12] in again.text


def test_create_stores_only_hash(viewer_client, viewer):
    _, key = create_token(viewer_client)

    token = ApiToken.objects.get(user=viewer)
    assert token.key_hash == hash_api_key(key)
    assert key not in token.key_hash
    assert token.key_prefix == key[:12]
    assert token.name == "CI"


def test_created_key_authenticates(viewer_client, client):
    _, key = create_token(viewer_client)
    viewer_client.logout()

    response = client.get(reverse("api:root"), HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200


@pytest.mark.parametrize(("choice", "days"), [("30", 30), ("90", 90), ("365", 365)])
def test_create_sets_expiry(viewer_client, viewer, choice, days):
    create_token(viewer_client, expires_in=choice)

    token = ApiToken.objects.get(user=viewer)
    expected = timezone.now() + timedelta(days=days)
    assert abs(token.expires_at - expected) < timedelta(minutes=5)


def test_create_without_expiry(viewer_client, viewer):
    create_token(viewer_client, expires_in="never")

    assert ApiToken.objects.get(user=viewer).expires_at is None


def test_create_records_activity(viewer_client, viewer):
    _, key = create_token(viewer_client, name="Nightly sync")

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TOKEN_CREATED)
    assert entry.actor == viewer
    assert "Nightly sync" in entry.detail
    assert key not in entry.detail


def test_create_rejects_duplicate_name(viewer_client, viewer):
    create_token(viewer_client, name="CI")

    response, key = create_token(viewer_client, name="ci")

    assert response.status_code == 400
    assert key is None
    assert "already have a token with this name" in response.text
    assert ApiToken.objects.filter(user=viewer).count() == 1


def test_create_rejects_blank_name(viewer_client, viewer):
    response, _ = create_token(viewer_client, name="")

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_create_rejects_unknown_expiry(viewer_client):
    response, _ = create_token(viewer_client, expires_in="7")

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoke_own_token(viewer_client, viewer, client):
    _, key = create_token(viewer_client)
    token = ApiToken.objects.get(user=viewer)

    response = viewer_client.post(
        reverse("endpoints:api_token_revoke", args=[token.pk])
    )

    token.refresh_from_db()
    assert response.status_code == 302
    assert token.revoked_at is not None
    api = client.get(reverse("api:root"), HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 401


def test_revoke_records_activity(viewer_client, viewer):
    create_token(viewer_client, name="Old")
    token = ApiToken.objects.get(user=viewer)

    viewer_client.post(reverse("endpoints:api_token_revoke", args=[token.pk]))

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TOKEN_REVOKED)
    assert entry.actor == viewer
    assert "“Old”" in entry.detail


def test_revoke_twice_records_once(viewer_client, viewer):
    create_token(viewer_client)
    url = reverse("endpoints:api_token_revoke", args=[ApiToken.objects.get().pk])

    viewer_client.post(url)
    viewer_client.post(url)

    revoked = ActivityEntry.objects.filter(event=ActivityEntry.Event.TOKEN_REVOKED)
    assert revoked.count() == 1


def test_revoke_other_users_token(viewer_client, manager):
    token, _ = ApiToken.objects.issue(user=manager, name="Manager's")

    response = viewer_client.post(
        reverse("endpoints:api_token_revoke", args=[token.pk])
    )

    token.refresh_from_db()
    assert response.status_code == 404
    assert token.revoked_at is None


def test_revoke_needs_post(viewer_client, viewer):
    token, _ = ApiToken.objects.issue(user=viewer, name="CI")

    response = viewer_client.get(reverse("endpoints:api_token_revoke", args=[token.pk]))

    assert response.status_code == 405


def test_revoked_name_can_be_reused(viewer_client, viewer):
    token, _ = ApiToken.objects.issue(user=viewer, name="CI")
    token.revoke()

    response, key = create_token(viewer_client, name="CI")

    assert response.status_code == 201
    assert key is not None


def test_page_lists_only_own_tokens(viewer_client, manager):
    ApiToken.objects.issue(user=manager, name="Manager token")

    response = viewer_client.get(TOKENS_URL)

    assert "Manager token" not in response.text


def test_page_shows_status(viewer_client, viewer):
    revoked, _ = ApiToken.objects.issue(user=viewer, name="Gone")
    revoked.revoke()
    ApiToken.objects.issue(
        user=viewer, name="Stale", expires_at=timezone.now() - timedelta(days=1)
    )

    response = viewer_client.get(TOKENS_URL)

    assert '<span class="badge">Revoked</span>' in response.text
    assert "Expired</span>" in response.text


def test_admin_revoke_action(client, superuser, viewer):
    token, _ = ApiToken.objects.issue(user=viewer, name="CI")
    client.force_login(superuser)

    client.post(
        reverse("admin:endpoints_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.TOKEN_REVOKED)
    assert entry.actor == superuser


def test_admin_cannot_add_tokens(rf, superuser):
    request = rf.get("/")
    request.user = superuser

    assert not ApiTokenAdmin(ApiToken, site).has_add_permission(request)
