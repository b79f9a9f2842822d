import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import PUBLIC_BASE_URL, SECRET_KEY, env_bool, env_list

DEBUG = False
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production")
if not PUBLIC_BASE_URL:
    raise ImproperlyConfigured(
        "PUBLIC_BASE_URL must be set in production: the address citizens use, e.g. https://bszn.example.gov.cn "
        "(QR codes, short links, canonical links, feeds and exports are built from it)"
    )

_public = urlsplit(PUBLIC_BASE_URL)
# Unless said otherwise, the portal answers to its public host name (and loopback, for probes).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"{_public.hostname},localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", PUBLIC_BASE_URL)

# Compressed (gzip, Brotli) copies and content-hashed names, made by `manage.py collectstatic`;
# WhiteNoise serves them with a year of caching. A template naming a file that was not collected
# fails loudly rather than linking to a 404.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

# HTTPS: the reverse proxy terminates TLS and says so in X-Forwarded-Proto (docs/deploy.md).
# A PUBLIC_BASE_URL on plain http (e.g. `make serve` on 127.0.0.1) turns the https-only settings
# off, and `manage.py check --deploy` says so.
_https = _public.scheme == "https"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365))) if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
