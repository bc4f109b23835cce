"""URLs of the console pages. These paths are stable; links depend on them."""

from django.urls import path

from .views import (
    activity,
    auth_tests,
    certificates,
    endpoints,
    imports,
    requests,
    steps,
    tokens,
    workflows,
)

app_name = "endpoints"

urlpatterns = [
    path("workflows/", workflows.WorkflowListView.as_view(), name="workflow_list"),
    path(
        "workflows/new/",
        workflows.WorkflowCreateView.as_view(),
        name="workflow_create",
    ),
    path(
        "workflows/import/",
        imports.WorkflowImportView.as_view(),
        name="workflow_import",
    ),
    path(
        "workflows/<int:pk>/",
        workflows.WorkflowDetailView.as_view(),
        name="workflow_detail",
    ),
    path(
        "workflows/<int:pk>/edit/",
        workflows.WorkflowUpdateView.as_view(),
        name="workflow_edit",
    ),
    path(
        "workflows/<int:pk>/delete/",
        workflows.WorkflowDeleteView.as_view(),
        name="workflow_delete",
    ),
    path(
        "workflows/<int:pk>/export/",
        workflows.WorkflowExportView.as_view(),
        name="workflow_export",
    ),
    path(
        "workflows/<int:workflow_pk>/endpoints/new/",
        endpoints.EndpointCreateView.as_view(),
        name="endpoint_create",
    ),
    path(
        "endpoints/<int:pk>/",
        endpoints.EndpointUpdateView.as_view(),
        name="endpoint_edit",
    ),
    path(
        "endpoints/<int:pk>/delete/",
        endpoints.EndpointDeleteView.as_view(),
        name="endpoint_delete",
    ),
    path(
        "workflows/<int:workflow_pk>/endpoints/new/test-authentication/",
        auth_tests.EndpointCreateAuthTestView.as_view(),
        name="endpoint_create_test_auth",
    ),
    path(
        "endpoints/<int:pk>/test-authentication/",
        auth_tests.EndpointAuthTestView.as_view(),
        name="endpoint_test_auth",
    ),
    path(
        "endpoints/<int:pk>/send-request/",
        requests.EndpointSendRequestView.as_view(),
        name="endpoint_send_request",
    ),
    path(
        "endpoints/<int:pk>/certificate/trust/",
        certificates.EndpointTrustCertificateView.as_view(),
        name="endpoint_trust_certificate",
    ),
    path(
        "endpoints/<int:pk>/activity/",
        activity.EndpointActivityView.as_view(),
        name="endpoint_activity",
    ),
    path(
        "workflows/<int:pk>/activity/",
        activity.WorkflowActivityView.as_view(),
        name="workflow_activity",
    ),
    path(
        "workflows/<int:workflow_pk>/steps/new/",
        steps.StepCreateView.as_view(),
        name="step_create",
    ),
    path("steps/<int:pk>/", steps.StepUpdateView.as_view(), name="step_edit"),
    path(
        "account/tokens/",
        tokens.ApiTokenListView.as_view(),
        name="api_token_list",
    ),
    path(
        "account/tokens/<int:pk>/revoke/",
        tokens.ApiTokenRevokeView.as_view(),
        name="api_token_revoke",
    ),
    path(
        "steps/<int:pk>/delete/",
        steps.StepDeleteView.as_view(),
        name="step_delete",
    ),
]
