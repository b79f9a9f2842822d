"""The catalogue export and a restore from it, against floors measured in the same run.

Run::

    .venv/bin/python -m benchmarks.restore [--guides 10000] [--restore 300] [--workdir DIR]
        [--database sqlite|postgresql]

What it does:

1. Builds (or, with ``--workdir``, reuses) the throwaway database of ``benchmarks.common`` with
   ``--guides`` published guides: a SQLite file, or with ``--database postgresql`` a PostgreSQL
   server started for the run.
2. Export: ``export_guides`` of the whole catalogue into a file, with the record cache cleared and
   again with the records cached, beside its floor, the feed's full export of the same guides
   (``GET /api/v1/guides.ndjson``, the same records without history, through the WSGI handler).
   Prints seconds, guides/s, the ratio to the floor and the highest resident set size.
3. Restore: the first ``--restore`` guides of that export (with the site, departments, halls,
   windows and themes) imported by ``import_guides`` into a new, migrated database of the same
   kind (a SQLite file, or a database created on the same PostgreSQL server), beside its floor,
   the plain import (``--publish``) of the same guides' records without their state (no
   history, drafts, times) into another new database. Both run as ``manage.py`` in a
   subprocess; their CPU time (user + system) is compared, as the machine is shared (on
   PostgreSQL the server's own CPU time is not in it).

There are no targets: the figures describe what a restore costs (the issue measured the full
NDJSON export of 10,000 guides at 2.9 s, RSS 206 MB). The exit status is 1 only if a restore
gives back a different number of guides.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import common


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--guides", type=int, default=10_000, help="published guides in the database")
    parser.add_argument("--restore", type=int, default=300, help="guides restored into a new database")
    common.add_database_arguments(parser)
    return parser.parse_args(argv)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(path: Path) -> tuple[float, int]:
    from guides.catalogue import catalogue_snapshot, iter_catalogue

    start = time.perf_counter()
    lines = 0
    with path.open("wb") as stream, catalogue_snapshot():
        for line in iter_catalogue():
            stream.write(line)
            lines += 1
    return time.perf_counter() - start, lines


def ndjson_floor(app) -> float:
    start = time.perf_counter()
    result = app(common.wsgi_environ("/api/v1/guides.ndjson"), lambda status, headers, exc_info=None: None)
    for _chunk in result:
        pass
    result.close()
    return time.perf_counter() - start


def subset(export_path: Path, guides: int, target: Path, *, plain: bool) -> int:
    """The first ``guides`` guides of an export with the records they refer to; ``plain`` keeps
    only the guides' records (no header, state or change log), as a plain import file."""
    kept = 0
    lines = []
    with export_path.open(encoding="utf-8") as source:
        header = json.loads(next(source))
        for line in source:
            record = json.loads(line)
            kind = record["record"]
            if kind == "guide" and kept < guides:
                kept += 1
                if plain:
                    for key in ("record", "page", "history", "draft", "change_note", "checklist_version", "checklist_fingerprint"):
                        record.pop(key, None)
                lines.append(json.dumps(record, ensure_ascii=False))
            elif kind in ("site", "department", "hall", "window", "theme") and not plain:
                lines.append(line.rstrip("\n"))
    if not plain:
        counts = {kind: sum(1 for line in lines if f'"record":"{kind}"' in line[:40]) for kind in header["counts"]}
        lines.insert(0, json.dumps({**header, "counts": counts}))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return kept


def empty_database(directory: Path) -> str:
    """The URL of a new database without tables, of the kind the run's is: a SQLite file in
    ``directory``, or a database named after it, created anew on the run's PostgreSQL server."""
    server = common.database_server()
    if server is None:
        database = directory / "portal.sqlite3"
        database.unlink(missing_ok=True)
        return f"sqlite:///{database}"
    from django.db import connection

    name = f"bench_{directory.name.replace('-', '_')}"
    with connection.cursor() as cursor:  # autocommit: CREATE DATABASE runs outside a transaction
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    return server.database_url(name)


def manage(database_url: str, directory: Path, *args: str) -> float:
    """CPU seconds (user + system) of ``manage.py *args`` on the database ``database_url``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": common.SETTINGS_MODULE,
        "DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(directory),
        "PORTAL_BENCHMARK_DIR": str(directory),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "manage.py", *args], cwd=common.REPO_DIR, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def restored_guides(database_url: str) -> int:
    statement = "SELECT count(*) FROM guides_guidepage"
    if database_url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(statement).fetchone()[0]
    import psycopg

    with psycopg.connect(database_url) as db:
        return db.execute(statement).fetchone()[0]


def run(args: argparse.Namespace, workdir: Path) -> int:
    from django.core.cache import cache

    print(f"Restore benchmark: {args.guides:,} guides, {args.restore:,} restored, database in {workdir}")
    site = common.prepare_database(args.guides, workdir=workdir)
    app = common.wsgi_application()
    catalogue = workdir / "catalogue.jsonl"

    cache.clear()
    cold, lines = export(catalogue)
    warm, _ = export(catalogue)
    floor = ndjson_floor(app)
    size = catalogue.stat().st_size / 1e6
    print(f"export_guides: {site.guide_count:,} guides, {lines:,} lines, {size:.1f} MB")
    print(f"  cold cache {cold:.2f} s ({site.guide_count / cold:,.0f} guides/s), cached records {warm:.2f} s")
    print(f"  floor (guides.ndjson, records cached) {floor:.2f} s: ratio {warm / floor:.2f}x; peak RSS {peak_rss_mb():.0f} MB")

    results = {}
    for name, plain in (("restore", False), ("plain import", True)):
        directory = workdir / name.replace(" ", "-")
        directory.mkdir(exist_ok=True)
        database = empty_database(directory)
        kept = subset(catalogue, args.restore, directory / "input.jsonl", plain=plain)
        manage(database, directory, "migrate", "--noinput", "-v0")
        if plain:  # the plain import needs the site skeleton and the references made beforehand
            subset(catalogue, 0, directory / "skeleton.jsonl", plain=False)
            manage(database, directory, "import_guides", str(directory / "skeleton.jsonl"), "--no-progress")
        seconds = manage(database, directory, "import_guides", str(directory / "input.jsonl"), "--no-progress", *(["--publish"] if plain else []))
        results[name] = seconds
        if restored_guides(database) != kept:
            print(f"{name}: {restored_guides(database)} guides in the new database, expected {kept}")
            return 1
        print(f"{name}: {kept:,} guides in {seconds:.1f} s CPU ({kept / seconds:.1f} guides/s)")
    print(f"  restore / plain import: {results['restore'] / results['plain import']:.2f}x")
    print(f"speed probe: {common.speed_probe() * 1000:.1f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return common.run_in_workdir(args, run)


if __name__ == "__main__":
    sys.exit(main())
