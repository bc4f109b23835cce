"""Send requests through endpoints: the runtime's entry points.

`send` sends one request "to endpoint E of workflow W" and returns the
`httpx2.Response`. `authenticate` returns an endpoint's current credential
for scripts that must place it themselves. Both raise an `EndpointError`
subclass that names the failed stage. Failures are logged and written to
the activity stream, with every secret of the endpoint removed.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2

from endpoints import activity
from endpoints.models import ActivityEntry, Endpoint, StepUsage, Workflow
from endpoints.validators import is_positive_seconds, name_key

from .context import RequestContext
from .deadline import deadline_scope, limit_timeout
from .errors import (
    ConnectionFailedError,
    EndpointError,
    EndpointNotFoundError,
    InvalidPathError,
    InvalidRequestError,
    RequestTimeoutError,
    ResponseError,
    SecretsUnreadableError,
    TLSError,
)
from .pinning import review_failed_handshake
from .pool import ClientPool, OneOffClient, clients, default_timeout
from .tls import (
    describe_ssl_error,
    exception_chain,
    find_ssl_error,
    fingerprint,
    load_pem,
)
from .urls import Params, join_url

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from endpoints.auth.base import AuthType

logger = logging.getLogger(__name__)

T = TypeVar("T")
TimeoutValue = float | httpx2.Timeout | None
Headers = Mapping[str, str] | Sequence[tuple[str, str]]


def get_workflow(workflow: Workflow | int | str) -> Workflow:
    """Return the workflow given as an object, an id, or a name."""
    if isinstance(workflow, Workflow):
        return workflow
    queryset = Workflow.objects.all()
    if isinstance(workflow, int):
        found = queryset.filter(pk=workflow).first()
    else:
        found = queryset.filter(name_key=name_key(workflow)).first()
    if found is None:
        raise EndpointNotFoundError(f"There is no workflow {workflow!r}.")
    return found


def resolve_endpoint(
    workflow: Workflow | int | str, endpoint: Endpoint | str
) -> Endpoint:
    """Return the workflow's endpoint with this name or step-usage label.

    Names are matched ignoring letter case, like the console's uniqueness
    rule. A label matches when every step of the workflow that uses it uses
    the same endpoint; otherwise it is ambiguous and raises.
    """
    if isinstance(endpoint, Endpoint):
        return endpoint
    if isinstance(workflow, str):
        # The common case, both given by name, in one query.
        found = (
            Endpoint.objects.filter(
                workflow__name_key=name_key(workflow), name_key=name_key(endpoint)
            )
            .select_related("auth", "workflow")
            .first()
        )
        if found is not None:
            return found
    target = get_workflow(workflow)
    queryset = Endpoint.objects.filter(workflow=target).select_related(
        "auth", "workflow"
    )
    found = queryset.filter(name_key=name_key(endpoint)).first()
    if found is not None:
        return found

    usages = StepUsage.objects.filter(step__workflow=target).select_related("step")
    matching = [
        usage for usage in usages if name_key(usage.label) == name_key(endpoint)
    ]
    endpoint_ids = {usage.endpoint_id for usage in matching}
    if len(endpoint_ids) == 1:
        return queryset.get(pk=endpoint_ids.pop())
    if len(endpoint_ids) > 1:
        steps = ", ".join(sorted({f"“{usage.step.name}”" for usage in matching}))
        raise EndpointNotFoundError(
            f"The label {endpoint!r} names different endpoints in the steps {steps} "
            f"of workflow “{target.name}”; use the endpoint's name instead."
        )
    raise EndpointNotFoundError(
        f"Workflow “{target.name}” has no endpoint named {endpoint!r} and no step "
        "that uses one under that label."
    )


def send(
    workflow: Workflow | int | str,
    endpoint: Endpoint | str,
    method: str,
    path: str = "",
    *,
    params: Params | None = None,
    headers: Headers | None = None,
    json: Any = None,
    content: bytes | str | None = None,
    timeout: TimeoutValue = None,
    acting_user: Any = None,
    actor: Any = None,
    raise_api_errors: bool = False,
) -> httpx2.Response:
    """Send a request through an endpoint and return the response.

    ``endpoint`` is the endpoint's name or a label that the workflow's steps
    use for it. ``path`` is joined to the endpoint's base URL (see
    `join_url`), ``params`` are appended to its query string, and the
    endpoint's auth type authenticates the request. ``timeout`` is in
    seconds and defaults to ENDPOINT_REQUEST_TIMEOUT. ``acting_user`` is the
    user on whose behalf the step runs; ``actor`` is recorded in activity
    entries. Any HTTP status is returned as a response; raises an
    `EndpointError` subclass when no response could be had. With
    ``raise_api_errors`` the auth type also checks the body of the response
    (see `AuthType.check_api_response`) and raises `APIResponseError` when
    the target reports a failure there, such as Slack's HTTP 200 with
    ``"ok": false``; the failure is written to the activity stream.
    """
    target = resolve_endpoint(workflow, endpoint)
    return send_through(
        target,
        method,
        path,
        params=params,
        headers=headers,
        json=json,
        content=content,
        timeout=timeout,
        acting_user=acting_user,
        actor=actor,
        raise_api_errors=raise_api_errors,
    )


def send_through(
    endpoint: Endpoint,
    method: str,
    path: str = "",
    *,
    params: Params | None = None,
    headers: Headers | None = None,
    json: Any = None,
    content: bytes | str | None = None,
    timeout: TimeoutValue = None,
    acting_user: Any = None,
    actor: Any = None,
    raise_api_errors: bool = False,
) -> httpx2.Response:
    """Send a request through an endpoint object; see `send`."""
    call = EndpointCall(endpoint, timeout=timeout, acting_user=acting_user, actor=actor)
    return send_with_call(
        call,
        method,
        path,
        params=params,
        headers=headers,
        json=json,
        content=content,
        raise_api_errors=raise_api_errors,
    )


def send_with_call(
    call: EndpointCall,
    method: str,
    path: str = "",
    *,
    params: Params | None = None,
    headers: Headers | None = None,
    json: Any = None,
    content: bytes | str | None = None,
    raise_api_errors: bool = False,
) -> httpx2.Response:
    """Send a request with an `EndpointCall` that may be used again."""
    method = method.upper()
    action = f"{method} {_path_without_query(path)}"

    def operation(context: RequestContext) -> httpx2.Response:
        auth_type = call.auth_type
        auth_type.prepare(context)
        base_url = auth_type.request_base_url(context)
        url = join_url(base_url, path, params)
        request = _build_request(context, method, url, headers, json, content)
        _check_origin(request.url, base_url)
        response = context.send(request, auth_type.build_auth(context))
        if raise_api_errors:
            auth_type.check_api_response(response)
        return response

    response = call.run(operation, action=action, method=method)
    if response.status_code >= 500:
        call.record(
            ActivityEntry.Event.REQUEST_FAILED,
            ActivityEntry.Outcome.FAILURE,
            f"{action} failed at the HTTP status stage: the target responded "
            f"with {response.status_code} {response.reason_phrase}.",
        )
    return response


def authenticate(
    workflow: Workflow | int | str | Endpoint,
    endpoint: Endpoint | str | None = None,
    *,
    acting_user: Any = None,
    actor: Any = None,
) -> str:
    """Return the endpoint's current credential, for scripts that place it.

    The endpoint is named as for `send`, by its workflow and its name or a
    step-usage label (``authenticate("Incidents", "chat")``), or given as an
    `Endpoint` object alone. What is returned depends on the auth type:
    Token returns the token, and Basic returns the base64 credential that
    follows ``Basic`` in the Authorization header. Types that refresh tokens
    refresh first when the token is about to expire. Raises
    `CredentialUnavailableError` for types without such a credential (No
    Authorization, the built-in Console user), `EndpointNotFoundError` for
    an unknown name, and TypeError when only a name is given.
    """
    if endpoint is None:
        if not isinstance(workflow, Endpoint):
            raise TypeError(
                "authenticate() takes the workflow and the endpoint's name or "
                "label, as send() does, or an Endpoint object; it got only "
                f"{workflow!r}."
            )
        target = workflow
    else:
        target = resolve_endpoint(workflow, endpoint)

    def operation(context: RequestContext) -> str:
        call.auth_type.prepare(context)
        return call.auth_type.authenticate(context)

    call = EndpointCall(target, acting_user=acting_user, actor=actor)
    return call.run(operation, action="authenticate")


class EndpointCall:
    """One use of an endpoint: its client, errors, logging and activity.

    `run` leases the endpoint's client, runs an operation with a
    `RequestContext`, and turns failures into scrubbed `EndpointError`s. A
    handshake that fails certificate verification is reviewed once (see
    `pinning.review_failed_handshake`) and, when the certificate is an
    acceptable self-signed one, tried again trusting exactly it.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        auth_type: AuthType | None = None,
        timeout: TimeoutValue = None,
        acting_user: Any = None,
        actor: Any = None,
        persist: bool = True,
        record_request_failures: bool = True,
        pool: ClientPool | None = None,
    ):
        self.endpoint = endpoint
        self.auth_type = auth_type if auth_type is not None else endpoint.auth.type
        self.timeout = _as_timeout(timeout)
        self.acting_user = acting_user
        self.actor = actor
        self.persist = persist
        self.record_request_failures = record_request_failures
        self.pool = pool or clients
        # The fingerprint of a self-signed certificate accepted for this call
        # only, because ``persist`` is false.
        self.accepted_certificate_sha256 = ""
        # Read once: a session runs many requests with one call.
        self._secrets_unreadable = bool(self.auth_type.unreadable_fields())

    def secrets(self) -> list[str]:
        """Return the plain-text secrets that no message may contain."""
        return self.auth_type.secret_values()

    def redact(self, text: str) -> str:
        return activity.redact(text, self.secrets())

    def run(
        self,
        operation: Callable[[RequestContext], T],
        *,
        action: str,
        method: str = "-",
    ) -> T:
        """Run ``operation`` with the endpoint's client; see the class.

        ``action`` describes the operation in activity entries, such as
        ``GET /items``; ``method`` is the HTTP method for the log line.
        """
        started = time.perf_counter()
        with deadline_scope():
            result = self._run_in_scope(operation, action, method, started)
        status = getattr(result, "status_code", None)
        if status is not None and status >= 500:
            # Recorded as a failure at the status stage, as its activity entry
            # is, though the target responded.
            self._log(method, started, "failure", status, stage="status")
        else:
            self._log(method, started, "success", status)
        return result

    def _run_in_scope(
        self,
        operation: Callable[[RequestContext], T],
        action: str,
        method: str,
        started: float,
    ) -> T:
        trusted_pem: str | None = None
        try:
            if self._secrets_unreadable:
                raise SecretsUnreadableError()
            for attempt in (1, 2):
                try:
                    with self._client(trusted_pem) as client:
                        context = RequestContext(
                            endpoint=self.endpoint,
                            client=client,
                            timeout=self.timeout,
                            acting_user=self.acting_user,
                            actor=self.actor,
                            persist=self.persist,
                        )
                        result = operation(context)
                except httpx2.HTTPError as error:
                    ssl_error = find_ssl_error(error)
                    url = _request_url(error)
                    if ssl_error is None or url is None or attempt == 2:
                        raise self._map(error, url) from None
                    trusted_pem = review_failed_handshake(
                        self.endpoint,
                        url.host,
                        url.port or 443,
                        ssl_error,
                        timeout=self.timeout.connect,
                        persist=self.persist,
                    )
                    if self.persist:
                        # The pinned certificate is now part of the pool's key.
                        trusted_pem = None
                        self._record_pin()
                    else:
                        self.accepted_certificate_sha256 = fingerprint(
                            load_pem(trusted_pem)
                        )
                    continue
                break
        except EndpointError as error:
            self._fail(error, action, method, started)
            raise error from None
        except (httpx2.InvalidURL, UnicodeEncodeError) as error:
            failure = InvalidRequestError(
                "The request could not be built: the URL or a header value is "
                f"invalid ({type(error).__name__})."
            )
            self._fail(failure, action, method, started)
            raise failure from None
        return result

    def _client(self, trusted_pem: str | None) -> AbstractContextManager[httpx2.Client]:
        if self.persist and trusted_pem is None:
            return self.pool.lease(self.endpoint)
        return OneOffClient(self.endpoint, trusted_pem)

    def _map(self, error: httpx2.HTTPError, url: httpx2.URL | None) -> EndpointError:
        return map_exception(error, url, self.timeout)

    def _fail(
        self, error: EndpointError, action: str, method: str, started: float
    ) -> None:
        error.bind(self.endpoint.pk, self.endpoint.name)
        error.scrub(self.redact)
        self._log(method, started, "failure", None, stage=error.stage)
        if isinstance(error, TLSError):
            self.record(
                ActivityEntry.Event.SECURITY_ERROR,
                ActivityEntry.Outcome.FAILURE,
                f"{action}: {error.security_detail()}",
            )
        elif self.record_request_failures and not isinstance(
            error, InvalidPathError | EndpointNotFoundError
        ):
            self.record(
                ActivityEntry.Event.REQUEST_FAILED,
                ActivityEntry.Outcome.FAILURE,
                f"{action} failed at the {error.stage_label} stage: {error.reason}",
            )

    def _record_pin(self) -> None:
        self.record(
            ActivityEntry.Event.CHANGED,
            ActivityEntry.Outcome.SUCCESS,
            "Pinned the self-signed certificate with SHA-256 "
            f"{self.endpoint.pinned_certificate_sha256} on first use.",
        )

    def record(self, event: str, outcome: str, detail: str) -> None:
        """Write an activity entry for the endpoint, scrubbed of secrets."""
        activity.record(
            event,
            actor=self.actor,
            workflow=self.endpoint.workflow,
            endpoint=self.endpoint,
            outcome=outcome,
            detail=self.redact(detail),
            extra_secrets=self.secrets(),
        )

    def _log(
        self,
        method: str,
        started: float,
        outcome: str,
        status: int | None,
        stage: str = "",
    ) -> None:
        # Ids, the method, the status and the outcome only: never the URL,
        # whose query string may carry a token, nor any header value. A
        # success is DEBUG because a step may send thousands of requests, and
        # each line costs about a tenth of a loopback request
        # (docs/benchmarks.md).
        level = logging.DEBUG if outcome == "success" else logging.WARNING
        if not logger.isEnabledFor(level):
            return
        logger.log(
            level,
            "event=endpoint_request workflow_id=%s endpoint_id=%s method=%s "
            "status=%s duration_ms=%d outcome=%s stage=%s",
            self.endpoint.workflow_id,
            self.endpoint.pk,
            method,
            status if status is not None else "-",
            (time.perf_counter() - started) * 1000,
            outcome,
            stage or "-",
        )


