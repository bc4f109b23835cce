"""The workflow page's rows of endpoints and steps, formatted in Python."""

from endpoints.models import AuthConfig, Endpoint, Workflow
from tests.conftest import make_basic_endpoint, make_step, make_token_endpoint


def page(client, workflow) -> str:
    return client.get(workflow.get_absolute_url()).content.decode()


def row_of(content: str, marker: str) -> str:
    # The text before the first row contains the checklist's links too.
    rows = content.split("<tr>")[1:]
    return next(row for row in rows if marker in row)


def test_endpoint_row_links_and_escapes(manager_client):
    workflow = Workflow.objects.create(name="Rows")
    endpoint = make_token_endpoint(
        workflow, name="<b>Chat</b>", base_url="https://chat.example.test/a?b=<c>"
    )
    make_step(workflow, usages=[(endpoint, "chat")])

    row = row_of(page(manager_client, workflow), "&lt;b&gt;Chat&lt;/b&gt;")

    assert f'<a href="{endpoint.get_absolute_url()}">' in row
    assert "<b>" not in row
    assert "https://chat.example.test/a?b=&lt;c&gt;" in row
    assert "Token" in row
    assert "Authorization: Bearer …" in row
    assert "1 step usage<" in row


def test_endpoint_row_badges(manager_client):
    workflow = Workflow.objects.create(name="Badges")
    endpoint = make_basic_endpoint(
        workflow, name="Legacy", base_url="https://legacy.example.test"
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(trust_self_signed=True)
    AuthConfig.objects.filter(pk=endpoint.pk).update(
        reconnect_needed=True, awaiting_configuration=True
    )

    content = page(manager_client, workflow)
    legacy = row_of(content, ">Legacy</a>")
    builtin = row_of(content, '<span class="badge">Built-in</span>')

    assert "Trusts self-signed certificates" in legacy
    assert "Reconnect needed" in legacy
    assert "Not yet configured" in legacy
    assert "Built-in" not in legacy
    assert "As the acting user" in builtin


def test_step_row_links_and_escapes(manager_client):
    workflow = Workflow.objects.create(name="Steps")
    endpoint = make_token_endpoint(workflow, name="Chat")
    step = make_step(workflow, name="<i>Notify</i>", usages=[(endpoint, "chat")])

    row = row_of(page(manager_client, workflow), "&lt;i&gt;Notify&lt;/i&gt;")

    assert f'<a href="{step.get_absolute_url()}">' in row
    assert "<i>" not in row
    assert step.get_kind_display() in row
    assert "chat → Chat" in row
