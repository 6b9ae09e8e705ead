"""Tenderhall settings: every value comes from the environment (see the README's table).

Unset variables fall back to the embedded default: a SQLite file and generated secrets in the
data folder, the in-memory channel layer, console e-mail. A malformed value stops start-up
with one line naming the variable.
"""

import contextlib
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from marketplace.env import (
    SettingsError,
    decode_key,
    env_bool,
    env_certificate,
    env_choice,
    env_int,
    env_key,
    env_list,
    env_prefixed,
    env_str,
    env_time_zone,
    env_url,
    generated_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TENDERHALL_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# The data folder holds the SQLite database, the generated keys and every upload: only the
# platform's own user may enter it, whatever mode the files inside are created with.
VAR_DIR.mkdir(parents=True, exist_ok=True)
with contextlib.suppress(PermissionError):
    VAR_DIR.chmod(0o700)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or generated_secret(VAR_DIR / "secret_key")
if len(SECRET_KEY) < 32:
    raise SettingsError("SECRET_KEY is shorter than 32 characters")

SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")
_site = urlsplit(SITE_URL)
SITE_IS_LOOPBACK = _site.hostname in {"127.0.0.1", "localhost", "::1"}
HTTPS = _site.scheme == "https"
if not DEBUG and not HTTPS and not SITE_IS_LOOPBACK:
    # A production site served over plain HTTP would send session cookies in clear.
    raise SettingsError(f"SITE_URL={SITE_URL!r} must use https:// when DEBUG is off (plain http is only for 127.0.0.1/localhost)")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
if _site.hostname and _site.hostname not in ALLOWED_HOSTS and "*" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_site.hostname)
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "django_filters",
    "django_countries",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "marketplace",
    "suppliers",
    "tenders",
    "bidding",
    "evaluation",
    "contracts",
    "payments",
    "opendata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "marketplace.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # `request.user.is_verified()`: whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
ASGI_APPLICATION = "marketplace.asgi.application"

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
                "marketplace.context_processors.navigation",
            ],
        },
    },
]

# Database ------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tenderhall.sqlite3'}", schemes=("sqlite", "postgres", "postgresql"))
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0))
except ValueError as exc:
    raise SettingsError(f"DATABASE_URL is not usable: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions take the write lock at BEGIN, so a read-then-write action
    # (deadline check, audit chain head) cannot be overtaken between its read and its write.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    _db["CONN_MAX_AGE"] = 0
    # A file, not memory, so processes started by tests (daphne, db_worker) share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{env_str('PYTEST_XDIST_WORKER', 'main')}.sqlite3")}
else:
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = _db["ENGINE"].startswith("django.db.backends.postgresql")

# Live events ---------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss"))
# pubsub: one PUBLISH per event, fanned out to its listeners inside each daphne process (an
# opening watched by thousands costs one message per process). core: one queued copy per
# listener, each popped separately; it keeps a message a moment for a briefly busy consumer,
# which the stored events and `?after=` already do for this platform.
REDIS_CHANNEL_LAYER = env_choice("REDIS_CHANNEL_LAYER", "pubsub", ("pubsub", "core"))
# redis-py 8 defaults socket_timeout to 5 s, the same as channels-redis's blocking pop:
# an idle consumer's read would time out. Keep the socket timeout well above it.
REDIS_SOCKET_TIMEOUT = env_int("REDIS_SOCKET_TIMEOUT", 30, minimum=10)
if REDIS_URL:
    _redis_host = {"address": REDIS_URL, "socket_timeout": REDIS_SOCKET_TIMEOUT, "socket_connect_timeout": 5}
    if REDIS_CHANNEL_LAYER == "pubsub":
        _layer = {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {}}
    else:
        _layer = {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"capacity": 1000, "expiry": 60}}
    _layer["CONFIG"] |= {"hosts": [_redis_host], "prefix": env_str("REDIS_PREFIX", "tenderhall")}
    CHANNEL_LAYERS = {"default": _layer}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000, "expiry": 60}}}
