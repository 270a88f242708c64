"""annotate settings: every knob comes from the environment, with safe embedded defaults.

Embedded mode (nothing set): DEBUG on, SQLite under var/, eager Celery, a local
Label Studio on 127.0.0.1:8080. Production: DEBUG=false, SECRET_KEY and
ALLOWED_HOSTS required, DATABASE_URL and CELERY_BROKER_URL set.

Every variable the app reads is read here, through the env_* readers below, and is listed
in README.md's configuration table (tests/test_settings.py keeps the two in step). An empty
variable counts as unset; a value a reader cannot take stops start-up with the variable named.
The one exception is a Label Studio connection's token: the variable is named by the
connection's `token_env_var` (data, not code) and read when the connection is used.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] = os.environ) -> str:
    """The variable as set (secrets keep their spaces), or the default when unset or empty."""
    value = environ.get(name, "")
    return value if value != "" else default


def _trimmed(name: str, environ: Mapping[str, str]) -> str:
    return environ.get(name, "").strip()


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] = os.environ) -> bool:
    value = _trimmed(name, environ)
    if value == "":
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (also yes/no, on/off, 1/0), got {value!r}.")


def _at_least(name: str, number: float, minimum: float | None) -> None:
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}.")


def env_int(name: str, default: int, *, minimum: int | None = None, environ: Mapping[str, str] = os.environ) -> int:
    value = _trimmed(name, environ)
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}.") from None
    _at_least(name, number, minimum)
    return number


def env_float(
    name: str, default: float, *, minimum: float | None = None, environ: Mapping[str, str] = os.environ
) -> float:
    value = _trimmed(name, environ)
    if value == "":
        return float(default)
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}.")
    _at_least(name, number, minimum)
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] = os.environ) -> list[str]:
    """A comma-separated list; blanks between commas are dropped."""
    value = _trimmed(name, environ)
    if value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: Sequence[str], *, environ: Mapping[str, str] = os.environ) -> str:
    """One of `choices`, matched case-insensitively and returned as spelled there."""
    value = _trimmed(name, environ)
    if value == "":
        return default
    for choice in choices:
        if value.casefold() == choice.casefold():
            return choice
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}.")


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ANNOTATE_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Embedded mode only: a key that is useless outside this machine's dev server.
    SECRET_KEY = "embedded-dev-only-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditlog",
    "axes",
    "projects.apps.ProjectsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the language comes from the django_language cookie the switcher
    # sets, else from the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login rate limiting: after AXES_FAILURE_LIMIT failures for one username from one address,
# that pair is locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind reverse proxies REMOTE_ADDR is the proxy's, so every user would share one address;
# name how many proxies there are and the client's address is read from X-Forwarded-For.
# Without that count the header is ignored: a client could forge it to dodge the lockout.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0, minimum=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal-home"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50, minimum=1),
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A use case's refusal (projects/errors.py) answers 4xx with its message, in one place.
    "EXCEPTION_HANDLER": "projects.api.errors.refusal_handler",
    # Per token or session user; unauthenticated callers are counted per address at the same rate.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("API_THROTTLE_USER", "20000/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "annotate API",
    "DESCRIPTION": "Labeling operations: projects, batches, tasks, annotations, quality, sync. "
    "Vendor-side users see their own vendor's data only.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

ROOT_URLCONF = "annotate.urls"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "annotate.wsgi.application"

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "annotate.sqlite3",
            # Imports and syncs write in long transactions; wait for the lock instead of failing.
            "OPTIONS": {"timeout": 30},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Vendor-side pages, e-mails and the admin in English or Simplified Chinese; the catalogue is
# locale/zh_Hans/LC_MESSAGES/django.po, compiled by `make messages` (GNU gettext's msgfmt).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_ROOT = VAR_DIR / "media"

# Celery: no broker means tasks run in-process (the embedded mode and unit tests).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Webhooks are best effort; this pull reconciles whatever they missed.
LABEL_STUDIO_SYNC_SECONDS = env_float("LABEL_STUDIO_SYNC_SECONDS", 300, minimum=1)
CELERY_BEAT_SCHEDULE = {
    # Webhooks are best effort; this pull reconciles whatever they missed.
    "sync-labelstudio": {"task": "projects.jobs.sync_labelstudio_task", "schedule": LABEL_STUDIO_SYNC_SECONDS},
}
# SLA monitor: every open batch's state checked this often; only state changes notify.
SLA_CHECK_SECONDS = env_int("SLA_CHECK_SECONDS", 900, minimum=1)
CELERY_BEAT_SCHEDULE["check-slas"] = {"task": "projects.jobs.check_slas_task", "schedule": float(SLA_CHECK_SECONDS)}
# Dashboards and lists read tallies: stale batches are recounted this often (and after every pull).
TALLY_REFRESH_SECONDS = env_int("TALLY_REFRESH_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE["refresh-dashboards"] = {
    "task": "projects.jobs.refresh_dashboards_task",
    "schedule": float(TALLY_REFRESH_SECONDS),
}
# Anomaly flags kept per project are recomputed on read when older than this.
ANOMALY_FLAGS_MAX_AGE_SECONDS = env_int("ANOMALY_FLAGS_MAX_AGE_SECONDS", 900, minimum=0)

# Label Studio: the URL `manage.py connect_labelstudio` registers when given none; deployments keep
# one LabelStudioConnection per vendor or region (admin or that command). A connection's token is
# not a setting: it is stored encrypted, or read at use time from the variable the connection names.
LABEL_STUDIO_URL = env_str("LABEL_STUDIO_URL", "http://127.0.0.1:8080")
LABEL_STUDIO_TIMEOUT = env_float("LABEL_STUDIO_TIMEOUT", 30, minimum=1)
LABEL_STUDIO_IMPORT_TIMEOUT = env_float("LABEL_STUDIO_IMPORT_TIMEOUT", 300, minimum=1)
LABEL_STUDIO_EXPORT_TIMEOUT = env_float("LABEL_STUDIO_EXPORT_TIMEOUT", 900, minimum=1)
LABEL_STUDIO_RETRIES = env_int("LABEL_STUDIO_RETRIES", 4, minimum=0)
LABEL_STUDIO_BACKOFF = env_float("LABEL_STUDIO_BACKOFF", 0.5, minimum=0)
# Tasks per import request: a few thousand keeps each request well inside the timeout.
LABEL_STUDIO_PUSH_CHUNK = env_int("LABEL_STUDIO_PUSH_CHUNK", 2000, minimum=1)
LABEL_STUDIO_PULL_PAGE_SIZE = env_int("LABEL_STUDIO_PULL_PAGE_SIZE", 500, minimum=1)
# Incremental pulls re-read this many seconds before the cursor, for clock and commit skew.
LABEL_STUDIO_PULL_OVERLAP_SECONDS = env_int("LABEL_STUDIO_PULL_OVERLAP_SECONDS", 5, minimum=0)
# Reinstating a paused annotator on Community clears their membership's "deleted at" in Label Studio's own
# Django admin (no API does it), signed in as its superuser; empty password: a person does it by hand.
LABEL_STUDIO_ADMIN_EMAIL = env_str("LABEL_STUDIO_ADMIN_EMAIL", "admin@annotate.local")
LABEL_STUDIO_ADMIN_PASSWORD = env_str("LABEL_STUDIO_ADMIN_PASSWORD")
# A full pull that stopped resumes in its export snapshot while the snapshot is younger than this; past it, a new one.
LABEL_STUDIO_PULL_RESUME_SECONDS = env_int("LABEL_STUDIO_PULL_RESUME_SECONDS", 6 * 3600, minimum=0)
# Where Label Studio servers reach annotate's webhook receiver (empty: no webhooks, pull only).
ANNOTATE_WEBHOOK_BASE_URL = env_str("ANNOTATE_WEBHOOK_BASE_URL")
# Encrypts credentials stored in the database (projects/secrets.py); empty: derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")

# Bearer token for `manage.py evaluate --endpoint`; kept out of the database.
EVALUATION_ENDPOINT_API_KEY = env_str("EVALUATION_ENDPOINT_API_KEY")
# Password of the demo's accounts; empty: one is made on first use and kept in var/demo-password.
DEMO_PASSWORD = env_str("DEMO_PASSWORD")

# Import limits: a task bigger than this is refused with the field named.
IMPORT_MAX_FIELD_CHARS = env_int("IMPORT_MAX_FIELD_CHARS", 100_000, minimum=1)
IMPORT_MAX_EXTERNAL_ID_CHARS = 255
IMPORT_MAX_ERRORS = env_int("IMPORT_MAX_ERRORS", 50, minimum=1)
IMPORT_CHUNK_SIZE = env_int("IMPORT_CHUNK_SIZE", 5_000, minimum=1)

# E-mail (SLA notifications): SMTP when EMAIL_HOST is set, else printed to the console (the embedded mode).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
# Implicit TLS (SMTPS, port 465) or STARTTLS (port 587): one or the other, never both.
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ImproperlyConfigured("EMAIL_USE_SSL and EMAIL_USE_TLS cannot both be true: set one of them.")
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587, minimum=1)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "annotate@localhost")

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # httpx logs every request at INFO; a pull of 100,000 tasks would drown the progress bar.
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django's own console handler would print every line a second time on top of the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
