"""Search latency and indexing time at scale, as ratios against the raw backend query.

Run::

    .venv/bin/python -m benchmarks.search [--guides 10000] [--rounds 5] [--workdir DIR] [--keep]
        [--database sqlite|postgresql] [--no-elasticsearch | --no-sqlite] [--es-nodes 1]

    # the province-scale run: 100,000 guides on a two-node cluster with one replica
    .venv/bin/python -m benchmarks.search --guides 100000 --no-sqlite --es-nodes 2 --workdir DIR

1. Builds (or reuses) a throwaway database of ``--guides`` generated guides (``benchmarks.common``):
   a SQLite file, or with ``--database postgresql`` a PostgreSQL server started for the run.
2. Indexing: times the Chinese analysis of every guide (``search.documents.search_document`` on
   records, i.e. segmentation and pinyin) and Wagtail's ``update_index`` into the database backend
   (SQLite FTS5, or Wagtail's PostgreSQL backend) and, unless ``--no-elasticsearch``, into real Elasticsearch started for the run (one node, or
   ``--es-nodes`` nodes forming a cluster, with a replica on each further node). On
   Elasticsearch it also times the index outbox (``search.outbox``) sending every guide, as it
   does after an import, and prints both as documents per second.
3. Latency: for a set of citizen-style queries, times ``search.service.search_guides`` (analysis,
   retrieval, re-ranking, snippets) against the floor of the raw query it sends: on SQLite the FTS
   ranking statement itself, on PostgreSQL the full-text statement (``@@`` and ``ts_rank``) that
   the backend sends, on Elasticsearch the same ``_search`` request (hits, total, facets).
   Prints p50/p95 of both and their ratios (targets of the database backend: p95 ≤ 50 ms and
   ≤ 1.5× the raw statement; Elasticsearch p95 ≤ 1.3× the raw ``_search``; indexing ≤ 60 s at
   10,000 guides), and on the database suggestions key by key. Timings are compared only within the run, next to the
   machine's speed probe (``common.speed_probe``); nothing here exits non-zero for being slow.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks import common

# Citizen-style queries of every kind (words, phrases, colloquial, pinyin, typos); not the
# evaluation file's, so the benchmark does not tune to it.
QUERIES = [
    "营业执照", "个体户注册", "食品经营许可证", "开饭店", "居住证", "身份证丢了", "生孩子",
    "退休金", "公租房", "失业金", "施工许可", "消防验收", "社保卡", "医保报销", "结婚登记",
    "yyzz", "jzz", "shebao", "gongzufang", "营业执照丢了怎么补", "孩子上学要什么材料",
    "开个理发店", "房子过户", "残疾证怎么办", "高龄补贴", "劳动仲裁", "树木砍伐", "占道施工",
    "排水许可", "特种设备", "民办学校", "药店", "网吧", "旅馆", "娱乐场所", "出租屋",
    "户口迁移", "新生儿落户", "二手房", "企业注销",
]
TARGETS = {"database_p95_ms": 50.0, "database_ratio": 1.5, "es_ratio": 1.3, "indexing_s": 60.0}
# What tells the database backend's ranked retrieval apart from the service's other statements.
RANKING_MARKERS = {"sqlite": "bm25(", "postgresql": "ts_rank("}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of every query")
    common.add_database_arguments(parser)
    parser.add_argument("--no-elasticsearch", action="store_true", help="skip the Elasticsearch part")
    parser.add_argument(
        "--no-sqlite", "--no-database-backend", dest="no_sqlite", action="store_true",
        help="skip the database backend part (SQLite or PostgreSQL)",
    )
    parser.add_argument("--es-nodes", type=int, default=1, help="Elasticsearch nodes (2+: a cluster, one replica per further node)")
    return parser.parse_args(argv)


def time_analysis(count: int) -> float:
    """Seconds to analyse ``count`` guide records as indexing does."""
    from guides.importer import normalize_record
    from search.documents import search_document

    records = [normalize_record(json.loads(line)) for line in common.demo_lines()]
    started = time.perf_counter()
    for number in range(count):
        record = dict(records[number % len(records)])
        record["name"] = f"{record['name']}{number}"
        search_document(record)
    return time.perf_counter() - started


def time_update_index(backend: str) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("update_index", backend_name=backend, verbosity=0)
    return time.perf_counter() - started


def raw_statement(query: str):
    """The ranking statement that search_guides sends to the database backend for ``query``: the
    FTS5 ``bm25`` statement on SQLite, the full-text ``ts_rank`` one on PostgreSQL (as executed,
    its parameters in place)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search.service import search_guides

    marker = RANKING_MARKERS[connection.vendor]
    with CaptureQueriesContext(connection) as captured:
        search_guides(query, log=False, backend="default")
    statements = [q["sql"] for q in captured.captured_queries if marker in q["sql"]]
    return statements[0] if statements else None


