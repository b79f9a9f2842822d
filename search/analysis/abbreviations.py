"""Abbreviations and colloquial names of service items (简称、俗称), and item-code fragments.

Citizens say 出生证 for 出生医学证明, 无犯证明 for 无犯罪记录证明, 民非 for 民办非企业单位, type the
pinyin initials of those (csz) on a kiosk, or a piece of an item code (lwjy0015, JY-0015, 0015).
A guide's aliases come from three places:

* the reviewed dictionary ``dictionaries/abbreviations.tsv`` (term → aliases, applied when the
  term is part of the guide's name or result);
* rules for the way administrative names shorten: the action at the end is dropped (核发, 审批,
  申领, 登记 …, 残疾人证核发 → 残疾人证), so are leading qualifiers (内地居民离婚登记 → 离婚登记,
  居民身份证 → 身份证) and parentheses; a licence of a two-word subject keeps the first character
  of each word (动物诊疗许可证 → 动诊证), an insurance likewise (长期护理保险 → 长护险);
* what editors enter in the guide's 俗称/简称 field.

The search index holds each alias as one token with its full pinyin and initials, so that the
query 出生证, chushengzheng or csz meets it whole. A query finds the aliases it contains by
substring (``find_aliases``) in the set of every alias the index holds: segmentation would cut
an unknown abbreviation into characters.

No Django here; every function accepts any input without raising.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .normalize import DICTIONARIES_DIR, normalize
from .pinyin import pinyin_full, pinyin_initials
from .segment import HAN_CORE, get_segmenter

ABBREVIATIONS_PATH = DICTIONARIES_DIR / "abbreviations.tsv"
MIN_ALIAS_CHARS = 2
MAX_ALIAS_CHARS = 16
# Longest alias looked for inside a query.
MAX_FOUND_CHARS = 12

# The action a name ends with (repeated, joined by 、: 居民户口簿补领、换领).
ACTIONS = (
    "核发", "审批", "审核", "审核确认", "申领", "申请", "办理", "开具", "签发", "登记", "补领", "换领",
    "补发", "换发", "核准", "确认", "认定", "查验", "给付", "发放", "参保登记", "申报", "受理", "待遇",
)  # fmt: skip
# Words a name may start with that citizens leave out.
QUALIFIERS = ("中华人民共和国", "内地居民", "中国公民", "广东省", "居民")
# What a document's name ends with.
DOCUMENT_ENDINGS = ("证", "证明", "证书", "卡", "簿", "照", "本", "书", "金", "险", "补贴", "津贴")

_PARENTHESES_RE = re.compile(r"（[^）]*）|\([^)]*\)|《|》|“|”|\"")
_ACTION_TAIL_RE = re.compile("(?:[、和及与]?(?:" + "|".join(sorted(ACTIONS, key=len, reverse=True)) + "))+$")
_HAN_ONLY_RE = re.compile(f"[{HAN_CORE}]+")
_CODE_SPLIT_RE = re.compile(r"[a-z]+|[0-9]+")
# A code fragment in a query: letters and digits, maybe split by hyphens or spaces, with a digit.
_CODE_QUERY_RE = re.compile(r"[a-z0-9]+(?:[\s\-_/]+[a-z0-9]+)*")


@lru_cache(maxsize=1)
def dictionary() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(term, aliases) rows of the reviewed dictionary, longest term first."""
    rows = []
    for raw in ABBREVIATIONS_PATH.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#") or "\t" not in raw:
            continue
        term, aliases = raw.split("\t", 1)
        term = normalize(term).strip()
        found = tuple(alias for alias in (normalize(a).strip() for a in aliases.split("|")) if _is_alias(alias))
        if term and found:
            rows.append((term, found))
    rows.sort(key=lambda row: len(row[0]), reverse=True)
    return tuple(rows)


def _is_alias(text: str) -> bool:
    return MIN_ALIAS_CHARS <= len(text) <= MAX_ALIAS_CHARS and bool(_HAN_ONLY_RE.fullmatch(text))


def _core(text: str) -> str:
    """``text`` without parentheses, quotes and the actions it ends with."""
    text = _PARENTHESES_RE.sub("", text).strip()
    return _ACTION_TAIL_RE.sub("", text)


def _without_qualifier(text: str) -> str:
    for qualifier in QUALIFIERS:
        if text.startswith(qualifier) and len(text) - len(qualifier) >= 2:
            return text[len(qualifier) :]
    return text


def _first_characters(stem: str, ending: str) -> str | None:
    """动物诊疗 + 证 → 动诊证: the first character of each of the stem's two words."""
    words = [w for w in get_segmenter().cut(stem, normalized=True) if w]
    if len(words) == 2 and all(len(w) >= 2 for w in words):
        return words[0][0] + words[1][0] + ending
    return None


def rule_aliases(text: str, *, shortened_names: bool = True) -> list[str]:
    """Aliases of one name (or result) derived by the shortening rules; ``shortened_names``:
    the name without its action and qualifiers too (内地居民离婚登记 → 离婚登记)."""
    text = normalize(text or "")
    found: list[str] = []
    bare = _PARENTHESES_RE.sub("", text).strip()
    plain = _without_qualifier(bare)
    short = _core(plain)
    if shortened_names:
        for candidate in (plain if plain != bare else "", short):
            if candidate and candidate != text and (len(candidate) >= 3 or candidate.endswith(DOCUMENT_ENDINGS)):
                found.append(candidate)
    for ending, suffix in (("许可证", "证"), ("保险", "险")):
        if short.endswith(ending) and len(short) > len(ending):
            stem = short[: -len(ending)]
            abbreviation = _first_characters(stem, suffix)
            if abbreviation:
                found.append(abbreviation)
            if ending == "保险" and len(stem) == 2:
                found.append(stem + suffix)  # 生育保险 → 生育险
    return [alias for alias in dict.fromkeys(found) if _is_alias(alias)]


