"""The SQLite backup of docs/deploy.md, taken online: while a portal keeps publishing, a backup
with the sqlite3 shell's ``.backup`` and one with Python's ``sqlite3`` backup API are each one
consistent state of the database (a prefix of the change log and of the checklist history, every
guide at the version of its last checklist), and a portal restored from one serves it and
publishes on."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from tests.databases import REPO, run_portal

# Events of one publish of a changed checklist: published and checklist_changed.
EVENTS_PER_PUBLISH = 2


def database_state(path: Path) -> dict:
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {
            "events": db.execute(
                "SELECT id, kind, code, checklist_version, fingerprint, created_at FROM feed_changeevent ORDER BY id"
            ).fetchall(),
            "versions": db.execute(
                "SELECT id, guide_id, version, fingerprint, published_at FROM guides_checklistversion ORDER BY id"
            ).fetchall(),
            "guides": db.execute(
                "SELECT p.code, p.checklist_version, p.checklist_fingerprint, p.page_ptr_id FROM guides_guidepage p ORDER BY p.code"
            ).fetchall(),
        }


def read_event_ids(writer: subprocess.Popen, at_least: int) -> int:
    """Follow the writer's output until the change log's last id reaches ``at_least``."""
    last = 0
    while last < at_least:
        line = writer.stdout.readline()
        assert line, f"the writer stopped early: {writer.stderr.read().decode(errors='replace')}"
        last = int(line)
    return last


def test_an_online_backup_is_one_consistent_state_and_restores(sqlite_copy, tmp_path):
    url, source = sqlite_copy
    run_portal(url, tmp_path, "-m", "tests.portal.sqlite_writer", "seed")
    seeded = len(database_state(source)["events"])

    stop = tmp_path / "stop"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings_database_url", "DATABASE_URL": url, "PORTAL_VAR_DIR": str(tmp_path)}
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.portal.sqlite_writer", "run", str(stop)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        read_event_ids(writer, seeded + 3 * EVENTS_PER_PUBLISH)
        shell_copy = tmp_path / "shell-backup.sqlite3"
        # As docs/deploy.md says: the shell waits up to 10 s for a writer's lock instead of failing.
        subprocess.run(["sqlite3", str(source), ".timeout 10000", f".backup '{shell_copy}'"], check=True, timeout=120)
        api_copy = tmp_path / "api-backup.sqlite3"
        with closing(sqlite3.connect(source, timeout=10)) as live, closing(sqlite3.connect(api_copy)) as copy:
            live.backup(copy)
        backups = {copy: database_state(copy) for copy in (shell_copy, api_copy)}
        # Three more publishes after the later of the two backups.
        read_event_ids(writer, max(state["events"][-1][0] for state in backups.values()) + 3 * EVENTS_PER_PUBLISH)
    finally:
        stop.touch()
        writer.wait(timeout=120)
    assert writer.returncode == 0, writer.stderr.read().decode(errors="replace")
    final = database_state(source)

    for copy, backup in backups.items():
        # Taken while the portal was being written to: more than the seed, less than the end.
        assert seeded < len(backup["events"]) < len(final["events"]), copy.name
        # One state of the database: the log and the history up to some publish, nothing torn.
        assert backup["events"] == final["events"][: len(backup["events"])]
        assert backup["versions"] == final["versions"][: len(backup["versions"])]
        assert (len(backup["events"]) - seeded) % EVENTS_PER_PUBLISH == 0  # no half of a publish
        latest = {guide_id: (version, fingerprint) for _, guide_id, version, fingerprint, _ in backup["versions"]}
        for code, version, fingerprint, page_id in backup["guides"]:
            assert (version, fingerprint) == latest[page_id], code

    # Restore: the backup becomes the database of a portal, which serves it and publishes on.
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    restored = restored_dir / "portal.sqlite3"
    shutil.copyfile(shell_copy, restored)
    backup = database_state(restored)
    script = f"""
import json, django
django.setup()
from django.test import Client
from guides.models import GuidePage
from feed.models import ChangeEvent
client = Client()
answers = {{}}
for code, fingerprint in {json.dumps([(code, fp) for code, _, fp, _ in backup["guides"]])}:
    answers[code] = client.get(f"/api/v1/guides/{{code}}/checklist/verify/", {{"fingerprint": fingerprint}}).json()
page = GuidePage.objects.get(code="T-BAK-0001").get_latest_revision_as_object()
page.summary = "恢复后的第一次发布"
page.save_revision().publish()
print(json.dumps({{"verify": answers, "next_event": ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first()}}))
"""
    result = json.loads(run_portal(f"sqlite:///{restored}", restored_dir, "-c", script).stdout.decode().splitlines()[-1])
    for code, version, _, _ in backup["guides"]:
        assert result["verify"][code]["current"] is True and result["verify"][code]["version"] == version, code
    assert result["next_event"] == backup["events"][-1][0] + 1

