"""Search latency and indexing time at scale, as ratios against the raw backend query.

Run::

    .venv/bin/python -m benchmarks.search [--guides 10000] [--rounds 5] [--workdir DIR] [--no-elasticsearch]

1. Builds (or reuses) a throwaway database of ``--guides`` generated guides (``benchmarks.common``).
2. Indexing: times the Chinese analysis of every guide (``search.documents.search_document`` on
   records, i.e. segmentation and pinyin) and Wagtail's ``update_index`` into the database backend
   and, unless ``--no-elasticsearch``, into a real Elasticsearch node started for the run.
3. Latency: for a set of citizen-style queries, times ``search.service.search_guides`` (analysis,
   retrieval, re-ranking, snippets) against the floor of the raw query it sends: on SQLite the FTS
   ranking statement itself, on Elasticsearch the same ``_search`` request (hits, total, facets). Prints p50/p95 of both and
   the ratio (targets: SQLite p95 ≤ 50 ms and ≤ 1.5× the raw FTS query; Elasticsearch ≤ 1.3× the raw
   ``_search``; indexing ≤ 60 s), and suggestions key by key. Timings are compared only within the run; nothing here exits
   non-zero for being slow.
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
TARGETS = {"sqlite_p95_ms": 50.0, "sqlite_ratio": 1.5, "es_ratio": 1.3, "indexing_s": 60.0}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of every query")
    parser.add_argument("--workdir", type=Path, default=None, help="reuse a database built before")
    parser.add_argument("--no-elasticsearch", action="store_true", help="skip the Elasticsearch part")
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


def sqlite_raw_statement(query: str):
    """The FTS ranking statement that search_guides issues for ``query``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search.service import search_guides

    with CaptureQueriesContext(connection) as captured:
        search_guides(query, log=False, backend="default")
    statements = [q["sql"] for q in captured.captured_queries if "bm25(" in q["sql"]]
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


def report(label: str, service: list[float], raw: list[float]) -> tuple[float, float, float]:
    mine, floor = common.Summary.of(service), common.Summary.of(raw)
    ratio = mine.p50 / floor.p50 if floor.p50 else float("nan")
    print(f"  {label:<26} p50 {common.ms(mine.p50):>9}  p95 {common.ms(mine.p95):>9}   "
          f"raw p50 {common.ms(floor.p50):>9}  p95 {common.ms(floor.p95):>9}   ratio p50 {ratio:.2f}×")
    return mine.p50, mine.p95, ratio


def run(args) -> int:
    workdir = common.setup_django(args.workdir)
    print(f"Search benchmark: {args.guides:,} guides, {len(QUERIES)} queries × {args.rounds}, database in {workdir}")
    print(f"speed probe: {common.speed_probe() * 1000:.1f} ms (compare timings only between runs whose probes agree)")
    common.prepare_database(args.guides, workdir=workdir)

    analysis = time_analysis(args.guides)
    database_index = time_update_index("default")
    print(f"indexing: analysis {analysis:.1f} s + database update_index {database_index:.1f} s = "
          f"{analysis + database_index:.1f} s (target ≤ {TARGETS['indexing_s']:.0f} s)")

    from portal.startup import prepare_process

    prepare_process()  # as portal.wsgi does before serving
    service_times, raw_times = [], []
    for query in QUERIES:
        sql = sqlite_raw_statement(query)
        if sql is None:
            continue
        service_times += time_service(query, args.rounds, "default")
        raw_times += time_raw_sql(sql, args.rounds)
    print("SQLite (database backend):")
    _, p95, ratio = report("search_guides vs raw FTS", service_times, raw_times)
    print(f"  p95 {'OK' if p95 * 1000 <= TARGETS['sqlite_p95_ms'] else 'OVER'} (≤ {TARGETS['sqlite_p95_ms']:.0f} ms), "
          f"ratio {'OK' if ratio <= TARGETS['sqlite_ratio'] else 'OVER'} (≤ {TARGETS['sqlite_ratio']}×)")

    run_suggest(args)
    if not args.no_elasticsearch:
        run_elasticsearch(args)
    print(f"speed probe at the end: {common.speed_probe() * 1000:.1f} ms")
    return 0


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
    from django.conf import settings
    from django.test import override_settings

    from search.es_config import elasticsearch_backend
    from search.testing.es_node import ElasticsearchNode

    with ElasticsearchNode() as node, override_settings(
        WAGTAILSEARCH_BACKENDS={
            "default": elasticsearch_backend(node.url, index_prefix="bench_", timeout=10, replicas=0),
            "database": settings.DATABASE_SEARCH_BACKEND,
        }
    ):
        assert settings.WAGTAILSEARCH_BACKENDS["default"]["URLS"] == [node.url]
        analysis = time_analysis(args.guides)
        es_index = time_update_index("default")
        print(f"Elasticsearch {node.version}: indexing analysis {analysis:.1f} s + update_index {es_index:.1f} s = "
              f"{analysis + es_index:.1f} s (target ≤ {TARGETS['indexing_s']:.0f} s)")
        service_times, raw_times = [], []
        for query in QUERIES:
            es, request = es_raw_request(query)
            service_times += time_service(query, args.rounds, "default")
            for _ in range(args.rounds):
                started = time.perf_counter()
                es.search(**request)
                raw_times.append(time.perf_counter() - started)
        _, _, ratio = report("search_guides vs raw _search", service_times, raw_times)
        print(f"  ratio {'OK' if ratio <= TARGETS['es_ratio'] else 'OVER'} (≤ {TARGETS['es_ratio']}×)")


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
