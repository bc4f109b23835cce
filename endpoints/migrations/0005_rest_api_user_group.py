"""Create the "REST API user" group and let managers search users.

A service account in the group may read workflows, their endpoints, steps
and step usages, and search users, through the JSON API. The group holds
no change permission, because the API is read-only, and no permission on
authentication configurations or the activity stream: the API shows an
endpoint's auth type and whether it is connected, nothing else of either.

Endpoint managers get the user search too, so that a step run for a manager
through the built-in endpoint may look up users. Workflow viewers do not.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REST_API_USERS = "REST API user"
MANAGERS = "Endpoint managers"

API_MODELS = ["workflow", "endpoint", "step", "stepusage"]


def ensure_permissions(apps, app_label):
    app_config = apps.get_app_config(app_label)
    # create_permissions skips an app config without a models module, which
    # the migration state's stand-in lacks.
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def create_group(apps, schema_editor):
    ensure_permissions(apps, "auth")
    ensure_permissions(apps, "endpoints")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    view_models = Permission.objects.filter(
        content_type__app_label="endpoints",
        codename__in=[f"view_{model}" for model in API_MODELS],
    )
    view_user = Permission.objects.filter(
        content_type__app_label="auth", codename="view_user"
    )
    api_users, _ = Group.objects.get_or_create(name=REST_API_USERS)
    api_users.permissions.add(*view_models, *view_user)
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(*view_user)


def remove_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.filter(name=REST_API_USERS).delete()
    managers = Group.objects.filter(name=MANAGERS).first()
    if managers is not None:
        managers.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="auth", codename="view_user"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0004_api_tokens"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
