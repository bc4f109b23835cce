"""Workflow import: read an export file back into a new workflow.

The file must be what `endpoints.export` writes: UTF-8 JSON of format
``endpoint-console-workflow``, version 1, with exactly the fields of the
export at every level. Names and base URLs go through the model fields'
validators, the same ones the forms use. The whole file is checked before
anything is written, every problem is reported with its path (such as
``endpoints[2].base_url``), and the workflow, its endpoints, steps and
usages are then created in one transaction.

Authentication data is rejected, not stripped: an export never contains
any, so a file with auth fields, an auth type other than ``none`` or
``trust_self_signed: true`` was written by hand or by other software, and
its holder should know that it contains credentials. Nothing of it
is stored. Imported endpoints get the No Authorization type, marked as
awaiting configuration, so that a manager may choose their auth type once.

The file's built-in endpoint is not created: the new workflow makes its own
built-in Console endpoint, which the file's built-in endpoint maps to.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import pluralize

from . import activity
from .auth import registry
from .bulk_insert import insert_rows
from .export import (
    ENDPOINT_FIELDS,
    EXPORT_FORMAT,
    EXPORT_FORMAT_VERSION,
    ROOT_FIELDS,
    STEP_FIELDS,
    USAGE_FIELDS,
    WORKFLOW_FIELDS,
)
from .models import (
    BUILTIN_ENDPOINT_NAME,
    ActivityEntry,
    AuthConfig,
    Endpoint,
    Step,
    StepUsage,
    Workflow,
)
from .validators import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    name_key,
    validate_not_blocked_address,
)

logger = logging.getLogger(__name__)

# The export nests five levels deep (file, steps, step, usages, usage). The
# limit leaves room for that and stops input that would exhaust the parser's
# recursion well below Python's recursion limit (1000 by default).
MAX_NESTING_DEPTH = 20
# The path of problems with the name given to import_workflow, which the
# import page shows on its "Import as" field.
NEW_NAME_PATH = "new name"

# The export's only number is its format version, so any integer with more
# digits than this is a damaged or hostile file.
MAX_INTEGER_DIGITS = 20

# A file with more problems than this lists the first ones and a count.
MAX_LISTED_PROBLEMS = 50

# The maximum length of a value quoted back in a message.
MAX_QUOTED_CHARS = 60

# Field names that carry authentication in the console's models or in some
# auth type's form. An endpoint with one of them is reported as containing
# auth data rather than merely an unknown field.
AUTH_CONFIG_FIELDS = frozenset(
    {
        "auth",
        "authentication",
        "auth_config",
        "params",
        "secrets",
        "credential",
        "credentials",
        "access_token",
        "refresh_token",
        "token_expires_at",
        "token_lifetime",
        "granted_scope",
        "instance_url",
        "connected_at",
        "connected_by",
        "assigned_user",
        "password",
        "username",
        "token",
        "client_id",
        "client_secret",
        "api_key",
        "secret",
    }
)

_JSON_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    dict: "an object",
    list: "a list",
}

# A JSON string: the same grammar as RFC 8259, section 7, except that raw
# control characters are allowed, which only lets the scan skip text that
# the parser rejects anyway. The unrolled form, plain characters then any
# number of (escape, plain characters), scans runs of plain characters at
# once: twice as fast on an export as an alternation per character. The
# last alternative, an optional backslash and the end of the text, lets a
# string that is never closed match to the end, so every match that starts
# at a quote succeeds. A failing match would be retried from every later
# quote, which took time growing with the square of the length for a file
# of '\"' repeated (test_reject_unclosed_escaped_quotes).
_JSON_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
# Everything but the brackets of lists and objects.
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")


@dataclass(frozen=True)
class ImportProblem:
    """One reason a file cannot be imported, at a path inside the file."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ImportFileError(ValidationError):
    """Raised when a file cannot be imported; ``problems`` lists every reason.

    Nothing has been written to the database when this is raised.
    """

    def __init__(self, problems: list[ImportProblem]):
        self.problems = list(problems)
        shown = [
            ValidationError(str(problem), code=problem.code)
            for problem in self.problems[:MAX_LISTED_PROBLEMS]
        ]
        hidden = len(self.problems) - len(shown)
        if hidden > 0:
            shown.append(
                ValidationError(
                    f"… and {hidden} more problem{pluralize(hidden)}.",
                    code="more_problems",
                )
            )
        super().__init__(shown)

    @property
    def codes(self) -> set[str]:
        return {problem.code for problem in self.problems}


