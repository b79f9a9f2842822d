"""A portal that keeps publishing, for the online backup test (tests/portal/test_backup.py).

``python -m tests.portal.sqlite_writer seed`` puts three published guides in the database that
DATABASE_URL names; ``python -m tests.portal.sqlite_writer run STOP_FILE`` then changes their
checklists one publish after another (each writes a checklist version and two change events in
one transaction), printing the id of the change log's last event after each, until STOP_FILE
exists."""

from __future__ import annotations

import sys
from pathlib import Path

CODES = [f"T-BAK-{number:04}" for number in range(1, 4)]


def seed() -> None:
    from guides.importer import import_guides
    from portal.demo.loader import ensure_site
    from tests.conftest import build_hall, jsonl, make_record

    ensure_site()
    build_hall()
    import_guides(jsonl(*(make_record(code=code) for code in CODES)), publish=True)


def run(stop: Path) -> None:
    from django.db import transaction

    from feed.models import ChangeEvent
    from guides.models import GuidePage

    publishes = 0
    while not stop.exists():
        # One transaction, as an editor's publish in the admin (ATOMIC_REQUESTS).
        with transaction.atomic():
            page = GuidePage.objects.get(code=CODES[publishes % len(CODES)]).get_latest_revision_as_object()
            materials = list(page.materials.all())
            materials[1].copy_count += 1
            page.materials = materials
            page.save_revision().publish()
        publishes += 1
        print(ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first(), flush=True)


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "seed":
        seed()
    else:
        run(Path(sys.argv[2]))
