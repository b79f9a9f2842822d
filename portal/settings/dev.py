from .base import *  # noqa: F403
from .base import SECRET_KEY as _SECRET_KEY
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed development key is fine on a developer's machine; production refuses to start without one.
SECRET_KEY = _SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
