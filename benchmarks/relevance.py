"""Relevance and precision of the search on the corpus plus the demo site, as the tests measure them.

Run::

    .venv/bin/python -m benchmarks.relevance [--workdir DIR] [--elasticsearch] [--failures FILE ...]

Builds (or reuses, with ``--workdir``) a throwaway SQLite database holding the demo site and the
250-guide corpus (``tests/data/guides.jsonl``), indexes it, and prints for every query file of
``QUERY_FILES`` Recall@1, Recall@3, MRR and the number of queries without any result, by query
style, then the precision figures of ``tests/search_analysis/precision_judgements.tsv``.
``--failures FILE`` lists the queries of that file that miss the top three; it refuses the
held-out file ``fresh``, which is evaluated only with ``--files fresh`` (``held-out`` is the first
held-out set, tuned on since one of its misses was seen). ``--reindex`` refreshes the search texts of a reused database after
a change of the analysis.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks import common

TESTS_DIR = common.REPO_DIR / "tests"
CORPUS = TESTS_DIR / "data" / "guides.jsonl"
QUERY_FILES = {
    "search-queries": TESTS_DIR / "data" / "search-queries.tsv",
    "citizen": TESTS_DIR / "search_analysis" / "citizen_queries.tsv",
    "tuning": TESTS_DIR / "search_analysis" / "queries_tuning.tsv",
    "held-out": TESTS_DIR / "search_analysis" / "queries_heldout.tsv",
    "fresh": TESTS_DIR / "search_analysis" / "queries_fresh.tsv",
}
PRECISION_FILE = TESTS_DIR / "search_analysis" / "precision_judgements.tsv"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=None, help="reuse a database built before")
    parser.add_argument("--reindex", action="store_true", help="refresh the search texts and the index first")
    parser.add_argument("--elasticsearch", action="store_true", help="evaluate on a real Elasticsearch node too")
    parser.add_argument("--failures", nargs="*", default=[], choices=sorted(set(QUERY_FILES) - {"fresh"}), help="list the misses of these files")
    # The held-out files only when named: tuning looks at the other files.
    parser.add_argument("--files", nargs="*", default=["citizen", "search-queries", "tuning"], choices=sorted(QUERY_FILES))
    return parser.parse_args(argv)


def load_catalogue() -> None:
    """The demo site and the corpus, published, on a migrated database."""
    from django.core.management import call_command

    from guides.importer import import_guides
    from guides.models import GuidePage
    from portal.demo.loader import ensure_departments, ensure_hall, ensure_site, ensure_themes

    call_command("migrate", interactive=False, verbosity=0)
    if GuidePage.objects.exists():
        return
    ensure_site()
    ensure_hall()
    ensure_departments()
    ensure_themes()
    import_guides(common.demo_lines(), publish=True)
    import_guides(CORPUS.read_text(encoding="utf-8").splitlines(), publish=True, findings_as_warnings=True)


def reindex() -> None:
    from django.core.management import call_command

    call_command("refresh_search_text", verbosity=0)
    call_command("update_index", backend_name="default", verbosity=0)


def evaluate_file(path: Path, backend: str, *, show_failures: bool) -> dict:
    from search.evaluation import evaluate, read_judgements
    from search.service import search_guides

    judgements = read_judgements(path.read_text(encoding="utf-8").splitlines())
    by_style = defaultdict(list)
    for judgement in judgements:
        by_style[judgement.kind or "-"].append(judgement)

    # The older files judge the corpus alone: the demo's guides are left out of their rankings.
    corpus_only = path.parent.name == "data" or path.name == "citizen_queries.tsv"

    def codes(query: str) -> list[str]:
        found = [hit.page.code for hit in search_guides(query, backend=backend, log=False).hits]
        return [code for code in found if code.startswith("LW-")] if corpus_only else found

    rows = {}
    for style, group in sorted(by_style.items()):
        rows[style] = evaluate(group, codes)
    rows["all"] = evaluate(judgements, codes)
    for style, report in rows.items():
        print(
            f"  {style:<13} n={report.judgements:>3}  R@1 {report.recall(1):.3f}  R@3 {report.recall(3):.3f}  "
            f"MRR {report.mrr:.3f}  zero {report.zero_results}"
        )
    if show_failures:
        for judgement, top in rows["all"].failures:
            print(f"    [{judgement.kind}] {judgement.query} → want {','.join(judgement.codes)}, got {','.join(top) or '—'}")
    return rows


def run(args) -> int:
    workdir = common.setup_django(args.workdir)
    load_catalogue()
    if args.reindex or args.workdir is None:
        reindex()
    from portal.startup import prepare_process

    prepare_process()
    backends = ["default"]
    if args.elasticsearch:
        return run_elasticsearch(args)
    for backend in backends:
        print(f"backend {backend} (database), database in {workdir}")
        for name in args.files:
            if QUERY_FILES[name].exists():
                print(f" {name}:")
                evaluate_file(QUERY_FILES[name], backend, show_failures=name in args.failures)
        if PRECISION_FILE.exists():
            print_precision(backend)
    return 0


def print_precision(backend: str) -> None:
    from search.precision import measure_precision, read_precision_judgements

    judgements = read_precision_judgements(PRECISION_FILE.read_text(encoding="utf-8").splitlines())
    figures = measure_precision(judgements, backend)
    print(f" precision ({len(judgements)} labelled queries): {figures}")


def run_elasticsearch(args) -> int:
    from django.conf import settings
    from django.test import override_settings

    from search.es_config import elasticsearch_backend
    from search.testing.es_node import ElasticsearchNode

    with ElasticsearchNode() as node, override_settings(
        WAGTAILSEARCH_BACKENDS={
            "default": elasticsearch_backend(node.url, index_prefix="relevance_", timeout=10, replicas=0),
            "database": settings.DATABASE_SEARCH_BACKEND,
        }
    ):
        from django.core.management import call_command

        call_command("update_index", backend_name="default", verbosity=0)
        print(f"backend default (Elasticsearch {node.version})")
        for name in args.files:
            if QUERY_FILES[name].exists():
                print(f" {name}:")
                evaluate_file(QUERY_FILES[name], "default", show_failures=name in args.failures)
        if PRECISION_FILE.exists():
            print_precision("default")
    return 0


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
