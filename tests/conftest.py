"""Shared fixtures: the site tree and hall of the demo, and a factory of valid guide records that
writes through the same import path as the product."""

from __future__ import annotations

import copy
import json
import os
from contextlib import contextmanager
from datetime import date, time
from pathlib import Path
from time import monotonic, sleep
from types import SimpleNamespace

import pytest
from django.db import transaction

# What the tests read lives in the repository (tests/data/README.md says where it came from).
DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS = DATA_DIR / "guides.jsonl"

BASE_RECORD = {
    "code": "T-JY-0001",
    "name": "食品经营许可证核发",
    "category": "经营类",
    "department": "测试区市场监督管理局",
    "item_type": "行政许可",
    "service_object": ["企业法人", "个体工商户"],
    "summary": "从事食品销售和餐饮服务的经营者，应当依法取得食品经营许可。",
    "conditions": "具有与经营的食品品种、数量相适应的经营场所和设备设施。",
    "legal_basis": ["《中华人民共和国食品安全法》第三十五条"],
    "materials": [
        {"name": "食品经营许可申请书", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
         "source": "申请人自备", "note": "法定代表人签字", "situation": None},
        {"name": "营业执照", "original": 0, "copies": 1, "form": "纸质或电子", "necessity": "必要",
         "source": "政府部门核发", "note": "", "situation": None},
        {"name": "授权委托书", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
         "source": "申请人自备", "note": "", "situation": "委托他人办理"},
        {"name": "受托人身份证", "original": 1, "copies": 1, "form": "纸质", "necessity": "必要",
         "source": "政府部门核发", "note": "", "situation": "委托他人办理"},
    ],
    "steps": [
        {"name": "申请", "actor": "申请人", "description": "提交材料", "limit": None},
        {"name": "受理", "actor": "综合受理窗口", "description": "核对材料", "limit": {"value": 0, "unit": "即办"}},
        {"name": "审查", "actor": "审批部门", "description": "审查材料", "limit": {"value": 5, "unit": "工作日"}},
        {"name": "现场核查", "actor": "现场勘查", "description": "核查场所", "limit": {"value": 3, "unit": "工作日"},
         "counts_toward_limit": False},
        {"name": "出件", "actor": "统一出件窗口", "description": "领取许可证", "limit": None},
    ],
    "legal_limit": {"value": 20, "unit": "工作日"},
    "promised_limit": {"value": 10, "unit": "工作日"},
    "fee": {"charged": False, "items": []},
    "visits": 1,
    "online": True,
    "intake_window": "综合受理窗口（1-9号）",
    "delivery_window": "统一出件窗口（10-11号）",
    "phone": "020-81380512",
    "complaint_phone": "12345",
    "result": "食品经营许可证",
}


def make_record(**overrides) -> dict:
    record = copy.deepcopy(BASE_RECORD)
    record.update(overrides)
    return record


def jsonl(*records) -> list[str]:
    return [json.dumps(record, ensure_ascii=False) for record in records]


def corpus_lines() -> list[str]:
    """The lines of the 250-guide corpus; fails the test run when it is missing."""
    if not CORPUS.exists():
        pytest.fail(f"the corpus is missing at {CORPUS}")
    return CORPUS.read_text(encoding="utf-8").splitlines()


@contextmanager
def imported_corpus(django_db_blocker):
    """The corpus published on a fresh site tree, inside a transaction rolled back on exit: for
    module-scoped fixtures that import it once for many tests."""
    from guides.importer import import_guides
    from portal.demo.loader import ensure_site

    lines = corpus_lines()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_site()
            build_hall()
            # (three corpus guides list catch-all materials: guides.domain.lint, README)
            import_guides(lines, publish=True, findings_as_warnings=True)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@contextmanager
def request_transaction():
    """A transaction as ATOMIC_REQUESTS wraps an editor's request. On exit ``.after_commit`` holds
    the seconds from its commit to its end: what the request waits for once its own work is
    done (before the outbox designs, webhook deliveries ran there)."""
    timing = SimpleNamespace(committed=None, after_commit=None)
    with transaction.atomic():
        transaction.on_commit(lambda: setattr(timing, "committed", monotonic()))  # runs first
        yield timing
    timing.after_commit = monotonic() - timing.committed


def build_hall():
    """A hall open Monday to Friday 9:00-12:00 and 13:30-18:00 and Saturday morning, closed for
    National Day 2026 with the make-up workday of Saturday 10 October."""
    from guides.models import HallCalendarDay, HallSession, ServiceHall, ServiceWindow

    hall = ServiceHall(name="测试区政务服务中心", address="测试路 1 号", phone="020-81380000")
    sessions = [HallSession(weekday=day, start=time(9), end=time(12)) for day in range(6)]
    sessions += [HallSession(weekday=day, start=time(13, 30), end=time(18)) for day in range(5)]
    hall.sessions = sessions
    national_day = [date(2026, 10, day) for day in range(1, 8)]
    hall.calendar_days = [HallCalendarDay(date=d, kind="closed", note="国庆节") for d in national_day] + [
        HallCalendarDay(date=date(2026, 10, 10), kind="workday", hours_of_weekday=0, note="国庆调休")
    ]
    hall.save()
    ServiceWindow.objects.create(hall=hall, name="综合受理窗口", numbers="1-9", role="intake", location="一楼东区")
    ServiceWindow.objects.create(hall=hall, name="统一出件窗口", numbers="10-11", role="delivery", location="一楼西区")
    return hall


