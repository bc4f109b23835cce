"""gunicorn settings for Endpoint Console: ``gunicorn console.wsgi``.

gunicorn reads this file from the current folder, so run it from the
repository's root (or pass ``-c gunicorn.conf.py``). Each value comes from
an environment variable, and docs/deployment.md explains them.

Before any worker starts, the master runs Django's system checks with the
database, among them the check that stored secrets decrypt with
FERNET_KEYS. It exits with status 1 and the checks' message if one fails.
"""

import multiprocessing
import os
import sys

# Address and port to listen on: host:port, or unix:/path/to/socket.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# Worker processes. Each handles one request at a time, and a request
# through an endpoint may wait for its target for up to
# ENDPOINT_REQUEST_DEADLINE, so more workers than cores pay off. The default
# is gunicorn's usual rule of thumb, not a measured optimum.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
# Seconds a worker may spend on one request before the master restarts it.
# Keep it above ENDPOINT_REQUEST_DEADLINE (30 s by default), so that a slow
# target ends in a clear timeout error rather than an empty 500; system
# check endpoints.W008 warns otherwise.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Restart each worker after this many requests (0: never), spread by the
# jitter so that workers do not restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# Each worker imports the application itself, so that no database
# connection is shared across a fork.
preload_app = False
# gunicorn 25.1 and later open a control socket at one path per user;
# several consoles on one host would clash there. gunicorn versions without
# it ignore this setting.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# Logs go to standard error. The access log line is key=value text with the
# path but not the query string, which may carry an OAuth code or state,
# and without the client's address.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    "event=http_request method=%(m)s path=%(U)s status=%(s)s bytes=%(B)s "
    "duration_ms=%(M)s"
)


def on_starting(server):
    """Refuse to start when Django's system checks report an error.

    When the database cannot be reached, the checks that need it are
    skipped, so that the console starts anyway and recovers once the
    database is back. Until then /health/ returns 503.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import DatabaseError, connections

    django.setup()
    try:
        try:
            call_command("check", databases=list(connections), fail_level="ERROR")
        except DatabaseError as error:
            server.log.error(
                "event=startup_checks outcome=database_unavailable error=%s "
                "detail=starting without the database checks",
                type(error).__name__,
            )
            call_command("check", fail_level="ERROR")
    except SystemCheckError as error:
        server.log.error("The console did not start: the system checks failed.")
        sys.stderr.write(f"{error}\n")
        sys.exit(1)
    finally:
        # Workers open their own connections after the fork.
        connections.close_all()
