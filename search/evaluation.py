"""Relevance metrics of the search over a file of citizen queries and the guides they should find."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Judgement:
    query: str
    codes: tuple[str, ...]
    kind: str = ""


@dataclass
class Report:
    judgements: int = 0
    hits_at: dict[int, int] = field(default_factory=lambda: {1: 0, 3: 0, 10: 0})
    reciprocal_ranks: float = 0.0
    zero_results: int = 0
    failures: list[tuple[Judgement, list[str]]] = field(default_factory=list)

    def recall(self, k: int) -> float:
        return self.hits_at[k] / self.judgements if self.judgements else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.judgements if self.judgements else 0.0

    @property
    def zero_result_rate(self) -> float:
        return self.zero_results / self.judgements if self.judgements else 0.0


def read_judgements(lines: Iterable[str]) -> list[Judgement]:
    """TSV rows ``query<TAB>code[,code…][<TAB>kind]``; '#' starts a comment."""
    judgements = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"第 {number} 行应为“查询<TAB>编码[,编码]”")
        codes = tuple(code.strip() for code in parts[1].split(",") if code.strip())
        judgements.append(Judgement(parts[0], codes, parts[2].strip() if len(parts) > 2 else ""))
    return judgements


def evaluate(judgements: Iterable[Judgement], search: Callable[[str], list[str]]) -> Report:
    """``search`` returns the codes of the top results, best first."""
    report = Report()
    for judgement in judgements:
        report.judgements += 1
        codes = search(judgement.query)
        if not codes:
            report.zero_results += 1
        rank = next((i for i, code in enumerate(codes, start=1) if code in judgement.codes), None)
        if rank is not None:
            report.reciprocal_ranks += 1 / rank
            for k in report.hits_at:
                if rank <= k:
                    report.hits_at[k] += 1
        if rank is None or rank > 3:
            report.failures.append((judgement, codes[:3]))
    return report
