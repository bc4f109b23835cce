"""Create the "Endpoint managers" and "Workflow viewers" groups.

Managers may create, change, connect, test and delete; viewers may only
look. The permissions are created here, before the post-migrate signal
would create them, so that the groups get them in the same migration run.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "Endpoint managers"
VIEWERS = "Workflow viewers"

MANAGED_MODELS = ["workflow", "endpoint", "authconfig", "step", "stepusage"]
VIEWED_MODELS = [*MANAGED_MODELS, "activityentry"]


def create_groups(apps, schema_editor):
    app_config = apps.get_app_config("endpoints")
    # create_permissions skips an app config without a models module, which
    # the migration state's stand-in lacks.
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(actions, models):
        codenames = [f"{action}_{model}" for action in actions for model in models]
        return Permission.objects.filter(
            content_type__app_label="endpoints", codename__in=codenames
        )

    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(
        *permissions(["add", "change", "delete", "view"], MANAGED_MODELS),
        *permissions(["view"], ["activityentry"]),
    )
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    viewers.permissions.add(*permissions(["view"], VIEWED_MODELS))


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[MANAGERS, VIEWERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