# How often each daphne process polls stored events when the layer is in memory.
LIVE_TAIL_INTERVAL_MS = env_int("LIVE_TAIL_INTERVAL_MS", 250, minimum=20, maximum=10_000)
# With Redis, how often each subject's hub checks the store for broadcasts it missed (seconds).
LIVE_RESYNC_SECONDS = env_int("LIVE_RESYNC_SECONDS", 5, minimum=1, maximum=300)
# A watcher that leaves this many bytes of live frames unread is disconnected (it reconnects and
# replays from the store) rather than buffered without bound (marketplace/server.py).
LIVE_MAX_UNSENT_BYTES = env_int("LIVE_MAX_UNSENT_BYTES", 4 * 1024 * 1024, minimum=16 * 1024)

# Background work -----------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
# How often a worker signs the audit chain's head (a checkpoint), when events were added since.
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", 600, minimum=10, maximum=86_400)

# People --------------------------------------------------------------------------------
AUTH_USER_MODEL = "marketplace.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"  # each role lands on its own desk
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", ("en", "zh-hans"))
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
FORMAT_MODULE_PATH = ["marketplace.formats"]  # amounts grouped by three on Chinese pages too
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Stored times are UTC; TIME_ZONE is only how they are shown.
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")

# Files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded documents live under the data folder and are never served by URL: every download
# goes through a view that checks access.
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "marketplace.storage.MediaStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 50 * 1024 * 1024, minimum=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Supplier registry ---------------------------------------------------------------------
# Largest licence or certificate file a firm may upload.
LICENCE_FILE_MAX_BYTES = env_int("LICENCE_FILE_MAX_BYTES", 10 * 1024 * 1024, minimum=64 * 1024, maximum=1024 * 1024 * 1024)
# How long an invitation to join a supplier firm stays usable.
SUPPLIER_INVITATION_DAYS = env_int("SUPPLIER_INVITATION_DAYS", 7, minimum=1, maximum=90)

# E-mail --------------------------------------------------------------------------------
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}[env_choice("EMAIL_BACKEND", "console", ("console", "smtp", "file", "memory"))]
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tenderhall <noreply@tenderhall.localhost>")

# Security ------------------------------------------------------------------------------
# Defaults follow the site: over https everything is strict; plain http only on loopback.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS and not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS and not DEBUG else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Tenders -------------------------------------------------------------------------------
# Platform minimum between publication (or an amendment) and the submission deadline, per
# procurement method; a tender may ask for more with its own `min_response_days`. Zero is
# allowed, for test platforms.
MIN_RESPONSE_DAYS_OPEN = env_int("MIN_RESPONSE_DAYS_OPEN", 10, minimum=0, maximum=365)
MIN_RESPONSE_HOURS_RFQ = env_int("MIN_RESPONSE_HOURS_RFQ", 72, minimum=0, maximum=24 * 365)
TENDER_DOCUMENT_MAX_BYTES = env_int("TENDER_DOCUMENT_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# File types (by extension) accepted as tender documents; each is checked by its content
# (`tenders.documents.SNIFFERS` knows these).
TENDER_DOCUMENT_TYPES_KNOWN = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "zip", "csv", "txt", "png", "jpg", "jpeg")
TENDER_DOCUMENT_TYPES = [
    t.lower().lstrip(".")
    for t in env_list("TENDER_DOCUMENT_TYPES", ["pdf", "docx", "xlsx", "odt", "ods", "zip", "csv", "txt", "png", "jpg", "jpeg"])
]
if unknown_types := sorted(set(TENDER_DOCUMENT_TYPES) - set(TENDER_DOCUMENT_TYPES_KNOWN)):
    raise SettingsError(
        f"TENDER_DOCUMENT_TYPES has types Tenderhall cannot check: {', '.join(unknown_types)} (known: {', '.join(TENDER_DOCUMENT_TYPES_KNOWN)})"
    )
# How often the closing sweep looks for published tenders past their deadline (a missed run).
TENDER_CLOSING_SWEEP_SECONDS = env_int("TENDER_CLOSING_SWEEP_SECONDS", 60, minimum=5)