def map_exception(
    error: httpx2.HTTPError, url: httpx2.URL | None, timeout: httpx2.Timeout
) -> EndpointError:
    """Return the project error for an httpx2 exception, naming its stage.

    Messages are built here from the host and port and short OS or OpenSSL
    texts, never from httpx2's message, which may contain the URL.
    """
    where = _host_port(url)
    if isinstance(error, httpx2.ConnectTimeout):
        return RequestTimeoutError(
            f"Connecting to {where} timed out after {timeout.connect} s."
        )
    if isinstance(error, httpx2.TimeoutException):
        return RequestTimeoutError(f"{where} did not respond within {timeout.read} s.")
    ssl_error = find_ssl_error(error)
    if ssl_error is not None:
        return TLSError(
            f"The TLS connection to {where} failed: {describe_ssl_error(ssl_error)}"
        )
    if isinstance(error, httpx2.ConnectError):
        return ConnectionFailedError(
            f"Could not connect to {where}: {_os_reason(error)}."
        )
    if isinstance(error, httpx2.NetworkError):
        return ConnectionFailedError(
            f"The connection to {where} failed: {_os_reason(error)}."
        )
    if isinstance(error, httpx2.RemoteProtocolError):
        return ResponseError(f"{where} sent a response that is not valid HTTP.")
    if isinstance(error, httpx2.DecodingError):
        return ResponseError(
            "The response body could not be decoded with its Content-Encoding."
        )
    if isinstance(error, httpx2.LocalProtocolError | httpx2.UnsupportedProtocol):
        return InvalidRequestError(
            "The request could not be sent: a header name or value, or the URL, "
            "is invalid."
        )
    return EndpointError(f"The request to {where} failed ({type(error).__name__}).")


