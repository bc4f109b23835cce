"""Add the failed sign-ins that the login throttle counts, and the cache table.

Both live in the database so that every process and host of the console
shares them. The cache table is the one that the database caches in
settings.CACHES name, created as ``manage.py createcachetable`` creates it;
a cache of another kind needs no table, and nothing is created for it.
"""

import django.utils.timezone
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import migrations, models


def create_cache_table(apps, schema_editor):
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


def drop_cache_table(apps, schema_editor):
    for alias in settings.CACHES:
        cache = caches[alias]
        if isinstance(cache, DatabaseCache):
            table = schema_editor.quote_name(cache._table)
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0007_oauth_state_and_events"),
    ]

    operations = [
        migrations.CreateModel(
            name="LoginFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("username_digest", models.CharField(editable=False, max_length=64)),
                ("address_digest", models.CharField(editable=False, max_length=64)),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["username_digest", "created_at"],
                        name="login_failure_username_time",
                    ),
                    models.Index(
                        fields=["address_digest", "created_at"],
                        name="login_failure_address_time",
                    ),
                    models.Index(fields=["created_at"], name="login_failure_time"),
                ],
            },
        ),
        migrations.RunPython(create_cache_table, drop_cache_table),
    ]
