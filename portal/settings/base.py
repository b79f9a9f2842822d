"""Settings shared by every environment; each value that differs per deployment comes from
an environment variable so that one build runs anywhere."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portal.release import release_digest
from portal.transactions import sqlite_options
from search.es_config import elasticsearch_backend

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def public_base_url(value: str) -> str:
    """PUBLIC_BASE_URL as the portal uses it: ``scheme://host[:port]``, no path, no slash at the end.
    Every absolute URL the portal writes (QR codes, short links, canonical links, the sitemap,
    JSON-LD, Atom, CPSV-AP, webhook payloads) starts with it."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"PUBLIC_BASE_URL must be an address like https://bszn.example.gov.cn (scheme, host and "
            f"an optional port; no path), not {value!r}"
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        raise ImproperlyConfigured(f"PUBLIC_BASE_URL has an invalid port: {value!r}") from error
    return f"{parts.scheme}://{parts.netloc.lower()}"


SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Where citizens reach the portal; required in production, http://127.0.0.1:$PORT in development.
PUBLIC_BASE_URL = public_base_url(os.environ.get("PUBLIC_BASE_URL", ""))
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "portal",
    "guides",
    "journeys",
    "search",
    "printing",
    "kiosk",
    "feed",
    "editorial",
    "feedback",
    "wagtail_localize",
    "wagtail_localize.locales",
    "django_tasks_db",
    "csp",
    "axes",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above the static files and the page cache, so that every response carries the headers.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "portal.security.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.SharedPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.routing.CachedSiteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # (after the messages: it reads the refusal Wagtail's admin leaves there)
    "editorial.middleware.AdminRefusalMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # After the middleware with a process_view (CSRF): it runs the view itself, in a transaction
    # where the request may write.
    "portal.transactions.WritesInOneTransactionMiddleware",
    # Last, as django-axes asks: answers a locked-out login with 429 (it has no process_view).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses them once locked out, before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "portal.urls"

