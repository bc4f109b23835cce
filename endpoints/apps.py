from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class EndpointsConfig(AppConfig):
    name = "endpoints"
    verbose_name = "Endpoints"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)


class ConsoleAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, with `admin_site.ConsoleAdminSite` as its site."""

    # Listed by its path in INSTALLED_APPS; "endpoints" means EndpointsConfig.
    default = False
    default_site = "endpoints.admin_site.ConsoleAdminSite"
