"""Many sheets asked for at once: a process renders at most RENDERS_AT_ONCE of them at the same
time (each more than the cores only slowed all of them past the time limit under load), and
readers asking for the same sheet while it renders wait for that one render."""

from __future__ import annotations

import threading
import time

import pytest

import printing.cache
from guides.serializers import serialize_guide
from printing.cache import render_cached
from printing.render import RENDERS_AT_ONCE, render_guide_pdf_limited, retire_render_workers
from tests.printing.conftest import BASE_URL
from tests.printing.test_render import render_workers, wait_for_no_workers


def in_threads(count: int, target) -> list:
    results: list = [None] * count

    def run(number):
        results[number] = target()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_a_process_renders_at_most_its_share_of_the_cores_at_once(publish_guide):
    records = [serialize_guide(publish_guide(code=f"T-R-{n:04d}")) for n in range(4)]
    retire_render_workers()
    wait_for_no_workers()
    most = 0
    done = threading.Event()

    def watch():
        nonlocal most
        while not done.is_set():
            most = max(most, len(render_workers()))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    iterator = iter(records)
    lock = threading.Lock()

    def render_next():
        with lock:
            record = next(iterator)
        return render_guide_pdf_limited(record, base_url=BASE_URL)

    try:
        sheets = in_threads(len(records), render_next)
    finally:
        done.set()
        watcher.join()
    assert all(sheet.startswith(b"%PDF-") for sheet in sheets)
    assert 1 <= most <= RENDERS_AT_ONCE
    retire_render_workers()
    wait_for_no_workers()


# Committed, so that the threads' own connections see the guide.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_readers_of_the_same_sheet_wait_for_one_render(publish_guide, monkeypatch):
    page = publish_guide()
    record = serialize_guide(page)
    renders = []
    real = printing.cache.render_guide_pdf_limited

    def counted(*args, **kwargs):
        renders.append(kwargs.get("kind"))
        return real(*args, **kwargs)

    monkeypatch.setattr(printing.cache, "render_guide_pdf_limited", counted)
    sheets = in_threads(4, lambda: render_cached(page, {}, "citizen", record=record))
    assert renders == ["citizen"]
    assert len({sheet.content for sheet in sheets}) == 1
    assert sorted(sheet.source for sheet in sheets) == ["cache", "cache", "cache", "rendered"]