@dataclass
class PlannedStep:
    name: str
    kind: str
    # (name key of the endpoint, label)
    usages: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportPlan:
    """The validated content of a file, ready to be created."""

    name: str
    description: str
    # (name, base URL) of each endpoint that is not built-in.
    endpoints: list[tuple[str, str]]
    steps: list[PlannedStep]


@dataclass(frozen=True)
class ImportResult:
    workflow: Workflow
    endpoint_count: int
    step_count: int


def max_import_bytes() -> int:
    return settings.ENDPOINT_CONSOLE_IMPORT_MAX_BYTES


# Binary units, largest first, for `byte_count_text`.
BYTE_UNITS = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


def byte_count_text(count: int) -> str:
    """Describe ``count`` bytes, e.g. "5 MiB (5,242,880 bytes)".

    The exact count follows any rounded value in binary units, so that the
    page and its error messages state a limit the same way.
    """
    exact = f"{count:,} byte{'' if count == 1 else 's'}"
    for unit, size in BYTE_UNITS:
        if count >= size:
            value = f"{count / size:.1f}".removesuffix(".0")
            return f"{value} {unit} ({exact})"
    return exact


def import_limit_text() -> str:
    """Describe the import size limit, as the page and its errors state it."""
    return byte_count_text(max_import_bytes())


def too_large_error(size: int | None) -> ImportFileError:
    """Return the error for a file over ENDPOINT_CONSOLE_IMPORT_MAX_BYTES."""
    size_text = f" ({size:,} bytes)" if size is not None else ""
    return ImportFileError(
        [
            ImportProblem(
                "",
                "too_large",
                f"The file is too large{size_text}: the limit is "
                f"{import_limit_text()}. "
                "Import a workflow export; exports are far smaller.",
            )
        ]
    )


def read_import_file(path: Path) -> bytes:
    """Read a file for import, checking its size before reading it."""
    limit = max_import_bytes()
    size = path.stat().st_size
    if size > limit:
        raise too_large_error(size)
    with path.open("rb") as file:
        # The file may have grown since stat(); read no more than the limit.
        content = file.read(limit + 1)
    if len(content) > limit:
        raise too_large_error(None)
    return content


def import_workflow(
    content: bytes, *, actor=None, name: str | None = None, source: str = ""
) -> ImportResult:
    """Check an export file and create its workflow in one transaction.

    ``name`` imports the workflow under another name than the file's.
    ``source`` (a file name) goes into the activity entry. Raises
    `ImportFileError` listing every problem, with the database unchanged.
    """
    try:
        data = parse_import(content)
        plan = validate_import(data, name=name)
        result = _create(plan, actor=actor, source=source)
    except ImportFileError as error:
        logger.warning(
            "event=import_rejected problems=%d codes=%s actor_id=%s",
            len(error.problems),
            ",".join(sorted(error.codes)),
            getattr(actor, "pk", None),
        )
        raise
    logger.info(
        "event=import_done workflow_id=%s endpoints=%d steps=%d actor_id=%s",
        result.workflow.pk,
        result.endpoint_count,
        result.step_count,
        getattr(actor, "pk", None),
    )
    return result


