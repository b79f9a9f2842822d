"""Hand-written citizen queries (citizen_queries.tsv) meet the name of the guide they are about.

Retrieval and ranking are measured end to end with ``manage.py evaluate_search`` on the same file;
this test only needs the analysis: the query's tokens (own words, typo fixes, pinyin read back as
words, synonyms, sub-words) must share a *distinctive* token with the index tokens of the target
guide's name (or its pinyin), since a guide whose name the query does not reach ranks by luck.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from search.analysis import analyze_query, index_text, pinyin_index_text

QUERIES_PATH = Path(__file__).with_name("citizen_queries.tsv")
CORPUS_PATH = Path(__file__).parents[1] / "data" / "guides.jsonl"
DEMO_PATH = Path(settings.BASE_DIR) / "portal" / "demo" / "guides.jsonl"

# Words in the names of many guides: a shared one does not tell which guide is meant.
GENERIC = frozenset(
    "登记 申请 审批 备案 核发 许可 许可证 办理 申领 变更 延续 注销 补领 换领 新办 设立 认定 证 证明 "  # noqa: SIM905
    "服务 经营 管理 审核 确认 发放 给付 补贴 人员 机构 单位 企业 公司 城市 建设 工程".split()
)


def _rows():
    rows = []
    for line in QUERIES_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, codes, kind, name = line.split("\t")
        rows.append((query, codes.split(","), kind, name))
    return rows


def _catalogue_codes() -> set[str]:
    """The codes of the guides that the judged queries may name: the corpus and the demo's."""
    codes = set()
    for path in (CORPUS_PATH, DEMO_PATH):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                codes.add(json.loads(line)["code"])
    return codes


def test_file_is_well_formed_and_varied():
    rows = _rows()
    assert len(rows) >= 300
    assert len({q for q, *_ in rows}) == len(rows)
    kinds = {kind for _, _, kind, _ in rows}
    assert {"colloquial", "synonym", "typo", "pinyin", "mixed", "partial"} <= kinds
    unknown = {code for _, codes, _, _ in rows for code in codes} - _catalogue_codes()
    assert not unknown, sorted(unknown)


def test_queries_reach_the_name_of_their_guide():
    misses = []
    rows = _rows()
    for query, _, _, name in rows:
        q = analyze_query(query)
        query_tokens = set(q.all_tokens) | set(q.pinyin_tokens)
        name_tokens = set(index_text(name).split()) | set(pinyin_index_text(name).split())
        if not (query_tokens & name_tokens) - GENERIC:
            misses.append((query, name))
    # A few questions only meet their guide through its text (公司没有债务想快速注销); the rest
    # must reach the name.  A drop here means a dictionary or analysis change lost coverage.
    assert len(misses) <= len(rows) * 0.03, misses
