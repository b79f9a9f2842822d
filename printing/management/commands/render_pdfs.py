"""python manage.py render_pdfs [--all] [--code CODE ...] [--workers N]

Pre-renders the PDF sheets of live guides into the cache (see printing.cache.prerender), with a
progress bar, in a pool of worker processes (2 by default: one per core of the server), each of
which renders the sheets itself.
"""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm


def _init_worker() -> None:
    """Forked workers inherit the set-up Django of the command; spawned ones set it up. Each
    renders its sheets itself (under a time limit), so --workers N runs N processes, not N
    render workers besides them."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from printing.render import render_in_this_process

    render_in_this_process()


def prerender_one(page_id: int) -> dict:
    from guides.models import GuidePage
    from printing.cache import prerender

    try:
        page = GuidePage.sources.live().get(pk=page_id)
        return prerender(page).as_dict()
    except Exception as error:  # noqa: BLE001 - reported per guide, the batch goes on
        return {"page_id": page_id, "code": str(page_id), "failed": [f"{type(error).__name__}: {error}"]}
    finally:
        if not gc.isenabled():
            # A pool worker runs without automatic collection (render_in_this_process): the
            # cycles of a guide whose sheets were all stored already go here.
            gc.collect()


class Command(BaseCommand):
    help = "Pre-render the PDF sheets (citizen sheet and counter checklist) of live guides."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="every live guide")
        parser.add_argument("--code", action="append", default=[], help="a guide code; repeatable")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")

    def handle(self, *args, **options):
        from guides.models import GuidePage

        if not options["all"] and not options["code"]:
            raise CommandError("Give --all or --code CODE.")
        pages = GuidePage.sources.live().order_by("code")
        if not options["all"]:
            wanted = {code.lower(): code for code in options["code"]}
            pages = [p for p in pages.only("pk", "code") if p.code.lower() in wanted]
            missing = set(wanted) - {p.code.lower() for p in pages}
            if missing:
                names = ", ".join(sorted(wanted[code] for code in missing))
                raise CommandError(f"No live guide with code {names}.")
        page_ids = [page.pk for page in pages]
        workers = max(1, options["workers"])
        progress = tqdm(total=len(page_ids), unit="guide", disable=options["verbosity"] == 0)
        results = []
        if workers == 1 or len(page_ids) <= 1:
            for page_id in page_ids:
                results.append(prerender_one(page_id))
                progress.update()
        else:
            # Workers must not share the parent's database connections.
            connections.close_all()
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker) as pool:
                futures = [pool.submit(prerender_one, page_id) for page_id in page_ids]
                for future in as_completed(futures):
                    results.append(future.result())
                    progress.update()
        progress.close()

        failed = [r for r in results if r.get("failed")]
        rendered = sum(r.get("rendered", 0) for r in results)
        cached = sum(r.get("cached", 0) for r in results)
        for result in failed:
            self.stderr.write(f"{result['code']}: {'; '.join(result['failed'])}")
        self.stdout.write(
            f"{len(results)} guides: {rendered} PDFs rendered, {cached} already cached, {len(failed)} guides failed."
        )
        if failed:
            raise CommandError(f"{len(failed)} guides failed to render.")
