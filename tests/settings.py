"""Settings for the test suite: fixed keys, otherwise the console's own.

DATABASE_URL still applies, so the same suite runs on SQLite and on
PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key-not-for-production")
os.environ.setdefault(
    "FERNET_KEYS", "test-suite-only-fernet-key-one,test-suite-only-fernet-key-two"
)
os.environ.setdefault("CONSOLE_BASE_URL", "http://127.0.0.1:8000")

from console.settings import *  # noqa: E402, F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files from the app and project folders, as runserver does,
# instead of expecting collectstatic's output.
WHITENOISE_AUTOREFRESH = True

# Host names resolve through the suite's own table, so no test asks a DNS
# server; see tests/support/dns.py.
ENDPOINT_RESOLVER = "tests.support.dns.resolve"

# Live test servers listen on the IPv4 loopback address only.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
