import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, TASKS, sqlite_options  # noqa: F401

DEBUG = False
SECRET_KEY = "test-only-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The suite runs on SQLite in memory, or with TEST_DATABASE=postgresql on a throw-away PostgreSQL
# server that the test setup starts (portal.testing.pg_server) and fills in here (tests/conftest.py).
TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
if TEST_DATABASE == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "OPTIONS": sqlite_options(20)}}
elif TEST_DATABASE == "postgresql":
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "portal"}}
else:
    raise ImproperlyConfigured(f"TEST_DATABASE must be sqlite or postgresql, not {TEST_DATABASE!r}")
# The query log is written when a test says so (search.query_log.query_log.flush()).
SEARCH_LOG_FLUSH_SECONDS = 0
# One media directory per pass: `make test` runs the SQLite and PostgreSQL passes at the same time.
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{TEST_DATABASE}"
WAGTAILADMIN_BASE_URL = "http://testserver"
# Tests write the buffered search clicks themselves (search.clicks.flush).
SEARCH_CLICK_FLUSH_SECONDS = 0
STATIC_ROOT = None  # no collectstatic: WhiteNoise serves from the finders
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
PUBLIC_BASE_URL = "http://testserver"  # the test client's host
CACHES = {
    **CACHES,  # noqa: F405
    "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"},
    # One process: its memory (tests of several processes pass CACHE_URL, or the file cache's
    # settings, to the processes they start).
    "versions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "versions"},
}
# Static files straight from the apps and themes (no collectstatic before the tests).
WHITENOISE_USE_FINDERS = True
# A test that asks for a sheet gets it, however loaded the machine (the tests of the 202 answer
# for a sheet still rendering set a short wait themselves).
PRINTING_RESPONSE_WAIT = 120