def parse_import(content: bytes) -> object:
    """Decode and parse the file, stopping input the parser must not see.

    The size and nesting depth are checked before parsing, so that neither a
    huge file nor a deeply nested one reaches ``json.loads``.
    """
    if len(content) > max_import_bytes():
        raise too_large_error(len(content))
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _single(
            "not_utf8",
            f"The file is not UTF-8 text (invalid byte at position {error.start}). "
            "Import the JSON file as the console exported it.",
        ) from error
    # RFC 8259 forbids a byte order mark but lets parsers ignore one, and
    # some editors add it when saving.
    text = text.removeprefix("\ufeff")

    depth = _nesting_depth(text)
    if depth > MAX_NESTING_DEPTH:
        raise _single(
            "too_deep",
            # The scan stops counting once the limit is passed.
            f"The file nests lists and objects more than {MAX_NESTING_DEPTH} "
            "levels deep; an export needs 5.",
        )

    try:
        data = json.loads(
            text,
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
        )
    except _DuplicateKeyError as error:
        raise _single(
            "duplicate_key",
            f"The key “{_quote(error.key)}” appears twice in one object.",
        ) from error
    except _HugeIntegerError as error:
        raise _single(
            "not_json",
            f"The file contains an integer with {error.digits:,} digits; an export "
            f"has none with more than {MAX_INTEGER_DIGITS}.",
        ) from error
    except json.JSONDecodeError as error:
        # Some of the json module's messages end in "at" ("Unterminated
        # string starting at"), which the position follows.
        reason = error.msg.removesuffix(" at")
        raise _single(
            "not_json",
            f"The file is not valid JSON: {reason} at line {error.lineno}, "
            f"column {error.colno}.",
        ) from error
    except (ValueError, RecursionError) as error:
        # Non-finite numbers and, should the depth scan ever miss one,
        # nesting too deep for the parser.
        raise _single("not_json", f"The file is not valid JSON: {error}.") from error

    bad_text_path = None if _encodes_as_utf8(data) else _find_surrogate(data, "")
    if bad_text_path is not None:
        raise _single(
            "invalid_unicode",
            "The text contains an invalid Unicode escape (a lone surrogate such "
            "as \\ud800).",
            path=bad_text_path,
        )
    return data


def validate_import(data: object, *, name: str | None = None) -> ImportPlan:
    """Check the parsed file against the export format; return what to create.

    Raises `ImportFileError` with every problem found.
    """
    checker = _Checker()
    if not isinstance(data, dict):
        raise _single(
            "not_an_export",
            f"The file contains {_type_name(data)}, not a workflow export (an "
            "object with format, workflow, endpoints and steps).",
        )
    if data.get("format") != EXPORT_FORMAT:
        raise _single(
            "wrong_format",
            "The file is not a workflow export: its format is "
            f"{_describe(data.get('format'))}, expected “{EXPORT_FORMAT}”.",
        )
    version = data.get("format_version")
    mistyped_version = _is_mistyped_version(version)
    if not mistyped_version and (
        type(version) is not int or version != EXPORT_FORMAT_VERSION
    ):
        raise _single(
            "wrong_format_version",
            f"The file has format version {_describe(version)}, but this console "
            f"reads only version {EXPORT_FORMAT_VERSION}. Export the workflow again "
            "from a console of the same version.",
        )

    checker.check_object(data, "", ROOT_FIELDS)
    if mistyped_version:
        # The file is of this version, written otherwise than the export
        # writes it, so the rest of it is checked too. This problem replaces
        # the type check's.
        checker.problems = [
            problem for problem in checker.problems if problem.path != "format_version"
        ]
        checker.add(
            "format_version",
            "wrong_format_version",
            f"Write the format version as the JSON number {EXPORT_FORMAT_VERSION}, "
            f"without quotes or decimals; the file has {_describe(version)}.",
        )
    exported_at = data.get("exported_at")
    if isinstance(exported_at, str):
        try:
            datetime.fromisoformat(exported_at)
        except ValueError:
            checker.add(
                "exported_at",
                "invalid",
                "Enter a date and time in ISO 8601 format, such as "
                "2025-01-31T12:00:00+00:00.",
            )

    workflow_data = data.get("workflow")
    workflow_name = description = ""
    if checker.check_object(workflow_data, "workflow", WORKFLOW_FIELDS):
        workflow_name = checker.clean_name(
            Workflow, "name", workflow_data.get("name"), "workflow.name"
        )
        description = workflow_data.get("description")
        if isinstance(description, str):
            # Stripped and limited as the workflow form does, so that the
            # imported workflow can be saved from its page.
            description = description.strip()
            checker.run(
                ProhibitNullCharactersValidator(), description, "workflow.description"
            )
            if len(description) > DESCRIPTION_MAX_LENGTH:
                checker.add(
                    "workflow.description",
                    "max_length",
                    f"The description has {len(description):,} characters; at "
                    f"most {DESCRIPTION_MAX_LENGTH:,} are accepted.",
                )
    if name is not None:
        workflow_name = checker.clean_name(Workflow, "name", name, NEW_NAME_PATH)

    endpoint_keys, planned_endpoints = _check_endpoints(checker, data.get("endpoints"))
    steps = _check_steps(checker, data.get("steps"), endpoint_keys)

    if workflow_name:
        clash = (
            Workflow.objects.filter(name_key=name_key(workflow_name))
            .values_list("name", flat=True)
            .first()
        )
        if clash is not None:
            checker.add(
                NEW_NAME_PATH if name is not None else "workflow.name",
                "name_clash",
                f"A workflow named “{clash}” already exists. Import the file under "
                "another name; workflows are never merged.",
            )

    checker.raise_problems()
    return ImportPlan(
        name=workflow_name,
        description=description,
        endpoints=planned_endpoints,
        steps=steps,
    )


