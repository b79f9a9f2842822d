"""Re-ranking of search candidates, identical for every backend.

The backend retrieves candidates for the OR of all query tokens and orders them by its own
relevance (bm25); this module orders the top of that list by where each token matched: a word of
the guide's name counts most, then materials and conditions, then the rest; the query's own words
count more than synonyms, typo fixes and sub-words. Plain Python, no Django.

Two corrections keep frequent words from drowning the rare ones that say which guide is meant:

* **rarity**: a token's weight is scaled by an IDF computed over the candidates themselves (every
  guide that contains any query token is a candidate, so for a token its document frequency among
  the candidates is its document frequency in the catalogue, up to the candidate cap). 登记, 申请,
  审批, 证 are in most guides' names and count little next to 起重机械 or 歇业;
* **coverage**: a guide whose name holds a larger share of what the query asks for (its own words,
  or for each own word its synonyms/corrections) ranks higher than one that repeats a single word.

A query word that no candidate contains at all (口腔诊所, 奶茶店) hands its weight on to its
sub-words (诊所): they are then the best evidence of what was meant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from search.analysis import AnalyzedQuery

FIELD_WEIGHTS = {"name": 10.0, "checklist": 3.0, "text": 1.0}
OWN, CORRECTION, PINYIN, SYNONYM, SUBWORD = 1.0, 0.9, 1.0, 0.8, 0.35
# A sub-word of a query word that no candidate contains stands in for that word.
ORPHAN_SUBWORD = 0.8
# One Han character ("证", "开") says little about which guide is meant.
SINGLE_CHARACTER_FACTOR = 0.25
ALL_OWN_TOKENS_IN_NAME_BONUS = 8.0
# Up to this much for the rarity-weighted share of the query's own words found in the name.
NAME_COVERAGE_BONUS = 6.0
BACKEND_ORDER_WEIGHT = 2.0
# The sub-words of a query word, synonym or correction together count at most this share of
# what the whole word would count in the name.
SUBWORD_SHARE = 0.7
# Words that name a follow-up variant of a service (change, renewal, cancellation, replacement …).
# A guide whose name has one the query did not ask for (in any form: own word, synonym …) is
# moved down a little, so that 开网吧 finds the 设立 guide before its 变更 sibling.
VARIANT_WORDS = (
    "变更", "延续", "延期", "注销", "补领", "换领", "补发", "换发", "终止", "撤销", "返还", "移出",
    "解除",
)
UNASKED_VARIANT_PENALTY = 2.0
# Floor of the rarity factor: a token in one candidate gets 1.0, one in all n candidates
# MIN_RARITY + (1 - MIN_RARITY) * log 2 / log(1 + n) (about 0.3 for 200 candidates).
MIN_RARITY = 0.2


@dataclass(frozen=True)
class Candidate:
    key: object
    name: frozenset[str]
    checklist: frozenset[str]
    text: frozenset[str]

    @classmethod
    def from_texts(cls, key: object, name: str, checklist: str, text: str) -> Candidate:
        return cls(key, frozenset(name.split()), frozenset(checklist.split()), frozenset(text.split()))

    def __contains__(self, token: str) -> bool:
        return token in self.name or token in self.checklist or token in self.text


def _kind_weight(token: str, weight: float) -> float:
    if len(token) == 1 and not token.isascii():
        return weight * SINGLE_CHARACTER_FACTOR
    return weight


def weighted_tokens(query: AnalyzedQuery) -> dict[str, float]:
    weights: dict[str, float] = {}
    groups = (
        (query.tokens, OWN),
        (query.pinyin_tokens, PINYIN),
        (query.correction_tokens, CORRECTION),
        (query.synonym_tokens, SYNONYM),
        (query.subword_tokens, SUBWORD),
    )
    for tokens, weight in groups:
        for token in tokens:
            weights[token] = max(weights.get(token, 0.0), _kind_weight(token, weight))
    return weights


FIELDS = ("name", "checklist", "text")
Rarity = dict[str, dict[str, float]]


def rarity(candidates: Sequence[Candidate], tokens: Iterable[str]) -> Rarity:
    """Per token and field, ``MIN_RARITY``..1: the token's IDF in that field among the
    candidates, scaled to the rarest possible.  Per field, because a word can be rare in names
    and common in the text (身份证 names four guides and is a material of most)."""
    count = len(candidates)
    tokens = list(tokens)
    if count <= 1:
        return {token: dict.fromkeys(FIELDS, 1.0) for token in tokens}
    top = math.log(1 + count)
    out: Rarity = {}
    for token in tokens:
        factors = {}
        for field in FIELDS:
            df = sum(1 for c in candidates if token in getattr(c, field))
            idf = math.log(1 + count / df) / top if df else 1.0
            factors[field] = MIN_RARITY + (1 - MIN_RARITY) * idf
        out[token] = factors
    return out


def _rare(rare: Rarity | None, token: str, field: str) -> float:
    if not rare or token not in rare:
        return 1.0
    return rare[token][field]


def _orphan_promotions(query: AnalyzedQuery, candidates: Sequence[Candidate], weights: dict[str, float]) -> None:
    """Give the sub-words of own words that no candidate contains the weight of a near-own word."""
    if not candidates:
        return
    orphans = [t for t in query.tokens if len(t) > 2 and not any(t in c for c in candidates)]
    for token in query.subword_tokens:
        if any(token in orphan for orphan in orphans):
            weights[token] = max(weights.get(token, 0.0), _kind_weight(token, ORPHAN_SUBWORD))


def _own_tokens(query: AnalyzedQuery) -> list[str]:
    return [t for t in (query.tokens or query.pinyin_tokens) if len(t) > 1 or t.isascii()]


def _parents(query: AnalyzedQuery) -> dict[str, str]:
    """Sub-word -> the (most important) query token, correction or synonym it is part of."""
    out: dict[str, str] = {}
    bigger = (*query.tokens, *query.pinyin_tokens, *query.correction_tokens, *query.synonym_tokens)
    for token in query.subword_tokens:
        for parent in bigger:
            if token != parent and token in parent:
                out[token] = parent
                break
    return out


def _field_of(token: str, candidate: Candidate) -> str | None:
    if token in candidate.name:
        return "name"
    if token in candidate.checklist:
        return "checklist"
    if token in candidate.text:
        return "text"
    return None


def score(
    query: AnalyzedQuery,
    candidate: Candidate,
    weights: dict[str, float] | None = None,
    rare: Rarity | None = None,
) -> float:
    weights = weights if weights is not None else weighted_tokens(query)
    own_set = set(query.tokens) | set(query.pinyin_tokens)
    matched: dict[str, str] = {}
    for token in weights:
        field = _field_of(token, candidate)
        if field is not None:
            matched[token] = field
    parents = _parents(query)
    full: dict[str, float] = {}
    partial: dict[str, float] = {}
    total = 0.0
    for token, field in matched.items():
        # An expansion or sub-word inside a longer matched token of the same field is the
        # same evidence again (零售 inside 药品零售): only the query's own words add up.
        if token not in own_set and any(
            other != token and token in other and matched[other] == field for other in matched
        ):
            continue
        value = weights[token] * _rare(rare, token, field) * FIELD_WEIGHTS[field]
        parent = parents.get(token)
        if parent is None:
            full[token] = value
        else:
            partial[parent] = partial.get(parent, 0.0) + value
    total = sum(full.values())
    # Sub-words stand in for the word they come from, and never for more than part of it:
    # 建设 + 规划许可 + 许可证 in 建设用地规划许可证 is not 建设工程规划许可证.
    for parent, value in partial.items():
        cap = SUBWORD_SHARE * weights.get(parent, SUBWORD) * _rare(rare, parent, "name") * FIELD_WEIGHTS["name"]
        total += max(0.0, min(value, cap) - full.get(parent, 0.0))
    own = _own_tokens(query)
    if own:
        in_name = [t for t in own if t in candidate.name]
        if len(in_name) == len(own):
            total += ALL_OWN_TOKENS_IN_NAME_BONUS
        elif in_name:
            share = sum(_rare(rare, t, "name") for t in in_name) / sum(_rare(rare, t, "name") for t in own)
            total += NAME_COVERAGE_BONUS * share
    asked = weights.keys()
    for word in VARIANT_WORDS:
        if word in candidate.name and word not in asked:
            total -= UNASKED_VARIANT_PENALTY
            break
    return total


def rerank(query: AnalyzedQuery, candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates in backend order, re-ordered by score; the backend's order breaks ties and
    adds a small prior, so its term statistics (rare words matter more) still count."""
    weights = weighted_tokens(query)
    _orphan_promotions(query, candidates, weights)
    rare = rarity(candidates, weights)
    count = len(candidates) or 1
    scored = [
        (score(query, candidate, weights, rare) + BACKEND_ORDER_WEIGHT * (1 - position / count), -position, candidate)
        for position, candidate in enumerate(candidates)
    ]
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [candidate for _, _, candidate in scored]
