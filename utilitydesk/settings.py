"""Settings come from environment variables; defaults give the embedded (SQLite) setup."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("UTILITYDESK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once per machine under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# The reverse proxies whose X-Real-IP is the client's address (nginx on this host).
TRUSTED_PROXIES = {a for a in os.environ.get("TRUSTED_PROXIES", "").split(",") if a}
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "utilitydesk.kernel",
    "utilitydesk.web",
    "utilitydesk.accounts",
    "utilitydesk.audit",
    "utilitydesk.org",
    "utilitydesk.area",
    "utilitydesk.customers",
    "utilitydesk.notifications",
    "utilitydesk.privacy",
    "utilitydesk.knowledge",
    "utilitydesk.cases",
    "utilitydesk.policy",
    "utilitydesk.notices",
    "utilitydesk.complaints",
    "utilitydesk.callbacks",
    "utilitydesk.surveys",
    "utilitydesk.outages",
    "utilitydesk.temperature",
    "utilitydesk.exchange",
    "utilitydesk.billing",
    "utilitydesk.payments",
    "utilitydesk.arrears",
    "utilitydesk.kpis",
    "utilitydesk.duty",
    "utilitydesk.reports",
    "utilitydesk.selfservice",
    "utilitydesk.wechat",
    "utilitydesk.demo",
]

MIDDLEWARE = [
    "utilitydesk.kernel.middleware.TrustedProxyMiddleware",
    "utilitydesk.kernel.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "utilitydesk.kernel.middleware.DefaultLanguageMiddleware",
    "utilitydesk.kernel.middleware.RejectNulCharactersMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "utilitydesk.privacy.middleware.NoStoreForSignedInMiddleware",
]

ROOT_URLCONF = "utilitydesk.urls"
WSGI_APPLICATION = "utilitydesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "utilitydesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "utilitydesk.web.context_processors.shell",
            ],
            "builtins": [
                "utilitydesk.web.templatetags.ui",
                "utilitydesk.web.templatetags.urgency",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'utilitydesk.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the in-process sweeper and the web server share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # No JIT compilation (docs/decisions/0005-no-jit.md): it adds 10-50 ms to a query of
    # this application's size and saves nothing at it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A read replica for reports (kernel/routing.py, docs/scaling.md). Without one the alias
# is the primary itself, used only when READ_FROM_REPLICA (tests route to it that way).
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
READ_FROM_REPLICA = bool(REPLICA_DATABASE_URL)
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL, conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0)
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
else:
    DATABASES["replica"] = {
        **DATABASES["default"],
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
    }
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["utilitydesk.kernel.routing.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite builds them without the extra
# columns, which is all the embedded mode needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: "celery" in production (needs REDIS_URL), "thread" for the embedded
# server, "sync" for tests and management commands.
BACKGROUND_MODE = os.environ.get("BACKGROUND_MODE", "celery" if REDIS_URL else "thread")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# A task whose worker died goes back to the queue (tasks are idempotent); with Redis an
# unacknowledged message of a killed worker returns after the visibility timeout.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_TIMEZONE = "Asia/Shanghai"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Password-guessing protection (accounts app): failures per username or per address.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "utilitydesk" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    BASE_DIR / "utilitydesk" / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
WHITENOISE_USE_FINDERS = True
SESSION_COOKIE_AGE = 12 * 3600

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "utilitydesk.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "utilitydesk.kernel.api.exception_handler",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "ALLOWED_VERSIONS": ["v1"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "UtilityDesk API",
    "DESCRIPTION": _("Customer-service management for heating, gas and water utilities."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets shared by field names ("kind", "channel") get their own component names.
    "ENUM_NAME_OVERRIDES": {
        "CaseKindEnum": "utilitydesk.cases.models.Kind",
        "ChannelEnum": "utilitydesk.cases.models.Channel",
        "ContactChannelEnum": "utilitydesk.cases.models.CONTACT_CHANNELS",
        "InterruptionKindEnum": "utilitydesk.outages.models.InterruptionKind",
        "RoomKindEnum": "utilitydesk.temperature.models.RoomKind",
    },
}

# Logs (docs/operations.md, "Watching it"): JSON lines with the request id by default
# (LOG_FORMAT=text for a terminal), one line per request from utilitydesk.requests.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "utilitydesk.kernel.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    # Phone numbers in a message or a request's path are masked before writing.
    "filters": {
        "request_id": {"()": "utilitydesk.kernel.observability.RequestIdFilter"},
        "mask_phones": {"()": "utilitydesk.privacy.logs.MaskPhoneNumbers"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "mask_phones"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "utilitydesk.requests": {"level": os.environ.get("REQUEST_LOG_LEVEL", "INFO")},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False

# Delivery backend per channel (utilitydesk/notifications/backends.py). Real SMS and WeChat
# gateways are adapters configured here; the file backend writes var/outbox.jsonl.
NOTIFICATION_BACKENDS = {
    "inbox": "utilitydesk.notifications.backends.InboxBackend",
    "sms": os.environ.get("SMS_BACKEND", "utilitydesk.notifications.backends.FileBackend"),
    "wechat": os.environ.get("WECHAT_BACKEND", "utilitydesk.notifications.backends.FileBackend"),
}
# Customer notices (docs/outages.md, "Notice delivery"): a delivery run claims this many at
# a time; queueing starts up to this many runs side by side.
NOTIFICATION_CLAIM_BATCH = int(os.environ.get("NOTIFICATION_CLAIM_BATCH", "1000"))
NOTIFICATION_PARALLEL_RUNS = int(os.environ.get("NOTIFICATION_PARALLEL_RUNS", "4"))
# A run stops claiming after this many seconds (the periodic job picks up the rest); a claim
# is held this long; a failed send is tried again after base × 2^(attempt-1) seconds (at
# most the cap), up to the maximum number of attempts, then listed for an agent.
NOTIFICATION_RUN_SECONDS = float(os.environ.get("NOTIFICATION_RUN_SECONDS", "20"))
NOTIFICATION_LEASE_SECONDS = int(os.environ.get("NOTIFICATION_LEASE_SECONDS", "300"))
NOTIFICATION_RETRY_BASE_SECONDS = int(os.environ.get("NOTIFICATION_RETRY_BASE_SECONDS", "60"))
NOTIFICATION_RETRY_MAX_SECONDS = int(os.environ.get("NOTIFICATION_RETRY_MAX_SECONDS", "3600"))
NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATION_MAX_ATTEMPTS", "5"))
# Tencent Cloud SMS (SMS_BACKEND=utilitydesk.notifications.tencent.TencentSmsBackend);
# docs/outages.md "Notice delivery". The status-report callback is
# /notices/reports/tencent/<SMS_TENCENT_CALLBACK_TOKEN>/ (off while the token is empty).
SMS_TENCENT = {
    "SECRET_ID": os.environ.get("SMS_TENCENT_SECRET_ID", ""),
    "SECRET_KEY": os.environ.get("SMS_TENCENT_SECRET_KEY", ""),
    "APP_ID": os.environ.get("SMS_TENCENT_APP_ID", ""),
    "SIGN_NAME": os.environ.get("SMS_TENCENT_SIGN_NAME", ""),
    "ENDPOINT": os.environ.get("SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com"),
    "REGION": os.environ.get("SMS_TENCENT_REGION", "ap-guangzhou"),
    "RATE_PER_SECOND": float(os.environ.get("SMS_TENCENT_RATE_PER_SECOND", "2000")),
    "TIMEOUT_SECONDS": float(os.environ.get("SMS_TENCENT_TIMEOUT_SECONDS", "10")),
    "TEXT_TEMPLATE_ID": os.environ.get("SMS_TENCENT_TEXT_TEMPLATE_ID", ""),
    "CALLBACK_TOKEN": os.environ.get("SMS_TENCENT_CALLBACK_TOKEN", ""),
}
# WeChat official-account template messages
# (WECHAT_BACKEND=utilitydesk.notifications.wechat.WeChatTemplateBackend); the address of a
# WeChat notice is the customer's openid.
WECHAT = {
    "APP_ID": os.environ.get("WECHAT_APP_ID", ""),
    "APP_SECRET": os.environ.get("WECHAT_APP_SECRET", ""),
    "API_BASE": os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
    "RATE_PER_SECOND": float(os.environ.get("WECHAT_RATE_PER_SECOND", "200")),
    "TIMEOUT_SECONDS": float(os.environ.get("WECHAT_TIMEOUT_SECONDS", "10")),
    "URL": os.environ.get("WECHAT_NOTICE_URL", ""),
    # The official account's server URL (/wechat/, docs/wechat.md): the token WeChat signs
    # with, and the site's public address the menu links to (…/my/).
    "TOKEN": os.environ.get("WECHAT_TOKEN", ""),
    "SITE_URL": os.environ.get("WECHAT_SITE_URL", ""),
    # Safe mode (安全模式 / 兼容模式): the 43-character EncodingAESKey; empty: plain mode.
    "ENCODING_AES_KEY": os.environ.get("WECHAT_ENCODING_AES_KEY", ""),
}
# Followers' messages and events, once answered (or never waiting), are deleted after this
# many days (wechat/tasks.py); the answer and the texts stay in the WeChat contact.
WECHAT_MESSAGE_RETENTION_DAYS = int(os.environ.get("WECHAT_MESSAGE_RETENTION_DAYS", "180"))

# A new case of the same kind for the same premises within this many hours is flagged as
# a likely duplicate before it is created (moves into the service policy with issue 4).
DUPLICATE_WINDOW_HOURS = int(os.environ.get("DUPLICATE_WINDOW_HOURS", "72"))

# Celery beat (production): the sweeper every minute. The embedded server runs the same
# function in-process (core/scheduler.py).
SWEEP_INTERVAL_SECONDS = float(os.environ.get("SWEEP_INTERVAL_SECONDS", "60"))
# Periodic jobs: one table for Celery beat (production) and the embedded scheduler of
# `make run` (kernel/scheduler.py), Celery task name → seconds between runs.
PERIODIC_JOBS = {
    "sla.sweep": SWEEP_INTERVAL_SECONDS,
    "callbacks.schedule_account_callbacks": 3600.0,
    "customers.purge_import_files": 3600.0,
    # Import jobs whose worker died: continued from their last chunk (docs/import.md).
    "customers.resume_imports": float(os.environ.get("IMPORT_RESUME_SCAN_SECONDS", "60")),
    "privacy.purge_access_log": 86400.0,
    # Unplanned interruptions whose notices are overdue (outages/tasks.py).
    "outages.sweep_notice_deadlines": 60.0,
    # Suspected incidents from bursts of no-supply calls, counted per place (outages/detection.py).
    "outages.detect_incidents": float(os.environ.get("INCIDENT_DETECTION_SECONDS", "60")),
    # Temperature refunds still running when a season has ended (temperature/tasks.py).
    "temperature.close_season_credits": 86400.0,
    # Arrears records from the bills past their due day and the ledger (arrears/tasks.py).
    "arrears.refresh": 86400.0,
    # Bill reminders before the due day to accounts that still owe (billing/tasks.py).
    "billing.send_bill_reminders": 3600.0,
    # Late fees where a tariff sets them (off by default; billing/late_fees.py).
    "billing.post_late_fees": 86400.0,
    # Customer notices: due retries, stale claims (notifications/delivery.py).
    "notifications.deliver_notices": float(os.environ.get("NOTIFICATION_RETRY_SCAN_SECONDS", "30")),
    # The reports due: weekly on Mondays, monthly on the 1st, quarterly (reports/tasks.py).
    "reports.generate_due": 3600.0,
    # Proof that the periodic jobs run (/readyz, /metrics; kernel/tasks.py).
    "kernel.heartbeat": 30.0,
    # Sign-in codes and failed bindings older than 30 days (selfservice/tasks.py).
    "selfservice.purge": 86400.0,
    # The KPIs' daily counts: today's often, the recent days' daily (kpis/tasks.py).
    "kpis.count_today": float(os.environ.get("KPI_COUNT_SECONDS", "600")),
    "kpis.recount_recent": 86400.0,
    # The 12345 exchange: due outbound messages, and whether the exchange is alive
    # (exchange/tasks.py, docs/exchange-12345.md).
    "exchange.send_due": float(os.environ.get("EXCHANGE_12345_SEND_SECONDS", "20")),
    "exchange.check_health": 300.0,
    # WeChat messages past their retention (wechat/tasks.py, docs/wechat.md).
    "wechat.purge_messages": 86400.0,
}
# /readyz: the periodic jobs' heartbeat may be this old; next year's calendar missing
# fails readiness in the year's last days (before, a warning). /metrics: who may scrape.
READY_HEARTBEAT_SECONDS = int(os.environ.get("READY_HEARTBEAT_SECONDS", "180"))
READY_CALENDAR_DAYS = int(os.environ.get("READY_CALENDAR_DAYS", "14"))
METRICS_ALLOWED_NETWORKS = [
    n for n in os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",") if n
]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Days recounted daily: a month's figures settle as its callbacks and complaints do.
KPI_RECOUNT_DAYS = int(os.environ.get("KPI_RECOUNT_DAYS", "40"))
# The hotline number the outage notices give customers (docs/outages.md).
OUTAGE_NOTICE_HOTLINE = os.environ.get("OUTAGE_NOTICE_HOTLINE", "96300")
CELERY_BEAT_SCHEDULE = {
    name: {"task": name, "schedule": every} for name, every in PERIODIC_JOBS.items()
}

# --- Customer self-service pages /my/ (docs/selfservice.md) --------------------------------
# The staff account the customer's actions are recorded as (intake on the web channel, a
# rating, a reopening): an active account holding the hotline-agent position, with no
# usable password.
SELFSERVICE_ACTOR = os.environ.get("SELFSERVICE_ACTOR", "selfservice")
SELFSERVICE_BIND_FAILURES_PER_ACCOUNT_PER_DAY = int(
    os.environ.get("SELFSERVICE_BIND_FAILURES_PER_ACCOUNT_PER_DAY", "10")
)
SELFSERVICE_BIND_FAILURES_PER_ADDRESS_PER_DAY = int(
    os.environ.get("SELFSERVICE_BIND_FAILURES_PER_ADDRESS_PER_DAY", "30")
)
# Files in one upload (the fault report takes 3 photos); more are refused unread.
DATA_UPLOAD_MAX_NUMBER_FILES = 10
SELFSERVICE_CODE_TTL_SECONDS = int(os.environ.get("SELFSERVICE_CODE_TTL_SECONDS", "300"))
SELFSERVICE_CODE_MAX_ATTEMPTS = int(os.environ.get("SELFSERVICE_CODE_MAX_ATTEMPTS", "5"))
SELFSERVICE_CODES_PER_PHONE_PER_HOUR = int(
    os.environ.get("SELFSERVICE_CODES_PER_PHONE_PER_HOUR", "5")
)
SELFSERVICE_CODES_PER_ADDRESS_PER_HOUR = int(
    os.environ.get("SELFSERVICE_CODES_PER_ADDRESS_PER_HOUR", "20")
)
SELFSERVICE_CODE_INTERVAL_SECONDS = int(os.environ.get("SELFSERVICE_CODE_INTERVAL_SECONDS", "60"))
SELFSERVICE_BIND_FAILURES_PER_DAY = int(os.environ.get("SELFSERVICE_BIND_FAILURES_PER_DAY", "5"))
# A binding not used (the number not signed in with it) for this many days needs its proof
# again: mobile numbers are given to someone else after they are given up.
SELFSERVICE_BINDING_IDLE_DAYS = int(os.environ.get("SELFSERVICE_BINDING_IDLE_DAYS", "90"))
SELFSERVICE_PHOTOS_PER_REPORT = int(os.environ.get("SELFSERVICE_PHOTOS_PER_REPORT", "3"))
SELFSERVICE_PHOTO_MAX_BYTES = int(
    os.environ.get("SELFSERVICE_PHOTO_MAX_BYTES", str(8 * 1024 * 1024))
)
SELFSERVICE_PHOTO_MAX_PIXELS = int(os.environ.get("SELFSERVICE_PHOTO_MAX_PIXELS", "40000000"))

# --- Security and personal data (docs/security.md lists every limit) ----------------------
# Content-Security-Policy: scripts only from this server (no inline scripts or handlers);
# inline styles are allowed (htmx inserts its indicator style).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Password guessing: one lockout for every way in (web, admin, API token).
LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "50"))
# API tokens expire this many hours after they were issued.
API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", "12"))
# Bulk reads of personal data: per-user request throttles (DRF rate strings) and the
# number of distinct customers one person may see in an hour before the service office
# is alerted (once per person per hour).
API_THROTTLE_RATES = {
    "personal_data": os.environ.get("THROTTLE_PERSONAL_DATA", "120/min"),
    "token": os.environ.get("THROTTLE_TOKEN", "10/min"),
}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = API_THROTTLE_RATES
HARVEST_ALERT_CUSTOMERS_PER_HOUR = int(os.environ.get("HARVEST_ALERT_CUSTOMERS_PER_HOUR", "1000"))
# The access log is kept at least six months (PIPL; R-105), then purged by a daily job.
ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", "190"))
# Customer imports: limits, bounded reports, and how long the uploaded file is kept.
IMPORT_MAX_FILE_BYTES = int(os.environ.get("IMPORT_MAX_FILE_BYTES", str(50 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "1000000"))
IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = int(
    os.environ.get("IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES", str(400 * 1024 * 1024))
)
IMPORT_REPORT_REASONS_PER_COLUMN = int(os.environ.get("IMPORT_REPORT_REASONS_PER_COLUMN", "100"))
IMPORT_FILE_RETENTION_DAYS = int(os.environ.get("IMPORT_FILE_RETENTION_DAYS", "30"))
# A running import job renews its lease with every chunk; one whose lease ran out (its
# worker died) is taken again and continues from its last chunk, up to IMPORT_MAX_ATTEMPTS
# starts. A dry run (one transaction) cannot renew it: its lease is long.
IMPORT_LEASE_SECONDS = int(os.environ.get("IMPORT_LEASE_SECONDS", "120"))
IMPORT_DRY_RUN_LEASE_SECONDS = int(os.environ.get("IMPORT_DRY_RUN_LEASE_SECONDS", "3600"))
IMPORT_MAX_ATTEMPTS = int(os.environ.get("IMPORT_MAX_ATTEMPTS", "5"))
# Rows written (and checkpointed) per transaction.
IMPORT_CHUNK_ROWS = int(os.environ.get("IMPORT_CHUNK_ROWS", "2000"))
# Texts to customers from a case: at most this many per case and per staff member a day.
CUSTOMER_SMS_PER_CASE_PER_DAY = int(os.environ.get("CUSTOMER_SMS_PER_CASE_PER_DAY", "3"))
CUSTOMER_SMS_PER_USER_PER_DAY = int(os.environ.get("CUSTOMER_SMS_PER_USER_PER_DAY", "50"))
# Sign-in lockout (accounts/services.py), counted over LOGIN_LOCKOUT_MINUTES: a name from one
# address is locked after LOGIN_MAX_FAILURES; a name from anywhere after
# LOGIN_MAX_FAILURES_PER_NAME and an address for all names after LOGIN_MAX_FAILURES_PER_ADDRESS,
# both except where the name signed in from within LOGIN_KNOWN_ADDRESS_DAYS. Every password
# check (web, admin, API token) goes through the backend below.
LOGIN_MAX_FAILURES_PER_NAME = int(os.environ.get("LOGIN_MAX_FAILURES_PER_NAME", "20"))
LOGIN_KNOWN_ADDRESS_DAYS = int(os.environ.get("LOGIN_KNOWN_ADDRESS_DAYS", "30"))
AUTHENTICATION_BACKENDS = ["utilitydesk.accounts.backends.ThrottledModelBackend"]
# Live API tokens one user may hold; issuing one more revokes the oldest.
API_TOKENS_PER_USER = int(os.environ.get("API_TOKENS_PER_USER", "10"))
# Text cleaning at the edge (core/text.py): API bodies are cleaned by these parsers, as web
# forms and query strings are by core.middleware.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "utilitydesk.kernel.parsers.CleanJSONParser",
    "utilitydesk.kernel.parsers.CleanFormParser",
    "utilitydesk.kernel.parsers.CleanMultiPartParser",
]
# Online payments (payments/alipay.py, docs/billing.md): Alipay's asynchronous notifications
# are verified with Alipay's public key (RSA2), the PEM text or its base64 body in
# ALIPAY_PUBLIC_KEY, or a file named by ALIPAY_PUBLIC_KEY_FILE; ALIPAY_APP_ID, when set, must
# match the notification's app_id.
ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID", "")
# The city's 12345 platform (docs/exchange-12345.md): where our messages go, the shared
# secret both sides sign bodies with (HMAC-SHA256), retries with backoff, and when the
# exchange counts as dead (the service office is alerted).
EXCHANGE_12345_BASE_URL = os.environ.get("EXCHANGE_12345_BASE_URL", "")
EXCHANGE_12345_SECRET = os.environ.get("EXCHANGE_12345_SECRET", "")
EXCHANGE_12345_TIMEOUT_SECONDS = float(os.environ.get("EXCHANGE_12345_TIMEOUT_SECONDS", "10"))
EXCHANGE_12345_MAX_ATTEMPTS = int(os.environ.get("EXCHANGE_12345_MAX_ATTEMPTS", "8"))
EXCHANGE_12345_RETRY_BASE_SECONDS = int(os.environ.get("EXCHANGE_12345_RETRY_BASE_SECONDS", "30"))
EXCHANGE_12345_RETRY_MAX_SECONDS = int(os.environ.get("EXCHANGE_12345_RETRY_MAX_SECONDS", "3600"))
EXCHANGE_12345_DEAD_AFTER_FAILURES = int(os.environ.get("EXCHANGE_12345_DEAD_AFTER_FAILURES", "5"))
EXCHANGE_12345_SILENCE_MINUTES = int(os.environ.get("EXCHANGE_12345_SILENCE_MINUTES", "120"))
# Signed requests older or newer than this are refused (replays of old captures).
EXCHANGE_12345_CLOCK_TOLERANCE_SECONDS = int(
    os.environ.get("EXCHANGE_12345_CLOCK_TOLERANCE_SECONDS", "300")
)
# The account the platform's orders are recorded by (the first responder of their cases).
EXCHANGE_12345_USERNAME = os.environ.get("EXCHANGE_12345_USERNAME", "gov12345")
ALIPAY_PUBLIC_KEY = os.environ.get("ALIPAY_PUBLIC_KEY", "") or (
    Path(os.environ["ALIPAY_PUBLIC_KEY_FILE"]).read_text()
    if os.environ.get("ALIPAY_PUBLIC_KEY_FILE")
    else ""
)
# Uploaded customer-import files are deleted IMPORT_FILE_RETENTION_DAYS after upload.
