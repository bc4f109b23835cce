"""Fuzzing the importer: it imports a file or raises ImportFileError.

Any other exception, or a rejected file that changed a row, fails the test.
Each example runs in a savepoint that is rolled back, so examples do not
see each other's workflows.
"""

import copy
import json

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from endpoints.export import export_data
from endpoints.importer import ImportFileError, import_workflow
from endpoints.models import (
    ActivityEntry,
    AuthConfig,
    Endpoint,
    Step,
    StepUsage,
    Workflow,
)
from tests.conftest import make_basic_endpoint, make_token_endpoint

FUZZ_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text with every kind of character, lone surrogates included, because JSON
# escapes can carry them into the parsed file.
ANY_TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=20
)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | ANY_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4)
    ),
    max_leaves=20,
)


def row_counts() -> dict[str, int]:
    models = [Workflow, Endpoint, AuthConfig, Step, StepUsage, ActivityEntry]
    return {model.__name__: model.objects.count() for model in models}


def encode(value, ensure_ascii: bool = True) -> bytes:
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    # Lone surrogates survive as invalid UTF-8 bytes, which the importer
    # must reject like any other non-UTF-8 file.
    return text.encode("utf-8", "surrogatepass")


def check_import(content: bytes) -> None:
    """Import ``content`` and assert one of the two allowed outcomes."""
    with transaction.atomic():
        before = row_counts()
        result = None
        try:
            result = import_workflow(content, name=None)
        except ImportFileError as error:
            event("rejected: " + ",".join(sorted(error.codes))[:60])

        if result is None:
            assert row_counts() == before
        else:
            event("imported")
            configs = AuthConfig.objects.filter(
                endpoint__workflow=result.workflow, endpoint__is_builtin=False
            )
            assert all(config.auth_type == "none" for config in configs)
            assert all(config.awaiting_configuration for config in configs)
            assert not result.workflow.endpoints.filter(trust_self_signed=True).exists()
            assert result.workflow.endpoints.filter(is_builtin=True).count() == 1
        transaction.set_rollback(True)


@pytest.fixture
def valid_export(workflow):
    tickets = make_basic_endpoint(workflow)
    chat = make_token_endpoint(workflow)
    console = workflow.endpoints.get(is_builtin=True)
    step = Step.objects.create(workflow=workflow, name="Open ticket")
    StepUsage.objects.create(step=step, endpoint=tickets, label="tickets")
    StepUsage.objects.create(step=step, endpoint=console, label="console")
    other = Step.objects.create(workflow=workflow, name="Notify", kind="custom_step")
    StepUsage.objects.create(step=other, endpoint=chat, label="chat")
    data = export_data(workflow)
    workflow.delete()
    return data


def all_paths(value, prefix=()) -> list[tuple]:
    """Return the path to every value inside a parsed JSON document."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += all_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += all_paths(item, (*prefix, index))
    return paths


def mutate(document, data) -> object:
    """Apply one random change at a random place in the document."""
    document = copy.deepcopy(document)
    path = data.draw(st.sampled_from(all_paths(document)))
    operation = data.draw(
        st.sampled_from(["replace", "delete", "add_key", "duplicate", "case"])
    )
    if not path:
        return data.draw(JSON_VALUES) if operation == "replace" else document
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]

    if operation == "replace":
        parent[key] = data.draw(JSON_VALUES)
    elif operation == "delete":
        del parent[key]
    elif operation == "add_key" and isinstance(parent[key], dict):
        parent[key][data.draw(ANY_TEXT)] = data.draw(JSON_VALUES)
    elif operation == "duplicate" and isinstance(parent[key], list) and parent[key]:
        parent[key].append(copy.deepcopy(data.draw(st.sampled_from(parent[key]))))
    elif operation == "case" and isinstance(parent[key], str):
        parent[key] = parent[key].swapcase()
    return document


@FUZZ_SETTINGS
@given(value=JSON_VALUES)
def test_fuzz_random_json(db, value):
    check_import(encode(value))


@FUZZ_SETTINGS
@given(content=st.binary(max_size=400))
def test_fuzz_random_bytes(db, content):
    check_import(content)


@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzz_mutated_export(valid_export, data):
    document = valid_export
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        document = mutate(document, data)

    check_import(encode(document, ensure_ascii=data.draw(st.booleans())))


@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzz_truncated_export(valid_export, data):
    content = encode(valid_export)
    cut = data.draw(st.integers(min_value=0, max_value=len(content)))

    check_import(content[:cut])


def test_fuzz_base_export_imports(valid_export):
    result = import_workflow(encode(valid_export))

    assert result.workflow.name == "Incidents"
