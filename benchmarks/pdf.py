"""Render time, size and memory of the printable citizen sheet, and the cost of serving it cached.

Run::

    .venv/bin/python -m benchmarks.pdf [--guides 200] [--renders 500] [--workdir DIR]

What it does:

1. Builds a throwaway SQLite database (``benchmarks.common``) with ``--guides`` guides, of which
   ``--imported`` (at least 8) go through the real import path. Among the imported guides it
   picks one whose citizen sheet has exactly two pages (counted with pypdf); failing that, the
   one closest to two pages.
2. Render time: ``--timed-renders`` renders of that sheet in this process
   (``printing.render.render_guide_pdf``) and as many alternating ones in a render worker process
   (``render_guide_pdf_limited``, as the views and the cache render, forked after
   ``prepare_process()`` as ``portal.wsgi`` runs it), with the serialized record, site base URL
   and published checklist version as ``printing.cache`` passes them, after untimed warm-up
   renders. The p95 of the worker's renders, what a reader waits for, is compared with the target
   of 0.5 s and the size with 500 KB (printed OK or OVER).
3. Memory: ``--renders`` more in-process renders of the same sheet; after ``gc.collect()`` the
   resident set size (VmRSS from /proc/self/status, else ru_maxrss) is sampled every 50 renders.
   The growth between the 100th render (the 50th when at most 100 are run) and the last one
   should stay flat: target < 20 MB. Renders in the worker (``render_guide_pdf_limited``, as the views
   use) would hide a leak from the parent, so this loop renders in this process on purpose.
4. Cached response: ``GET /g/<code>/pdf/`` once through the WSGI application, which renders and
   stores the sheet; then ``--requests`` calls of the view function ``printing.views.guide_pdf``
   with a RequestFactory request, interleaved with as many calls of a minimal view returning
   ``FileResponse(open(path, "rb"))`` of the same bytes written to a temporary file (the floor:
   what serving a static file costs in Django). Both skip the middleware and both responses are
   consumed fully and closed. The ratio view / floor (p50) is compared with 1.5×. The full WSGI
   request (middleware included) is printed beside it for information.

5. Pre-rendering (``--prerender-guides N``, default 60; 0 skips it): the first N guides (by code)
   of the 250-guide corpus (``tests/data/guides.jsonl``, imported through ``import_guides`` into
   the benchmark database the first time) are pre-rendered from an empty PDF store with
   ``render_pdfs --code … --workers 2``, as a deployment runs it: every sheet of each guide (the
   citizen sheet, the counter checklist, one citizen sheet per checklist of the answer
   combinations). The wall time per guide, times 1,000, is compared with the target of 5 minutes
   for a district's 1,000 guides on two cores (printed OK or OVER), with the sheets per minute, the
   load average and the CPU time of the pool's workers (what the same work would take on two idle
   cores: on a loaded machine the wall time measures the load). ``--prerender-demo`` adds the
   demo site's guides (``--prerender-guides 250 --prerender-demo``: the 325-guide catalogue).

Reading the output: timings are compared with targets or with the floor measured in the same
run; they never change the exit status (a broken setup, e.g. a non-200 answer, exits 1). The
render times are absolute, so a speed probe (``common.speed_probe``, a fixed piece of pure-Python
work) is timed before and after them: compare the render times of two runs only when their
probes agree.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import re
import resource
import shutil
import sys
import time
from pathlib import Path

from benchmarks import common

TARGET_RENDER_SECONDS = 0.5
TARGET_SIZE_KB = 500
TARGET_GROWTH_MB = 20
TARGET_RATIO = 1.5
SAMPLE_EVERY = 50
TARGET_PRERENDER_SECONDS_PER_1000 = 300
PRERENDER_WORKERS = 2
CORPUS = common.REPO_DIR / "tests" / "data" / "guides.jsonl"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pdf", description=__doc__.splitlines()[0])
    parser.add_argument("--guides", type=int, default=200, help="guides in the database (default 200)")
    parser.add_argument("--imported", type=int, default=8, help="guides created through import_guides (default 8)")
    parser.add_argument("--timed-renders", type=int, default=20, help="renders timed for p50/p95 (default 20)")
    parser.add_argument("--renders", type=int, default=500, help="renders of the memory loop (default 500)")
    parser.add_argument("--requests", type=int, default=200, help="cached PDF requests, and as many floor ones")
    parser.add_argument("--prerender-guides", type=int, default=60, help="corpus guides pre-rendered in phase 4 (0 skips)")
    parser.add_argument(
        "--prerender-demo", action="store_true",
        help="pre-render the demo site's guides too (with --prerender-guides 250: the catalogue of issue 17)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the database here and reuse it on the next run")
    parser.add_argument("--keep", action="store_true", help="do not delete the temporary directory")
    args = parser.parse_args(argv)
    args.imported = max(8, args.imported)
    return args


# --- helpers ---------------------------------------------------------------------------------


def rss_mb() -> float:
    """Current resident set size in MB (peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


class Sheet:
    """The citizen sheet of one guide, rendered as printing.cache would render it."""

    def __init__(self, page):
        from guides.serializers import checklist_of, serialize_guide
        from portal.public_urls import public_base_url
        from printing.cache import published_version

        self.page = page
        self.record = serialize_guide(page)
        self.base_url = public_base_url()
        self.version = published_version(page, checklist_of(self.record)[1])

    def render(self, *, forked: bool = False) -> bytes:
        """In this process, or as the views and the cache render: in a render worker process with
        the render time limit (``render_guide_pdf_limited``)."""
        from printing.render import render_guide_pdf, render_guide_pdf_limited

        render = render_guide_pdf_limited if forked else render_guide_pdf
        return render(self.record, params={}, kind="citizen", base_url=self.base_url, checklist_version=self.version)


def choose_sheet(log=print) -> tuple[Sheet, bytes, int]:
    """An imported guide whose citizen sheet has two pages, or the closest one."""
    from guides.models import GuidePage

    imported = GuidePage.objects.live().filter(live_revision__isnull=False).order_by("path")
    best: tuple[Sheet, bytes, int] | None = None
    for page in imported:
        sheet = Sheet(page)
        pdf = sheet.render()
        pages = page_count(pdf)
        log(f"  {page.code}: {pages} page(s), {len(pdf) / 1024:.0f} KB")
        if best is None or abs(pages - 2) < abs(best[2] - 2):
            best = (sheet, pdf, pages)
        if pages == 2:
            break
    if best is None:
        raise SystemExit("no imported guide to render")
    return best


def consume(response) -> bytes:
    try:
        return b"".join(response)
    finally:
        response.close()


# --- the phases ------------------------------------------------------------------------------


def render_time(sheet: Sheet, renders: int) -> tuple[common.Summary, common.Summary, int]:
    """(in-process times, forked times, size). The two kinds alternate, so that a slower spell
    of the machine weighs on both alike."""
    sheet.render()  # warm-up: templates, fonts
    sheet.render(forked=True)
    common.settle()
    times: dict[bool, list[float]] = {False: [], True: []}
    size = 0
    for _ in range(renders):
        for forked in (False, True):
            start = time.perf_counter()
            pdf = sheet.render(forked=forked)
            times[forked].append(time.perf_counter() - start)
            size = len(pdf)
    return common.Summary.of(times[False]), common.Summary.of(times[True]), size


def memory(sheet: Sheet, renders: int) -> list[tuple[int, float]]:
    gc.collect()
    samples = [(0, rss_mb())]
    for n in range(1, renders + 1):
        sheet.render()
        if n % SAMPLE_EVERY == 0 or n == renders:
            gc.collect()
            samples.append((n, rss_mb()))
    return samples


def cached_response(app, page, requests: int, workdir: Path) -> dict[str, common.Summary]:
    from django.http import FileResponse
    from django.test import RequestFactory

    from printing.cache import render_cached
    from printing.views import guide_pdf

    url = f"/g/{page.code}/pdf/"
    status, body = common.wsgi_get(app, url)  # renders and stores the sheet
    if status != 200 or not body.startswith(b"%PDF-"):
        raise SystemExit(f"GET {url} answered {status}")
    if render_cached(page, {}, "citizen").source != "cache":
        raise SystemExit(f"GET {url} did not leave the sheet in the cache")

    static_dir = workdir / "static-floor"
    static_dir.mkdir(exist_ok=True)
    path = static_dir / f"{page.code}.pdf"
    path.write_bytes(body)

    def static_view(request):
        return FileResponse(open(path, "rb"), content_type="application/pdf")

    factory = RequestFactory(HTTP_HOST="localhost")
    view_body = consume(guide_pdf(factory.get(url), code=page.code))
    floor_body = consume(static_view(factory.get(url)))
    if view_body != body or floor_body != body:
        raise SystemExit("the view, the floor and the WSGI response do not serve the same bytes")
    for _ in range(3):
        common.wsgi_get(app, url)

    common.settle()
    times: dict[str, list[float]] = {"view": [], "floor": [], "wsgi": []}
    for _ in range(requests):
        request = factory.get(url)
        start = time.perf_counter()
        consume(guide_pdf(request, code=page.code))
        times["view"].append(time.perf_counter() - start)
        request = factory.get(url)
        start = time.perf_counter()
        consume(static_view(request))
        times["floor"].append(time.perf_counter() - start)
        elapsed, status, _body = common.timed_wsgi_get(app, url)
        if status != 200:
            raise SystemExit(f"GET {url} answered {status}")
        times["wsgi"].append(elapsed)
    common.settle()
    return {name: common.Summary.of(values) for name, values in times.items()}


def prerender_time(guides: int, demo: bool = False) -> dict:
    """Phase 4: render_pdfs over the first ``guides`` corpus guides (and with ``demo`` the demo
    site's guides), from an empty PDF store."""
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from guides.importer import import_guides
    from guides.models import GuidePage
    from portal.demo.loader import DEMO_DIR, ensure_departments, ensure_themes
    from printing.cache import ROOT

    def lines_by_code(path: Path) -> dict[str, str]:
        return {json.loads(line)["code"]: line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}

    corpus = lines_by_code(CORPUS)
    codes = sorted(corpus)[:guides]
    if GuidePage.objects.live().filter(code__in=codes).count() < len(codes):
        print(f"   importing {len(codes)} guides of the corpus …")
        import_guides([corpus[code] for code in codes], publish=True, findings_as_warnings=True)
    if demo:
        demo_guides = lines_by_code(DEMO_DIR / "guides.jsonl")
        if GuidePage.objects.live().filter(code__in=list(demo_guides)).count() < len(demo_guides):
            print(f"   importing the {len(demo_guides)} guides of the demo site …")
            ensure_departments()
            ensure_themes()
            import_guides(list(demo_guides.values()), publish=True)
        codes += sorted(demo_guides)
    root = Path(default_storage.path(ROOT))
    for code in codes:
        if (root / code).exists():
            shutil.rmtree(root / code)
    arguments = [argument for code in codes for argument in ("--code", code)]
    out = io.StringIO()
    common.settle()
    start = time.perf_counter()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    call_command("render_pdfs", *arguments, "--workers", str(PRERENDER_WORKERS), stdout=out, stderr=io.StringIO(), verbosity=0)
    elapsed = time.perf_counter() - start
    # The pool's workers are children of this process, waited for when the command ends.
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children_after.ru_utime + children_after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    match = re.search(r"(\d+) guides: (\d+) PDFs rendered, (\d+) already cached, (\d+) guides failed", out.getvalue())
    if not match or int(match.group(4)):
        raise SystemExit(f"render_pdfs did not render every sheet: {out.getvalue()!r}")
    return {"guides": int(match.group(1)), "sheets": int(match.group(2)), "cached": int(match.group(3)), "seconds": elapsed,
            "cpu_seconds": cpu}


# --- the run ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def run(args: argparse.Namespace, workdir: Path) -> int:
    print(f"PDF benchmark: {args.guides:,} guides, {args.renders} renders for memory, database in {workdir}")
    site = common.prepare_database(args.guides, imported=args.imported, workdir=workdir)
    print(f"{site.guide_count:,} guides ready")

    print("\nchoosing an imported guide with a 2-page citizen sheet:")
    sheet, pdf, pages = choose_sheet()
    code = sheet.page.code
    if pages != 2:
        print(f"warning: no imported guide has a 2-page sheet; using {code} ({pages} pages)")

    from portal.startup import prepare_process

    prepare_process()  # as portal.wsgi does: what the render worker inherits
    probe_before = common.speed_probe()
    in_process, forked, size = render_time(sheet, args.timed_renders)
    probe_after = common.speed_probe()
    size_kb = size / 1024
    print(f"\n1. render of the {pages}-page citizen sheet of {code} ({args.timed_renders} renders of each kind)")
    print(f"   machine speed probe (common.speed_probe, lower is faster): {common.ms(probe_before)} before, "
          f"{common.ms(probe_after)} after; compare render times of runs whose probes agree")
    for label, summary in (("in process (render_guide_pdf)", in_process), ("in a worker, as served (..._limited)", forked)):
        print(f"   {label:<34} p50 {common.ms(summary.p50)}, p95 {common.ms(summary.p95)}, mean {common.ms(summary.mean)}")
    print(f"   target ≤ {TARGET_RENDER_SECONDS} s (p95 of the worker's renders readers wait for): "
          f"{verdict(forked.p95 <= TARGET_RENDER_SECONDS)}")
    print(f"   size {size_kb:.0f} KB, target ≤ {TARGET_SIZE_KB} KB: {verdict(size_kb <= TARGET_SIZE_KB)}")

    print(f"\n2. memory over {args.renders} renders (RSS after gc.collect(), every {SAMPLE_EVERY} renders)")
    samples = memory(sheet, args.renders)
    for n, mb in samples:
        print(f"   after {n:>5} renders: {mb:8.1f} MB")
    # From the 100th render on (the first sample when there are no more than 100 renders).
    start = 100 if args.renders > 100 else min(SAMPLE_EVERY, args.renders)
    later = [(n, mb) for n, mb in samples if n >= start]
    (first_n, first_mb), (last_n, last_mb) = later[0], samples[-1]
    growth = last_mb - first_mb
    print(f"   growth from render {first_n} to render {last_n}: {growth:+.1f} MB")
    if last_n - first_n < 100:
        print("   (too few renders to judge a leak: use --renders 500)")
    print(f"   target < {TARGET_GROWTH_MB} MB: {verdict(growth < TARGET_GROWTH_MB)}")

    app = common.wsgi_application()
    times = cached_response(app, sheet.page, args.requests, workdir)
    view, floor, wsgi = times["view"], times["floor"], times["wsgi"]
    ratio = view.p50 / floor.p50
    print(f"\n3. cached PDF ({size_kb:.0f} KB) vs the same bytes as a static file, {args.requests} requests each")
    print(f"   {'':<44} {'p50':>10} {'p95':>10} {'mean':>10}")
    for label, s in (
        ("printing.views.guide_pdf (no middleware)", view),
        ("FileResponse of the same bytes (the floor)", floor),
        (f"GET /g/{code}/pdf/ through WSGI", wsgi),
    ):
        print(f"   {label:<44} {common.ms(s.p50):>10} {common.ms(s.p95):>10} {common.ms(s.mean):>10}")
    print(f"   ratio view / floor: p50 {ratio:.2f}×, p95 {view.p95 / floor.p95:.2f}×, mean {view.mean / floor.mean:.2f}×")
    print(f"   target ≤ {TARGET_RATIO}× (p50): {verdict(ratio <= TARGET_RATIO)}")
    print(f"   (WSGI / floor p50: {wsgi.p50 / floor.p50:.2f}×, middleware included)")

    if args.prerender_guides > 0:
        which = f"{args.prerender_guides} corpus guides" + (" and the demo's" if args.prerender_demo else "")
        print(f"\n4. pre-rendering every sheet of {which} (render_pdfs --workers {PRERENDER_WORKERS})")
        probe_before, load_before = common.speed_probe(), os.getloadavg()[0]
        result = prerender_time(args.prerender_guides, args.prerender_demo)
        probe_after, load_after = common.speed_probe(), os.getloadavg()[0]
        per_1000 = result["seconds"] / result["guides"] * 1000
        print(f"   machine speed probe: {common.ms(probe_before)} before, {common.ms(probe_after)} after; "
              f"load average (1 min) {load_before:.1f} before, {load_after:.1f} after")
        print(f"   {result['guides']} guides, {result['sheets']} sheets rendered ({result['sheets'] / result['guides']:.2f} per guide, "
              f"{result['cached']} already stored) in {result['seconds']:.1f} s: "
              f"{result['sheets'] / result['seconds'] * 60:.0f} sheets/min")
        print(f"   CPU of the render_pdfs workers: {result['cpu_seconds']:.1f} s, "
              f"{result['cpu_seconds'] / max(1, result['sheets']):.3f} CPU-s a sheet; at that rate 1,000 guides on "
              f"{PRERENDER_WORKERS} idle cores: {result['cpu_seconds'] / result['guides'] * 1000 / PRERENDER_WORKERS / 60:.1f} min")
        print(f"   per 1,000 guides: {per_1000 / 60:.1f} min; target ≤ {TARGET_PRERENDER_SECONDS_PER_1000 // 60} min on "
              f"{PRERENDER_WORKERS} cores: {verdict(per_1000 <= TARGET_PRERENDER_SECONDS_PER_1000)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return common.run_in_workdir(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
