import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
application = get_wsgi_application()

from portal.startup import prepare_process  # noqa: E402  (needs the configured application)

prepare_process()
