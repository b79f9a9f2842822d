"""A new release does not serve what the release before it cached (portal.release): the default
cache's keys carry a digest of the code, the same in every process of one release."""

from __future__ import annotations

import shutil

from django.conf import settings
from django.core.cache import cache

from portal.release import release_digest


def _copy_of_the_code(tmp_path):
    copy = tmp_path / "portal-code"
    for name in ("portal", "guides", "print_templates", "locale"):
        shutil.copytree(settings.BASE_DIR / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_digest_follows_the_code_and_nothing_else(tmp_path):
    copy = _copy_of_the_code(tmp_path)
    first = release_digest(copy)
    assert release_digest(copy) == first  # every process of one release agrees
    (copy / "guides" / "__pycache__").mkdir(exist_ok=True)
    (copy / "guides" / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"compiled")
    (copy / "portal" / "notes.orig").write_text("not code")
    assert release_digest(copy) == first
    template = next((copy / "guides" / "templates").rglob("*.html"))
    template.write_text(template.read_text(encoding="utf-8") + "\n<!-- changed -->", encoding="utf-8")
    changed = release_digest(copy)
    assert changed != first
    (copy / "print_templates" / "extra.css").write_text("p { color: black }")
    assert release_digest(copy) != changed


def test_the_shared_cache_keys_carry_this_release():
    digest = release_digest(settings.BASE_DIR)
    assert settings.CACHES["default"]["KEY_PREFIX"] == digest
    assert cache.make_key("portal:response:1").startswith(f"{digest}:")
    # Counters that must outlive a release (rate limits, version counters) are not renamed.
    assert "KEY_PREFIX" not in settings.CACHES["ratelimit"] and "KEY_PREFIX" not in settings.CACHES["versions"]
