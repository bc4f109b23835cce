"""Read-only JSON views: workflows, their endpoints and steps, users.

Each view names the permissions it needs. A caller without them gets 403;
a request without accepted credentials gets 401 with a WWW-Authenticate
challenge. Responses never contain an auth type's settings, a secret or a
token: an endpoint shows only its auth type and whether it is connected.
"""

import logging
import re
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..models import Endpoint, Step, StepUsage, Workflow
from ..validators import strip_control_characters
from .authentication import ApiAuthenticationError, authenticate_request
from .openapi import openapi_document

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 100
_WHOLE_NUMBER_RE = re.compile(r"[0-9]{1,9}")

VIEW_WORKFLOW = "endpoints.view_workflow"
VIEW_ENDPOINT = "endpoints.view_endpoint"
VIEW_STEP = "endpoints.view_step"
VIEW_STEPUSAGE = "endpoints.view_stepusage"
VIEW_USER = "auth.view_user"


class ApiError(Exception):
    """An error returned as JSON with an HTTP status."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def is_connected(endpoint: Endpoint) -> bool:
    """Return whether the endpoint's stored configuration can authenticate."""
    config = endpoint.auth
    if config.awaiting_configuration or config.reconnect_needed:
        return False
    if not config.secrets_readable:
        return False
    return config.type.is_connected()


