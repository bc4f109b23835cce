"""Workflow import: the round trip, every rejected file, the command."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from endpoints.export import build_export, export_data
from endpoints.importer import (
    MAX_NESTING_DEPTH,
    ImportFileError,
    byte_count_text,
    import_workflow,
)
from endpoints.models import (
    ActivityEntry,
    AuthConfig,
    Endpoint,
    Step,
    StepUsage,
    Workflow,
)
from tests.conftest import make_basic_endpoint, make_token_endpoint

PLANTED_PASSWORD = "planted-Pa55word-7731"


def row_counts() -> dict[str, int]:
    models = [Workflow, Endpoint, AuthConfig, Step, StepUsage, ActivityEntry]
    return {model.__name__: model.objects.count() for model in models}


def as_bytes(data) -> bytes:
    return json.dumps(data).encode()


def without_time(export: dict) -> dict:
    export = dict(export)
    export.pop("exported_at")
    return export


@pytest.fixture
def full_workflow(workflow):
    tickets = make_basic_endpoint(workflow, password=PLANTED_PASSWORD)
    chat = make_token_endpoint(
        workflow, base_url="https://chat.example.test/api", trust_self_signed=True
    )
    Endpoint.objects.create_with_auth(
        workflow=workflow, name="Status “page”", base_url="http://status.test:8080"
    )
    console = workflow.endpoints.get(is_builtin=True)
    open_ticket = Step.objects.create(workflow=workflow, name="Open ticket")
    StepUsage.objects.create(step=open_ticket, endpoint=tickets, label="tickets")
    StepUsage.objects.create(step=open_ticket, endpoint=console, label="console")
    notify = Step.objects.create(
        workflow=workflow, name="Notify", kind=Step.Kind.INTEGRATION_SCRIPT
    )
    StepUsage.objects.create(step=notify, endpoint=chat, label="chat")
    Step.objects.create(workflow=workflow, name="Idle", kind=Step.Kind.CUSTOM_STEP)
    return workflow


@pytest.fixture
def export_dict(full_workflow) -> dict:
    return json.loads(build_export(full_workflow).content)


def assert_rejected(data, code: str, path: str | None = None, **kwargs):
    """Import ``data``; assert it fails with ``code`` and changes nothing."""
    before = row_counts()
    content = data if isinstance(data, bytes) else as_bytes(data)

    with pytest.raises(ImportFileError) as caught:
        import_workflow(content, **kwargs)

    problems = caught.value.problems
    assert code in {problem.code for problem in problems}, problems
    if path is not None:
        paths = {problem.path for problem in problems if problem.code == code}
        assert path in paths, problems
    assert row_counts() == before
    return caught.value


def test_round_trip_gives_same_export(full_workflow, export_dict):
    full_workflow.delete()

    result = import_workflow(as_bytes(export_dict))

    again = export_data(result.workflow)
    assert without_time(again) == without_time(export_dict)


def test_round_trip_under_new_name(full_workflow, export_dict):
    result = import_workflow(as_bytes(export_dict), name="Incidents (copy)")

    again = export_data(result.workflow)
    assert again["workflow"]["name"] == "Incidents (copy)"
    expected = without_time(export_dict)
    expected["workflow"]["name"] = "Incidents (copy)"
    assert without_time(again) == expected


def test_import_leaves_endpoints_unconfigured(export_dict):
    result = import_workflow(as_bytes(export_dict), name="Copy")

    configs = AuthConfig.objects.filter(
        endpoint__workflow=result.workflow, endpoint__is_builtin=False
    )
    assert configs.count() == 3
    assert {config.auth_type for config in configs} == {"none"}
    assert all(config.awaiting_configuration for config in configs)
    assert all(config.params == {} for config in configs)
    assert all(config.stored_secrets() == {} for config in configs)
    assert not result.workflow.endpoints.filter(trust_self_signed=True).exists()


def test_import_maps_builtin_endpoint(export_dict):
    result = import_workflow(as_bytes(export_dict), name="Copy")

    builtin = result.workflow.endpoints.get(is_builtin=True)
    assert builtin.auth.auth_type == "console"
    assert not builtin.auth.awaiting_configuration
    assert result.workflow.endpoints.filter(is_builtin=True).count() == 1
    usage = StepUsage.objects.get(step__workflow=result.workflow, label="console")
    assert usage.endpoint == builtin


def test_import_records_activity(export_dict, manager):
    result = import_workflow(
        as_bytes(export_dict), actor=manager, name="Copy", source="incidents.json"
    )

    entry = ActivityEntry.objects.get(event=ActivityEntry.Event.IMPORTED)
    assert entry.workflow == result.workflow
    assert entry.actor == manager
    assert "incidents.json" in entry.detail
    assert "3 endpoints" in entry.detail


def test_import_accepts_byte_order_mark(export_dict):
    content = "\ufeff".encode() + as_bytes(export_dict)

    result = import_workflow(content, name="Copy")

    assert result.workflow.name == "Copy"


def test_import_empty_workflow(workflow):
    data = export_data(workflow)
    workflow.delete()

    result = import_workflow(as_bytes(data))

    assert result.endpoint_count == 0
    assert result.workflow.endpoints.count() == 1


def test_reject_not_json(db):
    assert_rejected(b"name: Incidents\n", "not_json")


def test_reject_truncated_json(export_dict):
    content = as_bytes(export_dict)

    assert_rejected(content[: len(content) // 2], "not_json")


def test_reject_not_utf8(export_dict):
    content = json.dumps(export_dict, ensure_ascii=False).encode("utf-16")

    assert_rejected(content, "not_utf8")


def test_reject_latin1_text(export_dict):
    export_dict["workflow"]["description"] = "Störung"
    content = as_bytes(export_dict).replace(
        b"St\\u00f6rung", "Störung".encode("latin-1")
    )

    assert_rejected(content, "not_utf8")


def test_reject_json_list(db):
    assert_rejected([1, 2, 3], "not_an_export")


def test_reject_wrong_format(export_dict):
    export_dict["format"] = "other-tool-backup"

    error = assert_rejected(export_dict, "wrong_format")

    assert "other-tool-backup" in error.messages[0]


def test_reject_missing_format(export_dict):
    del export_dict["format"]

    assert_rejected(export_dict, "wrong_format")


@pytest.mark.parametrize("version", [2, 0, "1", 1.0, True, None])
def test_reject_wrong_format_version(export_dict, version):
    export_dict["format_version"] = version

    assert_rejected(export_dict, "wrong_format_version")


@pytest.mark.parametrize(
    ("location", "field", "path"),
    [
        ((), "exported_at", "exported_at"),
        ((), "steps", "steps"),
        (("workflow",), "description", "workflow.description"),
        (("endpoints", 2), "base_url", "endpoints[2].base_url"),
        (("endpoints", 0), "builtin", "endpoints[0].builtin"),
        (("steps", 1), "kind", "steps[1].kind"),
        (("steps", 2, "usages", 0), "label", "steps[2].usages[0].label"),
    ],
)
def test_reject_missing_field(export_dict, location, field, path):
    target = export_dict
    for key in location:
        target = target[key]
    del target[field]

    assert_rejected(export_dict, "missing_field", path)


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ((), "comment"),
        (("workflow",), "workflow.comment"),
        (("endpoints", 1), "endpoints[1].comment"),
        (("steps", 0), "steps[0].comment"),
        (("steps", 2, "usages", 1), "steps[2].usages[1].comment"),
    ],
)
def test_reject_extra_field(export_dict, location, path):
    target = export_dict
    for key in location:
        target = target[key]
    target["comment"] = "added by hand"

    assert_rejected(export_dict, "unexpected_field", path)


def test_reject_wrong_field_type(export_dict):
    export_dict["endpoints"][1]["builtin"] = "no"

    assert_rejected(export_dict, "wrong_type", "endpoints[1].builtin")


def test_reject_endpoint_not_an_object(export_dict):
    export_dict["endpoints"].append("Tickets")

    assert_rejected(export_dict, "wrong_type", "endpoints[4]")


def test_reject_usage_of_unknown_endpoint(export_dict):
    export_dict["steps"][2]["usages"][0]["endpoint"] = "Billing"

    error = assert_rejected(
        export_dict, "unknown_endpoint", "steps[2].usages[0].endpoint"
    )

    assert "Billing" in str(error.problems[0])


def test_reject_duplicate_endpoint_names(export_dict):
    duplicate = copy.deepcopy(export_dict["endpoints"][1])
    duplicate["name"] = duplicate["name"].upper()
    export_dict["endpoints"].append(duplicate)

    assert_rejected(export_dict, "duplicate_endpoint", "endpoints[4].name")


@pytest.mark.parametrize("padded", ["{name} ", " {name}", "\t{name}\n"])
def test_reject_names_differing_by_spaces(export_dict, padded):
    duplicate = copy.deepcopy(export_dict["endpoints"][1])
    duplicate["name"] = padded.format(name=duplicate["name"])
    export_dict["endpoints"].append(duplicate)

    assert_rejected(export_dict, "duplicate_endpoint", "endpoints[4].name")


def test_names_and_labels_stored_stripped(export_dict):
    endpoint_name = export_dict["endpoints"][1]["name"]
    export_dict["endpoints"][1]["name"] = f"  {endpoint_name} "
    export_dict["steps"][0]["name"] = " Padded step "
    export_dict["steps"][2]["usages"][0]["label"] = " padded "

    result = import_workflow(as_bytes(export_dict), name=" Copy ")

    workflow = result.workflow
    assert workflow.name == "Copy"
    assert workflow.endpoints.filter(name=endpoint_name).exists()
    assert workflow.steps.filter(name="Padded step").exists()
    labels = StepUsage.objects.filter(step__workflow=workflow)
    assert labels.filter(label="padded").exists()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("endpoints", 1, "name"), "Enter a name."),
        (("steps", 0, "name"), "Enter a name."),
        (("steps", 2, "usages", 0, "label"), "Enter a label."),
    ],
)
def test_blank_name_says_enter_one(export_dict, path, message):
    target = export_dict
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = ""

    error = assert_rejected(export_dict, "required")

    assert message in [problem.message for problem in error.problems]


def test_padded_usage_reference_finds_endpoint(export_dict):
    usage = export_dict["steps"][2]["usages"][0]
    usage["endpoint"] = f"  {usage['endpoint']}\u00a0"

    result = import_workflow(as_bytes(export_dict), name="Copy")

    assert StepUsage.objects.filter(step__workflow=result.workflow).count() == sum(
        len(step["usages"]) for step in export_dict["steps"]
    )


def test_base_url_stored_stripped(export_dict):
    base_url = export_dict["endpoints"][1]["base_url"]
    export_dict["endpoints"][1]["base_url"] = f" {base_url}\n"

    result = import_workflow(as_bytes(export_dict), name="Copy")

    assert result.workflow.endpoints.filter(base_url=base_url).exists()


def test_reject_long_description(export_dict):
    export_dict["workflow"]["description"] = "x" * 2001

    error = assert_rejected(export_dict, "max_length", "workflow.description")

    assert "The description has 2,001 characters; at most 2,000 are accepted." in [
        problem.message for problem in error.problems
    ]


def test_description_stored_stripped(export_dict):
    export_dict["workflow"]["description"] = "  Runs nightly.\n"

    result = import_workflow(as_bytes(export_dict), name="Copy")

    assert result.workflow.description == "Runs nightly."


def test_reject_endpoint_named_like_builtin(export_dict):
    export_dict["endpoints"][1]["name"] = "console"

    assert_rejected(export_dict, "duplicate_endpoint", "endpoints[1].name")


def test_reject_duplicate_step_names(export_dict):
    export_dict["steps"][0]["name"] = "NOTIFY"

    assert_rejected(export_dict, "duplicate_step", "steps[1].name")


def test_reject_duplicate_labels(export_dict):
    usages = export_dict["steps"][2]["usages"]
    usages.append({"endpoint": usages[0]["endpoint"], "label": "Tickets"})

    assert_rejected(export_dict, "duplicate_label", "steps[2].usages[2].label")


def test_reject_invalid_step_kind(export_dict):
    export_dict["steps"][0]["kind"] = "cron_job"

    assert_rejected(export_dict, "invalid_kind", "steps[0].kind")


@pytest.mark.parametrize(
    ("base_url", "code"),
    [
        ("ftp://files.example.test", "invalid_scheme"),
        ("https://user:pw@tickets.example.test", "userinfo"),
        ("https://tickets.example.test/api?x=1", "query"),
        ("https://tickets.example.test/../admin", "dot_segment"),
        ("https://tickets.example.test/" + "a" * 2000, "max_length"),
        ("", "blank"),
    ],
)
def test_reject_invalid_base_url(export_dict, base_url, code):
    export_dict["endpoints"][1]["base_url"] = base_url

    assert_rejected(export_dict, code, "endpoints[1].base_url")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Line\nbreak", "control_characters"),
        ("x" * 101, "max_length"),
        ("   ", "required"),
        ("\ufdfa" * 30, "max_length"),
    ],
)
def test_reject_invalid_endpoint_name(export_dict, name, code):
    export_dict["endpoints"][1]["name"] = name

    assert_rejected(export_dict, code, "endpoints[1].name")


def test_reject_null_in_description(export_dict):
    export_dict["workflow"]["description"] = "nul \x00 byte"

    assert_rejected(export_dict, "null_characters_not_allowed", "workflow.description")


def test_reject_invalid_exported_at(export_dict):
    export_dict["exported_at"] = "yesterday"

    assert_rejected(export_dict, "invalid", "exported_at")


@pytest.mark.parametrize(
    "field", ["password", "username", "params", "secrets", "access_token", "Token"]
)
def test_reject_auth_field(export_dict, field):
    export_dict["endpoints"][1][field] = PLANTED_PASSWORD

    error = assert_rejected(export_dict, "auth_data", f"endpoints[1].{field}")

    assert PLANTED_PASSWORD not in " ".join(error.messages)


def test_reject_auth_type(export_dict):
    export_dict["endpoints"][1]["auth_type"] = "basic"

    assert_rejected(export_dict, "auth_data", "endpoints[1].auth_type")


def test_reject_trust_self_signed(export_dict):
    export_dict["endpoints"][1]["trust_self_signed"] = True

    assert_rejected(export_dict, "trust_self_signed", "endpoints[1].trust_self_signed")


def test_rejected_auth_data_is_not_stored(export_dict):
    export_dict["endpoints"][1]["password"] = PLANTED_PASSWORD

    with pytest.raises(ImportFileError):
        import_workflow(as_bytes(export_dict), name="Copy")

    assert not Workflow.objects.filter(name="Copy").exists()
    assert not ActivityEntry.objects.filter(detail__contains=PLANTED_PASSWORD).exists()


def test_reject_missing_builtin(export_dict):
    export_dict["endpoints"] = [
        endpoint for endpoint in export_dict["endpoints"] if not endpoint["builtin"]
    ]
    export_dict["steps"][2]["usages"] = export_dict["steps"][2]["usages"][1:]

    assert_rejected(export_dict, "builtin_missing", "endpoints")


def test_reject_second_builtin(export_dict):
    export_dict["endpoints"][1]["builtin"] = True

    assert_rejected(export_dict, "builtin_twice", "endpoints[1].builtin")


def test_reject_renamed_builtin(export_dict):
    export_dict["endpoints"][0]["name"] = "Self"
    export_dict["steps"][2]["usages"][0]["endpoint"] = "Self"

    assert_rejected(export_dict, "builtin_name", "endpoints[0].name")


def test_reject_over_size_limit(export_dict, settings):
    content = as_bytes(export_dict)
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = len(content) - 1

    error = assert_rejected(content, "too_large")

    assert f"{len(content) - 1:,} bytes" in error.messages[0]


def test_accept_file_at_size_limit(export_dict, settings):
    content = as_bytes(export_dict)
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = len(content)

    result = import_workflow(content, name="Copy")

    assert result.workflow.name == "Copy"


def test_reject_deeply_nested(export_dict):
    export_dict["workflow"]["description"] = "[" * 100
    nested = "[" * 100_000 + "]" * 100_000
    content = as_bytes(export_dict).replace(
        b'"exported_at"', b'"deep": ' + nested.encode() + b', "exported_at"'
    )

    error = assert_rejected(content, "too_deep")

    assert [problem.message for problem in error.problems] == [
        "The file nests lists and objects more than 20 levels deep; an export needs 5."
    ]


def test_reject_nesting_just_over_limit(db):
    depth = MAX_NESTING_DEPTH + 1

    assert_rejected(("[" * depth + "]" * depth).encode(), "too_deep")


def test_brackets_in_strings_not_nesting(export_dict):
    export_dict["workflow"]["description"] = '[{"\\' * 50

    result = import_workflow(as_bytes(export_dict), name="Copy")

    assert result.workflow.description == '[{"\\' * 50


def test_reject_unterminated_deep_string(db):
    # The brackets are inside a string that is never closed, so the parser
    # stops at the string and never nests them.
    content = b'{"a": "' + b"[" * 50_000

    error = assert_rejected(content, "not_json")

    messages = [problem.message for problem in error.problems]
    assert messages == [
        "The file is not valid JSON: Unterminated string starting at line 1, column 7."
    ]


@pytest.mark.parametrize("ending", [b"", b"\\"])
def test_reject_unclosed_escaped_quotes(db, ending):
    # A string that is never closed and contains two million escaped quotes.
    # The nesting scan once retried a failed match from each quote, so its
    # time grew with the square of the length (days for this file, by an
    # estimate from smaller ones). It now reads the file once.
    content = b'"' + b'\\"' * 2_000_000 + ending

    assert_rejected(content, "not_json")


def test_reject_duplicate_keys(export_dict):
    content = as_bytes(export_dict).replace(
        b'"format": ', b'"steps": [], "format": ', 1
    )

    assert_rejected(content, "duplicate_key")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_reject_non_finite_number(export_dict, constant):
    content = as_bytes(export_dict).replace(
        b'"format_version": 1', b'"format_version": ' + constant
    )

    assert_rejected(content, "not_json")


def test_reject_huge_integer(export_dict):
    content = as_bytes(export_dict).replace(
        b'"format_version": 1', b'"format_version": ' + b"9" * 5000
    )

    assert_rejected(content, "not_json")


def test_reject_lone_surrogate(export_dict):
    content = as_bytes(export_dict).replace(b'"Notify"', b'"Notify \\ud800"', 1)

    assert_rejected(content, "invalid_unicode", "steps[1].name")


def test_reject_name_clash(full_workflow, export_dict):
    error = assert_rejected(export_dict, "name_clash", "workflow.name")

    assert "Incidents" in error.messages[0]


def test_reject_name_clash_ignoring_case(full_workflow, export_dict):
    export_dict["workflow"]["name"] = "INCIDENTS"

    assert_rejected(export_dict, "name_clash", "workflow.name")


def test_reject_clashing_new_name(full_workflow, export_dict):
    Workflow.objects.create(name="Copy")

    assert_rejected(export_dict, "name_clash", "new name", name="copy")


def test_reject_invalid_new_name(export_dict):
    assert_rejected(export_dict, "control_characters", "new name", name="a\tb")


def test_error_lists_every_problem(export_dict):
    export_dict["endpoints"][1]["base_url"] = "ftp://x.test"
    export_dict["endpoints"][2]["password"] = PLANTED_PASSWORD
    export_dict["steps"][0]["kind"] = "cron_job"

    error = assert_rejected(export_dict, "invalid_scheme")

    assert error.codes >= {"invalid_scheme", "auth_data", "invalid_kind"}
    assert any(message.startswith("endpoints[1].base_url: ") for message in error)


def test_error_list_is_capped(export_dict):
    export_dict["endpoints"][1].update({f"extra{i}": i for i in range(80)})

    error = assert_rejected(export_dict, "unexpected_field", name="Copy")

    assert len(error.messages) == 51
    assert error.messages[-1] == "… and 30 more problems."


def test_command_imports_file(tmp_path, full_workflow, capsys):
    path = tmp_path / "incidents.json"
    path.write_bytes(build_export(full_workflow).content)

    call_command("import_workflow", str(path), "--name", "Incidents (copy)")

    output = capsys.readouterr().out
    assert "Imported workflow “Incidents (copy)” with 3 endpoints" in output
    assert Workflow.objects.filter(name="Incidents (copy)").exists()


def test_command_reports_name_clash(tmp_path, full_workflow):
    path = tmp_path / "incidents.json"
    path.write_bytes(build_export(full_workflow).content)

    with pytest.raises(CommandError) as caught:
        call_command("import_workflow", str(path))

    assert "already exists" in str(caught.value)
    assert "--name NEW_NAME" in str(caught.value)


def test_command_rejects_large_file(tmp_path, db, settings):
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = 100
    path = tmp_path / "large.json"
    path.write_bytes(b" " * 101)

    with pytest.raises(CommandError) as caught:
        call_command("import_workflow", str(path))

    assert "too large (101 bytes)" in str(caught.value)


def test_command_states_limit_in_units(tmp_path, db, settings):
    settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = 3 * 1024
    path = tmp_path / "large.json"
    path.write_bytes(b" " * (3 * 1024 + 1))

    with pytest.raises(CommandError) as caught:
        call_command("import_workflow", str(path))

    assert "the limit is 3 KiB (3,072 bytes)." in str(caught.value)


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (1, "1 byte"),
        (1000, "1,000 bytes"),
        (1024, "1 KiB (1,024 bytes)"),
        (1536, "1.5 KiB (1,536 bytes)"),
        (5 * 1024 * 1024, "5 MiB (5,242,880 bytes)"),
        (5_000_000, "4.8 MiB (5,000,000 bytes)"),
        (2 * 1024**3, "2 GiB (2,147,483,648 bytes)"),
    ],
)
def test_byte_count_text(count, text):
    assert byte_count_text(count) == text


def test_command_reports_missing_file(tmp_path, db):
    with pytest.raises(CommandError) as caught:
        call_command("import_workflow", str(tmp_path / "missing.json"))

    assert "Cannot read" in str(caught.value)


def test_reject_lone_surrogate_in_key(export_dict):
    content = as_bytes(export_dict).replace(b'"Notify"', b'"Notify", "\\udc00": 1', 1)

    assert_rejected(content, "invalid_unicode")


def test_reject_repeated_invalid_label_each_path(export_dict):
    used = [index for index, step in enumerate(export_dict["steps"]) if step["usages"]]
    for index in used:
        export_dict["steps"][index]["usages"][0]["label"] = "bad\u200blabel"

    error = assert_rejected(export_dict, "invisible_characters", name="Copy")

    paths = {problem.path for problem in error.problems}
    assert len(used) >= 2
    for index in used:
        assert f"steps[{index}].usages[0].label" in paths
