"""stmails settings, read from the environment (see docs/configuration.md).

Bad values stop the start with one clear line (ImproperlyConfigured).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from stmails.lib.env import (
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("STMAILS_VAR_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
# parse_bounce and parse_webhook need no keys: manage.py runs them without
# loading these settings (bounces.parse_cli, webhooks.parse_cli).
SECRET_KEY = env_secret("SECRET_KEY", VAR_DIR / "secret_key")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        f"SECRET_KEY is not set and {VAR_DIR / 'secret_key'} does not exist: set "
        "SECRET_KEY (or SECRET_KEY_FILE), or STMAILS_VAR_DIR to the folder "
        "`make run` uses"
    )
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")


def _default_root_url() -> str:
    """Where `make run` serves (BIND or PORT), so links in mail point there."""
    bind = env_str("BIND") or f"127.0.0.1:{env_str('PORT') or '9000'}"
    host, _, port = bind.rpartition(":")
    # A wildcard address is no place to send people: use loopback instead.
    if host.strip("[]") in ("", "0.0.0.0", "::"):  # noqa: S104 (not a bind)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


ROOT_URL = env_url("ROOT_URL", _default_root_url(), schemes=("http", "https"))
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", urlsplit(ROOT_URL).hostname or ""]
)
CSRF_TRUSTED_ORIGINS = [f"{urlsplit(ROOT_URL).scheme}://{urlsplit(ROOT_URL).netloc}"]


def _encryption_keys() -> list[bytes]:
    raw = env_secret("STMAILS_ENCRYPTION_KEY", VAR_DIR / "encryption_key")
    if not raw:
        # Never suggest a new key here: one that already encrypted stored
        # credentials may merely be out of reach, and a new one loses them.
        raise ImproperlyConfigured(
            "STMAILS_ENCRYPTION_KEY is not set and "
            f"{VAR_DIR / 'encryption_key'} does not exist: set "
            "STMAILS_ENCRYPTION_KEY (or STMAILS_ENCRYPTION_KEY_FILE) to the key "
            "this installation was started with, or STMAILS_VAR_DIR to the folder "
            "`make run` uses (see docs/operations: Keys)"
        )
    keys = []
    for part in raw.split(","):
        key = part.strip().encode()
        try:
            ok = len(base64.urlsafe_b64decode(key)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ImproperlyConfigured(
                "STMAILS_ENCRYPTION_KEY must be url-safe base64 of 32 bytes "
                "(a Fernet key); several may be given, comma-separated"
            )
        keys.append(key)
    return keys


STMAILS_ENCRYPTION_KEYS = _encryption_keys()

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "stmails",
    "subscribers",
    "campaigns",
    "bounces",
    "webhooks",
    "monitoring",
    "listmonk_import",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "stmails.content_security.ContentSecurityPolicyMiddleware",
    "stmails.chunked_bodies.ChunkedBodyMiddleware",
    "stmails.input_middleware.BadInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stmails.first_run.FirstRunMiddleware",
    "stmails.runtime_logging.RuntimeLoggingMiddleware",
]

ROOT_URLCONF = "stmails.urls"
WSGI_APPLICATION = "stmails.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

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
                "stmails.context.site",
            ],
            # {{ moment|when }} everywhere, without a {% load %} in each template.
            "builtins": ["stmails.templatetags.when"],
        },
    }
]


def _database() -> dict:
    url = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'stmails.sqlite3'}"
    scheme = urlsplit(url).scheme
    if scheme not in ("postgres", "postgresql", "sqlite"):
        raise ImproperlyConfigured(
            f"DATABASE_URL: unsupported scheme {scheme!r} "
            "(use postgresql://user:pass@host:5432/db or sqlite:///path)"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as e:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {e}") from None
    if scheme in ("postgres", "postgresql"):
        # Django's backend with a health check that costs no round trip.
        config["ENGINE"] = "stmails.pgbackend"
    if scheme in ("postgres", "postgresql") and env_bool("STMAILS_PG_PREPARE", True):
        # Server-side binding lets psycopg prepare statements run 5+ times on a
        # connection, sparing PostgreSQL a parse and plan per query on the hot
        # paths (bounce webhooks). Turn off behind a transaction-pooling pgbouncer.
        config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
    if scheme == "sqlite":
        # Web, worker and beat share one file: WAL and IMMEDIATE transactions
        # avoid "database is locked" under concurrent writes.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _cache() -> dict:
    url = env_str("CACHE_URL") or f"file://{VAR_DIR / 'cache'}"
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    if parts.scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": parts.path,
        }
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL: unsupported scheme {parts.scheme!r} (use redis://, file:// or locmem://)"
    )


CACHES = {"default": _cache()}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC") or "UTC"
USE_I18N = True
USE_TZ = True
# One date format with the zone in the whole admin (stmails/formats/en/formats.py).
FORMAT_MODULE_PATH = ["stmails.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns (an error under the test suite) when STATIC_ROOT is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = ROOT_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Empty: stmails.content_security.DEFAULT_POLICY (script-src 'self', no inline script).
STMAILS_CONTENT_SECURITY_POLICY = env_str("STMAILS_CONTENT_SECURITY_POLICY", "") or ""

# Uploads: the CSV import limit (bytes). Bigger uploads are refused with a clear error.
STMAILS_MAX_UPLOAD_BYTES = env_int("STMAILS_MAX_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STMAILS_IMPORT_DIR = VAR_DIR / "imports"

# Failed API / login authentications tolerated per client address per window.
STMAILS_AUTH_FAILURE_LIMIT = env_int("STMAILS_AUTH_FAILURE_LIMIT", 10, minimum=1)
STMAILS_AUTH_FAILURE_WINDOW = env_int("STMAILS_AUTH_FAILURE_WINDOW", 300, minimum=1)


def _networks(name: str) -> list[str]:
    import ipaddress

    values = env_list(name, [])
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an IP address or CIDR range"
            ) from None
    return values


# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed: the
# client is the right-most address in it that is not one of them.
STMAILS_TRUSTED_PROXIES = _networks("STMAILS_TRUSTED_PROXIES")
# Outgoing HTTP (event webhooks, alerts among them) refuses loopback, private,
# link-local... addresses except these host names or CIDRs (stmails.lib.destinations).
STMAILS_ALLOWED_PRIVATE_HOSTS = env_list("STMAILS_ALLOWED_PRIVATE_HOSTS", [])
# Whether API users (not admins) may change a settings key that is a URL
# stmails sends requests to (Key.outbound_url; none at present): off, so a
# leaked API token cannot redirect them.
STMAILS_API_USERS_SET_URLS = env_bool("STMAILS_API_USERS_SET_URLS", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["stmails.auth.ListmonkAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "stmails.api.parsers.CheckedJSONParser",
        "stmails.api.parsers.CheckedFormParser",
        "stmails.api.parsers.CheckedMultiPartParser",
    ],
    "EXCEPTION_HANDLER": "stmails.api.errors.handle_exception",
    "DEFAULT_SCHEMA_CLASS": "stmails.api.openapi.ListmonkAutoSchema",
    "UNAUTHENTICATED_USER": None,
}

# The OpenAPI 3 description served at /api/openapi.json (stmails.api.openapi).
SPECTACULAR_SETTINGS = {
    "TITLE": "stmails API",
    "DESCRIPTION": (
        "listmonk-compatible REST API. Errors are always JSON: "
        '{"message": "<field>: <what is wrong>"}.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "DISABLE_ERRORS_AND_WARNINGS": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "basicAuth": {"type": "http", "scheme": "basic"},
        }
    },
    "SECURITY": [{"basicAuth": []}],
}

# Celery. Without CELERY_BROKER_URL, a serverless filesystem transport under var/
# lets `make run` work with no Redis.
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    "filesystem://",
    schemes=("redis", "rediss", "filesystem", "memory"),
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = str(VAR_DIR / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "processed_folder": _broker_dir,
        # Without it kombu writes its control exchange to ./control in the cwd.
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Keep Django's LOGGING in workers, so Settings → Logging governs them too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

LOG_LEVEL = (env_str("LOG_LEVEL", "INFO") or "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a log level")
# Both are only the starting point: Settings → Logging changes them at run
# time in every process (stmails.runtime_logging).
LOG_JSON = env_bool("LOG_JSON", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "stmails.runtime_logging.JsonFormatter"},
    },
    "filters": {
        "sync": {"()": "stmails.runtime_logging.SyncFilter"},
        # After "sync" (which refreshes the configured secrets it hides).
        "redact": {"()": "stmails.log_redaction.RedactSecretsFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["sync", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
