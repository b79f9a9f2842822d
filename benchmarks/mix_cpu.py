"""Where a serving process's CPU goes, per kind of request of the load mix, in one process.

Run (against a portal's database, e.g. ``make serve``'s, with the settings it serves under)::

    DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=… PUBLIC_BASE_URL=http://127.0.0.1:8000 \\
        .venv/bin/python -m benchmarks.mix_cpu [--requests 3000] [--profile KIND] [--seed 14]

It loads ``portal.wsgi`` as gunicorn does (``portal.startup`` included) and sends the requests
that ``benchmarks.load`` would send (the same ``Workload`` and seed), one after another, through
Django's WSGI handler without a server in front. For each kind it prints the process CPU time
per request and the database queries per request, after ``--warmup`` untimed requests of another
seed (the caches warm as after ``benchmarks.load``'s warm-up, with the misses a live load has). ``--profile KIND`` runs that kind under cProfile
and prints the 30 functions with the most cumulative time.

The figures leave out what the HTTP server costs (gunicorn's parsing, sockets, its access log):
``benchmarks.load --server-pid`` measures the whole; the difference is the server's share.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gzip
import io
import json
import pstats
import random
import sys
import time
from collections import defaultdict
from urllib.parse import urlsplit

from benchmarks.common import call_wsgi, speed_probe, wsgi_environ
from benchmarks.load import Guide, Workload

YES = "是"


def _get(app, target: str, host: str) -> tuple[int, bytes]:
    path, _, query = target.partition("?")
    environ = wsgi_environ(path, query, host=host)
    environ["HTTP_ACCEPT_ENCODING"] = "gzip"
    return call_wsgi(app, environ)


def _guides(app, host: str, limit: int) -> list[Guide]:
    status, body = _get(app, "/api/v1/guides.ndjson", host)
    if status != 200:
        raise SystemExit(f"/api/v1/guides.ndjson answered {status}")
    with contextlib.suppress(OSError):  # sent as is when short
        body = gzip.decompress(body)
    guides = []
    for line in body.decode().splitlines()[:limit]:
        if not line.strip():
            continue
        record = json.loads(line)
        situations = tuple(
            (s["key"], (YES, "否") if len(s["options"]) == 1 else tuple(s["options"]))
            for s in record.get("situations") or ()
            if s.get("key") and s.get("options")
        )
        guides.append(Guide(record["code"], urlsplit(record["url"]).path, record.get("name", ""), situations))
    return guides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mix_cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests of the mix (default 3000)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--warmup", type=int, default=3000, help="untimed requests first, of seed + 1 (default 3000)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--profile", metavar="KIND", help="profile this kind of request (e.g. search)")
    parser.add_argument("--max-guides", type=int, default=2000)
    args = parser.parse_args(argv)

    from django.db import connection

    from portal.wsgi import application

    queries = [0]

    def counting(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    # The feed's rate limit would answer most feed requests 429 here (one client): off for this.
    from django.conf import settings

    settings.FEED_RATE_LIMIT = "0"
    guides = _guides(application, args.host, args.max_guides)
    workload = Workload(guides, "")
    rng = random.Random(args.seed)
    plan = [workload.next(rng) for _ in range(args.requests)]
    # Warm the caches as the load's warm-up does: with requests of another seed, so that the
    # timed ones meet the misses (answers and queries not asked before) that a live load meets.
    warm_rng = random.Random(args.seed + 1)
    for _kind, target in (workload.next(warm_rng) for _ in range(args.warmup)):
        _get(application, target, args.host)

    cpu: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    query_counts: dict[str, int] = defaultdict(int)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    profiler = cProfile.Profile() if args.profile else None
    probe = speed_probe()
    with connection.execute_wrapper(counting):
        for kind, target in plan:
            queries[0] = 0
            profiling = profiler is not None and kind == args.profile
            start = time.process_time()
            if profiling:
                profiler.enable()
            status, _body = _get(application, target, args.host)
            if profiling:
                profiler.disable()
            cpu[kind] += time.process_time() - start
            counts[kind] += 1
            query_counts[kind] += queries[0]
            statuses[kind][status] += 1

    total = sum(cpu.values())
    print(
        f"{args.requests} requests of benchmarks.load's mix in one process (seed {args.seed}), "
        f"after {args.warmup} of another seed"
    )
    print(f"{'kind':<24} {'requests':>8} {'CPU/request':>12} {'queries':>8} {'share':>6}  statuses")
    for kind in sorted(counts, key=lambda k: -cpu[k]):
        print(
            f"{kind:<24} {counts[kind]:>8} {cpu[kind] / counts[kind] * 1000:>9.2f} ms "
            f"{query_counts[kind] / counts[kind]:>8.1f} {cpu[kind] / total:>6.1%}  "
            + ", ".join(f"{s} ×{n}" for s, n in sorted(statuses[kind].items()))
        )
    print(f"{'all':<24} {sum(counts.values()):>8} {total / sum(counts.values()) * 1000:>9.2f} ms")
    print(f"speed probe: {probe * 1000:.1f} ms")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
