"""Django settings for Endpoint Console.

Every value an operator sets comes from the environment (or a ``.env`` file
beside ``manage.py``) through django-environ; `.env.example` lists them. The
defaults suit the embedded SQLite set-up, and each production deployment
overrides them.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables of the environment take precedence over the file. CONSOLE_ENV_FILE
# names another file, or none when it is set but empty.
ENV_FILE = os.environ.get("CONSOLE_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# The console's public address. OAuth redirect URLs and the built-in endpoint
# are built from it, so it must be the address users and providers reach,
# even behind a reverse proxy.
CONSOLE_BASE_URL = env.str("CONSOLE_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Django's admin, with the console's throttled sign-in.
    "endpoints.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "endpoints",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "console.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
# Connection reuse: each process keeps its database connection for
# CONN_MAX_AGE seconds (0 closes it after every request), and with health
# checks a reused connection is tested before a request uses it, so that a
# database restart costs no request. Django's development server starts a
# thread per request, which cannot reuse connections, hence no reuse with
# DEBUG. Options in DATABASE_URL's query string take precedence.
DATABASES["default"].setdefault(
    "CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
)
DATABASES["default"].setdefault(
    "CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True)
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache is a database table, created by a migration, so that every
# process and host of the console shares it. A cache in process memory
# would differ from one gunicorn worker to the next.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "endpoints_cache",
    },
}

# Fernet keys for the secrets stored in the database. The first key encrypts
# and every key decrypts, so a new key goes first and the old ones stay until
# every secret has been re-encrypted.
FERNET_KEYS = env.list("FERNET_KEYS")

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "endpoints:workflow_list"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins are counted in the database, for every process. After
# LOGIN_FAILURE_LIMIT failures for one username, or LOGIN_ADDRESS_FAILURE_LIMIT
# from one client address, within LOGIN_FAILURE_WINDOW seconds, further
# sign-ins for it are rejected without checking the password. They are
# accepted again once enough of those failures are older than the window.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=15 * 60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The folder that `manage.py collectstatic` writes the hashed and compressed
# files to, which whitenoise serves when DEBUG is off.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# HTTPS. With DEBUG off the console expects to be reached over HTTPS only.
# Plain HTTP is redirected, cookies are sent over HTTPS only, and the HSTS
# header makes browsers use HTTPS only for SECURE_HSTS_SECONDS. Each can be
# turned off for a deployment that forwards plain HTTP on a trusted network.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers often call the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 60 * 60
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
# Preloading commits the whole domain to HTTPS in browsers, so the operator
# opts in by setting it and submitting the domain. While it is off, the
# deploy check does not warn about it (security.W021).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Behind a reverse proxy that terminates TLS, Django learns the original
# scheme and host from the proxy's X-Forwarded-Proto and X-Forwarded-Host
# headers, and the login throttle the client's address from
# X-Forwarded-For. Trust them only behind a proxy that sets (not passes on)
# these headers, since a client could otherwise forge them.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# The number of proxies in front of the console that append to
# X-Forwarded-For; the client's address is the one that many entries from
# the right.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

# Origins whose form posts are accepted, besides the request's own host.
# The console's public address is always one of them.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


if _origin(CONSOLE_BASE_URL) not in CSRF_TRUSTED_ORIGINS:
    CSRF_TRUSTED_ORIGINS.append(_origin(CONSOLE_BASE_URL))

# The Content-Security-Policy header of every response (see
# console/middleware.py): scripts, styles and everything else only from the
# console itself, no inline script or style, and no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)

# Request size limits. A request body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes
# (file uploads excepted, which the import page caps at IMPORT_MAX_BYTES) or
# with more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields gets 400 Bad Request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)

# Requests through endpoints. Networks that no endpoint may connect to, as
# CIDR ranges: checked after DNS resolution, on every connection. The
# defaults are the cloud metadata address and the IPv4 and IPv6 link-local
# ranges; IPv4-mapped IPv6 forms of blocked IPv4 addresses are blocked too.
ENDPOINT_BLOCKED_NETWORKS = env.list(
    "ENDPOINT_BLOCKED_NETWORKS",
    default=["169.254.169.254/32", "169.254.0.0/16", "fe80::/10"],
)
# A PEM file of the certificate authorities to trust instead of the
# system's; blank uses the system's.
ENDPOINT_CA_BUNDLE = env.str("ENDPOINT_CA_BUNDLE", default="")
# Default timeout of each connect, read and write, in seconds. Callers of
# the runtime may pass their own per request.
ENDPOINT_REQUEST_TIMEOUT = env.float("ENDPOINT_REQUEST_TIMEOUT", default=10.0)
# Seconds that one request through an endpoint may take in all: connecting,
# token requests, retries and reading the body. No timeout of a caller can
# exceed it. Keep it well below gunicorn's worker timeout (60 s by
# default), which would otherwise end the page with an empty 500.
ENDPOINT_REQUEST_DEADLINE = env.float("ENDPOINT_REQUEST_DEADLINE", default=30.0)
# Largest response body read, in bytes as received (before decompression).
ENDPOINT_MAX_RESPONSE_BYTES = env.int(
    "ENDPOINT_MAX_RESPONSE_BYTES", default=10 * 1024 * 1024
)
# Maximum number of pooled HTTP clients, one per endpoint in use.
ENDPOINT_CLIENT_POOL_SIZE = env.int("ENDPOINT_CLIENT_POOL_SIZE", default=64)
# The function that resolves host names to addresses for the network guard.
ENDPOINT_RESOLVER = "endpoints.runtime.network.resolve_with_system"

# OAuth 2.0: seconds before a token's expiry at which the console already
# gets a new one, so that a request never goes out with a token that expires
# on the way. Short-lived tokens use a quarter of their lifetime instead
# when that is less (endpoints.auth.oauth.storage.refresh_skew).
OAUTH_REFRESH_SKEW_SECONDS = env.int("OAUTH_REFRESH_SKEW_SECONDS", default=60)
# Seconds within which the provider must send the user back to the callback
# URL after Connect; a later callback is rejected.
OAUTH_STATE_MAX_AGE_SECONDS = env.int("OAUTH_STATE_MAX_AGE_SECONDS", default=600)
# Port of the fake OAuth 2.0 provider that `make demo` starts on 127.0.0.1,
# and that the demo's OAuth endpoints point at.
DEMO_OAUTH_PROVIDER_PORT = env.int("DEMO_OAUTH_PROVIDER_PORT", default=8010)

# Slack: the console's own Slack app, whose client ID and secret every Slack
# and Slack (Legacy) endpoint connects with. SLACK_URL serves the consent
# pages (oauth/v2/authorize, and oauth/authorize for the older flow), and
# SLACK_API_URL the Web API (oauth.v2.access, oauth.access, auth.test). Slack
# tokens are sent only to SLACK_API_URL's origin.
SLACK_CLIENT_ID = env.str("SLACK_CLIENT_ID", default="")
SLACK_CLIENT_SECRET = env.str("SLACK_CLIENT_SECRET", default="")
SLACK_URL = env.str("SLACK_URL", default="https://slack.com")
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api")

# Microsoft Graph API: the console's own app registration in Microsoft Entra
# ID. MICROSOFT_TENANT is a tenant ID or domain, or "organizations" for any
# work or school account. MICROSOFT_LOGIN_URL is the identity platform
# ({login}/{tenant}/oauth2/v2.0/authorize and .../token), MICROSOFT_GRAPH_URL
# the Graph API; national clouds use other hosts. Graph tokens are sent only
# to MICROSOFT_GRAPH_URL's origin.
MICROSOFT_CLIENT_ID = env.str("MICROSOFT_CLIENT_ID", default="")
MICROSOFT_CLIENT_SECRET = env.str("MICROSOFT_CLIENT_SECRET", default="")
MICROSOFT_TENANT = env.str("MICROSOFT_TENANT", default="organizations")
MICROSOFT_LOGIN_URL = env.str(
    "MICROSOFT_LOGIN_URL", default="https://login.microsoftonline.com"
)
MICROSOFT_GRAPH_URL = env.str(
    "MICROSOFT_GRAPH_URL", default="https://graph.microsoft.com"
)

# Salesforce: the login hosts whose token endpoint
# (/services/oauth2/token) takes the password grant, for production orgs
# and for sandboxes. An endpoint may name another token URL, such as its My
# Domain login.
SALESFORCE_LOGIN_URL = env.str(
    "SALESFORCE_LOGIN_URL", default="https://login.salesforce.com"
)
SALESFORCE_SANDBOX_LOGIN_URL = env.str(
    "SALESFORCE_SANDBOX_LOGIN_URL", default="https://test.salesforce.com"
)

# Zoom Server-to-Server OAuth: the token endpoint of the account
# credentials grant.
ZOOM_TOKEN_URL = env.str("ZOOM_TOKEN_URL", default="https://zoom.us/oauth/token")

# Largest workflow export accepted for import, in bytes.
ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "keyvalue": {"()": "console.logformat.KeyValueFormatter"},
    },
    "filters": {
        "remove_query_string": {"()": "console.logfilters.RemoveQueryString"},
        "no_client_error_traceback": {
            "()": "console.logfilters.NoClientErrorTraceback"
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "keyvalue"},
    },
    # Upper-cased, because logging accepts "DEBUG" but not "debug".
    "root": {
        "handlers": ["console"],
        "level": env.str("LOG_LEVEL", default="INFO").strip().upper(),
    },
    "loggers": {
        # Django's own configuration gives these loggers handlers of their
        # own, which wrote each line a second time beside the root's. Here
        # they pass their records to the root handler only.
        "django": {"handlers": [], "propagate": True},
        # runserver's request log: without query strings, which may carry an
        # OAuth code and state.
        "django.server": {
            "handlers": [],
            "filters": ["remove_query_string"],
            "propagate": True,
        },
        "django.request": {
            "handlers": [],
            "filters": ["no_client_error_traceback"],
            "propagate": True,
        },
        # httpx2 logs every request line, URL included, at INFO.
        "httpx2": {"level": "WARNING"},
        "httpcore2": {"level": "WARNING"},
        # authlib logs token responses and PKCE verifiers at DEBUG.
        "authlib": {"level": "WARNING"},
    },
}
