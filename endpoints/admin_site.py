"""The console's admin site: Django's, with the console's throttled sign-in.

`endpoints.apps.ConsoleAdminConfig` makes it the default site, so
``django.contrib.admin.site`` is an instance of it.
"""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from .forms import ThrottledAdminAuthenticationForm
from .views.login import mark_throttled


class ConsoleAdminSite(admin.AdminSite):
    site_header = "Endpoint Console administration"
    site_title = "Endpoint Console admin"
    index_title = "Administration"
    # Failed admin sign-ins count towards the same limits as the console's.
    login_form = ThrottledAdminAuthenticationForm

    # The decorators of AdminSite.login, which an override does not inherit.
    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        """Sign in; a throttled sign-in gets 429 with a Retry-After header."""
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None:
            mark_throttled(response, form)
        return response
