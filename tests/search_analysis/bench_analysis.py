"""Benchmark: analysis cost of indexing N guides (name + summary, plus name pinyin).

    .venv/bin/python -m tests.search_analysis.bench_analysis [N] [backend]

Not collected by pytest (no ``test_`` prefix): timings stay out of the tests.
"""

from __future__ import annotations

import sys
import time

from search.analysis import analyze_for_index, analyze_query, pinyin_index_text, set_segmenter
from search.analysis.segment import Segmenter
from tests.search_analysis.corpus import make_guides


def run(count: int = 10_000, backend: str = "auto") -> dict[str, float]:
    seg = Segmenter(backend=backend)
    set_segmenter(seg)
    started = time.perf_counter()
    seg.initialize()
    init_s = time.perf_counter() - started
    guides = make_guides(count)
    chars = sum(len(g.name) + len(g.summary) for g in guides)

    started = time.perf_counter()
    tokens = 0
    for guide in guides:
        fields = analyze_for_index({"title": guide.name, "summary": guide.summary})
        tokens += sum(len(v.split()) for v in fields.values())
    text_s = time.perf_counter() - started

    started = time.perf_counter()
    for guide in guides:
        pinyin_index_text(guide.name)
    pinyin_s = time.perf_counter() - started

    queries = [g.name[:6] for g in guides[:2000]] + ["开奶茶店要办什么证", "劳动仲材", "yyzz"] * 100
    started = time.perf_counter()
    for q in queries:
        analyze_query(q)
    query_s = time.perf_counter() - started
    set_segmenter(None)
    return {
        "backend": seg.backend_name,
        "guides": count,
        "avg_chars_per_guide": chars / count,
        "init_s": init_s,
        "text_total_s": text_s,
        "text_ms_per_guide": text_s / count * 1000,
        "pinyin_total_s": pinyin_s,
        "pinyin_ms_per_guide": pinyin_s / count * 1000,
        "total_ms_per_guide": (text_s + pinyin_s) / count * 1000,
        "index_tokens_per_guide": tokens / count,
        "query_ms": query_s / len(queries) * 1000,
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    backend = sys.argv[2] if len(sys.argv) > 2 else "auto"
    for key, value in run(count, backend).items():
        print(f"{key:>24}: {value:.3f}" if isinstance(value, float) else f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
