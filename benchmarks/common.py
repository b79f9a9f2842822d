"""Helpers shared by the benchmarks: a throwaway database with the demo site tree and N generated
guides, a WSGI client without test instrumentation, and timing statistics.

Typical use::

    from benchmarks import common

    workdir = common.setup_django()          # before any model import
    site = common.prepare_database(10_000)   # migrate, site tree, hall, N published guides

The database is a SQLite file in the work directory, or with ``database="postgresql"`` (the
benchmarks' ``--database postgresql``) a throw-away PostgreSQL server
(``portal.testing.pg_server``) whose cluster lives in the work directory too, so that
``--workdir`` reuses it like the SQLite file; ``run_in_workdir`` stops it at the end.

Guides are made in two ways. A few demo records go through the product's import path
(``import_guides(..., publish=True)``), so they have revisions, checklist versions and search
entries. The rest are clones of the demo records, mapped onto pages by the importer's own
``GuideWriter.apply`` and written with one ``executemany`` per table and chunk (``fast_insert``)
straight into the page tree: sequential treebeard paths in the departments' folders, ``url_path``,
``live``, the inline rows (materials, steps, situations, legal bases, fees, FAQs), the themes, the
segmented search fields and one checklist version whose fingerprint is computed by
``checklist_of(serialize_guide(page))``, as publishing does. Clones have no revisions and no
wagtailsearch index entries; they are routable, serializable and look published.
Every clone varies its material count (1–12) and step count (1–9) and its names, and every other
material carries a blank form, every third a sample document, as editors attach them.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO_DIR / "portal" / "demo"
SETTINGS_MODULE = "benchmarks.settings"

MAX_MATERIALS = 12
MAX_STEPS = 9
DATABASES = ("sqlite", "postgresql")

# The PostgreSQL server of this run, if it has one (setup_django starts it, stop_database stops it).
_database_server = None


# --- Django ----------------------------------------------------------------------------------


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    """``--database``, ``--workdir`` and ``--keep``, as ``run_in_workdir`` reads them."""
    parser.add_argument(
        "--database", choices=DATABASES, default="sqlite",
        help="a SQLite file, or a throw-away PostgreSQL server (portal.testing.pg_server), in the work directory",
    )
    parser.add_argument("--workdir", type=Path, help="database directory to build or reuse (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")


def setup_django(workdir: str | Path | None = None, database: str = "sqlite") -> Path:
    """Point Django at a SQLite file in ``workdir`` (a new temporary directory by default), or
    at a PostgreSQL server started for the run, and start it. Must run before anything imports
    models.

    The PostgreSQL cluster lives in ``workdir/postgresql``: the next run on the same ``workdir``
    starts it again on the same data."""
    global _database_server
    if database not in DATABASES:
        raise ValueError(f"database must be one of {', '.join(DATABASES)}, not {database!r}")
    path = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="portal-bench-"))
    path.mkdir(parents=True, exist_ok=True)
    if database == "postgresql" and not workdir:
        # Run as root, the server runs as an unprivileged account (pg_server), which must reach
        # its cluster inside this directory (mkdtemp makes it private).
        path.chmod(0o755)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["PORTAL_BENCHMARK_DIR"] = str(path)
    if database == "postgresql":
        from portal.testing.pg_server import PostgresServer

        # SIGTERM ends the run as Ctrl-C does, through the finally blocks that stop the server.
        signal.signal(signal.SIGTERM, _interrupt)
        _database_server = PostgresServer(directory=path / "postgresql").start()
        os.environ["DATABASE_URL"] = _database_server.url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{(path / 'bench.sqlite3').resolve()}"
    os.environ["PORTAL_VAR_DIR"] = str(path)
    os.environ["MEDIA_ROOT"] = str(path / "media")
    import django

    django.setup()
    return path


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def database_server():
    """The PostgreSQL server of this run (``portal.testing.pg_server.PostgresServer``), or None."""
    return _database_server


def stop_database() -> None:
    """Close the connections and stop the run's PostgreSQL server, if it has one."""
    global _database_server
    from django.db import connections

    connections.close_all()
    if _database_server is not None:
        _database_server.stop()
        _database_server = None