# Sealed bids ---------------------------------------------------------------------------
# The key-encryption key of platform-custody opening keys (AES-256-GCM), and the Ed25519 seed
# that signs receipts and records. Production passes both in the environment (a secrets
# manager); the embedded default generates them once into the data folder.
SEALING_KEK = env_key("SEALING_KEK", 32, VAR_DIR / "sealing_kek")
SIGNING_KEY = env_key("SIGNING_KEY", 32, VAR_DIR / "signing_key")
# Public halves (base64 of 32-byte Ed25519 public keys) of keys that signed before a rotation:
# still published and accepted for verification, never used to sign.
SIGNING_KEYS_RETIRED = [decode_key("SIGNING_KEYS_RETIRED", value, 32) for value in env_list("SIGNING_KEYS_RETIRED", [])]
# How often the opening sweep looks for closed tenders not yet opened and rounds left half-read.
OPENING_SWEEP_SECONDS = env_int("OPENING_SWEEP_SECONDS", 60, minimum=5)

# Contract signatures -------------------------------------------------------------------
# The platform's certificate authority (数字认证体系): the root's P-256 private scalar and its
# self-signed certificate. The embedded default generates the key into the data folder and the
# certificate beside it on first need; production passes both (`manage.py platform_ca` prints a
# fresh pair), since a root certificate made again from the same key would be another certificate.
PLATFORM_CA_KEY = env_key("PLATFORM_CA_KEY", 32, VAR_DIR / "platform_ca_key")
PLATFORM_CA_CERTIFICATE = env_certificate("PLATFORM_CA_CERTIFICATE")
if bool(env_str("PLATFORM_CA_KEY")) != (PLATFORM_CA_CERTIFICATE is not None):
    raise SettingsError("PLATFORM_CA_KEY and PLATFORM_CA_CERTIFICATE are set together or not at all (manage.py platform_ca prints a pair)")
PLATFORM_CA_CERTIFICATE_FILE = VAR_DIR / "platform_ca.pem"
# The name of a root generated here (the embedded default, `manage.py platform_ca`).
PLATFORM_CA_NAME = env_str("PLATFORM_CA_NAME", "Tenderhall Platform Root CA")
# The key-encryption key (AES-256-GCM) of the signatories' private keys, and how long a
# signatory certificate is valid.
SIGNATORY_KEK = env_key("SIGNATORY_KEK", 32, VAR_DIR / "signatory_kek")
SIGNATORY_CERTIFICATE_DAYS = env_int("SIGNATORY_CERTIFICATE_DAYS", 730, minimum=1, maximum=3650)
# Days the winner has to sign the contract after the award is confirmed (政府采购法 Art. 46: 30).
CONTRACT_SIGNING_DAYS = env_int("CONTRACT_SIGNING_DAYS", 30, minimum=1, maximum=365)
# By how much amendments may raise a contract's value in all, in per cent of the value as
# signed (政府采购法 Art. 49: supplementary contracts up to 10 %).
CONTRACT_AMENDMENT_MAX_INCREASE_PERCENT = env_int("CONTRACT_AMENDMENT_MAX_INCREASE_PERCENT", 10, minimum=0, maximum=100)
# How often a worker looks for contracts whose signing period ended unsigned.
CONTRACT_SWEEP_SECONDS = env_int("CONTRACT_SWEEP_SECONDS", 300, minimum=10, maximum=86400)
# Largest PDF (or detached signature) the public verification takes.
CONTRACT_DOCUMENT_MAX_BYTES = env_int("CONTRACT_DOCUMENT_MAX_BYTES", 25 * 1024 * 1024, minimum=1024 * 1024, maximum=1024 * 1024 * 1024)

