"""Settings for the multi-database demo.

This is the one module that reads the environment (django-environ). Every
variable is documented in ``.env.example``.
"""

import secrets
from importlib.util import find_spec
from pathlib import Path

import environ

from project import checks  # noqa: F401  (registers project.E001, whatever apps are installed)
from project.databases import database_settings, reuse_connections
from project.variables import Variables

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # git-ignored: embedded databases and the dev secret key

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")
# Numbers and the log level are read through this: a value that can't be used
# is a project.E002 error naming the variable, not a bare ValueError here.
variables = Variables(env)
VARIABLE_PROBLEMS = variables.problems


def _dev_secret_key() -> str:
    """Return a random key kept in var/, so an unset DJANGO_SECRET_KEY is never a fixed string."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _dev_secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

INSTALLED_APPS = [
    "apps.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "routers",
    # manage.py health_check and its page's template; the checks are
    # routers/contrib/health_check.py's, on /health/ready/ (project/urls.py).
    "health_check",
    "apps.core",
    "apps.blog",
    "apps.shop",
    "apps.notes",
    "apps.analytics",
    "apps.legacy",
    "apps.activity",
    "apps.likes",  # no routing rule: default, beside users and content types
]

MIDDLEWARE = [
    # Outermost, so the trace also sees the session and auth queries.
    "apps.core.middleware.RoutingTraceMiddleware",
    # Before anything reads the session or a view queries: a NUL or a lone
    # surrogate in the input is a 400, not a DataError (apps/core/bad_input.py).
    "apps.core.bad_input.BadInputMiddleware",
    # Above SessionMiddleware, so a session saved at login counts as a write.
    "routers.middleware.PinningRouterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A write that fails because a primary is down becomes a 503 "temporarily
    # read-only" page (routers/degraded.py); the lowest exception handler.
    "routers.degraded.DegradedModeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A wrong method gets a page naming the allowed ones, not an empty 405.
    "apps.core.middleware.MethodNotAllowedPageMiddleware",
]

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
                "apps.core.context_processors.demo_mode",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Debug toolbar (DJANGO_DEBUG=true only)
# ------------------------------------------------------------------------------
# https://django-debug-toolbar.readthedocs.io/en/latest/installation.html
# A development tool, in requirements-dev.txt: the image installs
# requirements.txt alone and runs without DEBUG. Its SQL panel is
# routers/contrib/debug_toolbar.py's, which adds the router's reason to each
# query. DEBUG without the package installed is project.W010.
DEBUG_TOOLBAR = DEBUG and find_spec("debug_toolbar") is not None
if DEBUG_TOOLBAR:
    INSTALLED_APPS += ["debug_toolbar"]
    # Inside the routing trace, which stays outermost; both record reasons.
    MIDDLEWARE.insert(1, "debug_toolbar.middleware.DebugToolbarMiddleware")
    DEBUG_TOOLBAR_PANELS = [
        "debug_toolbar.panels.history.HistoryPanel",
        "debug_toolbar.panels.versions.VersionsPanel",
        "debug_toolbar.panels.timer.TimerPanel",
        "debug_toolbar.panels.settings.SettingsPanel",
        "debug_toolbar.panels.headers.HeadersPanel",
        "debug_toolbar.panels.request.RequestPanel",
        "routers.contrib.debug_toolbar.RoutedSQLPanel",  # in place of the SQL panel
        "debug_toolbar.panels.staticfiles.StaticFilesPanel",
        "debug_toolbar.panels.templates.TemplatesPanel",
        "debug_toolbar.panels.cache.CachePanel",
        "debug_toolbar.panels.signals.SignalsPanel",
    ]
    # The toolbar shows itself to requests from these addresses only.
    INTERNAL_IPS = ["127.0.0.1", "::1"]

# ------------------------------------------------------------------------------
# Databases
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/db/multi-db/
DATABASES, DATABASE_URL_PROBLEMS = database_settings(env, var_dir=VAR_DIR)
# Connection reuse for the PostgreSQL aliases (README, "Connections"): seconds a
# connection stays open across requests; 0 opens one per request.
reuse_connections(
    DATABASES, max_age=variables.whole_seconds("DATABASE_CONN_MAX_AGE", default=300, minimum=0)
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Order matters: the first router with an opinion wins. See routers/__init__.py.
# The replica router asks the app-label router below it for each model's primary.
# The warehouse router answers for the analytics app alone, so it can go first.
# The read-only router goes before all: it asks the others where a model lives
# and refuses ORM writes that would land on a read-only database. The shard
# router goes after the replica router (which would send a shard's reads to its
# replicas) and before the app-label router, which answers for every model.
DATABASE_ROUTERS = [
    "routers.read_only.ReadOnlyRouter",
    "routers.warehouse.WarehouseRouter",
    "routers.replica.PinningReplicaRouter",
    "routers.sharding.ShardRouter",
    "routers.app_label.AppLabelRouter",
]
# primary -> its replicas (or {alias: weight}). routers/replica.py lists the forms.
REPLICA_DATABASES = {"default": ["replica"]}
# app label -> alias. Apps not listed live in "default".
DATABASE_ROUTING_RULES = {"blog": "blog_db", "shop": "shop_db", "legacy": "legacy"}
# Pairs of databases whose rows may reference each other (a post's author).
DATABASE_RELATIONS = [("blog_db", "default"), ("shop_db", "default")]
# The analytics warehouse (apps/analytics, routers/warehouse.py): the site reads
# it as a role that can only read; migrations and refreshes use the owner's alias.
DATABASE_WAREHOUSE = {"APPS": ["analytics"], "READ": "analytics", "WRITE": "analytics_owner"}
# The legacy stock system (apps/legacy): never written through the ORM, never
# migrated. Inside allow_writes("legacy"), which only tests use, its reads and
# writes go to legacy_owner, the same database as the role that owns it.
DATABASE_READ_ONLY = {"legacy": "legacy_owner"}
# Sharded activity data (apps/activity, routers/sharding.py): 64 logical shards
# on two physical databases, placed by the map table in default
# (routers/shard_map.py); each event lives on its user's shard.
DATABASE_SHARDING = {
    "SHARDS": ["shard_0", "shard_1"],
    "MODELS": {"activity.Event": "user"},
    "LOGICAL_SHARDS": 64,
    "MAP_DATABASE": "default",
    # A changed map reaches every process within this many seconds.
    "MAP_REFRESH_SECONDS": 1.0,
}

# Read-your-writes (routers/pinning.py). Defaults match django-multidb-router:
# https://github.com/jbalogh/django-multidb-router#pinningreplicarouter
# "lsn": on PostgreSQL a client reads a replica again as soon as it has replayed
# the client's last write; "time": always wait MULTIDB_PINNING_SECONDS.
MULTIDB_PINNING_MODE = env.str("MULTIDB_PINNING_MODE", default="lsn")
MULTIDB_PINNING_SECONDS = variables.whole_seconds("MULTIDB_PINNING_SECONDS", default=15)

# Failover (routers/health.py): a replica that refuses connections is skipped
# for the cooldown; one lagging more than MULTIDB_MAX_REPLICA_LAG seconds takes
# no reads; lag is measured by a background thread every interval seconds.
# A negative or non-numeric value fails `manage.py check` (routers.E040, E041).
MULTIDB_REPLICA_COOLDOWN_SECONDS = variables.seconds("MULTIDB_REPLICA_COOLDOWN_SECONDS", default=30)
MULTIDB_MAX_REPLICA_LAG = variables.seconds("MULTIDB_MAX_REPLICA_LAG", default=5)
MULTIDB_REPLICA_LAG_INTERVAL = variables.seconds("MULTIDB_REPLICA_LAG_INTERVAL", default=1)

# ------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/#substituting-a-custom-user-model
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------------------
# Static files (whitenoise)
# ------------------------------------------------------------------------------
# https://whitenoise.readthedocs.io/en/stable/django.html
STATIC_URL = "static/"
# Set DJANGO_STATIC_ROOT where collectstatic has run (the Docker image does);
# without it whitenoise serves straight from the app folders, so the embedded
# demo needs no collectstatic step.
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default="") or None
WHITENOISE_USE_FINDERS = STATIC_ROOT is None
# Collected files get a content hash in their name and a gzip copy, so whitenoise
# serves them compressed with a year-long Cache-Control: a changed file is a new
# URL. That storage reads the manifest collectstatic writes, so it is used only
# with DJANGO_STATIC_ROOT; a root without the manifest is project.E003.
# https://whitenoise.readthedocs.io/en/stable/django.html#add-compression-and-caching-support
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_ROOT
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# ------------------------------------------------------------------------------
# Internationalisation
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Demo mode and the routing trace
# ------------------------------------------------------------------------------
# On (the default), the site shows what a reference project is for: the
# routing trace, the demo logins and each database's server address.
# DEMO_MODE=false switches the three off, and the settings `check --deploy`
# asks for on: secure cookies, HTTPS redirects and HSTS, for a site behind a
# TLS-terminating proxy that sets X-Forwarded-Proto.
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
DEMO_MODE = env.bool("DEMO_MODE", default=True)
# Show the per-query panel and the X-DB-Queries / Server-Timing headers. The
# panel prints SQL (never the query parameters), so it follows DEMO_MODE.
ROUTING_TRACE = env.bool("ROUTING_TRACE", default=DEMO_MODE)
if not DEMO_MODE:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes ask over plain HTTP from inside (the image's HEALTHCHECK, a load
    # balancer): answered there, not redirected to HTTPS.
    SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)/$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# ------------------------------------------------------------------------------
# Lag lab (/lag-lab/)
# ------------------------------------------------------------------------------
# A superuser session on the replica's standby, as a libpq URI: the lab pauses
# and resumes WAL replay with it. Empty: the lab shows how to switch it on.
# https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-RECOVERY-CONTROL
LAG_LAB_SUPERUSER_URL = env.str("DATABASE_URL_REPLICA_SUPERUSER", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 400 or 403 is logged as one line, not a traceback (apps/core/log_filters.py).
    "filters": {"client_errors": {"()": "apps.core.log_filters.ClientErrorsWithoutTraceback"}},
    # Time, level, process id and logger on every line: health (routers.health) is
    # per process, so "replica marked down" means little without which worker said it.
    # https://docs.python.org/3/library/logging.html#logrecord-attributes
    "formatters": {
        "console": {
            "format": "{asctime} {levelname} [pid {process}] {name}: {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["client_errors"],
            "formatter": "console",
        }
    },
    "root": {
        "handlers": ["console"],
        "level": variables.log_level("DJANGO_LOG_LEVEL", default="INFO"),
    },
}