@pytest.fixture
def site(db):
    """Home page, guide index and a hall with windows and a holiday calendar."""
    from portal.demo.loader import ensure_site

    index = ensure_site()
    hall = build_hall()
    return {"index": index, "hall": hall}


@pytest.fixture
def publish_guide(site):
    """Import one guide record through the product's import path and return the live page."""
    from guides.importer import import_guides
    from guides.models import GuidePage

    def _publish(**overrides):
        record = make_record(**overrides)
        import_guides(jsonl(record), publish=True)
        return GuidePage.objects.get(code=record["code"])

    return _publish


def pytest_collection_modifyitems(config, items):
    """Tests of one database's own behaviour (marked ``sqlite`` or ``postgresql``) run in that
    database's pass of the suite and are deselected, as the summary line counts, in the other."""
    from django.conf import settings

    if not settings.configured:  # a run without Django (-p no:django) has no database
        return
    from django.db import connection

    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[connection.vendor]
    deselected = [item for item in items if item.get_closest_marker(other)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL server (portal.testing.pg_server), started once for the run if a
    test needs it and stopped at the end. Missing server binaries fail the run."""
    from portal.testing.pg_server import PostgresServer, PostgresServerError

    server = PostgresServer()
    try:
        server.start()
    except PostgresServerError as error:
        pytest.fail(f"the PostgreSQL test server cannot be started: {error}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A throw-away redis-server on a free port (portal.testing.redis_server), started once for
    the run if a test needs it and stopped at the end. A missing redis-server fails the run."""
    from portal.testing.redis_server import RedisServer, RedisServerError

    server = RedisServer()
    try:
        server.start()
    except RedisServerError as error:
        pytest.fail(f"the Redis test server cannot be started: {error}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    """On the PostgreSQL pass (TEST_DATABASE=postgresql), the test database lives on the
    throw-away server."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        # The same dict is the connection's settings_dict: updated in place before any connection.
        database.update(request.getfixturevalue("postgres_server").connection_settings())


@pytest.fixture(scope="session")
def search_node():
    """A real Elasticsearch node on loopback, started once for the whole run (only if a test
    needs it) and stopped at the end. Missing Java or Maven fail the run: CI must search a real
    node, never a mock."""
    from search.testing.es_node import DistributionError, ElasticsearchNode, JavaNotFoundError

    node = ElasticsearchNode()
    try:
        node.start()
    except (DistributionError, JavaNotFoundError) as error:
        pytest.fail(f"the search test node cannot be started: {error}", pytrace=False)
    yield node
    node.stop()


@pytest.fixture
def running_search_node(search_node):
    """The session's node, started again if an earlier test stopped it."""
    if not search_node.is_running():
        search_node.start()
    return search_node


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached records and pages are keyed by ids that a rolled-back test may hand out again."""
    from django.conf import settings

    if not settings.configured:  # a run without Django (-p no:django) has no cache to clear
        yield
        return
    from django.core.cache import caches

    for alias in settings.CACHES:  # the pages and records, and the feed's rate-limit counters
        caches[alias].clear()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts and ends in the default language: a request under /en/ leaves English
    active in its thread (LocaleMiddleware activates a language per request; nothing resets it)."""
    from django.conf import settings

    if not settings.configured:
        yield
        return
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def browser(transactional_db):
    """Chromium for one test (tests/browser.py). Function-scoped on purpose: while Playwright's
    loop runs, Django hands this thread a different database connection object (asgiref's
    context-local storage), which lacks the serialized rollback data, so the browser must be
    closed before the next test sets up its database."""
    from tests.browser import chromium

    # Playwright's sync API keeps an asyncio loop running in this thread, which Django takes for
    # an async context; the test's own database calls are plain synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with chromium() as launched:
            yield launched
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def held_renders(monkeypatch, tmp_path, settings):
    """Sheet renders held up until the test calls ``.release()``: the render worker process
    (forked anew after the patch, printing.render.RenderWorker) waits for a file to appear before
    it renders. Sheets are stored in an empty media directory, so each one needs a render."""
    import printing.render
    from printing.render import retire_render_workers

    released = tmp_path / "renders-released"
    original = printing.render.render_guide_pdf

    def held(*args, **kwargs):
        while not released.exists():
            sleep(0.05)
        return original(*args, **kwargs)

    settings.MEDIA_ROOT = tmp_path / "held-media"
    monkeypatch.setattr(printing.render, "render_guide_pdf", held)
    retire_render_workers()
    yield SimpleNamespace(release=released.touch)
    released.touch()
    monkeypatch.undo()
    retire_render_workers()