def run_in_workdir(args, run: Callable[[Any, Path], int]) -> int:
    """Run a benchmark on the ``args.database`` database in ``args.workdir`` (a new temporary
    one by default), removing a temporary one afterwards unless ``args.keep``. A PostgreSQL
    server is stopped at the end, also on Ctrl-C or an error; its cluster stays in the work
    directory unless that is removed."""
    workdir = setup_django(args.workdir, getattr(args, "database", "sqlite"))
    try:
        return run(args, workdir)
    finally:
        stop_database()
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.keep:
            print(f"database kept in {workdir}")


@contextmanager
def phase(timings: dict[str, float], name: str):
    """Record the wall time of a block under ``name``."""
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start


def _fast_sqlite_writes() -> None:
    """WAL and no syncs for the throwaway SQLite file (the PostgreSQL test cluster syncs nothing
    already). Not inside a caller's transaction (a test's), where SQLite refuses them."""
    from django.db import connection

    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")


# --- the site ---------------------------------------------------------------------------------


@dataclass
class BenchSite:
    workdir: Path
    index: Any  # GuideIndexPage
    guide_count: int
    imported: int = 0
    generated: int = 0
    reused: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def demo_lines() -> list[str]:
    return [line for line in (DEMO_DIR / "guides.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def prepare_database(guides: int, *, imported: int = 8, workdir: Path | None = None, log=print) -> BenchSite:
    """Migrate the database and give it the demo site tree, hall, departments, themes and
    ``guides`` published guides (``imported`` of them through the real import path).

    A database that already holds at least ``guides`` guides (``--workdir`` reuse) is left as is."""
    from django.core.management import call_command

    from guides.models import GuideIndexPage, GuidePage

    timings: dict[str, float] = {}
    workdir = workdir or Path(os.environ["PORTAL_BENCHMARK_DIR"])
    _fast_sqlite_writes()
    with phase(timings, "migrate"):
        call_command("migrate", interactive=False, verbosity=0)
    existing = GuidePage.objects.count()
    if existing and existing >= guides:
        log(f"reusing {existing:,} guides in {workdir}")
        return BenchSite(workdir, GuideIndexPage.objects.get(), existing, reused=True, timings=timings)
    if existing:
        raise SystemExit(f"{workdir} holds {existing:,} guides, fewer than {guides:,}; use a fresh --workdir")

    from guides.importer import import_guides
    from portal.demo.loader import ensure_departments, ensure_hall, ensure_site, ensure_themes

    imported = max(0, min(imported, guides, len(demo_lines())))
    with phase(timings, "site"):
        ensure_site()
        ensure_hall()
        ensure_departments()
        ensure_themes()
    with phase(timings, "import"):
        import_guides(demo_lines()[:imported], publish=True)
    log(f"imported {imported} guides through import_guides in {timings['import']:.1f} s")
    with phase(timings, "generate"):
        generated = generate_guides(guides - imported, log=log)
    index = GuideIndexPage.objects.get()
    with phase(timings, "verify"):
        verify_generated(index)
    return BenchSite(workdir, index, imported + generated, imported, generated, timings=timings)


# --- bulk generation --------------------------------------------------------------------------


def _shape(number: int) -> tuple[int, int]:
    """Material and step counts of the n-th clone: every combination once per 108 guides."""
    return 1 + number % MAX_MATERIALS, 1 + (number // MAX_MATERIALS) % MAX_STEPS


def _pools(records: Sequence[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """Unconditional materials and steps of every demo record, distinct by name."""
    materials: dict[str, dict] = {}
    steps: dict[tuple[str, str], dict] = {}
    for record in records:
        for material in record["materials"]:
            materials.setdefault(material["name"], {**material, "situation": None})
        for step in record["steps"]:
            steps.setdefault((step["name"], step["actor"]), step)
    return list(materials.values()), list(steps.values())


def clone_record(template: dict, number: int, material_pool: list[dict], step_pool: list[dict]) -> dict:
    """A variant of a demo record with its own code and name and the material and step counts
    of ``_shape(number)``: the record's own items first, then items of other records. Nested
    values that are not replaced are shared with the template and must be treated as read-only."""
    n_materials, n_steps = _shape(number)
    record = dict(template)
    record["code"] = f"{template['code']}-B{number:05d}"
    record["name"] = f"{template['name']}（第{number}号）"
    materials = [dict(m) for m in template["materials"][:n_materials]]
    names = {m["name"] for m in materials}
    offset = (number * 7) % len(material_pool)
    for material in material_pool[offset:] + material_pool[:offset]:
        if len(materials) >= n_materials:
            break
        if material["name"] not in names:
            materials.append(dict(material))
            names.add(material["name"])
    record["materials"] = materials
    steps = [dict(s) for s in template["steps"][:n_steps]]
    offset = (number * 5) % len(step_pool)
    rotated = step_pool[offset:] + step_pool[:offset]
    steps += [dict(step) for step in rotated[: n_steps - len(steps)]]
    record["steps"] = steps
    return record


# Column types whose Python value SQLite takes as is; every other field goes through
# get_db_prep_save (datetimes, JSON, UUIDs, dates, times).
_PLAIN_TYPES = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "ForeignKey",
    "IntegerField", "OneToOneField", "PositiveBigIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField", "URLField",
}


def fast_insert(model, objs: Sequence[Any], fields: Sequence[Any] | None = None) -> None:
    """INSERT model instances with one ``executemany``: no signals, no RETURNING, no per-row SQL
    compilation. ``fields`` defaults to the model's own columns except an auto primary key, so
    ids come from the table's own counter (on PostgreSQL its sequence): the ORM's inserts after
    the bulk ones need no sequence reset (tests/benchmarks)."""
    from django.db import connections

    if not objs:
        return
    connection = connections["default"]
    if fields is None:
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key or f.remote_field]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )

    def getter(field):
        if field.get_internal_type() in _PLAIN_TYPES:
            attname = field.attname
            return lambda obj: getattr(obj, attname)
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)

    getters = [getter(f) for f in fields]
    rows = [tuple(get(obj) for get in getters) for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _documents():
    """A blank form and a sample, attached to materials as editors do."""
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    documents = []
    for title in ("空白表格", "示例样表"):
        document = Document.objects.filter(title=title).first()
        if document is None:
            document = Document(title=title, file=ContentFile(b"%PDF-1.4\n%%EOF\n", name=f"bench-{len(documents)}.pdf"))
            document.save()
        documents.append(document)
    return documents


def _search_fields():
    """What ``GuidePage.save`` derives for search from the serialized record, when it does."""
    try:
        from search.documents import MODEL_FIELDS, search_field_values
    except ImportError:
        return None
    from guides.models import GuidePage

    present = {f.name for f in GuidePage._meta.concrete_fields}
    if not set(MODEL_FIELDS) <= present:
        return None

    def fill(page, record) -> None:
        for field_name, value in search_field_values(record).items():
            setattr(page, field_name, value)

    return fill


def generate_guides(count: int, *, chunk: int = 500, search_text: bool = True, log=print) -> int:
    """Bulk-create ``count`` published guides under the guide index; return how many.

    With ``search_text`` the segmented search fields are filled as ``GuidePage.save`` fills them
    (about 1.5 ms a guide); the wagtailsearch index itself is not built."""
    if count <= 0:
        return 0
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.db.models import F, prefetch_related_objects
    from django.utils import timezone
    from wagtail.models import Page

    from guides.importer import GuideWriter, normalize_record
    from guides.models import ChecklistVersion, GuideIndexPage, GuidePage
    from guides.serializers import checklist_of, serialize_guide

    records = [normalize_record(json.loads(line)) for line in demo_lines()]
    material_pool, step_pool = _pools(records)
    fill_search = _search_fields() if search_text else None
    index = GuideIndexPage.objects.get()
    writer = GuideWriter()
    # Windows named only by demo records are created here, once, so that clones share them.
    for record in records:
        writer.window(record["intake_window"], "intake")
        writer.window(record["delivery_window"], "delivery")
    hall = writer.hall
    prefetch_related_objects([hall], "sessions", "calendar_days")
    for window in writer.windows.values():
        window.hall = hall
    blank_form, sample = _documents()
    content_type_id = ContentType.objects.get_for_model(GuidePage).pk
    # Each guide goes into its department's folder, after the folder's last child.
    from guides.folders import department_folder

    folders: dict[int, Any] = {}
    next_steps: dict[int, int] = {}

    def place(page) -> None:
        folder = folders.get(page.department_id)
        if folder is None:
            folder = folders[page.department_id] = department_folder(page.department, index)
            last_path = folder.get_children().order_by("-path").values_list("path", flat=True).first()
            next_steps[folder.pk] = Page._str2int(last_path[-Page.steplen :]) + 1 if last_path else 1
        page.depth = folder.depth + 1
        page.path = Page._get_path(folder.path, folder.depth + 1, next_steps[folder.pk])
        next_steps[folder.pk] += 1
        page.url_path = f"{folder.url_path}{page.slug}/"
        page.bench_folder_id = folder.pk
    base_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
    themes_through = GuidePage._meta.get_field("themes").remote_field.through
    inline_relations = ("legal_bases", "situations", "materials", "steps", "fee_items", "faqs")

    start = time.perf_counter()
    made = 0
    per_folder: Counter[int] = Counter()
    with transaction.atomic():
        while made < count:
            size = min(chunk, count - made)
            now = timezone.now()
            pages = []
            for number in range(made, made + size):
                record = clone_record(records[number % len(records)], number, material_pool, step_pool)
                page = GuidePage(
                    slug=record["code"].lower(),
                    live=True,
                    has_unpublished_changes=False,
                    content_type_id=content_type_id,
                    locale_id=index.locale_id,
                    numchild=0,
                    first_published_at=now,
                    last_published_at=now,
                    checklist_version=1,
                )
                writer.apply(page, record)
                place(page)
                page.draft_title = page.title
                # The record as publishing would serialize it (documents do not enter the checklist
                # nor the search text, so they are attached afterwards).
                serialized = serialize_guide(page)
                page._bench_checklist = checklist_of(serialized)
                page.checklist_fingerprint = page._bench_checklist[1]
                if fill_search:
                    fill_search(page, serialized)
                for position, material in enumerate(page.materials.all()):
                    if position % 2 == 0:
                        material.blank_form = blank_form
                    if position % 3 == 0:
                        material.sample = sample
                pages.append(page)

            fast_insert(Page, pages, base_fields)
            ids = dict(Page.objects.filter(path__in=[page.path for page in pages]).values_list("path", "pk"))
            for page in pages:
                page.id = page.page_ptr_id = ids[page.path]
            fast_insert(GuidePage, pages)
            for relation in inline_relations:
                children = []
                for page in pages:
                    for position, child in enumerate(getattr(page, relation).all()):
                        child.guide_id = page.pk
                        child.sort_order = position
                        children.append(child)
                if children:
                    fast_insert(type(children[0]), children)
            fast_insert(
                themes_through,
                [
                    themes_through(guidepage_id=page.pk, lifeevent_id=theme.pk)
                    for page in pages
                    for theme in page.themes.all()
                ],
            )
            fast_insert(
                ChecklistVersion,
                [
                    ChecklistVersion(
                        guide_id=page.pk, version=1, checklist=page._bench_checklist[0],
                        fingerprint=page._bench_checklist[1], published_at=now,
                    )
                    for page in pages
                ],
            )
            per_folder.update(page.bench_folder_id for page in pages)
            made += size
            if made == count or sys.stdout.isatty():
                rate = made / (time.perf_counter() - start)
                log(f"  generated {made:,}/{count:,} guides ({rate:,.0f}/s)", end="\r" if made < count else "\n")
        for folder_id, added in per_folder.items():
            Page.objects.filter(pk=folder_id).update(numchild=F("numchild") + added)
    return count


def verify_generated(index, samples: int = 5) -> None:
    """Check the tree under the guide index (the departments' folders), and that sampled guides
    have their address (without the folder), serialize, and carry the fingerprint of what they now
    read from the database."""
    from guides.models import DepartmentFolderPage, GuidePage
    from guides.serializers import checklist_of, serialize_guide

    for folder in DepartmentFolderPage.objects.child_of(index):
        children = folder.get_children().count()
        if folder.numchild != children or GuidePage.objects.child_of(folder).count() != children:
            raise AssertionError(f"folder {folder.slug}: numchild {folder.numchild}, {children} children")
    if GuidePage.objects.descendant_of(index).count() != GuidePage.objects.count():
        raise AssertionError("guides outside the guide index")
    paths = list(GuidePage.objects.descendant_of(index).order_by("path").values_list("path", flat=True))
    for path in paths[:: max(1, len(paths) // samples)]:
        page = GuidePage.objects.get(path=path)
        if not page.url or page.url != f"{index.url}{page.slug}/":
            raise AssertionError(f"{page.code} is not routable: {page.url!r}")
        digest = checklist_of(serialize_guide(page))[1]
        if digest != page.checklist_fingerprint:
            raise AssertionError(f"{page.code}: fingerprint {page.checklist_fingerprint} != {digest}")


def guide_shapes() -> dict[int, tuple[int, int]]:
    """(materials, steps) of every guide page, by id."""
    from django.db.models import Count

    from guides.models import GuideMaterial, GuidePage, GuideStep

    materials = dict(GuideMaterial.objects.values_list("guide_id").annotate(n=Count("pk")).values_list("guide_id", "n"))
    steps = dict(GuideStep.objects.values_list("guide_id").annotate(n=Count("pk")).values_list("guide_id", "n"))
    return {pk: (materials.get(pk, 0), steps.get(pk, 0)) for pk in GuidePage.objects.values_list("pk", flat=True)}


# --- requests -------------------------------------------------------------------------------


def wsgi_application():
    """Django's own WSGI handler: middleware, URL resolution and Wagtail routing, as deployed,
    without the test client's instrumentation."""
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


def wsgi_environ(path: str, query: str = "", host: str = "localhost") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def call_wsgi(app, environ: dict[str, Any]) -> tuple[int, bytes]:
    """One request through ``app``; the response is consumed and closed as a server would."""
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(statuses[0].split()[0]), body


def wsgi_get(app, path: str, query: str = "") -> tuple[int, bytes]:
    return call_wsgi(app, wsgi_environ(path, query))


def timed_wsgi_get(app, path: str, query: str = "") -> tuple[float, int, bytes]:
    environ = wsgi_environ(path, query)
    start = time.perf_counter()
    status, body = call_wsgi(app, environ)
    return time.perf_counter() - start, status, body


def count_queries(function: Callable[[], Any]) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


# --- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    count: int
    mean: float
    p50: float
    p95: float
    minimum: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary:
        data = sorted(values)
        return cls(len(data), statistics.fmean(data), percentile(data, 50), percentile(data, 95), data[0])


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks, on already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = (len(sorted_values) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def settle() -> None:
    """Collect garbage between phases so that one phase does not pay for another's."""
    gc.collect()


def speed_probe(rounds: int = 5) -> float:
    """Seconds for a fixed piece of pure-Python work (dicts, small objects, strings), best of
    ``rounds``. Printed beside absolute timings: on a machine whose speed drifts (shared virtual
    machines drift by more than 1.5x within minutes), two runs compare only when their probes
    agree."""

    class Item:
        __slots__ = ("key", "value")

        def __init__(self, key: str, value: int) -> None:
            self.key, self.value = key, value

    best = float("inf")
    # Without the collector: its passes over the rest of the process's heap (large once Django and
    # WeasyPrint are loaded) would time the heap, not the machine.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            table = {str(n): n for n in range(50_000)}
            items = [Item(key, value) for key, value in table.items()]
            total = sum(item.value for item in items if item.key.endswith("7"))
            text = ",".join(item.key for item in items[:20_000])
            best = min(best, time.perf_counter() - start)
            if total <= 0 or not text:  # keeps the work from being optimized away
                raise AssertionError("speed probe computed nothing")
            del table, items
    finally:
        if collecting:
            gc.enable()
    return best
