"""Re-ranking of search candidates, identical for every backend.

The backend retrieves candidates for the OR of all query tokens and orders them by its own
relevance (bm25); this module orders the top of that list by where each token matched: a word of
the guide's name counts most, then its result (the licence a citizen comes for), then materials
and conditions, then the rest; the query's own words
count more than synonyms, typo fixes and sub-words. Plain Python, no Django.

On top of that, so that frequent words do not drown the rare ones that say which guide is meant:

* **rarity**: a token's weight is scaled by its IDF among the candidates, per field (every guide
  that contains any query token is a candidate, so among them a token's document frequency is its
  frequency in the catalogue, up to the candidate cap).  登记, 申请, 审批 are in many guides' names
  and count little next to 起重机械 or 歇业; 身份证 is a material of most guides but names few;
* **the same evidence counts once**: a synonym or sub-word inside a longer matched token of the
  same field adds nothing (零售 inside 药品零售), and the sub-words of one word, synonym or typo
  fix together count for at most ``SUBWORD_SHARE`` of the whole word (建设 + 规划许可 + 许可证 in
  建设用地规划许可证 is not 建设工程规划许可证);
* **orphans**: a query word that no candidate contains (口腔诊所, 奶茶店) hands its weight on to
  its sub-words (诊所);
* **coverage**: all of the query's own words in the name earn a bonus, a rarity-weighted share
  of them part of it;
* **unasked variants**: a name with a follow-up variant word (变更, 延续, 注销, 补领 …) that the
  query does not contain in any form (own word, synonym, typo fix) loses a little, so that 开网吧
  finds the 设立 guide before its 变更 sibling and 身份证丢了 the 补领 one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from search.analysis import AnalyzedQuery

FIELD_WEIGHTS = {"name": 10.0, "alias": 9.0, "result": 5.0, "checklist": 3.0, "text": 1.0}
# From the strongest to the weakest evidence: a token counts where it counts most.
FIELDS = ("name", "alias", "result", "checklist", "text")
OWN, CORRECTION, PINYIN, SYNONYM, SUBWORD = 1.0, 0.9, 1.0, 0.8, 0.35
# An abbreviation found in the query (出生证) and an item code count as the query's own words.
ALIAS, CODE = 1.0, 1.5
# The items a life event in the query leads to (转学 → 学生转学): below its own words and synonyms,
# so that 开书店 finds the bookshop licence before the generic shop registration.
EVENT = 0.6
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
VARIANT_WORDS = (
    "变更", "延续", "延期", "注销", "补领", "换领", "补发", "换发", "终止", "撤销", "返还", "移出",
    "解除",
)  # fmt: skip
UNASKED_VARIANT_PENALTY = 2.0
# Floor of the rarity factor: a token in one candidate gets 1.0, one in all n candidates
# MIN_RARITY + (1 - MIN_RARITY) * log 2 / log(1 + n) (about 0.3 for 200 candidates).
MIN_RARITY = 0.2

Rarity = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Candidate:
    key: object
    name: frozenset[str]
    checklist: frozenset[str]
    text: frozenset[str]
    result: frozenset[str] = frozenset()
    alias: frozenset[str] = frozenset()

    @classmethod
    def from_texts(
        cls,
        key: object,
        name: str,
        checklist: str,
        text: str,
        result: str = "",
        alias: str = "",
        *,
        vocabulary: Vocabulary | None = None,
    ) -> Candidate:
        """A candidate from its space-separated search texts. With ``vocabulary`` (the tokens
        that scoring a query looks at) each field keeps only those tokens, found by substring
        search: splitting fifty guides' texts into sets took longer than re-ranking them."""
        if vocabulary is None:
            return cls(
                key,
                frozenset(name.split()),
                frozenset(checklist.split()),
                frozenset(text.split()),
                frozenset(result.split()),
                frozenset(alias.split()),
            )
        return cls(
            key,
            vocabulary.found_in(name, name=True),
            vocabulary.found_in(checklist),
            vocabulary.found_in(text),
            vocabulary.found_in(result),
            vocabulary.found_in(alias),
        )

    def __contains__(self, token: str) -> bool:
        return (
            token in self.name or token in self.alias or token in self.result or token in self.checklist or token in self.text
        )


