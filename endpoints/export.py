"""Workflow export: a versioned JSON file with every credential cleared.

Each endpoint is exported with the No Authorization type, no auth fields at
all and ``trust_self_signed`` off, whatever it has in the console. Two
checks guard against a change to this module that would leak a credential,
and abort the export instead:

- every key at every level must be a field that the format defines (the
  ``*_FIELDS`` tables below), with a value of that field's JSON type, so a
  field added by mistake is caught whatever it contains;
- every string value is compared with every secret stored for the
  workflow's endpoints, so a secret written into a defined field is caught.
  The comparison ignores case and also reads the string percent-decoded,
  so a secret typed into a base URL lower-cased or percent-encoded is
  caught too.
"""

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from django.utils import timezone

from .models import AuthConfig, Endpoint, Step, StepUsage, Workflow

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "endpoint-console-workflow"
EXPORT_FORMAT_VERSION = 1

# The fields of each object of the format, with their JSON types. The export
# writes exactly these, and the importer accepts exactly these.
ROOT_FIELDS = {
    "format": str,
    "format_version": int,
    "exported_at": str,
    "workflow": dict,
    "endpoints": list,
    "steps": list,
}
WORKFLOW_FIELDS = {"name": str, "description": str}
ENDPOINT_FIELDS = {
    "name": str,
    "base_url": str,
    "builtin": bool,
    "trust_self_signed": bool,
    "auth_type": str,
}
STEP_FIELDS = {"name": str, "kind": str, "usages": list}
USAGE_FIELDS = {"endpoint": str, "label": str}

# A stored secret this long aborts the export when any string of it contains
# the secret. A shorter one aborts it only when a string equals it, because
# short values such as "test" occur inside ordinary names and URLs.
#
# NOTE: a failed export reveals that some text of the workflow matches a
# stored secret. A manager who puts a guess into a name or description and
# exports can confirm a guessed short secret, or a long one guessed whole.
# Only users who may view the workflow can export it.
LEAK_SUBSTRING_MIN_LENGTH = 8


class ExportCheckError(Exception):
    """Raised when an export fails a check, so that nothing is handed out."""

    def user_message(self) -> str:
        """Return what failed and what to do, for the page; never a secret."""
        raise NotImplementedError

    def activity_detail(self) -> str:
        """Return a short description for the activity stream."""
        raise NotImplementedError


class ExportSchemaError(ExportCheckError):
    """Raised when the export data has a field that the format does not define.

    Only a fault in this module causes it.
    """

    def __init__(self, paths: list[str]):
        super().__init__("The export has undefined fields: " + ", ".join(paths))
        self.paths = paths

    def user_message(self) -> str:
        fields = "a field" if len(self.paths) == 1 else "fields"
        return (
            f"The export was stopped because it contains {fields} that the export "
            f"format does not define: {', '.join(self.paths)}. Nothing was "
            "downloaded. This is a fault in the console; report it to the "
            "console's maintainers."
        )

    def activity_detail(self) -> str:
        return f"Export stopped: undefined fields {', '.join(self.paths)}."


@dataclass(frozen=True)
class LeakFinding:
    """A string of the export that matches a stored secret of an endpoint.

    Both texts are safe to show: a name that matches a secret is replaced
    by a description of it.
    """

    endpoint: str
    location: str


class ExportLeakError(ExportCheckError):
    """Raised when a string of the export matches a stored secret."""

    def __init__(self, findings: list[LeakFinding]):
        self.findings = findings
        super().__init__(
            "The export contains a stored secret of " + self._endpoints_text()
        )

    @property
    def endpoints(self) -> list[str]:
        """The endpoints whose secrets were found, as shown in messages."""
        return list(dict.fromkeys(finding.endpoint for finding in self.findings))

    def _endpoints_text(self) -> str:
        return _join_words(self.endpoints)

    def _locations_text(self) -> str:
        """Return the joined locations and the verb that agrees with them."""
        locations = list(dict.fromkeys(finding.location for finding in self.findings))
        verb = "contains" if len(locations) == 1 else "contain"
        return f"{_join_words(locations)} {verb}"

    def user_message(self) -> str:
        several = len(self.endpoints) > 1
        return (
            f"The export was stopped because {self._locations_text()} a stored "
            f"secret of {self._endpoints_text()}. Nothing was downloaded. Change "
            f"the secret of {'those endpoints' if several else 'that endpoint'}, "
            "or change the name, description or URL text that contains it, then "
            "export again."
        )

    def activity_detail(self) -> str:
        return (
            f"Export stopped: {self._locations_text()} a stored secret of "
            f"{self._endpoints_text()}."
        )


def _join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes


