"""Django settings for Endpoint Console.

Every value an operator sets comes from the environment (or a ``.env`` file
beside ``manage.py``) through django-environ; `.env.example` lists them. The
defaults suit the embedded SQLite set-up, and each production deployment
overrides them.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# The console's public address. OAuth redirect URLs and the built-in endpoint
# are built from it, so it must be the address users and providers reach,
# even behind a reverse proxy.
CONSOLE_BASE_URL = env.str("CONSOLE_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
# on the way.
OAUTH_REFRESH_SKEW_SECONDS = env.int("OAUTH_REFRESH_SKEW_SECONDS", default=60)
# Seconds within which the provider must send the user back to the callback
# URL after Connect; a later callback is rejected.
OAUTH_STATE_MAX_AGE_SECONDS = env.int("OAUTH_STATE_MAX_AGE_SECONDS", default=600)
# Port of the fake OAuth 2.0 provider that `make demo` starts on 127.0.0.1,
# and that the demo's OAuth endpoints point at.
DEMO_OAUTH_PROVIDER_PORT = env.int("DEMO_OAUTH_PROVIDER_PORT", default=8010)

# Largest workflow export accepted for import, in bytes.
ENDPOINT_CONSOLE_IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "keyvalue": {
            "format": "time=%(asctime)s level=%(levelname)s logger=%(name)s "
            "%(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "keyvalue"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # httpx2 logs every request line, URL included, at INFO.
        "httpx2": {"level": "WARNING"},
        "httpcore2": {"level": "WARNING"},
        # authlib logs token responses and PKCE verifiers at DEBUG.
        "authlib": {"level": "WARNING"},
    },
}
