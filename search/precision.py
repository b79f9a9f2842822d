"""Precision of the result list over labelled queries: of the results listed on the first page,
how many are relevant, and how long the list is. Each judgement lists every relevant guide of
the catalogue, so anything else listed is a miss."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PrecisionJudgement:
    query: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class PrecisionFigures:
    queries: int
    precision_at_10: float  # mean share of the listed first ten that is relevant
    recall_at_10: float  # mean share of the relevant guides among the listed first ten
    mean_listed: float  # mean number of results the list says it has
    related_only: int  # queries whose list is only "可能相关"

    def __str__(self) -> str:
        return (
            f"P@10 {self.precision_at_10:.3f}  R@10 {self.recall_at_10:.3f}  "
            f"mean results {self.mean_listed:.1f}  only-maybe-related {self.related_only}"
        )


def read_precision_judgements(lines: Iterable[str]) -> list[PrecisionJudgement]:
    judgements = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"第 {number} 行应为“查询<TAB>编码,编码…”")
        judgements.append(PrecisionJudgement(parts[0], frozenset(c.strip() for c in parts[1].split(",") if c.strip())))
    return judgements


def precision(
    judgements: list[PrecisionJudgement], search: Callable[[str], tuple[list[str], int, bool]]
) -> PrecisionFigures:
    """``search`` returns (codes of the first ten listed, total listed, whether only "可能相关")."""
    shares, recalls, totals, related = [], [], [], 0
    for judgement in judgements:
        codes, total, only_related = search(judgement.query)
        top = codes[:10]
        shares.append(sum(code in judgement.relevant for code in top) / len(top) if top else 0.0)
        recalls.append(sum(code in judgement.relevant for code in top) / min(10, len(judgement.relevant)))
        totals.append(total)
        related += only_related
    count = len(judgements) or 1
    return PrecisionFigures(len(judgements), sum(shares) / count, sum(recalls) / count, sum(totals) / count, related)


def measure_precision(judgements: list[PrecisionJudgement], backend: str) -> PrecisionFigures:
    from search.service import search_guides

    def run(query: str):
        outcome = search_guides(query, backend=backend, log=False)
        return [hit.page.code for hit in outcome.hits], outcome.total, getattr(outcome, "related", False)

    return precision(judgements, run)
