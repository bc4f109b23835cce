"""The delete guard: endpoints in use and the built-in endpoint stay."""

from django.urls import reverse

from endpoints.models import ActivityEntry, AuthConfig, Endpoint, Step
from tests.conftest import make_step


def delete_url(endpoint) -> str:
    return reverse("endpoints:endpoint_delete", args=[endpoint.pk])


def test_in_use_page_lists_steps(manager_client, workflow, used_endpoint):
    make_step(workflow, name="Escalate", usages=[(used_endpoint, "escalation")])

    response = manager_client.get(delete_url(used_endpoint))

    content = response.content.decode()
    assert response.status_code == 200
    assert "is still in use" in content
    assert "Open ticket" in content
    assert "Escalate" in content
    assert "<code>escalation</code>" in content


def test_in_use_page_offers_no_delete(manager_client, used_endpoint):
    response = manager_client.get(delete_url(used_endpoint))

    assert b"Delete endpoint" not in response.content


def test_in_use_post_deletes_nothing(manager_client, used_endpoint):
    response = manager_client.post(delete_url(used_endpoint))

    assert response.status_code == 409
    assert Endpoint.objects.filter(pk=used_endpoint.pk).exists()
    assert AuthConfig.objects.filter(pk=used_endpoint.pk).exists()
    assert used_endpoint.usages.count() == 1


def test_in_use_post_explains_next_step(manager_client, used_endpoint):
    response = manager_client.post(delete_url(used_endpoint))

    content = response.content.decode()
    assert "is used by 1 step usage." in content
    assert "Open ticket" in content


def test_in_use_post_records_no_deletion(manager_client, used_endpoint):
    manager_client.post(delete_url(used_endpoint))

    assert not ActivityEntry.objects.filter(event=ActivityEntry.Event.DELETED).exists()


def test_unused_page_asks_confirmation(manager_client, endpoint):
    response = manager_client.get(delete_url(endpoint))

    content = response.content.decode()
    assert "Delete endpoint “Tickets”?" in content
    assert "Delete endpoint</button>" in content
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_unused_post_deletes(manager_client, workflow, endpoint):
    response = manager_client.post(delete_url(endpoint))

    assert response.status_code == 302
    assert response["Location"] == workflow.get_absolute_url()
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert not AuthConfig.objects.filter(pk=endpoint.pk).exists()


def test_unused_post_records_deletion(manager_client, endpoint, manager):
    manager_client.post(delete_url(endpoint))

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.DELETED)
    assert entry.endpoint_name == "Tickets"
    assert entry.actor == manager


def test_endpoint_deletable_after_step_removed(manager_client, used_endpoint):
    Step.objects.filter(usages__endpoint=used_endpoint).delete()

    response = manager_client.post(delete_url(used_endpoint))

    assert response.status_code == 302
    assert not Endpoint.objects.filter(pk=used_endpoint.pk).exists()


def test_builtin_page_offers_no_delete(manager_client, builtin):
    response = manager_client.get(delete_url(builtin))

    content = response.content.decode()
    assert "cannot be deleted" in content
    assert "Delete endpoint</button>" not in content


def test_builtin_post_deletes_nothing(manager_client, builtin):
    response = manager_client.post(delete_url(builtin))

    assert response.status_code == 400
    assert Endpoint.objects.filter(pk=builtin.pk).exists()
    assert not ActivityEntry.objects.filter(event=ActivityEntry.Event.DELETED).exists()


def test_builtin_edit_page_has_no_delete_link(manager_client, builtin):
    response = manager_client.get(builtin.get_absolute_url())

    assert delete_url(builtin).encode() not in response.content


def test_step_delete_keeps_endpoint(manager_client, workflow, used_endpoint):
    step = used_endpoint.usages.get().step
    url = reverse("endpoints:step_delete", args=[step.pk])

    response = manager_client.post(url)

    assert response.status_code == 302
    assert not Step.objects.filter(pk=step.pk).exists()
    assert Endpoint.objects.filter(pk=used_endpoint.pk).exists()


def test_workflow_delete_view_removes_all(manager_client, workflow, used_endpoint):
    url = reverse("endpoints:workflow_delete", args=[workflow.pk])

    response = manager_client.post(url)

    assert response.status_code == 302
    assert not Endpoint.objects.filter(workflow_id=workflow.pk).exists()
    assert not Step.objects.filter(workflow_id=workflow.pk).exists()