def dictionary_aliases(text: str) -> list[str]:
    text = normalize(text or "")
    found: list[str] = []
    for term, aliases in dictionary():
        if term in text:
            found.extend(aliases)
    return found


def guide_aliases(name: object, editors: Iterable[str] = ()) -> list[str]:
    """Every alias of a guide: the editors', the dictionary's, then the rules', without the
    name itself."""
    name_text = normalize(str(name or ""))
    found = [normalize(alias) for alias in editors]
    found.extend(dictionary_aliases(name_text))
    found.extend(rule_aliases(name_text))
    return [alias for alias in dict.fromkeys(found) if alias and alias != name_text and _is_alias(alias)]


def result_aliases(result: object) -> list[str]:
    """Other names of what a guide issues (营业执照 → 工商执照, 动物诊疗许可证 → 动诊证): they
    describe the result, not the item, and are indexed with the result."""
    text = _PARENTHESES_RE.sub("", normalize(str(result or ""))).strip()
    found = dictionary_aliases(text) + rule_aliases(text, shortened_names=False)
    return [alias for alias in dict.fromkeys(found) if alias not in text and _is_alias(alias)]


def name_actions(name: object) -> list[str]:
    """The actions a name ends with (居民户口簿补领、换领 → 补领, 换领)."""
    text = _PARENTHESES_RE.sub("", normalize(str(name or ""))).strip()
    tail = _ACTION_TAIL_RE.search(text)
    if not tail:
        return []
    actions = sorted(ACTIONS, key=len, reverse=True)
    found, rest = [], tail.group().lstrip("、和及与")
    while rest:
        action = next((a for a in actions if rest.startswith(a)), None)
        if action is None:
            break
        found.append(action)
        rest = rest[len(action) :].lstrip("、和及与")
    return found


# What citizens call the action instead (失业金申请 for 失业保险金申领).
ACTION_SYNONYMS = {
    "申领": ("申请", "办理", "领取"), "申请": ("申领", "办理"), "核发": ("办理", "申请"), "签发": ("办理",),
    "开具": ("办理", "开"), "补领": ("补办",), "补发": ("补办",), "换领": ("换证",), "换发": ("换证",),
}  # fmt: skip


def alias_index_tokens(aliases: Iterable[str], actions: Iterable[str] = ()) -> list[str]:
    """Index tokens of aliases: each whole, in full pinyin and in pinyin initials, and the
    initials of each alias followed by an action of the name or what citizens call that action
    (社保卡补领 → sbkbl, sbkbb)."""
    tokens: list[str] = []
    actions = list(dict.fromkeys(a for action in actions for a in (action, *ACTION_SYNONYMS.get(action, ()))))
    for alias in aliases:
        tokens.append(alias)
        full, initials = pinyin_full(alias), pinyin_initials(alias)
        if full:
            tokens.append(full)
        if len(initials) >= 2:
            tokens.append(initials)
            tokens.extend(initials + pinyin_initials(action) for action in actions)
    return list(dict.fromkeys(tokens))


def find_aliases(normalized_query: str, lexicon: frozenset[str] | set[str]) -> list[str]:
    """The aliases of ``lexicon`` that occur in the query, longest first."""
    if not lexicon or not normalized_query:
        return []
    text = normalized_query
    found: dict[str, None] = {}
    for start in range(len(text)):
        for end in range(min(len(text), start + MAX_FOUND_CHARS), start + MIN_ALIAS_CHARS - 1, -1):
            piece = text[start:end]
            if piece in lexicon:
                found[piece] = None
    return sorted(found, key=len, reverse=True)


# ----------------------------------------------------------------------------- codes


def compact_code(code: object) -> str:
    """LW-JY-0015 → lwjy0015."""
    return "".join(_CODE_SPLIT_RE.findall(normalize(str(code or ""))))


def code_index_tokens(code: object) -> list[str]:
    """The code whole (lwjy0015) and from each of its parts on (jy0015, 0015), so that a
    fragment with or without its letters finds it."""
    parts = _CODE_SPLIT_RE.findall(normalize(str(code or "")))
    tokens = ["".join(parts[start:]) for start in range(len(parts))]
    return [token for token in dict.fromkeys(tokens) if len(token) >= 2 and not token.isalpha()]


def code_fragments(normalized_query: str) -> list[str]:
    """Code fragments in a query: runs of letters and digits, maybe split by hyphens or
    spaces (JY-0015, lw jy 0036), written together, if they hold a digit group of three or
    more digits (0015, not 3 in 3岁)."""
    fragments = []
    for match in _CODE_QUERY_RE.finditer(normalized_query):
        compact = "".join(_CODE_SPLIT_RE.findall(match.group()))
        if re.search(r"[0-9]{3,}", compact) and len(compact) <= 24:
            fragments.append(compact)
    return fragments