def _check_endpoints(checker, endpoints) -> tuple[set[str], list[tuple[str, str]]]:
    """Check the endpoints; return all name keys and the endpoints to make."""
    if not isinstance(endpoints, list):
        return set(), []
    seen: dict[str, str] = {}
    builtin_paths = []
    planned = []
    for index, endpoint in enumerate(endpoints):
        path = f"endpoints[{index}]"
        if not checker.check_object(
            endpoint, path, ENDPOINT_FIELDS, auth_fields=AUTH_CONFIG_FIELDS
        ):
            continue
        endpoint_name = checker.clean_name(
            Endpoint, "name", endpoint.get("name"), f"{path}.name"
        )
        base_url = endpoint.get("base_url")
        if isinstance(base_url, str):
            # Stripped as the endpoint form strips it.
            base_url = checker.clean_field(
                Endpoint, "base_url", base_url.strip(), f"{path}.base_url"
            )

        auth_type = endpoint.get("auth_type")
        if isinstance(auth_type, str) and auth_type != "none":
            known = (
                " (an auth type of this console)" if _is_auth_type(auth_type) else ""
            )
            checker.add(
                f"{path}.auth_type",
                "auth_data",
                f"The auth type is “{_quote(auth_type)}”{known}; an import file "
                "carries no authentication, so it must be “none”. Set up "
                "authentication on the endpoint's page after the import.",
            )
        if endpoint.get("trust_self_signed") is True:
            checker.add(
                f"{path}.trust_self_signed",
                "trust_self_signed",
                "Must be false: trusting self-signed certificates is turned on "
                "for each endpoint on its page after the import, never by a file.",
            )

        is_builtin = endpoint.get("builtin") is True
        if isinstance(base_url, str) and base_url and not is_builtin:
            # As in Endpoint.clean, which the forms and the admin run.
            checker.run(validate_not_blocked_address, base_url, f"{path}.base_url")
        if is_builtin:
            builtin_paths.append(path)
            if endpoint_name and endpoint_name != BUILTIN_ENDPOINT_NAME:
                checker.add(
                    f"{path}.name",
                    "builtin_name",
                    f"The built-in endpoint must be named “{BUILTIN_ENDPOINT_NAME}”.",
                )
        if not endpoint_name:
            continue
        key = name_key(endpoint_name)
        if key in seen:
            checker.add(
                f"{path}.name",
                "duplicate_endpoint",
                f"“{endpoint_name}” is also the name of {seen[key]}; endpoint names "
                "must differ by more than letter case or Unicode "
                "compatibility form (a no-break space for a space, say).",
            )
            continue
        seen[key] = path
        if not is_builtin and isinstance(base_url, str):
            planned.append((endpoint_name, base_url))

    if not builtin_paths:
        checker.add(
            "endpoints",
            "builtin_missing",
            "No endpoint is marked built-in; an export has exactly one, named "
            f"“{BUILTIN_ENDPOINT_NAME}”.",
        )
    for extra in builtin_paths[1:]:
        checker.add(
            f"{extra}.builtin",
            "builtin_twice",
            f"Only one endpoint may be built-in, and {builtin_paths[0]} already is.",
        )
    return set(seen), planned


