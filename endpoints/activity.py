"""Writing the activity stream, with secrets scrubbed from every detail."""

import logging

from .models import ActivityEntry, Endpoint, Workflow
from .redaction import REDACTED, redact

__all__ = ["REDACTED", "endpoint_secrets", "record", "redact"]

logger = logging.getLogger(__name__)


def endpoint_secrets(endpoint: Endpoint | None) -> list[str]:
    """Return the endpoint's stored secrets and derived credentials, if any."""
    if endpoint is None or endpoint.pk is None:
        return []
    try:
        config = endpoint.auth
    except Endpoint.auth.RelatedObjectDoesNotExist:
        return []
    return config.type.secret_values()


def record(
    event: str,
    *,
    actor=None,
    workflow: Workflow | None = None,
    endpoint: Endpoint | None = None,
    outcome: str = ActivityEntry.Outcome.SUCCESS,
    detail: str = "",
    extra_secrets: list[str] | None = None,
) -> ActivityEntry:
    """Add an entry to the activity stream and log it.

    The detail is scrubbed of the endpoint's stored secrets and of
    ``extra_secrets`` (values typed but not saved) before it is stored.
    """
    if workflow is None and endpoint is not None:
        workflow = endpoint.workflow
    secrets = endpoint_secrets(endpoint) + list(extra_secrets or [])
    detail = redact(detail, secrets)[
        : ActivityEntry._meta.get_field("detail").max_length
    ]
    entry = ActivityEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        workflow=workflow,
        endpoint=endpoint if endpoint is not None and endpoint.pk else None,
        workflow_name=workflow.name if workflow else "",
        endpoint_name=endpoint.name if endpoint else "",
        event=event,
        outcome=outcome,
        detail=detail,
    )
    logger.info(
        "event=activity kind=%s outcome=%s workflow_id=%s endpoint_id=%s "
        "actor_id=%s entry_id=%s",
        event,
        outcome,
        workflow.pk if workflow else None,
        endpoint.pk if endpoint else None,
        entry.actor_id,
        entry.pk,
    )
    return entry
