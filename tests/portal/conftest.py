import shutil

import pytest

from tests.databases import run_portal


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A SQLite database file with every migration applied, made once; copy it, do not write it."""
    directory = tmp_path_factory.mktemp("migrated")
    path = directory / "portal.sqlite3"
    run_portal(f"sqlite:///{path}", directory, "manage.py", "migrate", "--noinput", "-v0")
    return path


@pytest.fixture
def sqlite_copy(migrated_sqlite, tmp_path):
    """A migrated SQLite database of this test's own: its URL and its file."""
    path = tmp_path / "db" / "portal.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}", path
