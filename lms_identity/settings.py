"""Settings, read once from the environment. Every variable is listed in the README.

Defaults are safe in production and friendly on a laptop: DEBUG is off unless set, SQLite with no
DATABASE_URL, and a Celery broker that needs no server (kombu's filesystem transport) with no REDIS_URL.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from lms_identity.encryption import check_keys, derive_key

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
# pytest runs with DEBUG off (as production does) and only SECRET_KEY set; production never imports it.
RUNNING_TESTS = "pytest" in sys.modules
# Keys of the secrets stored encrypted (OIDC client secrets): the first encrypts, every one decrypts, so a
# rotation is: prepend a new key, run `manage.py rotate_encryption_key`, drop the old key (README, Security).
# On a laptop (DEBUG) and in the tests one is derived from SECRET_KEY. With DEBUG off and no key, nothing
# starts that stores or reads a secret, and `check --deploy` reports lms_identity.E001; tools that never touch
# one (mypy, makemigrations) still run with only SECRET_KEY set.
FIELD_ENCRYPTION_KEYS = check_keys(env_list("FIELD_ENCRYPTION_KEYS", []), setting="FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and (DEBUG or RUNNING_TESTS):
    FIELD_ENCRYPTION_KEYS = [derive_key(SECRET_KEY)]
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
    "axes",
    "csp",
    "rest_framework",
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
    "csp.middleware.CSPMiddleware",
    # Admin pages only: 'unsafe-eval' for django-unfold's Alpine.js (see the module).
    "lms_identity.admin_csp.AdminScriptPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out admin sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
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
# OpenID Connect for everyone (its get_user refuses inactive people); a password only for the break-glass
# account (lms_identity/break_glass_backend.py, which also answers permission checks as ModelBackend does).
# django-axes first: it refuses a locked-out admin sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "lms_identity.break_glass_backend.BreakGlassBackend",
    "lms_identity.sso.backend.OidcBackend",
]
LOGIN_URL = "/login/"

# Admin password sign-in throttled by django-axes, per account and per address (lms_identity.admin_sign_in):
# ADMIN_LOGIN_FAILURE_LIMIT failures lock the account (from every address) and the address (for every
# account) for ADMIN_LOGIN_LOCKOUT_MINUTES; a success resets the account. SSO sign-ins are not counted.
AXES_ONLY_ADMIN_SITE = True
AXES_HANDLER = "lms_identity.admin_sign_in.AdminPasswordFailuresHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The admin form's field name (axes would look for USERNAME_FIELD, which is user_name here).
AXES_USERNAME_FORM_FIELD = "username"
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail and the session index already
AXES_CLIENT_IP_CALLABLE = "lms_identity.admin_sign_in.client_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# Break-glass (lms_identity/services/break_glass.py): the longest window a request may ask for, and the
# shortest password `manage.py create_break_glass` accepts.
BREAK_GLASS_MAX_MINUTES = env_int("BREAK_GLASS_MAX_MINUTES", 240)
BREAK_GLASS_MIN_PASSWORD_LENGTH = env_int("BREAK_GLASS_MIN_PASSWORD_LENGTH", 16)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: the client connects directly).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

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
# Audit seals have a queue of their own, so they never wait behind a backlog of reconcile or import tasks.
# A worker started without -Q consumes both; run one with `-Q audit` too (make run does), so that seals
# never wait for a slot that long jobs hold.
CELERY_TASK_QUEUES = (Queue("celery", routing_key="celery"), Queue("audit", routing_key="audit"))
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"provisioning.seal_audit": {"queue": "audit", "routing_key": "audit"}}

# Background jobs (provisioning): the outbox nudge, batch sizes, the job lease, alerts.
OUTBOX_NOTIFY = "provisioning.nudges.drain_outbox"
# Who chains committed audit events on PostgreSQL (lms_identity/services/audit_sealer.py): this nudge asks a
# worker to; empty, the committing thread seals right after its commit.
AUDIT_SEAL_NOTIFY = "provisioning.nudges.seal_audit"
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 5000)
OUTBOX_RECONCILE_CHUNK = env_int("OUTBOX_RECONCILE_CHUNK", 500)
JOB_LOCK_TTL = env_int("JOB_LOCK_TTL", 300)
# A clean-up import from the admin with more rows than this runs on a worker (progress on its run page).
ACCOUNT_IMPORT_INLINE_ROWS = env_int("ACCOUNT_IMPORT_INLINE_ROWS", 1000)
JOB_MAX_SECONDS = env_int("JOB_MAX_SECONDS", 2700)
ALERT_WEBHOOK_URL = _env.str("ALERT_WEBHOOK_URL", default="")

# Who has admin power besides Django's flags, permissions and groups: dotted paths to
# `(user_ids or None for everyone) -> set of the ids holding it`,
# asked by the core's adoption rule (lms_identity/services/adoption.py) without importing the app.
ADMIN_POWER_CHECKS = ["courses.admin_roles.holders_of_admin_role"]
# The connection page's request figures come from the SCIM request log, which lives in provisioning (the
# core imports neither app): a function of a connection id returning its ConnectionHealth.
SCIM_REQUEST_HEALTH = "provisioning.services.request_log.get_connection_health"
# Run after every SSO sign-in, `(user) -> None`: recompute the person's grants and, from their roles, their
# staff flag and permissions (courses/services/admin_access.py), so admin power follows the IdP.
SIGN_IN_ACCESS_HOOKS = ["courses.services.sign_in_access.refresh_access"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `Authorization: Token <key>` as DRF's, against hashed ApiToken rows (README, Security).
        "courses.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # What a person may do is read from the permissions their roles give (courses/capabilities.py).
    "DEFAULT_PERMISSION_CLASSES": ["courses.api.permissions.HasModelCapability"],
    # DRF's defaults with a JSON parser that refuses deep nesting and unstorable text as a 400.
    "DEFAULT_PARSER_CLASSES": [
        "courses.api.parsers.CheckedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
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
    # The schema maps every admin endpoint: admins only, like the API itself.
    "SERVE_PERMISSIONS": ["courses.api.permissions.CanUseAdminApi"],
}

# SCIM: limits advertised in /ServiceProviderConfig.
SCIM_MAX_RESULTS = env_int("SCIM_MAX_RESULTS", 200)
SCIM_MAX_PAYLOAD_BYTES = env_int("SCIM_MAX_PAYLOAD_BYTES", 2 * 1024 * 1024)
SCIM_MAX_OPERATIONS = env_int("SCIM_MAX_OPERATIONS", 1000)
# How long a web process remembers a live SCIM token's connection (0: look it up on every request).
SCIM_TOKEN_CACHE_MS = env_int("SCIM_TOKEN_CACHE_MS", 1000)
# How old the dashboard's kept figures may be before a page view computes them itself (0: every view).
DASHBOARD_MAX_AGE_SECONDS = env_int("DASHBOARD_MAX_AGE_SECONDS", 120)
# How long a rotated SCIM token keeps working beside its successor (hours; 0: it stops at once).
SCIM_TOKEN_ROTATION_OVERLAP_HOURS = env_int("SCIM_TOKEN_ROTATION_OVERLAP_HOURS", 24)
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

# Security headers on every response (README, "Security"). Django's SecurityMiddleware sends
# X-Content-Type-Options, Referrer-Policy and, on HTTPS requests, HSTS; clickjacking's sends X-Frame-Options.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if TRUSTED_PROXY_COUNT > 0:
    # TLS ends at the proxy: trust the scheme it reports (for HSTS, secure cookies, absolute URLs).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4). Scripts only from our own origin (or carrying the page's nonce,
# `{{ request.csp_nonce }}`); no plugins, no <base>, never framed. Extend a directive by adding a source:
# for example an admin theme built on Alpine.js needs either its CSP build or UNSAFE_EVAL in script-src.
# - style-src allows inline styles: the admin's and our templates use style attributes, which a nonce
#   cannot cover; injected CSS cannot run code.
# - no form-action: signing in and out continues by redirect to each connection's IdP, whose origins are
#   in the database, and browsers apply form-action to those redirects.
# - the front-channel logout view (an empty page the IdP frames) is exempt, as it is from X-Frame-Options.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# userName is unique case-insensitively (a functional unique constraint on Lower(user_name)), which
# Django's check for a plain unique=True on USERNAME_FIELD does not see.
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]

# --- Sessions and SSO signals (issues 9 and 13) ----------------------------------------------------------
# Session policy defaults; each OpenID Connect connection may override them in the admin. Seconds; 0 = off.
SSO_SESSION_IDLE_TIMEOUT = env_int("SSO_SESSION_IDLE_TIMEOUT", 3600)
SSO_SESSION_ABSOLUTE_LIFETIME = env_int("SSO_SESSION_ABSOLUTE_LIFETIME", SESSION_COOKIE_AGE)
SSO_SESSION_REVERIFY_INTERVAL = env_int("SSO_SESSION_REVERIFY_INTERVAL", 3600)
# Anonymous requests per client address and window to the browser SSO endpoints (login, callback,
# initiate, front-channel logout) and to the IdPs' server-to-server ones (back-channel logout, signals).
SSO_RATE_LIMIT = env_int("SSO_RATE_LIMIT", 60)
SSO_SIGNAL_RATE_LIMIT = env_int("SSO_SIGNAL_RATE_LIMIT", 600)
SSO_RATE_WINDOW = env_int("SSO_RATE_WINDOW", 60)
# The rate-limit counters, seen logout-token and SET ids and the per-connection session policy live in
# the cache: Redis when REDIS_URL is set (shared by every web process), else this process's memory.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Right after AuthenticationMiddleware: idle and absolute lifetimes, silent re-verification.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "lms_identity.sso.session_policy.SessionPolicyMiddleware",
)


# --- Admin console (issue 11) -----------------------------------------------------------------------------
# django-unfold restyles the Django admin; every asset it uses (Inter, Material Symbols, Alpine.js, htmx,
# Chart.js) ships inside the package and is served by WhiteNoise, so the console works on a closed network.
# Its pages need a CSP allowing 'unsafe-eval' (Alpine.js) and inline styles (theme colours).
INSTALLED_APPS = ["unfold", *INSTALLED_APPS]
# unfold's login form does not carry `next`, so a password sign-in at /admin/login/ lands here: `/` sends
# staff to the admin and learners to /learn/.
LOGIN_REDIRECT_URL = "/"
UNFOLD = {
    "SITE_TITLE": "Learning identity admin",
    "SITE_HEADER": "Learning identity",
    "SITE_SUBHEADER": "L&D admin console",
    "SITE_URL": "/",
    "SITE_SYMBOL": "school",
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": "/static/lms_identity/favicon.svg"}],
    "STYLES": ["/static/lms_identity/console.css"],
    "SCRIPTS": ["/static/lms_identity/console.js"],
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": True,
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "lms_identity.admin.navigation.sidebar",
    },
}


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
# PostgreSQL: each web process's writer thread writes the log in batches this often; 0 writes in the request.
SCIM_REQUEST_LOG_BUFFER_MS = env_int("SCIM_REQUEST_LOG_BUFFER_MS", 500)
MIDDLEWARE.insert(1, "provisioning.scim.request_log.ScimRequestLogMiddleware")


# After it: /admin/ of an SSO session also needs what its connection asks of admins (MFA, a recent sign-in).
MIDDLEWARE.insert(
    MIDDLEWARE.index("lms_identity.sso.session_policy.SessionPolicyMiddleware") + 1,
    "lms_identity.sso.admin_policy.AdminSessionPolicyMiddleware",
)