# Payments ------------------------------------------------------------------------------
# Without a Stripe secret key every payment is a bank transfer that a finance officer confirms.
STRIPE_SECRET_KEY = env_prefixed("STRIPE_SECRET_KEY", ("sk_test_", "sk_live_", "rk_test_", "rk_live_"))
STRIPE_PUBLISHABLE_KEY = env_prefixed("STRIPE_PUBLISHABLE_KEY", ("pk_test_", "pk_live_"))
STRIPE_WEBHOOK_SECRET = env_prefixed("STRIPE_WEBHOOK_SECRET", ("whsec_",))
# Stripe Connect: events about connected accounts (`account.updated`) come from a Connect endpoint,
# which Stripe signs with a secret of its own; empty when both endpoints share STRIPE_WEBHOOK_SECRET.
STRIPE_CONNECT_WEBHOOK_SECRET = env_prefixed("STRIPE_CONNECT_WEBHOOK_SECRET", ("whsec_",))
STRIPE_API_BASE = env_url("STRIPE_API_BASE", "https://api.stripe.com", schemes=("https", "http")).rstrip("/")
# Seconds a webhook's signed timestamp may be old (Stripe's default: 5 minutes) before it is refused as a replay.
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300, minimum=10, maximum=3600)
STRIPE_PAYMENT_METHOD_TYPES = env_list("STRIPE_PAYMENT_METHOD_TYPES", ["card"])
PAYMENT_GATEWAY = "stripe" if STRIPE_SECRET_KEY else "offline"
# Where the deposit page loads Stripe.js from (a local test server's mock in the tests).
STRIPE_JS_URL = env_url("STRIPE_JS_URL", "https://js.stripe.com/v3/", schemes=("https", "http"))
# The largest bid deposit, in percent of the estimated value (政府采购法实施条例 Art. 33: 2).
DEPOSIT_MAX_PERCENT = env_int("DEPOSIT_MAX_PERCENT", 2, minimum=0, maximum=100)
# Days a public buyer has to pay an invoice from its receipt (Directive 2011/7/EU, Art. 4: 30).
INVOICE_PAYMENT_DAYS = env_int("INVOICE_PAYMENT_DAYS", 30, minimum=1, maximum=60)
# The operator's flat fee per settled invoice, withheld from the supplier's payout: "2.00 EUR";
# empty (the default) charges none. An invoice in another currency is charged none.
PLATFORM_FEE = env_str("PLATFORM_FEE", "").strip()
if PLATFORM_FEE and not re.fullmatch(r"\d{1,9}(\.\d{1,3})? [A-Z]{3}", PLATFORM_FEE):
    raise SettingsError(f"PLATFORM_FEE={PLATFORM_FEE!r} must be an amount and a currency code, such as '2.00 EUR'")
# How often a worker looks for deposits due back and refunds the gateway did not take yet.
PAYMENTS_SWEEP_SECONDS = env_int("PAYMENTS_SWEEP_SECONDS", 300, minimum=10, maximum=86400)
if STRIPE_SECRET_KEY:
    if not STRIPE_PUBLISHABLE_KEY or not STRIPE_WEBHOOK_SECRET:
        # Without the webhook secret no payment could ever be confirmed; without the publishable key no one could pay.
        raise SettingsError("STRIPE_SECRET_KEY is set: STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET must be set too")
    if ("_live_" in STRIPE_SECRET_KEY) != ("_live_" in STRIPE_PUBLISHABLE_KEY):
        raise SettingsError("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY are from different modes (one live, one test)")
    if not STRIPE_API_BASE:
        raise SettingsError("STRIPE_API_BASE is empty")
    if urlsplit(STRIPE_API_BASE).scheme == "http" and urlsplit(STRIPE_API_BASE).hostname not in {"127.0.0.1", "localhost", "::1"}:
        # The secret key travels in every request's header.
        raise SettingsError(f"STRIPE_API_BASE={STRIPE_API_BASE!r} must use https:// (plain http only for a local test server)")
    if "_live_" in STRIPE_SECRET_KEY and STRIPE_API_BASE != "https://api.stripe.com":
        raise SettingsError("a live STRIPE_SECRET_KEY may only be sent to https://api.stripe.com")
elif STRIPE_PUBLISHABLE_KEY or STRIPE_WEBHOOK_SECRET or STRIPE_CONNECT_WEBHOOK_SECRET:
    raise SettingsError("STRIPE_PUBLISHABLE_KEY or a STRIPE_*WEBHOOK_SECRET is set without STRIPE_SECRET_KEY")

# Open data -----------------------------------------------------------------------------
# The OCDS ocid prefix the Open Contracting Partnership registers for a publisher (`ocds-` and six
# letters or digits); every ocid is the prefix and the tender's id. The default is a placeholder.
OCID_PREFIX = env_str("OCID_PREFIX", "ocds-000000-")
if not re.fullmatch(r"ocds-[a-z0-9]{6}-", OCID_PREFIX):
    raise SettingsError(f"OCID_PREFIX={OCID_PREFIX!r} must be 'ocds-', six lower-case letters or digits, and '-' (e.g. ocds-213czf-)")
# Who the release and record packages name as their publisher.
OCDS_PUBLISHER_NAME = env_str("OCDS_PUBLISHER_NAME", "Tenderhall")

