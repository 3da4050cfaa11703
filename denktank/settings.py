"""Settings for the Denktank platform.

One module, driven by environment variables. With nothing set, the platform
runs on an embedded default: SQLite in WAL mode, kombu's filesystem broker
and mails written to files under ``var/``. Set ``DATABASE_URL`` and
``REDIS_URL`` to run on PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

VAR_DIR = Path(env.str("DENKTANK_VAR_DIR", default=str(BASE_DIR / "var")))
for sub in ("broker/queue", "broker/processed", "broker/control", "mail", "cache", "private"):
    (VAR_DIR / sub).mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    # No key configured: use one generated for this installation, kept in var/
    # (never a key from the source code).
    key_file = VAR_DIR / "secret_key"
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(get_random_secret_key())
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where applicants and members write about their personal data (shown in the privacy statement).
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="denktank@vvd-ezi.nl")

INSTALLED_APPS = [
    # First: runserver then serves ASGI, HTTP and the live editor's WebSockets in one process.
    "daphne",
    "denktank",
    "members",
    "sessions_app",
    "documents",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "denktank.page_cache.VersionsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "denktank.middleware.DutchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "denktank.middleware.PrivilegedSessionMiddleware",
    "denktank.middleware.RequireTwoFactorMiddleware",
]

ROOT_URLCONF = "denktank.urls"
WSGI_APPLICATION = "denktank.wsgi.application"
ASGI_APPLICATION = "denktank.asgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "denktank.context_processors.roles",
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set, otherwise SQLite tuned so a
# web server, a Celery worker and beat can write beside each other: WAL lets
# readers run during a write, the busy timeout waits instead of failing, and
# IMMEDIATE transactions take the write lock up front so two writers never
# deadlock on a lock upgrade ("database is locked").
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "denktank.sqlite3",
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Keep the connection between requests, as on PostgreSQL.
            "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "denktank.User"

REDIS_URL = env.str("REDIS_URL", default="")

# The cache backs allauth's login rate limits and used-TOTP-code markers, so
# it must be shared by every process: Redis when configured, files otherwise.
if REDIS_URL:
    # Falls back to local memory while Redis is away, so logging in never needs Redis.
    CACHES = {
        "default": {"BACKEND": "denktank.cache.FallbackRedisCache", "LOCATION": REDIS_URL},
        "pages": {"BACKEND": "denktank.cache.FallbackRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "pages"},
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "denktank.cache.FileCache",
            "LOCATION": VAR_DIR / "cache",
        },
        # Read pages (denktank.page_cache): each is kept for a minute or two, per person and page.
        "pages": {
            "BACKEND": "denktank.cache.FileCache",
            "LOCATION": VAR_DIR / "pages",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        },
    }

# Django's and allauth's backends, reading the logged-in person from the cache (denktank.backends).
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "denktank.backends.ModelBackend",
    "denktank.backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail login, no open sign-up, verified e-mail changes,
# TOTP two-factor (required for Bestuur and Werving by our middleware).
ACCOUNT_ADAPTER = "denktank.adapters.AccountAdapter"
MFA_ADAPTER = "denktank.adapters.MFAAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Denktank] "
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "manage_email": "5/m/user",
}
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Denktank Vrijheid, Werk en AI"
# Accept the code of the previous or next 30-second step too: phones drift, and
# a code typed at the end of its step would otherwise fail.
MFA_TOTP_TOLERANCE = 1

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Internationalisation: source strings are English, Dutch is the default.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploads (CVs, attachments) are personal data: never under a public URL.
PRIVATE_STORAGE_ROOT = VAR_DIR / "private"
MEDIA_ROOT = PRIVATE_STORAGE_ROOT

# Mail: SMTP when EMAIL_HOST is set, otherwise files in var/mail.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Denktank EZI <denktank@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Celery: Redis when configured, kombu's filesystem broker otherwise. Either
# way a real worker and beat run beside the web server.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "store_processed": False,
        # Worker control messages (ping, shutdown) live beside the queue, not in the working directory.
        "control_folder": str(VAR_DIR / "broker" / "control"),
    }
# PDF exports run on a queue of their own, served by a worker whose child is
# replaced after each export: WeasyPrint's memory goes back to the system.
CELERY_TASK_ROUTES = {"documents.tasks.export_report": {"queue": "exports"}}
CELERY_TASK_IGNORE_RESULT = True

# The live editor: rooms in several processes reach each other through Redis;
# the embedded default runs one process and keeps them in memory.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Every 30 s: with the 75 s threshold below, a cut-off send is marked unknown within two minutes.
    "sweep-outbox": {"task": "denktank.tasks.sweep_outbox", "schedule": 30.0},
    "sweep-page-cache": {"task": "denktank.tasks.sweep_page_cache", "schedule": 120.0},
    "session-reminders": {"task": "sessions_app.tasks.send_session_reminders", "schedule": 300.0},
    "purge-applications": {"task": "members.tasks.purge_due_applications", "schedule": crontab(hour=3, minute=15)},
    "owner-digests": {"task": "documents.tasks.send_owner_digests", "schedule": crontab(hour=8, minute=0)},
    "sweep-exports": {"task": "documents.tasks.sweep_exports", "schedule": 60.0},
    "live-idle-revisions": {"task": "documents.tasks.cut_idle_live_revisions", "schedule": 60.0},
    # Daily: once per four weeks without a Kamerlid update, one reminder to the board (a unique row per gap).
    "kamerlid-update-reminder": {
        "task": "denktank.tasks.remind_kamerlid_update",
        "schedule": crontab(hour=9, minute=0),
    },
    "presentation-guest-reminders": {"task": "sessions_app.tasks.send_guest_reminders", "schedule": 300.0},
    "purge-presentation-guests": {
        "task": "sessions_app.tasks.purge_presentation_guests",
        "schedule": crontab(hour=3, minute=30),
    },
    "complete-selections": {"task": "members.tasks.complete_selections", "schedule": 300.0},
    # 01:30 exists exactly once every night in Europe/Amsterdam (02:30 does not on the DST change).
    "backup-nightly": {"task": "denktank.tasks.backup_nightly", "schedule": crontab(hour=1, minute=30)},
}

# Backups: the nightly task writes archives here and keeps the newest BACKUP_KEEP.
# They hold personal data (CVs): copy them off this machine and keep them private.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)

# Outbox: a queued mail whose task never ran is picked up by the sweep after
# this grace period; a mail stuck in "sending" this long is marked unknown.
OUTBOX_SWEEP_GRACE_SECONDS = 60
# Longer than one SMTP conversation can take (EMAIL_TIMEOUT), so only a cut-off send is marked unknown.
OUTBOX_STUCK_AFTER_SECONDS = 75
OUTBOX_MAX_ATTEMPTS = 5
INVITATION_VALID_DAYS = 14

# Session reminders: sent this long before a meeting to everyone who has not
# declined; the nudge goes to those who have not answered at all.
SESSION_REMINDERS = {"week": timedelta(days=7), "day": timedelta(days=1)}
SESSION_NUDGE = timedelta(days=3)

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Sessions are read from the cache and written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Bestuur, Werving and staff see personal data: their session ends when the
# browser closes and after this many seconds without a request
# (denktank.middleware.PrivilegedSessionMiddleware). Others keep the
# two-week session above.
PRIVILEGED_IDLE_TIMEOUT = env.int("PRIVILEGED_IDLE_TIMEOUT", default=30 * 60)
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): everything from our own origin, no
# inline or eval'd script, so injected markup cannot run code. Scripts live
# in static/js (denktank.js handles confirmations); htmx is told by a meta tag
# in base.html not to eval or inject styles. Bootstrap's CSS draws its icons
# (select arrow, close button, menu toggler) from data: SVGs and allauth shows
# the TOTP QR code as a data: image, hence data: for images only.
# Style attributes (style-src-attr) stay allowed: bars and charts set their
# width from data (style="width: 40%"); an attribute cannot load anything or
# run script, and <style> elements and foreign stylesheets stay blocked.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Production: with DEBUG off, the site runs behind TLS.
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # The number of reverse proxies in front of the site that append to
    # X-Forwarded-For. allauth takes the client address (for rate limits and
    # our audit log) from that header only when this is set.
    ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
