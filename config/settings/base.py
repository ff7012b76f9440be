"""Settings shared by every environment. Values come from environment variables."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from celery.schedules import crontab

from config.env import env_bool, env_database, env_decimal, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("BASELINE_DATA_DIR", str(BASE_DIR / ".data")))

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# JavaScript never reads the CSRF cookie (htmx and static/js/offline.js take the token from
# <body hx-headers>); HttpOnly everywhere, so the browser tests run the way production does.
CSRF_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "athletes",
    "programs",
    "assessments",
    "axes",
    "webhooks",
    "insights",
    "checkins",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # keep last: turns a lockout into its response
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "athletes.context.navigation",
            ],
        },
    },
]

# Without DATABASE_URL, development and tests use the embedded Postgres that `make run` and
# `make test` start under the data folder (scripts/dev.py); it listens on a Unix socket there.
EMBEDDED_DATABASE_URL = f"postgres://postgres@{quote(str(DATA_DIR / 'postgres'), safe='')}/baseline"
DATABASE_OPTIONS = {
    "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    # A connection that died with a Postgres restart is replaced, not reused.
    "CONN_HEALTH_CHECKS": True,
    # The few hot statements of the API (config/db.py prepared_cursor) are prepared once per
    # connection; DATABASE_PREPARED_STATEMENTS=false behind a pooler that cannot keep them
    # (PgBouncer before 1.21 in transaction mode). The ORM's own queries are never prepared.
    "OPTIONS": {"prepare_threshold": 5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None},
}
DATABASES = {"default": {**env_database("DATABASE_URL", EMBEDDED_DATABASE_URL), **DATABASE_OPTIONS}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "athletes.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while an email is locked out
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Baseline <noreply@baseline.localhost>")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Demo logins are only ever created where this is true (never in production).
DEMO_DATA_ALLOWED = False

# GET /bench/ping (config/bench.py) for the API load benchmark; only bench/api/settings.py sets it.
BENCH_ENDPOINTS = False

# --- Content-Security-Policy (django-csp) ----------------------------------------------------
# In every environment, so tests and the browser tests see what production sends. Scripts and
# styles come from our own static files only: no inline <script>, on*="" or style="" anywhere
# (data reaches JS through json_script). The API docs page (config/api_docs.py) is the one view
# that adds to it: a nonce for Swagger UI's own bootstrap, never 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
    },
}

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an unauthenticated call is a 401 with `WWW-Authenticate: Bearer`.
        "athletes.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "athletes.api.throttling.TokenOrUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "2000/minute"),
        "login": env_str("API_THROTTLE_LOGIN", "10/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.BaselineAutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baseline API",
    "DESCRIPTION": (
        "Athletes, training programs, logged sets, assessments, baselines and flags. "
        "Authenticate with a session or with `Authorization: Token <key>` "
        "(get one from `POST /api/v1/auth/token/`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "FlagStatusEnum": "assessments.models.FlagStatus",
        "SessionStatusEnum": "programs.models.SessionStatus",
        "AssignmentStatusEnum": "programs.models.AssignmentStatus",
    },
}

# --- Failed logins (django-axes) ----------------------------------------------------------
# An email address is locked out of the web login and POST /api/v1/auth/token/ after this many
# failed attempts, for AXES_COOLOFF_TIME (a failed attempt while locked starts it again).
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(hours=1)
# Per email address only: an IP address behind a proxy would lock out everyone sharing it. The
# [email, IP] pair never locks sooner than the email alone (its failures are a subset); it is
# listed because axes' check (axes.W006) warns about any list without ip_address in it.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "athletes.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "athletes.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ----------------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", {"redis", "rediss"}, None)
# A broker that is down or hung must not hold up a web request that enqueues on commit: a
# publish gives up after these timeouts (config/celery.py retries once) and the sweep catches up.
# A task whose worker was killed is handed out again after the visibility timeout.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 1,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
else:
    # A broker that needs no server: kombu's filesystem transport under the data folder.
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    for _key in ("data_folder_in", "control_folder", "processed_folder"):
        Path(CELERY_BROKER_TRANSPORT_OPTIONS[_key]).mkdir(parents=True, exist_ok=True)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 150, minimum=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_IMPORTS = ["assessments.tasks_sweep"]  # autodiscovery finds only each app's tasks.py
CELERY_BEAT_SCHEDULE = {
    "nightly-sweep": {
        "task": "assessments.sweep_start",
        "schedule": crontab(hour=2, minute=30),
    },
    "daily-flag-digest": {
        "task": "assessments.flag_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "webhook-retry-due": {"task": "webhooks.retry_due", "schedule": 60.0},
    "evaluate-missed-results": {"task": "assessments.evaluate_missed", "schedule": 600.0},
    "nightly-idempotency-purge": {
        "task": "athletes.idempotency_records_purge",
        "schedule": crontab(hour=3, minute=15),
    },
}

# --- The nightly sweep ----------------------------------------------------------------------
SWEEP_CHUNK_SIZE = env_int("SWEEP_CHUNK_SIZE", 5000, minimum=100)
SWEEP_INLINE_EVALUATIONS = env_int("SWEEP_INLINE_EVALUATIONS", 200, minimum=0)
LOAD_FLAG_RATIO = env_decimal("LOAD_FLAG_RATIO", "1.5", above=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