THEME = os.environ.get("PORTAL_THEME", "default")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [
            BASE_DIR / "themes" / THEME / "templates",
            BASE_DIR / "print_templates",
            BASE_DIR / "themes" / "kiosk" / "templates",
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
# Seconds a writer waits for another one to finish (SQLite's busy timeout; PostgreSQL writers
# wait for row locks as long as it takes).
DATABASE_BUSY_TIMEOUT = float(os.environ.get("DATABASE_BUSY_TIMEOUT", "20"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        **sqlite_options(DATABASE_BUSY_TIMEOUT), **DATABASES["default"].get("OPTIONS", {})
    }
# Requests that may write run in one transaction, those that only read in none
# (portal.transactions.WritesInOneTransactionMiddleware, instead of ATOMIC_REQUESTS).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Public pages: Chinese at the plain address, English under /en/ (portal.urls, docs/i18n.md).
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The admin speaks each editor's choice among these (account settings), Chinese by default.
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "themes" / THEME / "static", BASE_DIR / "themes" / "kiosk" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise serves /static/ from every process (production: the collected, hashed and compressed
# files of STATIC_ROOT; development: straight from the apps and themes).
WHITENOISE_USE_FINDERS = DEBUG

# --- security headers ---------------------------------------------------------------------------
# The public site, the kiosk and the API: nothing inline (the pages carry no inline script, style
# or event handler; JSON-LD is a data block, which CSP does not govern), nothing from elsewhere.
# PDF sheets may be framed by the portal's own pages (the kiosk's print page, the admin preview).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The kiosk prints a sheet it fetched, from a blob: URL in a frame.
        "frame-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The Wagtail admin (and its previews) and Django's admin run inline scripts and styles that no
# policy without 'unsafe-inline' allows, so they get their own: still nothing from other sites,
# no plugins, no framing by others. See docs/deploy.md.
ADMIN_URL_PREFIXES = ("/admin/", "/django-admin/")
ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
# Browser features the portal never uses are switched off for it and anything it frames.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "usb", "xr-spatial-tracking",
    )
}

# --- admin login throttling (django-axes) -------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that pair is locked
# out for AXES_COOLOFF_MINUTES (each further try restarts the wait). Counted per user name and
# address together, so nobody can lock an editor out from elsewhere. Unlock at once with
# ``manage.py axes_reset_username <name>`` (or ``axes_reset`` for everyone).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.security.request_address"
AXES_LOCKOUT_TEMPLATE = "portal/login_locked.html"
AXES_VERBOSE = False

# The client's address behind a reverse proxy: the right-most address of this request header
# (e.g. HTTP_X_FORWARDED_FOR, which the proxy appends to); unset, the peer address. Used by the
# feed's rate limit and the admin's login lock-out.
FEED_CLIENT_IP_HEADER = os.environ.get("FEED_CLIENT_IP_HEADER", "") or None
# Requests per client to /api/v1/: "120/minute", "10/second", "1000/hour"; "0" switches it off.
FEED_RATE_LIMIT = os.environ.get("FEED_RATE_LIMIT", "120/minute")
# Citizens' feedback posts (votes and error reports together) per client, counted in the same
# shared cache; "0" switches it off. A hall's kiosks or Wi-Fi behind one address share it.
FEEDBACK_RATE_LIMIT = os.environ.get("FEEDBACK_RATE_LIMIT", "20/minute")

WAGTAIL_SITE_NAME = os.environ.get("PORTAL_SITE_NAME", "一窗办事指南")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "") or PUBLIC_BASE_URL
# The admin fetches nothing from other sites: no avatars from gravatar.com, no update check
# against releases.wagtail.org (upgrades are made and checked as docs/deploy.md describes).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Guides are translated into English with wagtail-localize (docs/i18n.md): the content languages
# are the interface's. Chinese is the source of every guide; an English page is its translation.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
# Every approval in the review workflow is of the content that goes live: an edit during review
# sends the guide through the steps it had passed again (editorial.models.ReviewTask).
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# The dashboard would ask wagtail.org for new releases from every editor's browser.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILDOCS_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "jpg", "jpeg", "png"]
# Search: Wagtail's database backend by default (with column weights on SQLite); with
# ELASTICSEARCH_URL set, Elasticsearch answers and the database backend stands by for outages.
# Both index the same pre-segmented tokens (search.analysis), so they need no Chinese plugins.
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
DATABASE_SEARCH_BACKEND = {"BACKEND": "search.backends.database"}
if ELASTICSEARCH_URL:
    WAGTAILSEARCH_BACKENDS = {
        "default": elasticsearch_backend(
            ELASTICSEARCH_URL,
            index_prefix=os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "yichuang_"),
            timeout=float(os.environ.get("ELASTICSEARCH_TIMEOUT", "2")),
            replicas=int(os.environ.get("ELASTICSEARCH_REPLICAS", "1")),
        ),
        "database": DATABASE_SEARCH_BACKEND,
    }
else:
    WAGTAILSEARCH_BACKENDS = {"default": DATABASE_SEARCH_BACKEND}
WAGTAIL_DATE_FORMAT = "%Y-%m-%d"
WAGTAIL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"

# Searches are counted in memory and written to the query log this often, by a thread of each
# process (search.query_log); 0 writes only when asked (tests).
SEARCH_LOG_FLUSH_SECONDS = float(os.environ.get("SEARCH_LOG_FLUSH_SECONDS", "5"))

# Seconds without a touch before a hall kiosk returns to its start screen.
KIOSK_IDLE_SECONDS = int(os.environ.get("KIOSK_IDLE_SECONDS", "60"))
# The hall (服务大厅, by name) whose hours of the day the kiosk's start screen shows; else the first.
KIOSK_HALL = os.environ.get("KIOSK_HALL", "")

