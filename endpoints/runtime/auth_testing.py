"""Test Authentication: check an endpoint's credentials against its target.

The test runs on the values in the endpoint form, saved or not: the caller
passes the endpoint and the auth type bound to the typed values (see
`AuthType.with_form_values`). Its outcome is recorded on the stored
configuration, for saved endpoints, and in the activity stream, with the
origin that the credentials went to.

Stored secrets go only to the origin they were saved for: when the form
names another one (`AuthType.credential_url`), `refuse_new_origin` stops
the test until the secrets are typed again. Otherwise anyone allowed to
test could send them to a host of their choice without knowing them. The
rule is in `endpoints.origins`, which saving the endpoint follows too.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from endpoints.auth.base import BODY_EXCERPT_CHARS, AuthTestResult
from endpoints.models import ActivityEntry, AuthConfig, Endpoint
from endpoints.origins import new_credential_origin, origin_of
from endpoints.redaction import redact_excerpt

from .api import EndpointCall
from .errors import EndpointError

if TYPE_CHECKING:
    from endpoints.auth.base import AuthType

logger = logging.getLogger(__name__)

LAST_TEST_DETAIL_MAX_LENGTH = AuthConfig._meta.get_field("last_test_detail").max_length


def run_auth_test(
    endpoint: Endpoint, auth_type: AuthType, *, actor: Any, persist: bool
) -> AuthTestResult:
    """Run the auth type's Test Authentication and record its outcome.

    ``persist`` is true only when the endpoint is saved and the test runs on
    its stored base URL and trust switch. Only then may the test pin a
    self-signed certificate or store what the auth type obtains.
    """
    call = EndpointCall(
        endpoint,
        auth_type=auth_type,
        actor=actor,
        persist=persist,
        record_request_failures=False,
    )
    try:
        result = call.run(auth_type.test_authentication, action="Test Authentication")
    except EndpointError as error:
        result = AuthTestResult(ok=False, stage=error.stage, message=str(error))
    if call.accepted_certificate_sha256:
        result = replace(
            result,
            message=f"{result.message} The self-signed certificate with SHA-256 "
            f"{call.accepted_certificate_sha256} was accepted for this test. It is "
            "pinned by the first request after the endpoint is saved.",
        )
    result = replace(
        result,
        message=call.redact(result.message),
        detail=redact_excerpt(result.detail, call.secrets(), BODY_EXCERPT_CHARS),
    )
    _record(call, result)
    return result


def refuse_new_origin(
    stored: Endpoint,
    endpoint: Endpoint,
    auth_type: AuthType,
    kept_secrets: list[str],
    *,
    actor: Any,
) -> AuthTestResult | None:
    """Refuse a test that would send stored secrets to a new origin.

    ``stored`` is the saved endpoint and ``endpoint`` its copy with the
    typed values; ``kept_secrets`` are the labels of the secret fields left
    blank, whose stored values the test would send. Returns None when the
    test may run. Otherwise returns the refusal, records it in the activity
    stream and sends nothing.
    """
    change = new_credential_origin(
        stored, stored.auth.type, endpoint, auth_type, kept_secrets
    )
    if change is None:
        return None

    message = change.message("test against")
    result = AuthTestResult(ok=False, message=message, attempted=False)
    call = EndpointCall(endpoint, auth_type=auth_type, actor=actor, persist=False)
    call.record(
        ActivityEntry.Event.TESTED,
        ActivityEntry.Outcome.FAILURE,
        f"Test Authentication against {change.target} was not run: {message}",
    )
    logger.info(
        "event=auth_test_refused endpoint_id=%s reason=new_origin actor_id=%s",
        endpoint.pk,
        getattr(actor, "pk", None),
    )
    return result


def _record(call: EndpointCall, result: AuthTestResult) -> None:
    endpoint = call.endpoint
    target = origin_of(call.auth_type.credential_url(endpoint))
    if result.ok:
        summary = f"Test Authentication against {target} succeeded: {result.message}"
    else:
        summary = (
            f"Test Authentication against {target} failed at the "
            f"{result.stage_label} stage: {result.message}"
        )
    if endpoint.pk is not None:
        AuthConfig.objects.filter(pk=endpoint.pk).update(
            last_tested_at=timezone.now(),
            last_test_ok=result.ok,
            last_test_detail=summary[:LAST_TEST_DETAIL_MAX_LENGTH],
        )
    else:
        summary = f"{summary} (the endpoint was not saved yet)"
    call.record(
        ActivityEntry.Event.TESTED,
        ActivityEntry.Outcome.SUCCESS if result.ok else ActivityEntry.Outcome.FAILURE,
        summary,
    )
    logger.info(
        "event=auth_tested endpoint_id=%s workflow_id=%s auth_type=%s ok=%s stage=%s",
        endpoint.pk,
        endpoint.workflow_id,
        call.auth_type.key,
        result.ok,
        result.stage or "-",
    )