def _as_timeout(timeout: TimeoutValue) -> httpx2.Timeout:
    # A caller's timeout cannot outlast the deadline of the whole call.
    if timeout is None:
        return limit_timeout(default_timeout())
    if not isinstance(timeout, httpx2.Timeout):
        check_timeout_seconds(timeout)
        timeout = httpx2.Timeout(timeout)
    for part in (timeout.connect, timeout.read, timeout.write, timeout.pool):
        if part is not None:
            check_timeout_seconds(part)
    return limit_timeout(timeout)


def check_timeout_seconds(seconds: object) -> None:
    """Raise ValueError unless ``seconds`` is a positive, finite number."""
    if not is_positive_seconds(seconds):
        raise ValueError(
            "A timeout must be a positive number of seconds, or None for "
            f"ENDPOINT_REQUEST_TIMEOUT; got {seconds!r}."
        )


def _build_request(
    context: RequestContext,
    method: str,
    url: str,
    headers: Headers | None,
    json: Any,
    content: bytes | str | None,
) -> httpx2.Request:
    return context.client.build_request(
        method,
        url,
        headers=headers,
        json=json,
        content=content,
        timeout=context.timeout,
    )


def _check_origin(url: httpx2.URL, base_url: str) -> None:
    # join_url cannot produce another origin; this guards the invariant that
    # credentials never go to a host other than the base URL's.
    if url.origin != _origin(base_url):
        raise InvalidPathError("The joined URL would leave the endpoint's host.")


@functools.lru_cache(maxsize=512)
def _origin(base_url: str) -> httpx2.Origin:
    # Parsing the base URL costs about as much as a tenth of a loopback
    # request, and a session sends many requests to the same one.
    return httpx2.URL(base_url).origin


def _request_url(error: httpx2.HTTPError) -> httpx2.URL | None:
    try:
        return error.request.url
    except RuntimeError:
        return None


def _host_port(url: httpx2.URL | None) -> str:
    if url is None:
        return "the target"
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"


def _os_reason(error: BaseException) -> str:
    for link in exception_chain(error):
        if isinstance(link, OSError) and link.strerror:
            return link.strerror.rstrip(".").lower()
    return "the connection failed"


def _path_without_query(path: str) -> str:
    shown = path.split("?", 1)[0].split("#", 1)[0]
    return shown if shown.startswith("/") else f"/{shown}"
