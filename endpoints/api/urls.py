"""URLs of the JSON API, mounted at /api/ and listed in `openapi.PATHS`."""

from django.urls import path, re_path

from . import views

app_name = "api"

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("openapi.json", views.OpenApiView.as_view(), name="openapi"),
    path("workflows/", views.WorkflowListView.as_view(), name="workflow_list"),
    path(
        "workflows/<int:pk>/",
        views.WorkflowDetailView.as_view(),
        name="workflow_detail",
    ),
    path(
        "workflows/<int:pk>/endpoints/",
        views.WorkflowEndpointsView.as_view(),
        name="workflow_endpoints",
    ),
    path(
        "workflows/<int:pk>/steps/",
        views.WorkflowStepsView.as_view(),
        name="workflow_steps",
    ),
    path("users/", views.UserSearchView.as_view(), name="user_list"),
    re_path(r"^.*$", views.ApiNotFoundView.as_view(), name="not_found"),
]
