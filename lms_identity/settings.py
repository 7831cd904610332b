"""Settings, read once from the environment. Every variable is listed in the README.

Defaults are safe in production and friendly on a laptop: DEBUG is off unless set, SQLite with no
DATABASE_URL, and a Celery broker that needs no server (kombu's filesystem transport) with no REDIS_URL.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

_env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    raw = _env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = _env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _env.str(name, default="").strip()
    if raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, *, debug_default: str, debug: bool) -> str:
    raw = _env.str(name, default="")
    if raw:
        return raw
    if debug:
        return debug_default
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY", debug_default="dev-only-insecure-key-change-me", debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public origin the IdPs see, used for the SCIM base URL and the OIDC redirect URIs we print.
PUBLIC_URL = _env.str("PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "mozilla_django_oidc",
    "lms_identity",
    "provisioning",
    "courses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "lms_identity.urls"
WSGI_APPLICATION = "lms_identity.wsgi.application"

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

if not _env.str("DATABASE_URL", default="") or not _env.str("REDIS_URL", default=""):
    VAR_DIR.mkdir(exist_ok=True)  # the embedded SQLite file and filesystem broker live here

DATABASES = {
    "default": _env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'lms_identity.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "lms_identity.User"
# Password sign-in for admins; OpenID Connect for everyone else (its get_user refuses inactive people).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "lms_identity.sso.backend.OidcBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/learn/"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# gunicorn serves the admin's and the API docs' static files through WhiteNoise, straight from the apps'
# folders: no collectstatic step and no separate web server needed.
WHITENOISE_USE_FINDERS = True

REDIS_URL = _env.str("REDIS_URL", default="")

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, so a real worker and beat run
# on a laptop with no server at all. No result backend: nothing waits on task results.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Short socket timeouts: a publisher finds out fast that Redis is gone (the outbox keeps the work).
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"socket_connect_timeout": 2, "socket_timeout": 10}
else:
    _broker_dir = VAR_DIR / "broker"
    for _folder in (_broker_dir, VAR_DIR / "broker-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "broker-control"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Background jobs (provisioning): the outbox nudge, batch sizes, the job lease, alerts.
OUTBOX_NOTIFY = "provisioning.services.outbox_dispatch.nudge"
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 5000)
OUTBOX_RECONCILE_CHUNK = env_int("OUTBOX_RECONCILE_CHUNK", 500)
JOB_LOCK_TTL = env_int("JOB_LOCK_TTL", 300)
JOB_MAX_SECONDS = env_int("JOB_MAX_SECONDS", 2700)
ALERT_WEBHOOK_URL = _env.str("ALERT_WEBHOOK_URL", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
# Swagger UI served from our own static files (the sidecar package): no CDN, which this network lacks.
SPECTACULAR_SETTINGS = {
    "TITLE": "LMS identity admin API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# SCIM: limits advertised in /ServiceProviderConfig.
SCIM_MAX_RESULTS = env_int("SCIM_MAX_RESULTS", 200)
SCIM_MAX_PAYLOAD_BYTES = env_int("SCIM_MAX_PAYLOAD_BYTES", 2 * 1024 * 1024)
SCIM_MAX_OPERATIONS = env_int("SCIM_MAX_OPERATIONS", 1000)
# Custom attributes the IdPs may set, as sub-attributes of the LMS extension's customAttributes.
SCIM_CUSTOM_ATTRIBUTES = env_list("SCIM_CUSTOM_ATTRIBUTES", ["region", "businessUnit", "jobLevel"])
DATA_UPLOAD_MAX_MEMORY_SIZE = SCIM_MAX_PAYLOAD_BYTES + 1024

# The demo OpenID provider started by `make run`; never on unless asked for.
DEMO_MODE = env_bool("DEMO_MODE", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# userName is unique case-insensitively (a functional unique constraint on Lower(user_name)), which
# Django's check for a plain unique=True on USERNAME_FIELD does not see.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]

# --- Evidence and operations (issue 14): the audit chain key. ---------------------------------------------
# The key of the audit trail's hash chain (HMAC-SHA256). Set it in production and keep it as long as the
# trail: `manage.py check --deploy` reports it missing. Unset (a laptop, the tests, lint), the chain is
# keyed by a key derived from SECRET_KEY, which is secret too but is rotated for other reasons: rotating it
# would make the existing chain unverifiable.
AUDIT_HMAC_KEY = _env.str("AUDIT_HMAC_KEY", default="") or "derived-from-secret-key:" + SECRET_KEY
AUDIT_HMAC_KEY_IS_SET = bool(_env.str("AUDIT_HMAC_KEY", default=""))

# --- Evidence and operations (issue 14): health and metrics. -------------------------------------------
INSTALLED_APPS += ["health_check"]  # its templates, for /readyz in a browser
MIDDLEWARE.insert(0, "provisioning.operations.scim_metrics.ScimMetricsMiddleware")
# /readyz: the oldest acceptable worker heartbeat, beat run and undispatched outbox event, in seconds.
READYZ_WORKER_MAX_AGE = env_int("READYZ_WORKER_MAX_AGE", 180)
READYZ_BEAT_MAX_AGE = env_int("READYZ_BEAT_MAX_AGE", 600)
READYZ_OUTBOX_MAX_AGE = env_int("READYZ_OUTBOX_MAX_AGE", 300)
# /metrics answers a `Authorization: Bearer <METRICS_TOKEN>` or an address in METRICS_ALLOWED_IPS (CIDR).
METRICS_TOKEN = _env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"] if DEBUG else [])

# --- Evidence and operations (issue 14): the SCIM request log. ------------------------------------------
# off: nothing; errors: every request's line and the redacted bodies of failures; all: redacted bodies always.
SCIM_REQUEST_LOG = _env.str("SCIM_REQUEST_LOG", default="errors").strip().lower()
if SCIM_REQUEST_LOG not in {"off", "errors", "all"}:
    raise ImproperlyConfigured(f"SCIM_REQUEST_LOG must be off, errors or all, not {SCIM_REQUEST_LOG!r}")
SCIM_REQUEST_LOG_DAYS = env_int("SCIM_REQUEST_LOG_DAYS", 14)
MIDDLEWARE.insert(1, "provisioning.scim.request_log.ScimRequestLogMiddleware")