# API -----------------------------------------------------------------------------------
# Every filter's empty choice reads the same, on every page: "Any", not "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("Any")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.rest.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "marketplace.rest.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "marketplace.rest.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "marketplace.rest.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tenderhall API",
    "DESCRIPTION": "Public procurement: tenders, sealed bids, openings, awards, open data.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API's reader pages take their assets from the installed package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The error answers every operation can give, in the one error shape (marketplace.rest).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "marketplace.rest.document_errors"],
    "ENUM_NAME_OVERRIDES": {
        "TenderStatusEnum": "tenders.models.Tender.Status",
        "ClarificationStatusEnum": "tenders.models.Clarification.Status",
        "CustodyEnum": "tenders.models.Custody",
        "AwardNoticeKindEnum": "evaluation.models.AwardNotice.Kind",
        "AwardNoticeStatusEnum": "evaluation.models.AwardNotice.Status",
        "ChallengeStatusEnum": "evaluation.models.Challenge.Status",
        "ChallengeDecisionEnum": "evaluation.models.Challenge.Decision",
        "ContractStatusEnum": "contracts.models.Contract.Status",
        "ContractPartyEnum": "contracts.models.Contract.Party",
    },
}

# Sign-in, throttling, tokens and sessions ----------------------------------------------
# Throttle counters live in Django's cache, which every daphne process must share: Redis when
# REDIS_URL is set, otherwise a database table (`manage.py createcachetable`, run by `make run`).
DATABASE_CACHE_TABLE = "tenderhall_cache"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("REDIS_PREFIX", "tenderhall"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": DATABASE_CACHE_TABLE}}

# Sign-in lock-out (django-axes, attempts stored in the database): after this many failures an
# account, and separately a client address, is refused for the cool-off, even the right password.
INSTALLED_APPS.append("axes")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
MIDDLEWARE.append("marketplace.middleware.OfficerIdleTimeoutMiddleware")
MIDDLEWARE.append("marketplace.middleware.SecondFactorMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
SIGN_IN_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
SIGN_IN_LOCKOUT_MINUTES = env_int("SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGN_IN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "marketplace.auth.sign_in_name"
AXES_CLIENT_IP_CALLABLE = "marketplace.auth.client_address"
AXES_LOCKOUT_CALLABLE = "marketplace.auth.locked_out"
AXES_RESET_ON_SUCCESS = True
# A fixed cool-off: more guesses during it do not extend it, so an attacker cannot keep an
# officer locked out indefinitely by guessing on.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Successful sign-ins are in the audit chain already.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Password-reset e-mails: at most this many per e-mail address, and per client address, each clock hour.
PASSWORD_RESETS_PER_EMAIL_HOUR = env_int("PASSWORD_RESETS_PER_EMAIL_HOUR", 3, minimum=1, maximum=100)
PASSWORD_RESETS_PER_CLIENT_HOUR = env_int("PASSWORD_RESETS_PER_CLIENT_HOUR", 20, minimum=1, maximum=10_000)

# API throttles: anonymous callers per client address, signed-in callers per token (or per
# person, for the pages' own calls). Generous: a firm's bid at the deadline is a handful of calls.
API_ANONYMOUS_PER_MINUTE = env_int("API_ANONYMOUS_PER_MINUTE", 300, minimum=1)
API_TOKEN_PER_MINUTE = env_int("API_TOKEN_PER_MINUTE", 1200, minimum=1)
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["marketplace.rest.AnonymousThrottle", "marketplace.rest.TokenThrottle"]

# API tokens stop working this many days after they were created.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1, maximum=3650)
# Officers and staff are signed out after this long without a request; suppliers keep Django's
# two-week session.
OFFICER_IDLE_MINUTES = env_int("OFFICER_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)

# The second factor (django-otp): officers and staff must pass it, suppliers may. After each wrong
# code the device waits this many seconds, doubled at every further wrong code (1, 2, 4, … s);
# a right code resets it. Authenticator apps and recovery codes are throttled apart.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The issuer an authenticator app shows beside the account's e-mail address.
OTP_TOTP_ISSUER = "Tenderhall"

# Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))},
    # fontTools reports every table it subsets when a contract document is rendered.
    "loggers": {"django.db.backends": {"level": "INFO"}, "fontTools": {"level": "WARNING"}},
}
