"""The English catalogue (locale/en/LC_MESSAGES/django.po): every string the code and the
templates mark for translation has an English translation, and the compiled django.mo that the
portal reads is the .po as it stands.

The strings are collected afresh by Django's makemessages from a copy of the source (the
repository itself is never written), so a string added without updating the catalogue fails here.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
# What makemessages reads: the apps, the themes and the sheets' templates (not the tests, the
# benchmarks or anything installed).
SOURCES = ("guides", "journeys", "kiosk", "search", "feed", "printing", "portal", "editorial", "feedback", "themes", "print_templates")
IGNORED = ("migrations", "testing")


def untranslated(entries) -> list[str]:
    return [
        entry.msgid
        for entry in entries
        if "fuzzy" in entry.flags
        or not (entry.msgstr or (entry.msgstr_plural and all(entry.msgstr_plural.values())))
    ]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """The catalogue as makemessages makes it now from the source, merged with the committed
    translations (msgmerge marks a new string whose msgid resembles an old one "fuzzy")."""
    if not CATALOGUE.exists():
        pytest.fail(f"the English catalogue is missing: {CATALOGUE}")
    copy = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    (copy / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(CATALOGUE, copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
    command = [sys.executable, "manage.py", "makemessages", "--locale", "en", "--no-obsolete", "--no-location"]
    command += [argument for pattern in IGNORED for argument in ("--ignore", pattern)]
    result = subprocess.run(
        command, cwd=copy, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings.test", "PYTHONPATH": str(copy)},
    )
    assert result.returncode == 0, result.stderr
    return polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))


def test_every_marked_string_has_an_english_translation(extracted):
    assert len(extracted) > 500  # the whole UI, not an empty extraction
    missing = untranslated(extracted)
    assert not missing, f"{len(missing)} strings lack English: {missing[:20]}"


def test_the_committed_catalogue_holds_every_extracted_string(extracted):
    committed = {entry.msgid for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete}
    new = [entry.msgid for entry in extracted if entry.msgid not in committed]
    assert not new, f"run makemessages -l en and translate: {new[:20]}"


def test_the_compiled_catalogue_is_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOGUE)], check=True)
    with COMPILED.open("rb") as committed, compiled.open("rb") as fresh:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(fresh)._catalog, (
            "locale/en/LC_MESSAGES/django.mo is older than the .po: run manage.py compilemessages"
        )


def test_the_catalogue_is_complete_as_committed():
    missing = untranslated(entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete)
    assert not missing, missing[:20]