def time_raw_sql(sql: str, rounds: int) -> list[float]:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append(time.perf_counter() - started)
    return times


def time_service(query: str, rounds: int, backend: str) -> list[float]:
    from search.service import search_guides

    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        search_guides(query, log=False, backend=backend)
        times.append(time.perf_counter() - started)
    return times


def es_raw_request(query: str):
    """The client and the one ``_search`` request that search_guides sends for ``query``."""
    from guides.models import GuidePage
    from search.analysis import analyze_query
    from search.service import (
        FACET_FIELDS,
        MAX_CANDIDATES,
        SEARCH_FIELDS,
        retrieval_string,
        synonym_set,
    )

    query_string = retrieval_string(analyze_query(query, synonyms=synonym_set()))
    results = GuidePage.objects.live().select_related("department").search(
        query_string, fields=SEARCH_FIELDS, operator="or", backend="default"
    )
    return results.backend.es, results.ranked_request(MAX_CANDIDATES, FACET_FIELDS, tuple(SEARCH_FIELDS))


def report(label: str, service: list[float], raw: list[float]) -> tuple[float, float, float, float]:
    mine, floor = common.Summary.of(service), common.Summary.of(raw)
    ratio = mine.p50 / floor.p50 if floor.p50 else float("nan")
    ratio95 = mine.p95 / floor.p95 if floor.p95 else float("nan")
    print(f"  {label:<26} p50 {common.ms(mine.p50):>9}  p95 {common.ms(mine.p95):>9}   "
          f"raw p50 {common.ms(floor.p50):>9}  p95 {common.ms(floor.p95):>9}   ratio p50 {ratio:.2f}×  p95 {ratio95:.2f}×")
    return mine.p50, mine.p95, ratio, ratio95


def run(args, workdir: Path) -> int:
    from django.db import connection

    print(f"Search benchmark: {args.guides:,} guides, {len(QUERIES)} queries × {args.rounds}, "
          f"{VENDOR_NAMES[connection.vendor]} database in {workdir}")
    print(f"speed probe: {common.speed_probe() * 1000:.1f} ms (compare timings only between runs whose probes agree)")
    common.prepare_database(args.guides, workdir=workdir)

    if not args.no_sqlite:
        run_database_backend(args)
    if not args.no_elasticsearch:
        run_elasticsearch(args)
    print(f"speed probe at the end: {common.speed_probe() * 1000:.1f} ms")
    return 0


def run_database_backend(args) -> None:
    from django.db import connection

    vendor = VENDOR_NAMES[connection.vendor]
    analysis = time_analysis(args.guides)
    database_index = time_update_index("default")
    print(f"indexing: analysis {analysis:.1f} s + {vendor} update_index {database_index:.1f} s = "
          f"{analysis + database_index:.1f} s (target ≤ {TARGETS['indexing_s']:.0f} s)")

    from portal.startup import prepare_process

    prepare_process()  # as portal.wsgi does before serving
    service_times, raw_times = [], []
    for query in QUERIES:
        sql = raw_statement(query)
        if sql is None:
            continue
        service_times += time_service(query, args.rounds, "default")
        raw_times += time_raw_sql(sql, args.rounds)
    print(f"{vendor} (database backend):")
    raw_name = {"sqlite": "raw FTS", "postgresql": "raw ts_rank"}[connection.vendor]
    _, p95, ratio, _ = report(f"search_guides vs {raw_name}", service_times, raw_times)
    print(f"  p95 {'OK' if p95 * 1000 <= TARGETS['database_p95_ms'] else 'OVER'} (≤ {TARGETS['database_p95_ms']:.0f} ms), "
          f"ratio {'OK' if ratio <= TARGETS['database_ratio'] else 'OVER'} (≤ {TARGETS['database_ratio']}×)")

    run_suggest(args)