# The API authenticates by header only, never by session cookie, so it is
# exempt from the login redirect and from cross-site request forgery checks.
@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class ApiView(View):
    """Authenticate, check ``required_permissions`` and return JSON."""

    http_method_names = ["get", "head", "options"]
    required_permissions: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        try:
            caller = authenticate_request(request)
        except ApiAuthenticationError as error:
            response = error_response(401, error.code, error.message)
            response["WWW-Authenticate"] = error.challenge()
            return self.finish(response)
        request.user = caller.user
        self.caller = caller

        if not caller.user.has_perms(self.required_permissions):
            logger.info(
                "event=api_forbidden user_id=%s path=%s", caller.user.pk, request.path
            )
            response = error_response(
                403,
                "permission_denied",
                "This account may not read this resource. Ask an administrator "
                "for the permissions: " + ", ".join(self.required_permissions) + ".",
            )
            return self.finish(response)

        try:
            response = super().dispatch(request, *args, **kwargs)
        except ApiError as error:
            response = error_response(error.status, error.code, error.message)
        except Http404:
            response = error_response(404, "not_found", "No such resource.")
        return self.finish(response)

    def finish(self, response):
        # Responses differ per caller and may contain private data.
        response["Cache-Control"] = "private, no-store"
        patch_vary_headers(response, ["Authorization"])
        return response

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = error_response(
            405, "method_not_allowed", "The API is read-only; use GET."
        )
        response["Allow"] = ", ".join(
            method.upper() for method in self._allowed_methods()
        )
        return response

    def absolute(self, url: str) -> str:
        return self.request.build_absolute_uri(url)

    def paginate(self, queryset, serialize) -> dict:
        """Return one page of ``queryset`` as the API's page object."""
        page_size = self.int_parameter("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        number = self.int_parameter("page", 1, 1, None)
        paginator = Paginator(queryset, page_size)
        if number > paginator.num_pages:
            raise ApiError(
                404,
                "page_not_found",
                f"Page {number} does not exist; there are {paginator.num_pages}.",
            )
        page = paginator.page(number)
        return {
            "count": paginator.count,
            "next": self.page_url(page.next_page_number()) if page.has_next() else None,
            "previous": self.page_url(page.previous_page_number())
            if page.has_previous()
            else None,
            "results": [serialize(item) for item in page.object_list],
        }

    def page_url(self, number: int) -> str:
        query = self.request.GET.copy()
        query["page"] = str(number)
        return self.absolute(f"{self.request.path}?{urlencode(sorted(query.items()))}")

    def int_parameter(self, name: str, default: int, low: int, high: int | None) -> int:
        raw = self.request.GET.get(name)
        if raw is None:
            return default
        in_range = _WHOLE_NUMBER_RE.fullmatch(raw) and int(raw) >= low
        if not in_range or (high is not None and int(raw) > high):
            upper = f" to {high}" if high is not None else " or more"
            raise ApiError(
                400,
                "invalid_parameter",
                f"The parameter {name} must be a whole number from {low}{upper}.",
            )
        return int(raw)

    def search_query(self) -> str:
        query = strip_control_characters(self.request.GET.get("q", "")).strip()
        if len(query) > MAX_QUERY_LENGTH:
            raise ApiError(
                400,
                "invalid_parameter",
                f"The parameter q may have at most {MAX_QUERY_LENGTH} characters.",
            )
        return query


class ApiRootView(ApiView):
    """The caller's identity and links to the resources."""

    def get(self, request):
        return JsonResponse(
            {
                "user": {
                    "id": request.user.pk,
                    "username": request.user.get_username(),
                },
                "authenticated_by": self.caller.method,
                "links": {
                    "workflows": self.absolute(reverse("api:workflow_list")),
                    "users": self.absolute(reverse("api:user_list")),
                    "openapi": self.absolute(reverse("api:openapi")),
                },
            }
        )


class WorkflowListView(ApiView):
    required_permissions = (VIEW_WORKFLOW,)

    def get(self, request):
        workflows = Workflow.objects.annotate(
            endpoint_count=Count("endpoints", distinct=True),
            step_count=Count("steps", distinct=True),
        ).order_by("name_key", "pk")
        query = self.search_query()
        if query:
            workflows = workflows.matching(query)
        return JsonResponse(self.paginate(workflows, self.serialize))

    def serialize(self, workflow: Workflow) -> dict:
        return {
            "id": workflow.pk,
            "name": workflow.name,
            "description": workflow.description,
            "endpoint_count": workflow.endpoint_count,
            "step_count": workflow.step_count,
            "created_at": workflow.created_at.isoformat(),
            "updated_at": workflow.updated_at.isoformat(),
            "url": self.absolute(reverse("api:workflow_detail", args=[workflow.pk])),
            "endpoints_url": self.absolute(
                reverse("api:workflow_endpoints", args=[workflow.pk])
            ),
            "steps_url": self.absolute(
                reverse("api:workflow_steps", args=[workflow.pk])
            ),
        }


class WorkflowDetailView(WorkflowListView):
    def get(self, request, pk):
        workflows = Workflow.objects.annotate(
            endpoint_count=Count("endpoints", distinct=True),
            step_count=Count("steps", distinct=True),
        )
        return JsonResponse(self.serialize(get_object_or_404(workflows, pk=pk)))


class WorkflowEndpointsView(ApiView):
    required_permissions = (VIEW_WORKFLOW, VIEW_ENDPOINT)

    def get(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        endpoints = (
            Endpoint.objects.filter(workflow=workflow)
            .select_related("auth")
            .annotate(usage_count=Count("usages"))
            .order_by("-is_builtin", "name_key", "pk")
        )
        query = self.search_query()
        if query:
            endpoints = endpoints.matching(query)
        return JsonResponse(self.paginate(endpoints, self.serialize))

    def serialize(self, endpoint: Endpoint) -> dict:
        config = endpoint.auth
        return {
            "id": endpoint.pk,
            "name": endpoint.name,
            "base_url": endpoint.target_url,
            "builtin": endpoint.is_builtin,
            "auth_type": config.auth_type,
            "auth_type_label": config.type_label,
            "awaiting_configuration": config.awaiting_configuration,
            "connected": is_connected(endpoint),
            "trust_self_signed": endpoint.trust_self_signed,
            "usage_count": endpoint.usage_count,
            "updated_at": endpoint.updated_at.isoformat(),
        }


class WorkflowStepsView(ApiView):
    required_permissions = (VIEW_WORKFLOW, VIEW_STEP, VIEW_STEPUSAGE)

    def get(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        steps = (
            Step.objects.filter(workflow=workflow)
            .prefetch_related(
                Prefetch(
                    "usages",
                    queryset=StepUsage.objects.select_related("endpoint").only(
                        "label", "step_id", "endpoint_id", "endpoint__name"
                    ),
                )
            )
            .order_by("name_key", "pk")
        )
        return JsonResponse(self.paginate(steps, self.serialize))

    def serialize(self, step: Step) -> dict:
        return {
            "id": step.pk,
            "name": step.name,
            "kind": step.kind,
            "kind_label": step.get_kind_display(),
            "usages": [
                {
                    "label": usage.label,
                    "endpoint_id": usage.endpoint_id,
                    "endpoint_name": usage.endpoint.name,
                }
                for usage in step.usages.all()
            ],
        }


class UserSearchView(ApiView):
    """Active users whose username, name or email address contains ``q``."""

    required_permissions = (VIEW_USER,)

    def get(self, request):
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        query = self.search_query()
        if query:
            users = users.filter(
                Q(username__icontains=query)
                | Q(first_name__icontains=query)
                | Q(last_name__icontains=query)
                | Q(email__icontains=query)
            )
        return JsonResponse(self.paginate(users, self.serialize))

    def serialize(self, user) -> dict:
        return {
            "id": user.pk,
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
        }


@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class OpenApiView(View):
    """The OpenAPI description of this API, readable without credentials."""

    http_method_names = ["get", "head"]

    def get(self, request):
        document = openapi_document(server_url=request.build_absolute_uri("/api"))
        return JsonResponse(document, json_dumps_params={"indent": 2})


@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class ApiNotFoundView(View):
    """A JSON 404 for every other path under /api/."""

    def dispatch(self, request, *args, **kwargs):
        return error_response(404, "not_found", "No such API resource.")