class Vocabulary:
    """The tokens that re-ranking a query looks up in candidates: its weighted tokens, and in
    names the variant words too."""

    def __init__(self, query: AnalyzedQuery):
        tokens = list(weighted_tokens(query))
        self._needles = tuple((token, f" {token} ") for token in tokens)
        self._name_needles = self._needles + tuple((word, f" {word} ") for word in VARIANT_WORDS if word not in tokens)

    def found_in(self, text: str, *, name: bool = False) -> frozenset[str]:
        """Those of the tokens that ``text`` (tokens separated by single spaces) contains."""
        padded = f" {text} "
        return frozenset([token for token, needle in (self._name_needles if name else self._needles) if needle in padded])


def _kind_weight(token: str, weight: float) -> float:
    if len(token) == 1 and not token.isascii():
        return weight * SINGLE_CHARACTER_FACTOR
    return weight


def weighted_tokens(query: AnalyzedQuery) -> dict[str, float]:
    weights: dict[str, float] = {}
    groups = (
        (query.code_tokens, CODE),
        (query.tokens, OWN),
        (query.alias_tokens, ALIAS),
        (query.event_tokens, EVENT),
        (query.pinyin_tokens, PINYIN),
        (query.correction_tokens, CORRECTION),
        (query.synonym_tokens, SYNONYM),
        (query.subword_tokens, SUBWORD),
    )
    for tokens, weight in groups:
        for token in tokens:
            weights[token] = max(weights.get(token, 0.0), _kind_weight(token, weight))
    return weights


def rarity(candidates: Sequence[Candidate], tokens: Iterable[str]) -> Rarity:
    """Per token and field, ``MIN_RARITY``..1: the token's IDF in that field among the
    candidates, scaled so that a token in a single candidate gets 1."""
    wanted = set(tokens)
    count = len(candidates)
    if count <= 1:
        return {token: dict.fromkeys(FIELDS, 1.0) for token in wanted}
    df = {field: dict.fromkeys(wanted, 0) for field in FIELDS}
    for candidate in candidates:
        for field in FIELDS:
            counts = df[field]
            for token in wanted.intersection(getattr(candidate, field)):
                counts[token] += 1
    top = math.log(1 + count)
    out: Rarity = {}
    for token in wanted:
        factors = {}
        for field in FIELDS:
            n = df[field][token]
            idf = math.log(1 + count / n) / top if n else 1.0
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


@dataclass(frozen=True)
class _Plan:
    """What ``score`` needs about the query, computed once per query rather than per candidate."""

    weights: dict[str, float]
    tokens: frozenset[str]
    own_set: frozenset[str]
    own: tuple[str, ...]  # own words that count for coverage (no single Han characters)
    parents: dict[str, str]  # sub-word -> the word, synonym or correction it is part of
    containers: dict[str, tuple[str, ...]]  # token -> longer query tokens that contain it
    unasked_variants: frozenset[str]  # variant words the query does not weigh

    @classmethod
    def of(cls, query: AnalyzedQuery, weights: dict[str, float]) -> _Plan:
        own_set = frozenset(query.tokens) | frozenset(query.pinyin_tokens) | frozenset(query.code_tokens)
        own = tuple(t for t in (*query.code_tokens, *(query.tokens or query.pinyin_tokens)) if len(t) > 1 or t.isascii())
        bigger = (
            *query.tokens, *query.pinyin_tokens, *query.alias_tokens, *query.event_tokens,
            *query.correction_tokens, *query.synonym_tokens,
        )  # fmt: skip
        parents: dict[str, str] = {}
        for token in query.subword_tokens:
            for parent in bigger:
                if token != parent and token in parent:
                    parents[token] = parent
                    break
        containers = {
            token: tuple(other for other in weights if other != token and token in other)
            for token in weights
            if token not in own_set
        }
        containers = {t: c for t, c in containers.items() if c}
        unasked_variants = frozenset(word for word in VARIANT_WORDS if word not in weights)
        return cls(weights, frozenset(weights), own_set, own, parents, containers, unasked_variants)


