"""Settings for the test suite: fixed keys, otherwise the console's own.

DATABASE_URL still applies, so the same suite runs on SQLite and on
PostgreSQL. The test database on SQLite is a file rather than SQLite's
in-memory database, so that console processes that a test starts (see
tests/support/live_servers.py) share it with the test.
"""

import os
import tempfile
from pathlib import Path

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

# The test client talks plain HTTP; tests of the HTTPS settings run the
# console's own settings in a subprocess (tests/test_deploy_settings.py).
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Each test request closes its connection, as Django's test servers expect.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test run, named by the process id; Django creates it at
    # the start and deletes it at the end of the run.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"console-test-{os.getpid()}.sqlite3")
    }

# Serve static files from the app and project folders, as runserver does,
# instead of expecting collectstatic's output.
WHITENOISE_AUTOREFRESH = True

# Host names resolve through the suite's own table, so no test asks a DNS
# server; see tests/support/dns.py.
ENDPOINT_RESOLVER = "tests.support.dns.resolve"

# Live test servers listen on the IPv4 loopback address only.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
