"""Workflow export: an attachment with every credential cleared."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

import endpoints.export
from endpoints.auth.oauth.client import basic_client_credential
from endpoints.export import EXPORT_FORMAT, EXPORT_FORMAT_VERSION
from endpoints.models import ActivityEntry, Workflow
from tests.conftest import (
    PLANTED_BASIC_PASSWORD,
    PLANTED_BEARER_TOKEN,
    PLANTED_ID_VALUE,
    PLANTED_USERNAME,
    make_basic_endpoint,
    make_custom_header_endpoint,
    make_step,
    make_token_endpoint,
)
from tests.support.oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    connect_directly,
    make_code_endpoint,
)

EXPORTED_ENDPOINT_KEYS = {
    "name",
    "base_url",
    "builtin",
    "trust_self_signed",
    "auth_type",
}


def export_url(workflow) -> str:
    return reverse("endpoints:workflow_export", args=[workflow.pk])


@pytest.fixture
def full_workflow(workflow, builtin):
    """A workflow with an endpoint of each type and steps that use them."""
    basic = make_basic_endpoint(workflow, trust_self_signed=True)
    token = make_token_endpoint(workflow)
    header = make_custom_header_endpoint(workflow, id_value="acct-4242")
    make_step(workflow, usages=[(basic, "tickets"), (builtin, "console")])
    make_step(
        workflow,
        name="Notify",
        usages=[(token, "chat"), (header, "pager")],
    )
    return workflow


@pytest.fixture
def exported(manager_client, full_workflow):
    return manager_client.get(export_url(full_workflow))


def test_export_is_json_attachment(exported):
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/json"
    assert exported["Content-Disposition"] == 'attachment; filename="Incidents.json"'


def test_export_has_format_and_version(exported):
    data = json.loads(exported.content)

    assert data["format"] == EXPORT_FORMAT
    assert data["format_version"] == EXPORT_FORMAT_VERSION


def test_export_has_workflow(exported):
    data = json.loads(exported.content)

    assert data["workflow"] == {"name": "Incidents", "description": "Test workflow"}


def test_export_lists_every_endpoint(exported):
    data = json.loads(exported.content)

    names = sorted(item["name"] for item in data["endpoints"])

    assert names == ["Chat", "Console", "Pager", "Tickets"]


def test_export_endpoints_have_no_auth(exported):
    data = json.loads(exported.content)

    for item in data["endpoints"]:
        assert item["auth_type"] == "none", item["name"]
        assert set(item) == EXPORTED_ENDPOINT_KEYS, item["name"]


def test_export_resets_trust_self_signed(exported):
    data = json.loads(exported.content)

    tickets = next(item for item in data["endpoints"] if item["name"] == "Tickets")

    assert tickets["trust_self_signed"] is False


def test_export_keeps_base_urls(exported):
    data = json.loads(exported.content)

    urls = {item["name"]: item["base_url"] for item in data["endpoints"]}

    assert urls["Tickets"] == "https://tickets.example.test/api"
    assert urls["Pager"] == "https://pager.example.test/v1"


def test_export_marks_builtin(exported):
    data = json.loads(exported.content)

    builtins = [item["name"] for item in data["endpoints"] if item["builtin"]]

    assert builtins == ["Console"]


def test_export_steps_use_names(exported):
    data = json.loads(exported.content)

    steps = {step["name"]: step for step in data["steps"]}

    assert steps["Open ticket"]["kind"] == "flow_step"
    assert sorted(
        (usage["label"], usage["endpoint"]) for usage in steps["Notify"]["usages"]
    ) == [("chat", "Chat"), ("pager", "Pager")]
    assert {"endpoint": "Console", "label": "console"} in steps["Open ticket"]["usages"]


def test_export_has_no_usernames_or_header_names(exported):
    assert b"svc" not in exported.content
    assert b"X-Api-Key" not in exported.content
    assert b"X-Account" not in exported.content
    assert b"Bearer" not in exported.content


def test_export_records_activity(exported, manager):
    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.EXPORTED)

    assert entry.outcome == ActivityEntry.Outcome.SUCCESS
    assert entry.actor == manager


def test_export_filename_replaces_slashes(manager_client):
    workflow = Workflow.objects.create(name="Ops/Night \\ shift")

    response = manager_client.get(export_url(workflow))

    assert response["Content-Disposition"] == (
        'attachment; filename="Ops-Night - shift.json"'
    )


def test_export_filename_of_unicode_name(manager_client):
    workflow = Workflow.objects.create(name="Équipe nuit")

    response = manager_client.get(export_url(workflow))

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%89quipe%20nuit.json"
    )


def test_export_of_planted_secrets_clean(manager_client, planted):
    response = manager_client.get(export_url(planted.workflow))

    assert response.status_code == 200
    assert planted.find_in(response.content) == []
    assert PLANTED_USERNAME.encode() not in response.content


def test_export_of_planted_lists_endpoints(manager_client, planted):
    response = manager_client.get(export_url(planted.workflow))

    names = {item["name"] for item in json.loads(response.content)["endpoints"]}
    assert set(planted.endpoints) <= names


@pytest.fixture
def leaking_export(monkeypatch):
    """Make export_data write a stored secret into a defined field, as a bug
    would."""
    original = endpoints.export.export_data

    def export_data_with_secret(workflow):
        data = original(workflow)
        data["endpoints"][-1]["base_url"] = f"https://{PLANTED_BEARER_TOKEN}.test/"
        return data

    monkeypatch.setattr(endpoints.export, "export_data", export_data_with_secret)


def test_leaking_export_aborted(manager_client, planted, leaking_export):
    response = manager_client.get(export_url(planted.workflow))

    assert response.status_code == 302
    assert response["Location"] == planted.workflow.get_absolute_url()
    assert "Content-Disposition" not in response


def flash_messages(response) -> list[tuple[str, str]]:
    return [
        (message.level_tag, str(message))
        for message in get_messages(response.wsgi_request)
    ]


def test_leaking_export_shows_error(manager_client, planted, leaking_export):
    response = manager_client.get(export_url(planted.workflow))

    messages = flash_messages(response)
    assert len(messages) == 1
    assert messages[0][0] == "error"
    assert "secret of “Planted bearer”" in messages[0][1]
    assert planted.find_in(messages[0][1]) == []


def test_leaking_export_message_says_fix(manager_client, planted, leaking_export):
    response = manager_client.get(export_url(planted.workflow))

    message = flash_messages(response)[0][1]
    assert "the base URL of “" in message
    assert "Change the secret of that endpoint" in message
    assert "then export again" in message
    assert "maintainers" not in message


def test_leaking_export_records_failure(manager_client, planted, leaking_export):
    manager_client.get(export_url(planted.workflow))

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.EXPORTED)
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert "Planted bearer" in entry.detail
    assert planted.find_in(entry.detail) == []


@pytest.mark.parametrize(
    "secret",
    [PLANTED_BASIC_PASSWORD, PLANTED_ID_VALUE, 'PLANTED-"quoted"\\tok-ü€'],
)
def test_leak_check_finds_each_secret(monkeypatch, workflow, secret):
    make_token_endpoint(workflow, name="Leaky", token=secret)
    make_basic_endpoint(workflow, username="svc", password=PLANTED_BASIC_PASSWORD)
    make_custom_header_endpoint(workflow, id_value=PLANTED_ID_VALUE)
    original = endpoints.export.export_data

    def export_data_with_secret(workflow):
        data = original(workflow)
        data["workflow"]["description"] = f"see {secret}"
        return data

    monkeypatch.setattr(endpoints.export, "export_data", export_data_with_secret)

    with pytest.raises(endpoints.export.ExportLeakError):
        endpoints.export.build_export(workflow)


def test_leak_check_passes_clean_export(workflow):
    make_token_endpoint(workflow, token=PLANTED_BEARER_TOKEN)

    export = endpoints.export.build_export(workflow)

    assert PLANTED_BEARER_TOKEN.encode() not in export.content


def test_short_secret_inside_url_exports(manager_client, workflow):
    make_token_endpoint(
        workflow,
        name="Tickets",
        token="test",
        base_url="https://tickets.example.test/api",
    )

    response = manager_client.get(export_url(workflow))

    assert response.status_code == 200
    urls = [item["base_url"] for item in json.loads(response.content)["endpoints"]]
    assert "https://tickets.example.test/api" in urls


def test_short_secret_equal_to_text_aborts(workflow):
    make_token_endpoint(workflow, token="test")
    make_step(workflow, name="test")

    with pytest.raises(endpoints.export.ExportLeakError) as raised:
        endpoints.export.build_export(workflow)

    assert "a step name contains a stored secret of “Chat”" in (
        raised.value.user_message()
    )


def test_leak_message_lists_every_location(workflow):
    make_token_endpoint(workflow, token="longer-secret-42")
    workflow.description = "Use longer-secret-42 here"
    workflow.save()
    make_step(workflow, name="Step longer-secret-42")

    with pytest.raises(endpoints.export.ExportLeakError) as raised:
        endpoints.export.build_export(workflow)

    assert raised.value.user_message().startswith(
        "The export was stopped because the workflow description and a step name "
        "contain a stored secret of “Chat”."
    )


def test_long_secret_inside_text_aborts(workflow):
    make_token_endpoint(workflow, token="longer-secret-42")
    workflow.description = "Use longer-secret-42 here"
    workflow.save()

    with pytest.raises(endpoints.export.ExportLeakError) as raised:
        endpoints.export.build_export(workflow)

    assert "the workflow description" in raised.value.user_message()


@pytest.mark.parametrize(
    "base_url",
    [
        "https://tickets.example.test/Longer-Secret-42",
        "https://tickets.example.test/longer-secret-42",
        "https://tickets.example.test/%4Conger%2DSecret%2D42",
        "https://tickets.example.test/?key=LONGER-SECRET-42",
    ],
)
def test_secret_in_url_aborts_in_any_form(workflow, base_url):
    make_token_endpoint(workflow, token="Longer-Secret-42", base_url=base_url)

    with pytest.raises(endpoints.export.ExportLeakError) as raised:
        endpoints.export.build_export(workflow)

    assert "base URL" in raised.value.user_message()
    assert "Longer-Secret-42" not in raised.value.user_message()


def test_name_matching_secret_not_quoted(workflow):
    make_token_endpoint(workflow, name="hunter2", token="hunter2")

    with pytest.raises(endpoints.export.ExportLeakError) as raised:
        endpoints.export.build_export(workflow)

    message = raised.value.user_message()
    assert "hunter2" not in message
    assert "an endpoint whose name matches a stored secret" in message


@pytest.fixture
def undefined_field_export(monkeypatch):
    """Make export_data add a field that the format does not define."""
    original = endpoints.export.export_data

    def export_data_with_field(workflow):
        data = original(workflow)
        data["endpoints"][-1]["token"] = PLANTED_BEARER_TOKEN
        data["steps"][0]["note"] = "harmless text"
        return data

    monkeypatch.setattr(endpoints.export, "export_data", export_data_with_field)


def test_undefined_field_aborts_export(workflow, undefined_field_export):
    make_token_endpoint(workflow, token=PLANTED_BEARER_TOKEN)
    make_step(workflow)

    with pytest.raises(endpoints.export.ExportSchemaError) as raised:
        endpoints.export.build_export(workflow)

    assert raised.value.paths == ["endpoints[1].token", "steps[0].note"]


def test_wrong_type_aborts_export(monkeypatch, workflow):
    original = endpoints.export.export_data

    def export_data_with_object(workflow):
        data = original(workflow)
        data["workflow"]["description"] = {"secret": "x"}
        return data

    monkeypatch.setattr(endpoints.export, "export_data", export_data_with_object)

    with pytest.raises(endpoints.export.ExportSchemaError) as raised:
        endpoints.export.build_export(workflow)

    assert raised.value.paths == ["workflow.description"]


def test_undefined_field_page_shows_error(
    manager_client, planted, undefined_field_export
):
    response = manager_client.get(export_url(planted.workflow))

    messages = flash_messages(response)
    assert response.status_code == 302
    assert "does not define: endpoints[" in messages[0][1]
    assert planted.find_in(messages[0][1]) == []


def test_viewer_may_export(viewer_client, full_workflow):
    response = viewer_client.get(export_url(full_workflow))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_leak_scanner_agrees_with_rule(workflow):
    make_token_endpoint(workflow, name="Repeated", token="aaaaaaaab")
    make_token_endpoint(workflow, name="Prefix", token="abcdefgh")
    make_token_endpoint(workflow, name="Longer", token="abcdefghij")
    make_token_endpoint(workflow, name="Short", token="short")
    scanner = endpoints.export._LeakScanner(workflow)
    texts = [
        "aaaaaaaaaab",
        "xaaaaaaaab",
        "aaaaaaaa",
        "abcdefgh",
        "see abcdefghij",
        "abcdefghi",
        "short",
        "shorter",
        "",
        "SHORT",
        "see ABCDEFGHIJ",
        "%61bcdefgh",
        "x%2Dabcdefghij",
        "100%",
    ]

    for text in texts:
        expected = [
            name
            for name, secrets in scanner.secrets_by_endpoint
            if any(endpoints.export.matches_secret(text, s) for s in secrets)
        ]
        assert scanner.matching_endpoints(text) == expected, text


@pytest.mark.parametrize("field", ["access_token", "refresh_token", "basic"])
def test_leak_check_finds_oauth_secrets(monkeypatch, workflow, provider, field):
    endpoint = make_code_endpoint(workflow, provider, name="CRM")
    access, refresh = connect_directly(endpoint, provider)
    secret = {
        "access_token": access,
        "refresh_token": refresh,
        "basic": basic_client_credential(CLIENT_ID, CLIENT_SECRET),
    }[field]
    original = endpoints.export.export_data

    def export_data_with_secret(workflow):
        data = original(workflow)
        data["steps"] = [
            {
                "name": "Sync",
                "kind": "flow_step",
                "usages": [{"endpoint": "CRM", "label": f"x{secret}y"}],
            }
        ]
        return data

    monkeypatch.setattr(endpoints.export, "export_data", export_data_with_secret)

    with pytest.raises(endpoints.export.ExportLeakError) as raised:
        endpoints.export.build_export(workflow)

    assert raised.value.endpoints == ["“CRM”"]
    assert [finding.location for finding in raised.value.findings] == [
        "a usage in “Sync”"
    ]


def test_leak_findings_in_endpoint_order(monkeypatch, workflow):
    make_token_endpoint(workflow, name="Zeta", token="PLANTED-zeta-token-1")
    make_token_endpoint(workflow, name="alpha", token="PLANTED-alpha-token-2")
    original = endpoints.export.export_data

    def export_data_with_secret(workflow):
        data = original(workflow)
        data["workflow"]["description"] = "PLANTED-zeta-token-1 PLANTED-alpha-token-2"
        return data

    monkeypatch.setattr(endpoints.export, "export_data", export_data_with_secret)

    with pytest.raises(endpoints.export.ExportLeakError) as raised:
        endpoints.export.build_export(workflow)

    assert raised.value.endpoints == ["“alpha”", "“Zeta”"]