def _check_steps(checker, steps, endpoint_keys: set[str]) -> list[PlannedStep]:
    if not isinstance(steps, list):
        return []
    seen: dict[str, str] = {}
    planned = []
    kinds = ", ".join(Step.Kind.values)
    for index, step in enumerate(steps):
        path = f"steps[{index}]"
        if not checker.check_object(step, path, STEP_FIELDS):
            continue
        step_name = checker.clean_name(Step, "name", step.get("name"), f"{path}.name")
        kind = step.get("kind")
        if isinstance(kind, str) and kind not in Step.Kind.values:
            checker.add(
                f"{path}.kind",
                "invalid_kind",
                f"“{_quote(kind)}” is not a step kind; use one of {kinds}.",
            )
        if step_name:
            key = name_key(step_name)
            if key in seen:
                checker.add(
                    f"{path}.name",
                    "duplicate_step",
                    f"“{step_name}” is also the name of {seen[key]}; step names "
                    "must differ by more than letter case or Unicode "
                    "compatibility form (a no-break space for a space, say).",
                )
            else:
                seen[key] = path
        planned_step = PlannedStep(name=step_name, kind=kind)
        planned_step.usages = _check_usages(
            checker, step.get("usages"), path, endpoint_keys
        )
        planned.append(planned_step)
    return planned


def _check_usages(checker, usages, step_path, endpoint_keys) -> list[tuple[str, str]]:
    if not isinstance(usages, list):
        return []
    labels: dict[str, str] = {}
    planned = []
    for index, usage in enumerate(usages):
        path = f"{step_path}.usages[{index}]"
        if not checker.check_object(usage, path, USAGE_FIELDS):
            continue
        endpoint_name = usage.get("endpoint")
        endpoint_key = None
        if isinstance(endpoint_name, str):
            # Stripped as the endpoints' names are.
            endpoint_name = endpoint_name.strip()
            endpoint_key = name_key(endpoint_name)
            if endpoint_key not in endpoint_keys:
                checker.add(
                    f"{path}.endpoint",
                    "unknown_endpoint",
                    f"No endpoint named “{_quote(endpoint_name)}” is in the file's "
                    "endpoints.",
                )
                endpoint_key = None
        label = checker.clean_name(
            StepUsage, "label", usage.get("label"), f"{path}.label"
        )
        if label:
            key = name_key(label)
            if key in labels:
                checker.add(
                    f"{path}.label",
                    "duplicate_label",
                    f"The label “{label}” is also used by {labels[key]}; give each "
                    "usage of a step its own label.",
                )
                continue
            labels[key] = path
        if endpoint_key and label:
            planned.append((endpoint_key, label))
    return planned