def evidence(plan: _Plan, candidate: Candidate) -> dict[str, str]:
    """Where each query token matched the candidate: its best field."""
    matched: dict[str, str] = {}
    for field in reversed(FIELDS):
        matched.update(dict.fromkeys(plan.tokens.intersection(getattr(candidate, field)), field))
    return matched


def score(
    query: AnalyzedQuery,
    candidate: Candidate,
    weights: dict[str, float] | None = None,
    rare: Rarity | None = None,
    plan: _Plan | None = None,
    matched: dict[str, str] | None = None,
) -> float:
    if plan is None:
        plan = _Plan.of(query, weights if weights is not None else weighted_tokens(query))
    weights = plan.weights
    if matched is None:
        matched = evidence(plan, candidate)
    full: dict[str, float] = {}
    partial: dict[str, float] = {}
    for token, field in matched.items():
        # An expansion or sub-word inside a longer matched token of the same field is the
        # same evidence again (零售 inside 药品零售): only the query's own words add up.
        if any(matched.get(other) == field for other in plan.containers.get(token, ())):
            continue
        value = weights[token] * _rare(rare, token, field) * FIELD_WEIGHTS[field]
        parent = plan.parents.get(token)
        if parent is None:
            full[token] = value
        else:
            partial[parent] = partial.get(parent, 0.0) + value
    total = sum(full.values())
    # Sub-words stand in for the word they come from, and never for more than part of it.
    for parent, value in partial.items():
        cap = SUBWORD_SHARE * weights.get(parent, SUBWORD) * _rare(rare, parent, "name") * FIELD_WEIGHTS["name"]
        total += max(0.0, min(value, cap) - full.get(parent, 0.0))
    if plan.own:
        in_name = [t for t in plan.own if t in candidate.name or t in candidate.alias]
        if len(in_name) == len(plan.own):
            total += ALL_OWN_TOKENS_IN_NAME_BONUS
        elif in_name:
            share = sum(_rare(rare, t, "name") for t in in_name) / sum(_rare(rare, t, "name") for t in plan.own)
            total += NAME_COVERAGE_BONUS * share
    if not candidate.name.isdisjoint(plan.unasked_variants):
        total -= UNASKED_VARIANT_PENALTY
    return total


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    matched: dict[str, str]  # token -> the field where it matched best


def rerank(query: AnalyzedQuery, candidates: Sequence[Candidate], boosts: dict | None = None) -> list[Candidate]:
    """Candidates in backend order, re-ordered by score (see ``ranked``)."""
    return [item.candidate for item in ranked(query, candidates, boosts)]


def ranked(query: AnalyzedQuery, candidates: Sequence[Candidate], boosts: dict | None = None) -> list[Ranked]:
    """Candidates in backend order, re-ordered by score, with what each matched; the backend's
    order breaks ties and adds a small prior, so its term statistics (rare words matter more)
    still count. ``boosts``: extra score by candidate key (what citizens opened for this query)."""
    weights = weighted_tokens(query)
    _orphan_promotions(query, candidates, weights)
    rare = rarity(candidates, weights)
    plan = _Plan.of(query, weights)
    count = len(candidates) or 1
    boosts = boosts or {}
    scored = []
    for position, candidate in enumerate(candidates):
        matched = evidence(plan, candidate)
        value = score(query, candidate, rare=rare, plan=plan, matched=matched)
        value += BACKEND_ORDER_WEIGHT * (1 - position / count) + boosts.get(candidate.key, 0.0)
        scored.append((value, -position, Ranked(candidate, value, matched)))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [item for _, _, item in scored]


# Fields whose words name the item (their document frequencies are counted together).
TITLE_FIELDS = frozenset({"name", "alias", "result"})


def distinctive(
    query: AnalyzedQuery, matched: dict[str, str], common_title: frozenset[str], common_body: frozenset[str]
) -> dict[str, str]:
    """The evidence that tells this guide apart: not a lone Han character (unless the query is
    one), not a word common in the catalogue in that part of the guides."""
    single_character_query = len(query.normalized) == 1
    out = {}
    for token, field in matched.items():
        if len(token) == 1 and not token.isascii() and not single_character_query:
            continue
        if token in (common_title if field in TITLE_FIELDS else common_body):
            continue
        out[token] = field
    return out
