"""Settings of the online government service hall, read from the environment.

With no environment variables at all the portal runs in the *embedded* mode:
SQLite in the project folder, Celery tasks run eagerly in-process, e-mail and SMS go
to the console and every external system is the built-in sandbox. Setting
``DATABASE_URL``, ``REDIS_URL`` and ``PORTAL_ENV=production`` turns it into the
production shape (see docker-compose.yml and docs/operations.md).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file next to manage.py is read when present (never required).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# development (default) | test | production
PORTAL_ENV = env.str("PORTAL_ENV", default="development")
PRODUCTION = PORTAL_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="embedded-mode-insecure-key-never-used-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portal",
    "matters",
    "applications",
    "citizens",
    "enterprises",
    "supervision",
    "integrations",
    # The peers of the hall, one app each (docs/integrations.md).
    "integrations.provincial",
    "integrations.identity",
    "integrations.elicences",
    "integrations.payments",
    "integrations.logistics",
    "integrations.departments",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "simple_history",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.site",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the embedded server read while a background job writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock at BEGIN: concurrent submissions queue instead of failing
            # with "database is locked" when a read lock cannot be upgraded.
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis -------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
            # The catalogue's cached fragments: the default 300 entries would thrash.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# --- Celery ----------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
# Without a broker the embedded mode runs tasks in-process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE: dict = {
    # Tasks lost while the broker was down: SMS/e-mail and PDFs go out late, once.
    "portal-resend-unsent-notifications": {
        "task": "portal.tasks.resend_unsent_notifications",
        "schedule": crontab(minute="*/10"),
    },
    "applications-render-missing-documents": {
        "task": "applications.tasks.render_missing_documents",
        "schedule": crontab(minute="*/10"),
    },
    # Art. 32: pre-review periods that ran out without a correction notice (safe to repeat).
    "applications-deemed-acceptance": {
        "task": "applications.tasks.apply_deemed_acceptance",
        "schedule": crontab(minute=5),
    },
}

# --- Auth ------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Login throttling: allauth counts failures per IP and per account in the cache.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Security --------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Django's admin and our components set a few style attributes.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Applicants' materials and issued documents: never under MEDIA_URL, served by views that check permissions.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "portal.storage.PrivateStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- E-mail and SMS --------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
if PRODUCTION:
    vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
SMS_BACKEND = env.str("SMS_BACKEND", default="portal.notifications.ConsoleSMSBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="中山市政务服务网 <noreply@zs.gov.example>")

# --- Django REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "portal.api_support.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        "token": env.str("API_THROTTLE_TOKEN", default="10/min"),
    },
    "EXCEPTION_HANDLER": "portal.api_support.exception_handler",
    # Behind a reverse proxy, the number of proxies whose X-Forwarded-For is trusted (throttling by IP).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None) if env.str("NUM_PROXIES", default="") else None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "政务服务网 API",
    "DESCRIPTION": "Catalogue, applications and integration API of the online government service hall.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- The hall --------------------------------------------------------------------
PORTAL_SITE_NAME = env.str("PORTAL_SITE_NAME", default="中山市政务服务网")
PORTAL_SITE_NAME_EN = env.str("PORTAL_SITE_NAME_EN", default="Zhongshan Government Services Online")
PORTAL_REGION_CODE = env.str("PORTAL_REGION_CODE", default="442000000000")
# Absolute address of the portal, printed in PDFs (QR codes of /verify/) and notifications.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
VERIFY_RATE_LIMIT = env.str("VERIFY_RATE_LIMIT", default="30/min")
# --- Cases (applications) ---
# Administrative Licensing Law Art. 32: working days to notify missing materials.
PRE_REVIEW_WORKDAYS = env.int("PRE_REVIEW_WORKDAYS", default=5)
# Unified serial numbers: local counters, or the provincial numbering service (docs/serial-numbers.md).
SERIAL_PROVIDER = env.str("SERIAL_PROVIDER", default="applications.serials.LocalSerialProvider")
SERIAL_FALLBACK_FIRST_SEQUENCE = env.int("SERIAL_FALLBACK_FIRST_SEQUENCE", default=5001)
PROVINCIAL_NUMBERING_URL = env.str("PROVINCIAL_NUMBERING_URL", default="")
PROVINCIAL_NUMBERING_TIMEOUT = env.float("PROVINCIAL_NUMBERING_TIMEOUT", default=3.0)
PROVINCIAL_NUMBERING_TOKEN = env.str("PROVINCIAL_NUMBERING_TOKEN", default="")
# Uploads: judged by content (libmagic); size, PDF pages and image pixels are bounded.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# Public progress query: per-IP limits and wrong answers per serial, against enumeration.
PROGRESS_RATE_LIMITS = tuple(env.list("PROGRESS_RATE_LIMITS", default=["10/min", "100/day"]))
PROGRESS_FAILURES_PER_SERIAL = env.int("PROGRESS_FAILURES_PER_SERIAL", default=20)
# Demo cases created by `seed_demo` (0: a hall without cases).
DEMO_CASE_COUNT = env.int("DEMO_CASE_COUNT", default=300)
# Working days an applicant has to supply a correction (printed on the correction notice).
CORRECTION_SUPPLY_WORKDAYS = env.int("CORRECTION_SUPPLY_WORKDAYS", default=10)
# Every external system is played by the built-in sandbox unless turned off.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=not PRODUCTION)
# --- Integrations (docs/integrations.md) ---
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=12)
OUTBOX_BACKOFF_BASE = env.float("OUTBOX_BACKOFF_BASE", default=10.0)
OUTBOX_BACKOFF_MAX = env.float("OUTBOX_BACKOFF_MAX", default=3600.0)
OUTBOX_SENDING_TIMEOUT = env.float("OUTBOX_SENDING_TIMEOUT", default=600.0)
OUTBOX_CLAIM_BATCH = env.int("OUTBOX_CLAIM_BATCH", default=10)
OUTBOX_DRAIN_LIMIT = env.int("OUTBOX_DRAIN_LIMIT", default=1000)
OUTBOX_DRAIN_SECONDS = env.float("OUTBOX_DRAIN_SECONDS", default=25.0)
OUTBOX_SWEEP_INTERVAL = env.float("OUTBOX_SWEEP_INTERVAL", default=30.0)
OUTBOX_KICK = env.str("OUTBOX_KICK", default="auto")
OUTBOX_THREADS = env.int("OUTBOX_THREADS", default=2)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=90)
PEER_CONNECT_TIMEOUT = env.float("PEER_CONNECT_TIMEOUT", default=3.0)
PEER_READ_TIMEOUT = env.float("PEER_READ_TIMEOUT", default=10.0)
INTEGRATION_LOG_RETENTION_DAYS = env.int("INTEGRATION_LOG_RETENTION_DAYS", default=30)
INBOUND_SIGNATURE_WINDOW = env.int("INBOUND_SIGNATURE_WINDOW", default=300)
INBOUND_RECEIPT_RETENTION_DAYS = env.int("INBOUND_RECEIPT_RETENTION_DAYS", default=90)
INTEGRATIONS_ENCRYPTION_KEY = env.str("INTEGRATIONS_ENCRYPTION_KEY", default="")
INTEGRATIONS_ENCRYPTION_KEY_FALLBACKS = env.list("INTEGRATIONS_ENCRYPTION_KEY_FALLBACKS", default=[])
# Where the sandboxes answer when a peer's URL is not configured (embedded mode: this server).
SANDBOX_BASE_URL = env.str("SANDBOX_BASE_URL", default=f"{PORTAL_BASE_URL.rstrip('/')}/sandbox/")
CELERY_BEAT_SCHEDULE["integrations-outbox-sweep"] = {
    "task": "integrations.tasks.outbox_sweep",
    "schedule": OUTBOX_SWEEP_INTERVAL,
}
CELERY_BEAT_SCHEDULE["integrations-prune"] = {
    "task": "integrations.tasks.integrations_prune",
    "schedule": crontab(hour=3, minute=30),
}
# --- Integrations: provincial exchange ---
# The provincial exchange (docs/provincial-exchange.md): pushes process records through the
# outbox, pulls catalogue changes and cases applied for on the provincial hall.
PROVINCIAL_EXCHANGE_URL = env.str(
    "PROVINCIAL_EXCHANGE_URL", default=f"{SANDBOX_BASE_URL}provincial/" if SANDBOX_ENABLED else ""
)
PROVINCIAL_EXCHANGE_KEY_ID = env.str("PROVINCIAL_EXCHANGE_KEY_ID", default="")
PROVINCIAL_EXCHANGE_SECRET = env.str("PROVINCIAL_EXCHANGE_SECRET", default="")
PROVINCIAL_EXCHANGE_READ_TIMEOUT = env.float("PROVINCIAL_EXCHANGE_READ_TIMEOUT", default=10.0)
PROVINCIAL_PULL_PAGE_SIZE = env.int("PROVINCIAL_PULL_PAGE_SIZE", default=100)
# Account that holds the cases applied for on the provincial hall (created on first use).
PROVINCIAL_CASE_ACCOUNT = env.str("PROVINCIAL_CASE_ACCOUNT", default="provincial-exchange")
CELERY_BEAT_SCHEDULE["provincial-sync"] = {
    "task": "integrations.provincial.tasks.provincial_sync",
    "schedule": env.float("PROVINCIAL_SYNC_INTERVAL", default=300.0),
}
# --- Integrations: identity ---
# Population (人口库) and legal-person (法人库) databases; the sandbox unless IDENTITY_URL is set
# (empty in production without a URL: checks answer "unavailable").
IDENTITY_URL = env.str("IDENTITY_URL", default=f"{SANDBOX_BASE_URL}identity/" if SANDBOX_ENABLED else "")
IDENTITY_KEY_ID = env.str("IDENTITY_KEY_ID", default="")
IDENTITY_SECRET = env.str("IDENTITY_SECRET", default="")
# A page waits for these calls (with one quick retry): short timeouts.
IDENTITY_CONNECT_TIMEOUT = env.float("IDENTITY_CONNECT_TIMEOUT", default=2.0)
IDENTITY_READ_TIMEOUT = env.float("IDENTITY_READ_TIMEOUT", default=5.0)
# A real-name check's answer is reused for this many days before the population database is asked again.
IDENTITY_CHECK_VALID_DAYS = env.int("IDENTITY_CHECK_VALID_DAYS", default=90)
# Questions one account may put to the population database per day (against guessing ID numbers).
IDENTITY_CHECK_DAILY_LIMIT = env.int("IDENTITY_CHECK_DAILY_LIMIT", default=5)
# Key of the ID numbers' digests (HMAC); empty: derived from INTEGRATIONS_ENCRYPTION_KEY or SECRET_KEY.
IDENTITY_HASH_KEY = env.str("IDENTITY_HASH_KEY", default="")
# Enterprise look-ups are cached this long (0: never).
IDENTITY_ENTERPRISE_CACHE_SECONDS = env.int("IDENTITY_ENTERPRISE_CACHE_SECONDS", default=600)
# --- Integrations: e-licences ---
# 电子证照库 (integrations/elicences): the platform's URL (default: the built-in sandbox), an
# optional HMAC key for our requests, timeouts of the calls made inside a page, and the purpose
# (用证事由) stated with every look-up.
ELICENCES_URL = env.str("ELICENCES_URL", default="") or (
    f"{SANDBOX_BASE_URL}elicences/" if SANDBOX_ENABLED else ""
)
ELICENCES_KEY_ID = env.str("ELICENCES_KEY_ID", default="")
ELICENCES_SECRET = env.str("ELICENCES_SECRET", default="")
ELICENCES_TIMEOUT = env.float("ELICENCES_TIMEOUT", default=5.0)
ELICENCES_PURPOSE = env.str("ELICENCES_PURPOSE", default="网上办事大厅申办材料核验")
# --- Integrations: payments ---
# The bank (统一网上缴费, docs/payments.md): its merchant API (the sandbox when empty), where it
# sends its notifications (empty: this site's /payments/notify/), how long an order can be paid.
PAYMENTS_URL = env.str("PAYMENTS_URL", default="")
PAYMENTS_MERCHANT_ID = env.str("PAYMENTS_MERCHANT_ID", default="ZWFW-ZS-0001")
PAYMENTS_NOTIFY_URL = env.str("PAYMENTS_NOTIFY_URL", default="")
PAYMENTS_ORDER_TTL_HOURS = env.int("PAYMENTS_ORDER_TTL_HOURS", default=72)
PAYMENTS_READ_TIMEOUT = env.float("PAYMENTS_READ_TIMEOUT", default=10.0)
# The sandbox bank's copy of the merchant key (seed_demo creates the matching PeerCredential);
# its notifications go out from a background thread ("thread") or only when told ("none").
PAYMENTS_SANDBOX_KEY_ID = env.str("PAYMENTS_SANDBOX_KEY_ID", default="payments_sandbox")
PAYMENTS_SANDBOX_SECRET = env.str(
    "PAYMENTS_SANDBOX_SECRET", default="" if PRODUCTION else "sandbox-merchant-key-not-secret"
)
PAYMENTS_SANDBOX_NOTIFY = env.str("PAYMENTS_SANDBOX_NOTIFY", default="thread")
CELERY_BEAT_SCHEDULE["payments-expire"] = {
    "task": "integrations.payments.tasks.expire_orders",
    "schedule": crontab(minute="*/10"),
}
CELERY_BEAT_SCHEDULE["payments-reconcile"] = {
    "task": "integrations.payments.tasks.reconcile",
    "schedule": crontab(hour=6, minute=30),
}
# --- Integrations: logistics ---
# The carrier (统一物流): its API (default: the sandbox), our key there (optional), where it
# calls us back with tracking events, and the polling of parcels on their way.
LOGISTICS_URL = env.str("LOGISTICS_URL", default="")
LOGISTICS_KEY_ID = env.str("LOGISTICS_KEY_ID", default="")
LOGISTICS_SECRET = env.str("LOGISTICS_SECRET", default="")
LOGISTICS_CALLBACK_URL = env.str("LOGISTICS_CALLBACK_URL", default="")
LOGISTICS_POLL_INTERVAL = env.float("LOGISTICS_POLL_INTERVAL", default=600.0)
LOGISTICS_POLL_BATCH = env.int("LOGISTICS_POLL_BATCH", default=200)
CELERY_BEAT_SCHEDULE["logistics-poll"] = {
    "task": "integrations.logistics.tasks.logistics_poll",
    "schedule": LOGISTICS_POLL_INTERVAL,
}
# --- Integrations: department systems ---
# Where a department's case finds the applicant's own account (integrations.departments.applicants).
DEPARTMENT_SYSTEMS_IDENTITY_SOURCES = env.list(
    "DEPARTMENT_SYSTEMS_IDENTITY_SOURCES", default=["integrations.departments.applicants.window_verified"]
)

# Benchmarks mount a minimal comparison view; never in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False) and not PRODUCTION

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
    },
}

ADMIN_SITE_HEADER = _("政务服务网 · 管理后台")
