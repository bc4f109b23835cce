"""Top-level URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from endpoints.views.login import ThrottledLoginView

from .health import health

handler400 = "console.errors.bad_request"

urlpatterns = [
    path(
        "",
        RedirectView.as_view(pattern_name="endpoints:workflow_list"),
        name="home",
    ),
    path("health/", health, name="health"),
    path(
        "accounts/login/",
        ThrottledLoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("endpoints.api.urls")),
    path("", include("endpoints.urls")),
]
