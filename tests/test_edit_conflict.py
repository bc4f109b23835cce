"""Two edits from the same version: the second is rejected, nothing is lost."""

import pytest
from django.test import Client

from endpoints.models import ActivityEntry, Endpoint
from tests.conftest import endpoint_form_data


@pytest.fixture
def first_client(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def second_client(other_manager):
    client = Client()
    client.force_login(other_manager)
    return client


@pytest.fixture
def raced(first_client, second_client, endpoint):
    """Both users load version 1. The first saves a new base URL, then the
    second submits a new name and base URL of their own."""
    first_data = endpoint_form_data(
        endpoint, base_url="https://tickets.example.test/first"
    )
    second_data = endpoint_form_data(
        endpoint,
        name="Second name",
        base_url="https://tickets.example.test/second",
        **{"auth-username": "svc", "auth-preemptive": None},
    )
    first_response = first_client.post(endpoint.get_absolute_url(), first_data)
    second_response = second_client.post(endpoint.get_absolute_url(), second_data)
    return first_response, second_response


def test_first_save_succeeds(raced):
    first_response, _ = raced

    assert first_response.status_code == 302


def test_second_save_rejected_with_conflict(raced):
    _, second_response = raced

    assert second_response.status_code == 409


def test_first_change_stays_stored(raced, endpoint):
    stored = Endpoint.objects.get(pk=endpoint.pk)

    assert stored.base_url == "https://tickets.example.test/first"
    assert stored.name == "Tickets"
    assert stored.version == 2
    assert stored.auth.params["preemptive"] is True


def test_form_keeps_second_users_values(raced):
    _, second_response = raced

    form = second_response.context["endpoint_form"]
    content = second_response.content.decode()
    assert form["name"].value() == "Second name"
    assert form["base_url"].value() == "https://tickets.example.test/second"
    assert 'value="Second name"' in content
    assert 'value="https://tickets.example.test/second"' in content


def test_auth_form_keeps_second_users_values(raced):
    _, second_response = raced

    auth_form = second_response.context["auth_form"]

    assert auth_form["preemptive"].value() is False


def conflict_row(response, label):
    """Return the (stored, submitted) values of a row of the conflict table."""
    [row] = [row for row in response.context["conflict_rows"] if row.label == label]
    return row.stored, row.submitted


def test_page_shows_stored_version(raced):
    _, second_response = raced

    content = second_response.content.decode()
    assert "Someone else saved this endpoint" in content
    assert "Stored now (version 2)" in content
    assert "by manager." in content


def test_conflict_table_shows_both_names(raced):
    _, second_response = raced

    assert conflict_row(second_response, "Name") == ("Tickets", "Second name")


def test_conflict_table_shows_both_base_urls(raced):
    _, second_response = raced

    assert conflict_row(second_response, "Base URL") == (
        "https://tickets.example.test/first",
        "https://tickets.example.test/second",
    )


def test_conflict_table_shows_both_auth_settings(raced):
    _, second_response = raced

    assert conflict_row(second_response, "Preemptive") == ("On", "Off")
    assert conflict_row(second_response, "Username") == ("svc", "svc")


def test_conflict_table_marks_differing_rows(raced):
    _, second_response = raced

    differing = [
        row.label for row in second_response.context["conflict_rows"] if row.differs
    ]

    assert differing == ["Name", "Base URL", "Preemptive"]


def test_conflict_table_rendered_side_by_side(raced):
    _, second_response = raced

    content = second_response.content.decode()
    assert "<td><code>https://tickets.example.test/first</code></td>" in content
    assert "<td><code>https://tickets.example.test/second</code></td>" in content


def test_conflict_table_describes_secrets_only(first_client, second_client, endpoint):
    first_client.post(
        endpoint.get_absolute_url(),
        endpoint_form_data(endpoint, base_url="https://tickets.example.test/first"),
    )
    data = endpoint_form_data(endpoint, **{"auth-password_0": "PLANTED-race-pw-3434"})

    response = second_client.post(endpoint.get_absolute_url(), data)

    assert conflict_row(response, "Password") == (
        "A value is set",
        "A new value (not shown; enter it again)",
    )
    assert b"PLANTED-race-pw-3434" not in response.content


def test_conflict_form_carries_current_version(raced):
    _, second_response = raced

    assert second_response.context["endpoint_form"]["version"].value() == "2"


def test_resubmit_after_conflict_overwrites(raced, second_client, endpoint):
    _, second_response = raced
    stored = Endpoint.objects.get(pk=endpoint.pk)
    data = endpoint_form_data(
        stored, name="Second name", base_url="https://tickets.example.test/second"
    )

    response = second_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.name == "Second name"
    assert stored.version == 3


def test_conflict_records_one_change(raced, endpoint):
    changes = ActivityEntry.objects.filter(
        event=ActivityEntry.Event.CHANGED, endpoint=endpoint
    )

    assert changes.count() == 1


def test_conflict_does_not_echo_typed_secret(first_client, second_client, endpoint):
    first_client.post(
        endpoint.get_absolute_url(),
        endpoint_form_data(endpoint, base_url="https://tickets.example.test/first"),
    )
    data = endpoint_form_data(
        endpoint,
        **{"auth-username": "svc2", "auth-password_0": "PLANTED-race-pw-1212"},
    )

    response = second_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 409
    assert b"PLANTED-race-pw-1212" not in response.content
    assert Endpoint.objects.get(pk=endpoint.pk).auth.params["username"] == "svc"


def test_conflict_heading_shows_stored_name(raced):
    _, second_response = raced

    content = second_response.content.decode()
    assert "<h1>Tickets</h1>" in content
    assert "<title>Tickets · Incidents · Endpoint Console</title>" in content
    assert "<h1>Second name</h1>" not in content


def test_conflict_without_typed_secret_keeps_all(raced):
    _, second_response = raced

    content = second_response.content.decode()
    assert "Your changes were not saved, and they are still in the form below." in (
        content
    )
    assert "The new value you typed was not saved" not in content


def test_conflict_asks_to_retype_typed_secret(first_client, second_client, endpoint):
    first_client.post(
        endpoint.get_absolute_url(),
        endpoint_form_data(endpoint, base_url="https://tickets.example.test/first"),
    )
    data = endpoint_form_data(
        endpoint,
        **{"auth-username": "svc2", "auth-password_0": "PLANTED-race-pw-1212"},
    )

    response = second_client.post(endpoint.get_absolute_url(), data)

    content = response.content.decode()
    assert response.status_code == 409
    assert "except what you typed for Password" in content
    assert "so type it again before saving" in content
    assert 'id="id_auth-password_0_unsaved"' in content