def export_data(workflow: Workflow) -> dict:
    """Return the export of ``workflow`` as a JSON-ready dict.

    Three queries read plain values, however large the workflow: endpoints
    and steps in their list order, and the usages of every step sorted by
    label.
    """
    endpoints = (
        Endpoint.objects.filter(workflow=workflow)
        .order_by("-is_builtin", "name_key", "pk")
        .values_list("name", "base_url", "is_builtin")
    )
    steps = (
        Step.objects.filter(workflow=workflow)
        .order_by("name_key", "pk")
        .values_list("pk", "name", "kind")
    )
    usages_by_step: dict[int, list[dict]] = {}
    usages = (
        StepUsage.objects.filter(step__workflow=workflow)
        .order_by("step_id", "label")
        .values_list("step_id", "label", "endpoint__name")
    )
    for step_id, label, endpoint_name in usages:
        usages_by_step.setdefault(step_id, []).append(
            {"endpoint": endpoint_name, "label": label}
        )
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "workflow": {"name": workflow.name, "description": workflow.description},
        "endpoints": [
            {
                "name": name,
                "base_url": base_url,
                "builtin": is_builtin,
                "trust_self_signed": False,
                "auth_type": "none",
            }
            for name, base_url, is_builtin in endpoints
        ],
        "steps": [
            {"name": name, "kind": kind, "usages": usages_by_step.get(pk, [])}
            for pk, name, kind in steps
        ],
    }


def _object_problems(value, fields: dict, path: str) -> list[str]:
    # Returns the paths of undefined keys and of values of the wrong type.
    if not isinstance(value, dict):
        return [path]
    problems = []
    for key, item in value.items():
        item_path = f"{path}.{key}" if path else str(key)
        expected = fields.get(key)
        # bool is a subclass of int, so the type is compared exactly.
        if expected is None or type(item) is not expected:
            problems.append(item_path)
    return problems


def find_undefined_fields(data: dict) -> list[str]:
    """Return the paths in ``data`` that the export format does not define."""
    problems = _object_problems(data, ROOT_FIELDS, "")
    if problems:
        return problems
    problems += _object_problems(data["workflow"], WORKFLOW_FIELDS, "workflow")
    for index, endpoint in enumerate(data["endpoints"]):
        problems += _object_problems(endpoint, ENDPOINT_FIELDS, f"endpoints[{index}]")
    for index, step in enumerate(data["steps"]):
        path = f"steps[{index}]"
        step_problems = _object_problems(step, STEP_FIELDS, path)
        problems += step_problems
        if step_problems:
            continue
        for usage_index, usage in enumerate(step["usages"]):
            problems += _object_problems(
                usage, USAGE_FIELDS, f"{path}.usages[{usage_index}]"
            )
    return problems


