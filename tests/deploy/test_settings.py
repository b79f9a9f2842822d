"""``portal.settings.production`` as an operator meets it: Django's deployment checks are clean
with the documented environment, and it refuses to start without a proper PUBLIC_BASE_URL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.deploy.conftest import ROOT, base_environment, free_port

# These tests start portals of their own on SQLite files (the embedded default), whatever the
# pass's test database: run once, in the SQLite pass.
pytestmark = pytest.mark.sqlite


def _manage(tmp_path, *args, **env_changes):
    env = base_environment(tmp_path, free_port())
    env.update(PUBLIC_BASE_URL="https://bszn.example.gov.cn")
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_check_deploy_is_clean(tmp_path):
    completed = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout


def test_check_deploy_says_when_the_site_is_not_on_https(tmp_path):
    completed = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", PUBLIC_BASE_URL="http://127.0.0.1:8000")
    assert completed.returncode != 0
    assert "security.W008" in completed.stderr + completed.stdout  # SECURE_SSL_REDIRECT


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "PUBLIC_BASE_URL must be set"), ("bszn.example.gov.cn", "PUBLIC_BASE_URL must be an address"),
     ("https://bszn.example.gov.cn/portal", "no path"), ("ftp://bszn.example.gov.cn", "PUBLIC_BASE_URL must be")],
)
def test_production_refuses_to_start_without_a_public_base_url(tmp_path, value, message):
    completed = _manage(tmp_path, "check", PUBLIC_BASE_URL=value)
    assert completed.returncode != 0
    assert message in completed.stderr