class _Checker:
    """Collects problems; each check returns what it could validate."""

    def __init__(self):
        self.problems: list[ImportProblem] = []
        # (model, field name, value) -> the cleaned value or its error. A
        # file repeats labels across its steps, and the validators depend
        # on the value alone.
        self._cleaned: dict[tuple, str | ValidationError] = {}

    def add(self, path: str, code: str, message: str) -> None:
        self.problems.append(ImportProblem(path, code, message))

    def raise_problems(self) -> None:
        if self.problems:
            raise ImportFileError(self.problems)

    def check_object(
        self,
        value,
        path: str,
        fields: dict[str, type],
        auth_fields: frozenset[str] = frozenset(),
    ) -> bool:
        """Check that ``value`` is an object with exactly ``fields``.

        Returns whether ``value`` is an object at all, so callers may look
        into it. Field values of the wrong type are reported here.
        """
        where = path or "The file"
        if not isinstance(value, dict):
            self.add(
                path,
                "wrong_type",
                f"Expected an object, found {_type_name(value)}.",
            )
            return False
        for name, expected in fields.items():
            field_path = f"{path}.{name}" if path else name
            if name not in value:
                self.add(field_path, "missing_field", "This field is missing.")
            elif not _is_type(value[name], expected):
                self.add(
                    field_path,
                    "wrong_type",
                    f"Expected {_JSON_TYPE_NAMES[expected]}, found "
                    f"{_type_name(value[name])}.",
                )
        for name in value:
            if name in fields:
                continue
            field_path = f"{path}.{name}" if path else _quote(name)
            if name.lower() in auth_fields:
                # The value is never quoted: it may be a credential.
                self.add(
                    field_path,
                    "auth_data",
                    "This is authentication data, which an import file never "
                    "carries. Remove it (and treat the credential as exposed); set "
                    "up authentication on the endpoint's page after the import.",
                )
            else:
                self.add(
                    field_path,
                    "unexpected_field",
                    f"{where} has no field “{_quote(name)}” in the export format; "
                    "remove it.",
                )
        return True

    def clean_field(self, model, field_name: str, value: str, path: str) -> str:
        """Run a model field's validators, as its form does; return the value.

        Returns "" when the value is invalid.
        """
        key = (model, field_name, value)
        outcome = self._cleaned.get(key)
        if outcome is None:
            try:
                outcome = model._meta.get_field(field_name).clean(value, None)
            except ValidationError as error:
                outcome = _one_per_code(error)
            self._cleaned[key] = outcome
        if isinstance(outcome, ValidationError):
            self.add_validation_error(path, outcome)
            return ""
        return outcome

    def clean_name(self, model, field_name: str, value, path: str) -> str:
        """Check a name; return it, or "" when it is missing or invalid."""
        if not isinstance(value, str):
            return ""
        # Stripped as the console's forms strip it: "Dup" and "Dup " would
        # otherwise be two names that look the same, and the second could
        # not be saved from its page.
        value = value.strip()
        if not value:
            noun = "label" if field_name == "label" else "name"
            self.add(path, "required", f"Enter a {noun}.")
            return ""
        cleaned = self.clean_field(model, field_name, value, path)
        # name_key expands some characters (NFKC), and its column has room
        # for four times the name's maximum length.
        if cleaned and len(name_key(cleaned)) > 4 * NAME_MAX_LENGTH:
            self.add(
                path,
                "max_length",
                "This name is too long once its Unicode compatibility characters "
                "are expanded; shorten it.",
            )
            return ""
        return cleaned

    def run(self, validator, value, path: str) -> None:
        try:
            validator(value)
        except ValidationError as error:
            self.add_validation_error(path, error)

    def add_validation_error(self, path: str, error: ValidationError) -> None:
        for item in error.error_list:
            message = item.message % item.params if item.params else item.message
            self.add(path, item.code or "invalid", str(message))


def _create(plan: ImportPlan, *, actor, source: str) -> ImportResult:
    try:
        with transaction.atomic():
            workflow = Workflow.objects.create(
                name=plan.name, description=plan.description
            )
            # Rows inserted in bulk: no save(), so the name keys are set here,
            # and the new rows' keys are read back by their name keys.
            insert_rows(
                Endpoint,
                [
                    {
                        "name": endpoint_name,
                        "name_key": name_key(endpoint_name),
                        "base_url": base_url,
                    }
                    for endpoint_name, base_url in plan.endpoints
                ],
                shared={"workflow_id": workflow.pk, "trust_self_signed": False},
            )
            endpoint_ids = dict(
                Endpoint.objects.filter(workflow=workflow).values_list("name_key", "pk")
            )
            builtin_key = name_key(BUILTIN_ENDPOINT_NAME)
            insert_rows(
                AuthConfig,
                [
                    {"endpoint_id": endpoint_id}
                    for key, endpoint_id in endpoint_ids.items()
                    if key != builtin_key
                ],
                shared={"auth_type": "none", "awaiting_configuration": True},
            )
            insert_rows(
                Step,
                [
                    {
                        "name": step.name,
                        "name_key": name_key(step.name),
                        "kind": step.kind,
                    }
                    for step in plan.steps
                ],
                shared={"workflow_id": workflow.pk},
            )
            step_ids = dict(
                Step.objects.filter(workflow=workflow).values_list("name_key", "pk")
            )
            _insert_usages(
                (step_ids[name_key(planned.name)], endpoint_ids[endpoint_key], label)
                for planned in plan.steps
                for endpoint_key, label in planned.usages
            )
            created_count = len(plan.endpoints)
            step_count = len(plan.steps)
            source_text = f" from “{source}”" if source else ""
            activity.record(
                ActivityEntry.Event.IMPORTED,
                actor=actor,
                workflow=workflow,
                detail=f"Imported{source_text} with {created_count} "
                f"endpoint{pluralize(created_count)} awaiting authentication and "
                f"{step_count} step{pluralize(step_count)}.",
            )
    except IntegrityError as error:
        # The plan was checked, so the one constraint left to fail is the
        # workflow name, taken by another import or a new workflow since the
        # check.
        if not Workflow.objects.filter(name_key=name_key(plan.name)).exists():
            raise
        raise _single(
            "name_clash",
            f"A workflow named “{plan.name}” was created while this file was "
            "being imported. Import the file under another name.",
        ) from error
    return ImportResult(
        workflow=workflow, endpoint_count=created_count, step_count=step_count
    )


