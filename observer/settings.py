"""Settings for Observer, read from the environment in this one place.

With no environment at all the project runs on SQLite and the in-memory channel
layer, in DEBUG, with a secret generated once into an ignored local file. With
DATABASE_URL and REDIS_URL it runs on PostgreSQL and Redis. DJANGO_ENV=production
turns on every deployment safeguard and refuses to start without a real secret
key and allowed hosts.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = os.environ.get("OBSERVER_ENV_FILE", str(BASE_DIR / ".env"))
if os.path.isfile(_env_file):
    environ.Env.read_env(_env_file)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, production or test, not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)


def _development_secret() -> str:
    """A secret generated once per checkout and kept in an ignored file."""
    path = BASE_DIR / ".secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(64)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DJANGO_ENV=production "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))')"
        )
    SECRET_KEY = _development_secret()
elif PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production")

# Keys that encrypt stored secrets (AI providers' keys, GitHub tokens), newest first;
# see observer/secret_box.py. Unset, a key is derived from SECRET_KEY.
SECRETS_ENCRYPTION_KEYS = env.str("SECRETS_ENCRYPTION_KEYS", default="")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DJANGO_ENV=production")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "sessions.apps.ClassroomConfig",
    "coding",
    "exercises",
    "integrations",
    "assist",
    "monitoring",
    "social_django",
    "gitarchive",
]

MIDDLEWARE = [
    # First, so that the latency it records covers the whole request.
    "monitoring.middleware.RequestLatencyMiddleware",
    # /api/ answers JSON even where Django would answer HTML (bad Host, DEBUG pages).
    "observer.errors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "observer.urls"
ASGI_APPLICATION = "observer.asgi.application"
WSGI_APPLICATION = None

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

# --- Data stores -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + immediate transactions keep concurrent writers (web + live layer) from
    # failing with "database is locked" on the single-machine try-out.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # The pub/sub layer costs one Redis round trip per message (the core layer
            # about twenty); see DESIGN.md "What a class costs on the wire".
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNEL_PREFIX", default="observer")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_PREFIX", default="observer"),
            # A hung Redis must fail fast (health checks, rate limits), never hang a request.
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 3,
                        "pool_class": "observer.cache.SharedConnectionPool"},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The in-process cache is correct for the one-process try-out; production uses Redis.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
TEACHER_INVITE_CODE = env.str("TEACHER_INVITE_CODE", default="")
GUEST_TOKEN_LIFETIME = timedelta(hours=env.int("GUEST_TOKEN_HOURS", default=12))

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# Sign in with GitHub and archiving to GitHub (gitarchive/): an OAuth app's id and
# secret; without them the button is not shown. GITHUB_BASE_URL points at a GitHub
# Enterprise server instead of github.com (its API then defaults to <base>/api/v3).
GITHUB_CLIENT_ID = env.str("GITHUB_CLIENT_ID", default="")
GITHUB_CLIENT_SECRET = env.str("GITHUB_CLIENT_SECRET", default="")
GITHUB_BASE_URL = env.str("GITHUB_BASE_URL", default="https://github.com")
GITHUB_API_URL = env.str("GITHUB_API_URL", default="")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "gitarchive.backend.GitHubOAuth2"]
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.user.get_username",
    "gitarchive.pipeline.unique_username",
    # No associate_by_email: an email another account has stops here with a message.
    "gitarchive.pipeline.refuse_taken_email",
    "social_core.pipeline.user.create_user",
    "gitarchive.pipeline.new_user_fields",
    "social_core.pipeline.social_auth.associate_user",
    # Instead of load_extra_data, which would keep the access token in plain text.
    "gitarchive.pipeline.keep_token",
)
SOCIAL_AUTH_USER_FIELDS = ["username", "email"]
SOCIAL_AUTH_PROTECTED_USER_FIELDS = ["role", "is_staff", "is_superuser"]
SOCIAL_AUTH_REDIRECT_IS_HTTPS = PRODUCTION
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/login"
SOCIAL_AUTH_RAISE_EXCEPTIONS = True
SOCIAL_AUTH_REQUESTS_TIMEOUT = 10

# Login/register/refresh/join limits: "count/period" as django-ratelimit reads them.
RATELIMITS = {
    "auth_ip": env.str("RATELIMIT_AUTH_IP", default="20/m"),
    "auth_username": env.str("RATELIMIT_AUTH_USERNAME", default="5/m"),
    # Failed joins (unknown or ended code, full class, bad name) per IP: code guessing.
    "join_ip": env.str("RATELIMIT_JOIN_IP", default="10/m"),
    # Every join per IP, successful ones included: a loose ceiling a whole school behind one NAT stays under.
    "join_any_ip": env.str("RATELIMIT_JOIN_ANY_IP", default="600/m"),
}
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# API keys (integrations/): requests, executions and test sessions per key, unless the key sets its own;
# webhooks and Judge0 callbacks to private, loopback or link-local addresses only when allowed.
API_KEY_REQUESTS_RATE = env.str("API_KEY_REQUESTS_RATE", default="200/15m")
API_KEY_EXECUTIONS_RATE = env.str("API_KEY_EXECUTIONS_RATE", default="10/m")
API_KEY_TEST_SESSIONS_RATE = env.str("API_KEY_TEST_SESSIONS_RATE", default="50/15m")
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# Each server process delivers the webhooks that are due this often (observer.periodic);
# deploy/observer-webhooks.timer does it too, for when no server runs.
WEBHOOK_DELIVERY_SECONDS = env.float("WEBHOOK_DELIVERY_SECONDS", default=10.0)
# Housekeeping on every server process (observer.periodic): stay known as alive, end what
# dead processes left unfinished, deliver due webhooks. Off only to debug.
PERIODIC_JOBS = env.bool("PERIODIC_JOBS", default=True)
# Behind nginx (which overwrites X-Forwarded-For with the peer's address), the header's
# last hop is the client; without a proxy the header is the client's to forge, so off.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)

# The largest WebSocket message (and frame) the server takes, in bytes; document
# sockets take frames up to it (LIVE_DOCUMENT_MAX_FRAME_BYTES). The server (observer.server)
# is started with it; past it a socket is closed with 1009 (message too big).
WEBSOCKET_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
LIVE_DOCUMENT_MAX_FRAME_BYTES = WEBSOCKET_MAX_MESSAGE_BYTES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Guest first: a guest token is a JWT of another type that the user JWT class rejects.
        "accounts.authentication.GuestTokenAuthentication",
        "accounts.authentication.UserTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["observer.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "observer.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "accounts.schema.ErrorAwareAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]

SPECTACULAR_SETTINGS = {
    "TITLE": "Observer API",
    "DESCRIPTION": "Live programming classroom: sessions, participants, files, runs, monitoring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from this server's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "HealthStatusEnum": ["healthy", "degraded", "unhealthy"],
        "ExecutionStatusEnum": "coding.models.ExecutionStatus",
        "ExerciseVisibilityEnum": "exercises.models.Visibility",
        "TestVisibilityEnum": "exercises.models.TestVisibility",
        "TestKindEnum": "exercises.models.TestKind",
        "LanguageEnum": "exercises.serializers.LANGUAGE_CHOICES",
        "GradeStatusEnum": ["graded", "compile-error", "error"],  # a test session's Test/Submit
    },
}

# --- HTTP security ---------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "observer.errors.csrf_failure"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    X_FRAME_OPTIONS = "DENY"
    if not CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if host != "*"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Static files and the browser app -------------------------------------------------
STATIC_URL = "/static/"
# Collected files are served by WhiteNoise in production; development serves from the finders.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
FRONTEND_INDEX = BASE_DIR / "static" / "app" / "index.html"
WHITENOISE_USE_FINDERS = not PRODUCTION
# Outside production a rebuilt frontend is picked up without restarting the server.
WHITENOISE_AUTOREFRESH = not PRODUCTION

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Sandbox (see docs/sandbox.md; the defaults are coding/sandbox/config.py's) ----------
def _sandbox_number(name: str, default: float, kind: type[float] | type[int] = float) -> Any:
    raw = env.str(name, default=str(default))
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {what}, not {raw!r}") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative, not {raw!r}")
    return value


def _sandbox_limits(name: str, default: dict[str, Any], *, per_language: bool = False) -> dict[str, Any]:
    """A JSON object of Limits fields (per language: of such objects), checked here so a
    typo stops the server at startup instead of failing every run."""
    raw = env.str(name, default="")
    if not raw.strip():
        return default
    example = '{"java": {"memory_bytes": 536870912}}' if per_language else '{"wall_seconds": 20, "cpu_seconds": 10}'
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON ({error}); expected an object like {example}") from None
    groups = value if per_language and isinstance(value, dict) else {"": value}
    for language, limits in groups.items():
        where = f"{name}[{language!r}]" if language else name
        if not isinstance(limits, dict):
            raise ImproperlyConfigured(f"{where} must be a JSON object like {example}, not {json.dumps(limits)}")
        for field, amount in limits.items():
            if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)):
                raise ImproperlyConfigured(f"{where}[{field!r}] must be a number or null, not {json.dumps(amount)}")
    return dict(value)


SANDBOX_BACKEND = env.str("SANDBOX_BACKEND", default="bubblewrap")
SANDBOX_WORK_ROOT = env.str("SANDBOX_WORK_ROOT", default="/var/tmp/observer-sandbox")
SANDBOX_LIMITS = _sandbox_limits("SANDBOX_LIMITS", {})
SANDBOX_LANGUAGE_LIMITS = _sandbox_limits("SANDBOX_LANGUAGE_LIMITS", {}, per_language=True)
SANDBOX_COMPILE_LIMITS = _sandbox_limits("SANDBOX_COMPILE_LIMITS", {})
SANDBOX_INTERACTIVE_LIMITS = _sandbox_limits(
    "SANDBOX_INTERACTIVE_LIMITS", {"wall_seconds": 1800.0, "idle_seconds": 300.0}
)
SANDBOX_CGROUP = env.str("SANDBOX_CGROUP", default="auto")
if SANDBOX_CGROUP not in {"auto", "v1", "v2", "none"}:
    raise ImproperlyConfigured(f"SANDBOX_CGROUP must be auto, v1, v2 or none, not {SANDBOX_CGROUP!r}")
SANDBOX_CPU_QUOTA = _sandbox_number("SANDBOX_CPU_QUOTA", 1.0)
SANDBOX_COMPILE_CPU_QUOTA = _sandbox_number("SANDBOX_COMPILE_CPU_QUOTA", 2.0)
SANDBOX_UID = _sandbox_number("SANDBOX_UID", 65534, int)
SANDBOX_GID = _sandbox_number("SANDBOX_GID", 65534, int)
# bubblewrap as root: each concurrent sandbox of the machine runs as host uid BASE + slot.
SANDBOX_UID_BASE = _sandbox_number("SANDBOX_UID_BASE", 1_000_000_000, int)
SANDBOX_UID_COUNT = _sandbox_number("SANDBOX_UID_COUNT", 1024, int)
# A run's /build: a tmpfs of this size and number of files (bubblewrap as root).
SANDBOX_BUILD_BYTES = _sandbox_number("SANDBOX_BUILD_BYTES", 64 * 1024 * 1024, int)
SANDBOX_BUILD_INODES = _sandbox_number("SANDBOX_BUILD_INODES", 4096, int)
SANDBOX_PODMAN_IMAGE = env.str("SANDBOX_PODMAN_IMAGE", default="")
SANDBOX_PODMAN_ROOTFS = env.str("SANDBOX_PODMAN_ROOTFS", default="/var/lib/observer/podman-rootfs")

# Runs (coding/limits.py): per principal per window, and at once on this machine (or,
# with Redis, across every process sharing it), with a fair queue in front of the cap.
_CORES = os.cpu_count() or 1
RUN_LIMITS = {
    "window_seconds": _sandbox_number("RUN_WINDOW_SECONDS", 60, int),
    "runs_per_window": _sandbox_number("RUNS_PER_WINDOW", 10, int),
    "max_concurrent": _sandbox_number("RUNS_MAX_CONCURRENT", max(2, 2 * _CORES), int),
    "queue_max": _sandbox_number("RUN_QUEUE_MAX", 500, int),
    # Slots API keys' runs may never take (issue 15: an integration never starves a class).
    "reserved_for_classes": _sandbox_number("RUNS_RESERVED_FOR_CLASSES", 0, int),
}
# Warm pool (bubblewrap): pre-started sandboxes per kind of step; 0 turns it off.
SANDBOX_WARM_POOL = _sandbox_number("SANDBOX_WARM_POOL", 2, int)
SANDBOX_WARM_POOL_IDLE_SECONDS = _sandbox_number("SANDBOX_WARM_POOL_IDLE_SECONDS", 300.0)
# No refill while this many steps run: by default the machine's run cap.
SANDBOX_WARM_POOL_BUSY = _sandbox_number("SANDBOX_WARM_POOL_BUSY", RUN_LIMITS["max_concurrent"], int)
SANDBOX_LAUNCHER = env.str("SANDBOX_LAUNCHER", default=str(BASE_DIR / "var" / "sandbox" / "observer-launcher"))

# --- Classroom ------------------------------------------------------------------
# AI help (assist/): requests to the AI providers, and what goes with a question.
ASSIST = {
    "TIMEOUT_SECONDS": env.float("ASSIST_TIMEOUT_SECONDS", default=60.0),
    "MAX_RETRIES": env.int("ASSIST_MAX_RETRIES", default=2),
    "MAX_ANSWER_TOKENS": env.int("ASSIST_MAX_ANSWER_TOKENS", default=800),
    "CONTEXT_BYTES": env.int("ASSIST_CONTEXT_BYTES", default=12_000),
}

CLASSROOM = {
    "IDLE_SESSION_HOURS": env.int("IDLE_SESSION_HOURS", default=12),
    "GUEST_RETENTION_DAYS": env.int("GUEST_RETENTION_DAYS", default=30),
    "MAX_FILES_PER_PARTICIPANT": env.int("MAX_FILES_PER_PARTICIPANT", default=20),
}

# How long history is kept before `manage.py cleanup` prunes it.
RETENTION_DAYS = {
    "executions": env.int("EXECUTION_RETENTION_DAYS", default=180),
    "audit": env.int("AUDIT_RETENTION_DAYS", default=365),
    "errors": env.int("ERROR_RETENTION_DAYS", default=30),
    # Finished Judge0 submissions (source, input and output) are deleted, and API keys'
    # runs lose their output tail (the row stays, for the history), past this.
    "api_output": env.int("API_OUTPUT_RETENTION_DAYS", default=30),
    # Delivered and failed webhook deliveries (pending ones stay until they end).
    "webhooks": env.int("WEBHOOK_RETENTION_DAYS", default=14),
}

# --- Monitoring (see monitoring/conf.py) ----------------------------------------
# Counters are shared between processes through PROMETHEUS_MULTIPROC_DIR (environment).
MONITORING_METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
MONITORING_METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
MONITORING_DEGRADED_PERCENT = env.float("HEALTH_DEGRADED_PERCENT", default=75.0)
MONITORING_UNHEALTHY_PERCENT = env.float("HEALTH_UNHEALTHY_PERCENT", default=90.0)
MONITORING_ERROR_LIST_MAX_ROWS = env.int("ERROR_LIST_MAX_ROWS", default=1000)

# JSON lines in production (journald, log shippers), with the X-Request-ID nginx sets on
# each request (observer/logs.py); plain text elsewhere unless LOG_FORMAT says otherwise.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "observer.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "observer.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
