import os

from .base import *  # noqa: F403
from .base import SECRET_KEY as _SECRET_KEY
from .base import env_bool, public_base_url

DEBUG = env_bool("DEBUG", True)
# A fixed development key is fine on a developer's machine; production refuses to start without one.
SECRET_KEY = _SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
# `make run` serves http://127.0.0.1:$PORT and says so here (its Makefile sets it explicitly).
PUBLIC_BASE_URL = public_base_url(os.environ.get("PUBLIC_BASE_URL", "") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "") or PUBLIC_BASE_URL
WHITENOISE_USE_FINDERS = True
# Static files straight from the apps and themes, never a collected copy that `make serve` left.
STATIC_ROOT = None