def _insert_usages(rows) -> None:
    """Insert (step id, endpoint id, label) rows into the step usage table.

    A workflow has about ten usages per endpoint, and bulk_create spent
    most of an import's time building and preparing a model instance for
    each one. The plan was checked, so every row is valid, and like
    bulk_create this skips StepUsage.save().
    """
    meta = StepUsage._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column) for name in ("step", "endpoint", "label")
    )
    # Only the model's own table and column names are put into the SQL.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def _nesting_depth(text: str) -> int:
    """Return the deepest nesting of lists and objects, outside strings."""
    # The regular expressions leave a string of brackets only, so that the
    # loop runs once per bracket rather than once per match object.
    brackets = _NOT_BRACKET_RE.sub("", _JSON_STRING_RE.sub("", text))
    depth = deepest = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING_DEPTH:
                    break
        else:
            depth -= 1
    return deepest


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class _HugeIntegerError(ValueError):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _parse_int(text: str) -> int:
    # Checked before int() converts the digits, which takes time that grows
    # with their square and fails past Python's limit of 4,300 digits.
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise _HugeIntegerError(digits)
    return int(text)


def _encodes_as_utf8(data) -> bool:
    # One pass in the json module's C encoder finds whether any string or key
    # has a lone surrogate; the slower walk that names its path runs only
    # when one does.
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _find_surrogate(value, path: str) -> str | None:
    """Return the path of the first string with a lone surrogate, or None."""
    if isinstance(value, str):
        return path if _has_surrogate(value) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_surrogate(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            if _has_surrogate(key):
                return path or "(a key of the file's object)"
            found = _find_surrogate(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_type(value, expected: type) -> bool:
    # bool is a subclass of int in Python, but not a number in JSON.
    if expected is int:
        return type(value) is int
    return isinstance(value, expected)


def _is_auth_type(key: str) -> bool:
    return registry.is_registered(key)


def _type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _quote(text: str) -> str:
    if len(text) > MAX_QUOTED_CHARS:
        return text[:MAX_QUOTED_CHARS] + "…"
    return text


def _one_per_code(error: ValidationError) -> ValidationError:
    """Keep the first of the field's errors with each code.

    A name field's own validator and its max_length both report a name that
    is too long. The field's own validators run first, and their messages
    name what is too long.
    """
    by_code: dict[str | None, ValidationError] = {}
    for item in error.error_list:
        by_code.setdefault(item.code, item)
    return ValidationError(list(by_code.values()))


def _is_mistyped_version(value) -> bool:
    """Return whether a format version means this version but is not an int.

    Such as the text "1" or the number 1.0, but not true, which JSON
    parsers in Python also read as 1.
    """
    if isinstance(value, str):
        return value.strip() == str(EXPORT_FORMAT_VERSION)
    return type(value) is float and value == EXPORT_FORMAT_VERSION


def _describe(value) -> str:
    if isinstance(value, str):
        return f"“{_quote(value)}”"
    if value is None:
        return "missing"
    if isinstance(value, bool | int | float):
        return _quote(json.dumps(value))
    return _type_name(value)


def _single(code: str, message: str, path: str = "") -> ImportFileError:
    return ImportFileError([ImportProblem(path, code, message)])
