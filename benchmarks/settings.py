"""Settings of the benchmarks: the deployment configuration of ``portal.settings.base`` (DEBUG off,
so templates go through the cached loader and queries are not logged) on the throwaway database
that ``benchmarks.common.setup_django`` names in ``DATABASE_URL`` before Django starts."""

import os

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403

# Never let a benchmark write into the development or a real database by accident.
if "PORTAL_BENCHMARK_DIR" not in os.environ:
    raise ImproperlyConfigured("benchmarks.settings is set up by benchmarks.common.setup_django()")

DEBUG = False
SECRET_KEY = "benchmark-only-key"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PUBLIC_BASE_URL = "http://localhost"
WAGTAILADMIN_BASE_URL = PUBLIC_BASE_URL
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
