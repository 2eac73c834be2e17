"""partnerdesk settings: one module, driven by environment variables.

Nothing set gives a working embedded installation (SQLite in ./var, a generated secret).
Every secret can also come from a file (``NAME_FILE``), for container secrets.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    """A string setting, read from NAME or from the file named by NAME_FILE."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def envbool(name: str, default: bool) -> bool:
    """A yes/no setting; anything else (``ture``) stops the start instead of silently meaning false."""
    value = env(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value; use one of {', '.join(sorted(_TRUE | _FALSE))}"
    )


def envint(name: str, default: int) -> int:
    value = env(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("PARTNERDESK_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def _generated_secret() -> str:
    """A secret made once per data directory, so `make run` needs no configuration."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env("SECRET_KEY") or _generated_secret()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# Behind a TLS-terminating proxy in production; off for the embedded http://127.0.0.1 server.
HTTPS = envbool("PARTNERDESK_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Probes and the scraper talk plain HTTP to the process, not through the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600)
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_countries",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "partnerdesk.accounts",
    "partnerdesk.outbox",
    "partnerdesk.api",
    "partnerdesk.web",
    "partnerdesk.contracts",
    "partnerdesk.manual",
    "partnerdesk.tickets",
    "partnerdesk.worklog",
    "partnerdesk.contact",
    "partnerdesk.channels",
    "partnerdesk.webhooks",
    "partnerdesk.billing",
    "partnerdesk.ops",
    "partnerdesk.reports",
]

MIDDLEWARE = [
    "partnerdesk.web.middleware.RequestIdMiddleware",  # first: every response, even a 500, has its id
    "partnerdesk.ops.middleware.RequestMetricsMiddleware",  # requests and latencies per route, the access log
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "partnerdesk.accounts.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "partnerdesk.web.middleware.RefuseNullCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "partnerdesk.web.middleware.TwoFactorMiddleware",
    "partnerdesk.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "partnerdesk.api.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partnerdesk.urls"
WSGI_APPLICATION = "partnerdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partnerdesk.web.context_processors.navigation",
            ],
        },
    }
]

# SQLite (embedded default) or whatever DATABASE_URL names (PostgreSQL in production).
DATABASE_URL = env("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL tuning, measured by bench/bench_api.py (README "Speed"): server-side binding with a
        # prepare threshold lets psycopg prepare statements it sees repeatedly. Off: it did not pay here.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        if envbool("DATABASE_SERVER_SIDE_BINDING", False):
            _options["server_side_binding"] = True
        if envint("DATABASE_PREPARE_THRESHOLD", 0):  # Django turns psycopg's prepared statements off
            _options["prepare_threshold"] = envint("DATABASE_PREPARE_THRESHOLD", 0)
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "partnerdesk.sqlite3",
            # Writers serialise (IMMEDIATE) and commits survive power loss (WAL + FULL).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# psycopg's C loader for timestamps on PostgreSQL instead of Django's Python one (accounts/db_loaders.py).
PARTNERDESK_DB_C_LOADERS = envbool("PARTNERDESK_DB_C_LOADERS", True)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "partnerdesk.accounts.backends.OrganisationAwareBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

SESSION_ENGINE = "partnerdesk.accounts.sessions"

# Login lockout keyed on user name AND address together: nobody can lock a user out from elsewhere.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Case and surrounding space do not make another user name for the lockout (R1.5).
AXES_USERNAME_CALLABLE = "partnerdesk.accounts.backends.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

LANGUAGE_CODE = "en"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = Path(env("PARTNERDESK_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The embedded default: with no EMAIL_HOST, mail goes into files under the data folder (the outbox page
# shows them); with one, over SMTP. EMAIL_BACKEND overrides both.
EMAIL_HOST = env("EMAIL_HOST", "")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "support@groupios.example")

# The outbox (partnerdesk.outbox): retries with exponential backoff, recovery of crashed sends, pruning.
PARTNERDESK_OUTBOX_MAX_ATTEMPTS = envint("PARTNERDESK_OUTBOX_MAX_ATTEMPTS", 8)
PARTNERDESK_OUTBOX_RETRY_SECONDS = envint("PARTNERDESK_OUTBOX_RETRY_SECONDS", 60)
PARTNERDESK_OUTBOX_MAX_BACKOFF_SECONDS = envint("PARTNERDESK_OUTBOX_MAX_BACKOFF_SECONDS", 3600)
PARTNERDESK_OUTBOX_SENDING_TIMEOUT_SECONDS = envint("PARTNERDESK_OUTBOX_SENDING_TIMEOUT_SECONDS", 600)
PARTNERDESK_OUTBOX_KEEP_SENT_DAYS = envint("PARTNERDESK_OUTBOX_KEEP_SENT_DAYS", 30)
PARTNERDESK_WORKER_INTERVAL_SECONDS = envint("PARTNERDESK_WORKER_INTERVAL_SECONDS", 5)

# Operations (issue 17): the web server's processes, readiness, metrics, retention.
PARTNERDESK_WEB_WORKERS = max(1, envint("PARTNERDESK_WEB_WORKERS", 2))
PARTNERDESK_WEB_THREADS = max(1, envint("PARTNERDESK_WEB_THREADS", 4))
PARTNERDESK_WEB_TIMEOUT_SECONDS = envint("PARTNERDESK_WEB_TIMEOUT_SECONDS", 60)
# On SIGTERM requests in progress get this long to finish before their process is stopped.
PARTNERDESK_GRACEFUL_TIMEOUT_SECONDS = envint("PARTNERDESK_GRACEFUL_TIMEOUT_SECONDS", 30)
# Addresses of the reverse proxy whose X-Forwarded-* headers gunicorn trusts (comma-separated, or *).
PARTNERDESK_FORWARDED_ALLOW_IPS = env("PARTNERDESK_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# /readyz: a worker heartbeat older than this, or a due outbox message waiting longer, is unready.
PARTNERDESK_READY_HEARTBEAT_SECONDS = envint(
    "PARTNERDESK_READY_HEARTBEAT_SECONDS", max(60, 6 * PARTNERDESK_WORKER_INTERVAL_SECONDS)
)
PARTNERDESK_READY_OUTBOX_STUCK_SECONDS = envint("PARTNERDESK_READY_OUTBOX_STUCK_SECONDS", 900)
# /metrics answers only with this bearer token; unset, /metrics does not exist (404).
PARTNERDESK_METRICS_TOKEN = env("PARTNERDESK_METRICS_TOKEN", "")
# Retention (R13.2): days after a ticket is closed that its attachments and inbound mail originals are kept
# (0: kept for ever).
PARTNERDESK_RETENTION_ATTACHMENT_DAYS = envint("PARTNERDESK_RETENTION_ATTACHMENT_DAYS", 0)
PARTNERDESK_RETENTION_MAIL_ORIGINAL_DAYS = envint("PARTNERDESK_RETENTION_MAIL_ORIGINAL_DAYS", 0)

# Web meetings (R7.3): the vendor's meeting service's join link, {uid}, {meeting} and {ticket} filled in;
# empty: the agent pastes each meeting's link.
PARTNERDESK_MEETING_LINK_TEMPLATE = env("PARTNERDESK_MEETING_LINK_TEMPLATE", "")

# Inbound mail (R7.1): the desk's address (replies go to its +token form), the IMAP mailbox `mail fetch`
# and the worker read, and the largest message accepted.
PARTNERDESK_INBOUND_ADDRESS = env("PARTNERDESK_INBOUND_ADDRESS", "")
PARTNERDESK_IMAP_HOST = env("PARTNERDESK_IMAP_HOST", "")
PARTNERDESK_IMAP_SSL = envbool("PARTNERDESK_IMAP_SSL", True)
PARTNERDESK_IMAP_PORT = envint("PARTNERDESK_IMAP_PORT", 993 if PARTNERDESK_IMAP_SSL else 143)
PARTNERDESK_IMAP_USER = env("PARTNERDESK_IMAP_USER", "")
PARTNERDESK_IMAP_PASSWORD = env("PARTNERDESK_IMAP_PASSWORD", "")
PARTNERDESK_IMAP_FOLDER = env("PARTNERDESK_IMAP_FOLDER", "INBOX")
PARTNERDESK_IMAP_ARCHIVE_FOLDER = env("PARTNERDESK_IMAP_ARCHIVE_FOLDER", "")
PARTNERDESK_IMAP_TIMEOUT_SECONDS = envint("PARTNERDESK_IMAP_TIMEOUT_SECONDS", 30)
PARTNERDESK_IMAP_FETCH_SECONDS = envint("PARTNERDESK_IMAP_FETCH_SECONDS", 60)
PARTNERDESK_INBOUND_MAX_BYTES = envint("PARTNERDESK_INBOUND_MAX_BYTES", 30 * 1024 * 1024)
# Webhooks to partner systems (R12.3), delivered by the same worker: retries with exponential backoff.
PARTNERDESK_WEBHOOKS_MAX_ATTEMPTS = envint("PARTNERDESK_WEBHOOKS_MAX_ATTEMPTS", 10)
PARTNERDESK_WEBHOOKS_RETRY_SECONDS = envint("PARTNERDESK_WEBHOOKS_RETRY_SECONDS", 60)
PARTNERDESK_WEBHOOKS_MAX_BACKOFF_SECONDS = envint("PARTNERDESK_WEBHOOKS_MAX_BACKOFF_SECONDS", 6 * 3600)
PARTNERDESK_WEBHOOKS_TIMEOUT_SECONDS = envint("PARTNERDESK_WEBHOOKS_TIMEOUT_SECONDS", 10)
PARTNERDESK_WEBHOOKS_SENDING_TIMEOUT_SECONDS = envint("PARTNERDESK_WEBHOOKS_SENDING_TIMEOUT_SECONDS", 300)
PARTNERDESK_WEBHOOKS_KEEP_DAYS = envint("PARTNERDESK_WEBHOOKS_KEEP_DAYS", 30)
PARTNERDESK_WEBHOOKS_MAX_ENDPOINTS = envint("PARTNERDESK_WEBHOOKS_MAX_ENDPOINTS", 10)
# Loopback and private addresses and plain http: only for development and tests.
PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE = envbool("PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE", False)

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# One JSON object per line (LOG_FORMAT=plain for a terminal); every line carries the request id, also the
# worker's lines about a message or event that a request enqueued; addresses and phone numbers are masked.
LOG_FORMAT = env("LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "partnerdesk.accounts.request_context.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "partnerdesk.ops.logs.Formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["request_id"],
        }
    },
    "loggers": {
        "partnerdesk": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO"), "filters": ["request_id"]},
        "django.request": {"handlers": ["console"], "level": "ERROR", "filters": ["request_id"]},
        "django.security": {"handlers": ["console"], "level": "WARNING", "filters": ["request_id"]},
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False, "filters": ["request_id"]},
    },
}

# --- the vendor's business settings (SPEC "decision" values) -----------------------------------
PARTNERDESK_VENDOR_NAME = env("PARTNERDESK_VENDOR_NAME", "TUXGUARD")
# The name authenticator apps show beside the two-factor codes (accounts.two_factor).
OTP_TOTP_ISSUER = env("PARTNERDESK_TOTP_ISSUER", "") or f"{PARTNERDESK_VENDOR_NAME} support desk"
PARTNERDESK_SALES_EMAIL = env("PARTNERDESK_SALES_EMAIL", "sales@groupios.com")
PARTNERDESK_API_PAGE_SIZE = envint("PARTNERDESK_API_PAGE_SIZE", 50)
PARTNERDESK_API_MAX_PAGE_SIZE = envint("PARTNERDESK_API_MAX_PAGE_SIZE", 200)
NINJA_PAGINATION_PER_PAGE = PARTNERDESK_API_PAGE_SIZE
NINJA_PAGINATION_MAX_LIMIT = PARTNERDESK_API_MAX_PAGE_SIZE
NINJA_PAGINATION_CLASS = "partnerdesk.api.pagination.LimitOffset"  # bounded offset: never a 500
PARTNERDESK_IDEMPOTENCY_TTL_HOURS = envint("PARTNERDESK_IDEMPOTENCY_TTL_HOURS", 24)
# Partner admins and Sales are told when a term's included time reaches these percentages (R4.9).
# Invoicing (R2.3, R10.1, R10.3): VAT per partner country ("*" for every other country; EU partners
# with a valid VAT ID are reverse charge), the type code of a cancellation invoice (384, or 381).
PARTNERDESK_VAT_RATES = dict(
    item.split(":", 1) for item in envlist("PARTNERDESK_VAT_RATES", "DE:19,*:19") if ":" in item
)
PARTNERDESK_CANCELLATION_TYPE_CODE = envint("PARTNERDESK_CANCELLATION_TYPE_CODE", 384)
# Partners a billing run issues per transaction (R10.4): a crash redoes at most one batch.
PARTNERDESK_BILLING_BATCH_PARTNERS = max(1, envint("PARTNERDESK_BILLING_BATCH_PARTNERS", 100))
PARTNERDESK_QUOTA_THRESHOLDS = tuple(int(p) for p in envlist("PARTNERDESK_QUOTA_THRESHOLDS", "75,100"))
# Where the desk is reached, e.g. https://desk.example.com: notification mails link to the ticket and the
# profile page under it; without it they name the ticket and the page only.
PARTNERDESK_BASE_URL = env("PARTNERDESK_BASE_URL", "").rstrip("/")

# Support hours (R6.1): weekday -> open intervals, local to the zone; holidays from `holidays`.
SUPPORT_HOURS_TIMEZONE = env("SUPPORT_HOURS_TIMEZONE", "Europe/Berlin")
SUPPORT_HOURS_COUNTRY = env("SUPPORT_HOURS_COUNTRY", "DE")
SUPPORT_HOURS_SUBDIVISION = env("SUPPORT_HOURS_SUBDIVISION", "") or None
SUPPORT_HOURS_CATEGORIES = tuple(envlist("SUPPORT_HOURS_CATEGORIES", "public"))
SUPPORT_HOURS_CLOSED_DAYS = envlist("SUPPORT_HOURS_CLOSED_DAYS", "")  # ISO dates
# JSON: weekday (0 = Monday) -> [["09:00", "17:00"], ...]; empty = the source's Mon-Thu 9-17, Fri 9-12.
SUPPORT_HOURS_WEEKLY = json.loads(env("SUPPORT_HOURS_WEEKLY", "") or "null")
# JSON: ISO date -> [["09:00", "12:00"]]: half days and other special hours.
SUPPORT_HOURS_SPECIAL_DAYS = json.loads(env("SUPPORT_HOURS_SPECIAL_DAYS", "") or "{}")

# Tickets (R5.2, R5.8) and attachments.
TICKET_REQUIRED_CAPTURE = envlist(
    "TICKET_REQUIRED_CAPTURE",
    "product,product_version,environment,description,steps_to_reproduce,expected_behaviour,actual_behaviour,"
    "error_messages,business_impact,tried_by_first_level,manual_sections_consulted,category",
)
TICKET_REOPEN_DAYS = envint("TICKET_REOPEN_DAYS", 14)
# A breach-risk notice goes out this many support minutes before a service-level due time (R6.3).
SLA_BREACH_WARNING_MINUTES = envint("SLA_BREACH_WARNING_MINUTES", 60)
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
ATTACHMENT_CONTENT_TYPES = envlist(
    "ATTACHMENT_CONTENT_TYPES",
    "text/plain,text/csv,application/json,application/xml,text/xml,application/pdf,image/png,image/jpeg,image/gif,"
    "application/zip,application/gzip,message/rfc822",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024

# End-customer contact (section 9): the longest authorisation a partner can grant, the brand logo's size.
CONTACT_AUTHORIZATION_MAX_DAYS = envint("CONTACT_AUTHORIZATION_MAX_DAYS", 90)
BRAND_LOGO_MAX_BYTES = envint("BRAND_LOGO_MAX_KB", 256) * 1024