# Background tasks (webhook deliveries, PDF pre-rendering) on Django's tasks framework, through
# the backport that Wagtail 8 already depends on. "immediate" runs a task in the process that
# enqueued it, once the transaction has committed (one machine, nothing else to run); "database"
# queues it in the database (django-tasks-db) for ``manage.py db_worker`` to run.
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
# Search clicks are counted in memory and written by each process this often (search.clicks).
SEARCH_CLICK_FLUSH_SECONDS = float(os.environ.get("SEARCH_CLICK_FLUSH_SECONDS", "10"))

TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {TASKS_BACKEND!r}")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}
# Work that talks to servers outside the portal (search index updates, webhook deliveries) never
# runs inside an editor's request or an import (portal.tasks): queued for the worker with
# "database"; with "immediate", run by a thread of the process after the commit.
if TASKS_BACKEND == "immediate":
    TASKS["background"] = {"BACKEND": "portal.tasks.ThreadBackend"}
    BACKGROUND_TASK_BACKEND = "background"
else:
    BACKGROUND_TASK_BACKEND = "default"

# Webhooks (feed.webhooks): each try ends within FEED_WEBHOOK_TIMEOUT seconds in all; receivers
# must resolve to public addresses, except the host names listed here (an intranet intake system).
FEED_WEBHOOK_TIMEOUT = float(os.environ.get("FEED_WEBHOOK_TIMEOUT", "5"))
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")

# Re-render a guide's PDFs in the background when it is published. On by default only with a
# queue that a worker runs: with the immediate backend every publish (and every imported guide)
# would wait for its sheets.
PRINTING_PRERENDER_ON_PUBLISH = env_bool("PRINTING_PRERENDER_ON_PUBLISH", TASKS_BACKEND == "database")
# Seconds a reader's request waits for a sheet that is not stored yet; then it answers 202 ("being
# generated", asking again in a few seconds) while the render goes on (printing.pending).
PRINTING_RESPONSE_WAIT = float(os.environ.get("PRINTING_RESPONSE_WAIT", "8"))
# The print face of the sheets, built from the installed CJK font by `manage.py build_print_fonts`
# (printing.fonts): a build product of the machine, not data of a site, so not under VAR_DIR.
PRINTING_FONT_DIR = Path(os.environ.get("PRINTING_FONT_DIR", BASE_DIR / ".cache" / "print-fonts"))

# The cache holds rendered guide pages, serialized records and the rate-limit counters of the
# feed. Without CACHE_URL: memory of each process (enough for one machine). With several
# processes or machines a shared cache keeps them consistent: "redis://host:6379/0" (needs the
# ``redis`` extra) or "file:///var/cache/portal".
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHE_MAX_ENTRIES = int(os.environ.get("CACHE_MAX_ENTRIES", "20000"))
if not CACHE_URL or CACHE_URL.startswith("locmem://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": CACHE_MAX_ENTRIES},
        }
    }
elif CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL.startswith("file://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_URL.removeprefix("file://"),
            "OPTIONS": {"MAX_ENTRIES": CACHE_MAX_ENTRIES},
        }
    }
else:
    raise ImproperlyConfigured(f"CACHE_URL must start with locmem://, redis://, rediss:// or file://, not {CACHE_URL!r}")
# The feed's rate-limit counters must be seen by every process that serves the feed: the shared
# cache when there is one, else a file cache on this machine (shared by its processes).
if CACHE_URL and not CACHE_URL.startswith("locmem://"):
    CACHES["ratelimit"] = dict(CACHES["default"])
else:
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "ratelimit"),
    }
FEED_RATE_LIMIT_CACHE = "ratelimit"
# The version counters that cached pages, searches, records and feed answers are kept under
# (portal.versions): a change in one process must reach every process, so they live in the shared
# cache, else in a file cache that the processes of this machine share.
if CACHE_URL and not CACHE_URL.startswith("locmem://"):
    CACHES["versions"] = dict(CACHES["default"])
else:
    CACHES["versions"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "versions"),
    }
# What the default cache keeps was made by this release's code: a new release starts afresh
# (portal.release), also in a shared cache that outlives the deployment.
CACHES["default"]["KEY_PREFIX"] = release_digest(BASE_DIR)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per background task and per page save drowns what matters.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
