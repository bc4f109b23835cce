"""Workflow export: a versioned JSON file with every credential cleared.

Each endpoint is exported with the No Authorization type, no auth fields at
all and ``trust_self_signed`` off, whatever it has in the console. Before
the file is handed out, its bytes are scanned for every secret stored for
the workflow's endpoints, so that a field added to the export by mistake
aborts the export instead of leaking.
"""

import json
import logging
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from .models import Endpoint, Step, StepUsage, Workflow

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "endpoint-console-workflow"
EXPORT_FORMAT_VERSION = 1

# NOTE: secrets shorter than this are not scanned for, because a value of one
# to three characters matches ordinary text in almost any export.
MIN_SCANNED_SECRET_LENGTH = 4


class ExportLeakError(Exception):
    """Raised when an export would contain a stored secret."""

    def __init__(self, endpoint_names: list[str]):
        super().__init__(
            "The export contains a secret of endpoint(s): " + ", ".join(endpoint_names)
        )
        self.endpoint_names = endpoint_names


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes


def export_data(workflow: Workflow) -> dict:
    """Return the export of ``workflow`` as a JSON-ready dict."""
    endpoints = Endpoint.objects.filter(workflow=workflow).only(
        "name", "base_url", "is_builtin", "workflow_id"
    )
    steps = Step.objects.filter(workflow=workflow).prefetch_related(
        Prefetch(
            "usages",
            queryset=StepUsage.objects.select_related("endpoint").only(
                "label", "step_id", "endpoint__name"
            ),
        )
    )
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "workflow": {"name": workflow.name, "description": workflow.description},
        "endpoints": [
            {
                "name": endpoint.name,
                "base_url": endpoint.base_url,
                "builtin": endpoint.is_builtin,
                "trust_self_signed": False,
                "auth_type": "none",
            }
            for endpoint in endpoints
        ],
        "steps": [
            {
                "name": step.name,
                "kind": step.kind,
                "usages": [
                    {"endpoint": usage.endpoint.name, "label": usage.label}
                    for usage in step.usages.all()
                ],
            }
            for step in steps
        ],
    }


def _encoded_forms(secret: str) -> set[str]:
    # A secret appears in JSON text escaped, with or without ensure_ascii.
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def find_leaks(workflow: Workflow, content: bytes) -> list[str]:
    """Return the names of endpoints whose stored secrets occur in content."""
    text = content.decode("utf-8")
    leaking = []
    endpoints = Endpoint.objects.filter(workflow=workflow).select_related("auth")
    for endpoint in endpoints:
        secrets = endpoint.auth.type.secret_values()
        for secret in secrets:
            if len(secret) < MIN_SCANNED_SECRET_LENGTH:
                continue
            if any(form in text for form in _encoded_forms(secret)):
                leaking.append(endpoint.name)
                break
    return leaking


def export_filename(workflow: Workflow) -> str:
    """Return ``<workflow name>.json`` with path separators replaced."""
    safe = workflow.name.replace("/", "-").replace("\\", "-").strip(" .") or "workflow"
    return f"{safe}.json"


def build_export(workflow: Workflow) -> ExportFile:
    """Serialize the workflow and check it for secrets.

    Raises `ExportLeakError` naming the endpoints whose secrets were found.
    """
    content = json.dumps(export_data(workflow), indent=2, ensure_ascii=False).encode()
    leaking = find_leaks(workflow, content)
    if leaking:
        logger.error(
            "event=export_aborted workflow_id=%s leaking_endpoints=%d",
            workflow.pk,
            len(leaking),
        )
        raise ExportLeakError(leaking)
    return ExportFile(filename=export_filename(workflow), content=content)
