"""The release a process runs: a digest of the portal's own code, templates, static files and
catalogues, and of the versions of Django and Wagtail.

The shared cache (CACHE_URL) outlives a deployment, and what it keeps (rendered pages, searches,
records, feed answers) was made by the code of the release before: kept under the release's
digest (the default cache's key prefix), none of it is served by the next release, and every
process of one release computes the same digest without being told."""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

# Files that make what a cached answer contains.
SOURCE_SUFFIXES = frozenset({".py", ".html", ".txt", ".css", ".js", ".svg", ".json", ".mo"})
# Beside the apps: the sheet templates and the catalogues.
EXTRA_DIRECTORIES = ("print_templates", "locale")


def _source_directories(base_dir: Path) -> list[Path]:
    apps = [path.parent for path in base_dir.glob("*/apps.py")]
    return sorted(apps + [base_dir / name for name in EXTRA_DIRECTORIES if (base_dir / name).is_dir()])


def release_digest(base_dir: Path) -> str:
    digest = hashlib.sha256()
    for package in ("django", "wagtail"):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    for directory in _source_directories(base_dir):
        for path in sorted(directory.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                digest.update(str(path.relative_to(base_dir)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