def time_outbox_sync() -> tuple[int, float]:
    """Queue every guide in the index outbox, as an import of all of them would, and time
    ``search.outbox.sync_index`` sending them; return (documents, seconds)."""
    from guides.models import GuidePage
    from search.models import IndexUpdate
    from search.outbox import sync_index

    label = GuidePage._meta.label_lower
    pks = list(GuidePage.objects.values_list("pk", flat=True))
    for start in range(0, len(pks), 5000):
        IndexUpdate.objects.bulk_create([IndexUpdate(model=label, object_id=str(pk)) for pk in pks[start : start + 5000]])
    started = time.perf_counter()
    run = sync_index()
    seconds = time.perf_counter() - started
    if run.failed or IndexUpdate.objects.exists():
        raise SystemExit(f"the outbox sync failed: {run.error}")
    return run.synced, seconds


def run_suggest(args) -> None:
    """Suggestions for what a kiosk keyboard types, key by key (no raw floor: one indexed range
    query each)."""
    from guides.models import GuidePage
    from search.suggest import refresh_suggestions, suggest

    started = time.perf_counter()
    pages = list(GuidePage.objects.live().select_related("department", "intake_window__hall", "delivery_window")[:2000])
    for page in pages:
        refresh_suggestions(page)
    per_guide = (time.perf_counter() - started) / max(1, len(pages))
    prefixes = ["y", "yy", "yyz", "yyzz", "s", "sp", "spj", "spjy", "0", "00", "002", "0024", "营业", "身份证", "jy0015"]
    times = []
    for _ in range(args.rounds):
        for prefix in prefixes:
            started = time.perf_counter()
            suggest(prefix)
            times.append(time.perf_counter() - started)
    summary = common.Summary.of(times)
    print(f"suggest ({len(pages):,} guides' keys, {per_guide * 1000:.1f} ms a guide to key): "
          f"p50 {common.ms(summary.p50)}  p95 {common.ms(summary.p95)}")


def run_elasticsearch(args) -> None:
    from contextlib import ExitStack

    from django.conf import settings
    from django.test import override_settings

    from guides.models import GuidePage
    from search.es_config import elasticsearch_backend
    from search.testing.es_node import ElasticsearchCluster, ElasticsearchNode

    with ExitStack() as stack:
        if args.es_nodes > 1:
            cluster = stack.enter_context(ElasticsearchCluster(args.es_nodes, heap_max="1g"))
            urls, version = cluster.urls, cluster.nodes[0].version
        else:
            node = stack.enter_context(ElasticsearchNode(heap_max="1g"))
            urls, version = [node.url], node.version
        replicas = args.es_nodes - 1
        stack.enter_context(override_settings(
            WAGTAILSEARCH_BACKENDS={
                "default": elasticsearch_backend(urls, index_prefix="bench_", timeout=60, replicas=replicas),
                "database": settings.DATABASE_SEARCH_BACKEND,
            },
            SEARCH_INDEX_TIMEOUT=60,
        ))
        assert settings.WAGTAILSEARCH_BACKENDS["default"]["URLS"] == urls
        documents = GuidePage.objects.count()
        label = f"Elasticsearch {version}, {args.es_nodes} node{'s' if args.es_nodes > 1 else ''}, {replicas} replica{'s' if replicas != 1 else ''}"
        analysis = time_analysis(args.guides)
        es_index = time_update_index("default")
        print(f"{label}: indexing analysis {analysis:.1f} s + update_index {es_index:.1f} s = "
              f"{analysis + es_index:.1f} s (target ≤ {TARGETS['indexing_s']:.0f} s at 10,000 guides); "
              f"update_index {documents / es_index:,.0f} guides/s")
        synced, outbox_seconds = time_outbox_sync()
        print(f"  index outbox: {synced:,} guides sent in {outbox_seconds:.1f} s, {synced / outbox_seconds:,.0f} guides/s")
        if args.es_nodes > 1:
            health = cluster.wait_for(status="green", nodes=args.es_nodes, timeout="300s")
            print(f"  cluster {health['status']}: {health['active_shards']} shards on {health['number_of_nodes']} nodes")

        from portal.startup import prepare_process

        prepare_process()
        service_times, raw_times = [], []
        for query in QUERIES:
            es, request = es_raw_request(query)
            service_times += time_service(query, args.rounds, "default")
            for _ in range(args.rounds):
                started = time.perf_counter()
                es.search(**request)
                raw_times.append(time.perf_counter() - started)
        _, _, _, ratio95 = report("search_guides vs raw _search", service_times, raw_times)
        print(f"  p95 ratio {'OK' if ratio95 <= TARGETS['es_ratio'] else 'OVER'} (≤ {TARGETS['es_ratio']}×)")


def main(argv=None) -> int:
    return common.run_in_workdir(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
