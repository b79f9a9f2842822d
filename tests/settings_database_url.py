"""The test settings on the database that DATABASE_URL names: for the commands that tests run in
a subprocess on a database of their own (a restore into an empty database, a backup)."""

import os

import dj_database_url

from portal.settings.test import *  # noqa: F403

DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