def _strings(value, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    # Yields (path, string) for every string value, at any depth.
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _collect_strings(value, texts: set[str]) -> None:
    # Adds every string value, at any depth, to ``texts``.
    if isinstance(value, str):
        texts.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_strings(item, texts)
    elif isinstance(value, list):
        for item in value:
            _collect_strings(item, texts)


def comparable_forms(text: str) -> set[str]:
    """Return the forms of ``text`` that the leak check compares with secrets.

    The text as written and, when it has a percent sign, percent-decoded,
    each case-folded.
    """
    forms = {text.casefold()}
    if "%" in text:
        forms.add(unquote(text).casefold())
    return forms


def matches_secret(text: str, secret: str) -> bool:
    """Return whether ``text`` reveals ``secret`` under the export's rule.

    A form of the text (see `comparable_forms`) must equal the case-folded
    secret, or contain it when that has at least
    `LEAK_SUBSTRING_MIN_LENGTH` characters.
    """
    if not secret:
        return False
    folded = secret.casefold()
    for form in comparable_forms(text):
        if form == folded:
            return True
        if len(folded) >= LEAK_SUBSTRING_MIN_LENGTH and folded in form:
            return True
    return False


class _LeakScanner:
    """Compares the export's strings with the workflow's stored secrets.

    Comparing every string with every secret takes time that grows with
    the product of the two counts, which for a workflow of a thousand
    endpoints is millions of comparisons. Instead, each distinct string is
    looked up once: in a table of all secrets for equality, and, for the
    secrets of at least `LEAK_SUBSTRING_MIN_LENGTH` characters, in a table
    keyed by their first `LEAK_SUBSTRING_MIN_LENGTH` characters at each
    position of the string. Secrets and strings are compared case-folded,
    in each form that `comparable_forms` returns. Both together find exactly
    what `matches_secret` finds.
    """

    def __init__(self, workflow: Workflow):
        # Plain values of only the columns that secret_values() reads: model
        # instances of every column took twice as long to load in a profile.
        # Each encrypted value is decrypted once, which is most of the
        # scanner's time.
        rows = (
            AuthConfig.objects.filter(endpoint__workflow=workflow)
            .order_by("-endpoint__is_builtin", "endpoint__name_key")
            .values_list(
                "endpoint__name",
                "auth_type",
                "params",
                "secrets",
                "access_token",
                "refresh_token",
            )
        )
        self.secrets_by_endpoint = [
            (
                name,
                AuthConfig(
                    auth_type=auth_type,
                    params=params,
                    secrets=secrets,
                    access_token=access_token,
                    refresh_token=refresh_token,
                ).type.secret_values(),
            )
            for name, auth_type, params, secrets, access_token, refresh_token in rows
        ]
        self.all_secrets = [
            secret for _, secrets in self.secrets_by_endpoint for secret in secrets
        ]
        # secret -> indexes of the endpoints that store it
        self._exact: dict[str, set[int]] = {}
        # first characters of a long secret -> (secret, endpoint index)
        self._by_prefix: dict[str, list[tuple[str, int]]] = {}
        for index, (_, secrets) in enumerate(self.secrets_by_endpoint):
            for secret in secrets:
                if not secret:
                    continue
                folded = secret.casefold()
                self._exact.setdefault(folded, set()).add(index)
                if len(folded) >= LEAK_SUBSTRING_MIN_LENGTH:
                    prefix = folded[:LEAK_SUBSTRING_MIN_LENGTH]
                    self._by_prefix.setdefault(prefix, []).append((folded, index))

    def matching_endpoints(self, text: str) -> list[str]:
        """Return the names of the endpoints whose secrets ``text`` reveals.

        In the order of the workflow's endpoints, as `matches_secret`
        decides for each of their secrets.
        """
        indexes: set[int] = set()
        for form in comparable_forms(text):
            indexes |= self._exact.get(form, set())
            if self._by_prefix:
                indexes |= self._substring_matches(form)
        return [self.secrets_by_endpoint[index][0] for index in sorted(indexes)]

    def _substring_matches(self, form: str) -> set[int]:
        width = LEAK_SUBSTRING_MIN_LENGTH
        indexes = set()
        for start in range(len(form) - width + 1):
            for secret, index in self._by_prefix.get(form[start : start + width], ()):
                if form.startswith(secret, start):
                    indexes.add(index)
        return indexes

    def findings(self, data: dict) -> list[LeakFinding]:
        # Most exports contain no secret, so each distinct string is checked
        # first, and the paths that locate a finding are walked only when
        # one matched.
        texts: set[str] = set()
        _collect_strings(data, texts)
        if not any(self.matching_endpoints(text) for text in texts):
            return []
        found = []
        matches_by_text: dict[str, list[str]] = {}
        for path, text in _strings(data):
            matching = matches_by_text.get(text)
            if matching is None:
                matching = matches_by_text[text] = self.matching_endpoints(text)
            for endpoint_name in matching:
                found.append(
                    LeakFinding(
                        endpoint=self.shown_name(endpoint_name, "an endpoint"),
                        location=self.location(path, data),
                    )
                )
        return found

    def shown_name(self, name: str, kind: str) -> str:
        """Return the quoted name, or a description if it matches a secret."""
        if any(matches_secret(name, secret) for secret in self.all_secrets):
            return f"{kind} whose name matches a stored secret"
        return f"“{name}”"

    def location(self, path: tuple, data: dict) -> str:
        """Return where in the workflow a string of the export comes from."""
        match path:
            case ("workflow", "name"):
                return "the workflow name"
            case ("workflow", "description"):
                return "the workflow description"
            case ("endpoints", int(), "name"):
                return "an endpoint name"
            case ("endpoints", int() as index, "base_url"):
                name = data["endpoints"][index]["name"]
                return f"the base URL of {self.shown_name(name, 'an endpoint')}"
            case ("steps", int(), "name"):
                return "a step name"
            case ("steps", int() as index, "usages", int(), "endpoint" | "label"):
                name = data["steps"][index]["name"]
                return f"a usage in {self.shown_name(name, 'a step')}"
        dotted = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in path
        )
        return f"the field {dotted.lstrip('.')}"


def export_filename(workflow: Workflow) -> str:
    """Return ``<workflow name>.json`` with path separators replaced."""
    safe = workflow.name.replace("/", "-").replace("\\", "-").strip(" .") or "workflow"
    return f"{safe}.json"


def build_export(workflow: Workflow) -> ExportFile:
    """Serialize the workflow after checking its fields and strings.

    Raises `ExportSchemaError` for a field that the format does not define,
    and `ExportLeakError` naming the endpoints whose secrets were found.
    """
    data = export_data(workflow)
    undefined = find_undefined_fields(data)
    if undefined:
        logger.error(
            "event=export_aborted workflow_id=%s reason=undefined_fields fields=%s",
            workflow.pk,
            ",".join(undefined),
        )
        raise ExportSchemaError(undefined)
    findings = _LeakScanner(workflow).findings(data)
    if findings:
        error = ExportLeakError(findings)
        logger.warning(
            "event=export_aborted workflow_id=%s reason=secret_in_text "
            "leaking_endpoints=%d",
            workflow.pk,
            len(error.endpoints),
        )
        raise error
    content = json.dumps(data, indent=2, ensure_ascii=False).encode()
    return ExportFile(filename=export_filename(workflow), content=content)
