"""Chinese text analysis shared by every search backend.

Text is normalized and segmented here, in Python, and handed to the search backends as
space-separated tokens (SQLite FTS / PostgreSQL 'simple' would otherwise treat a whole
run of Chinese characters as one token; Elasticsearch then needs only a whitespace
analyzer).  Tokens only ever contain ASCII letters/digits and Han characters, so they
are safe inside FTS query syntax.

Index side::

    analyze_for_index({"title": page.title, "summary": page.summary})
    # {"title": "个体工商户 个体 工商 商户 工商户 营业执照 营业 执照 注销", ...}
    pinyin_index_text(page.title)   # "getigongshanghu... yyzz yingyezhizhao ..."

Query side::

    q = analyze_query("开奶茶店要办什么证")
    q.tokens            # ('开', '奶茶店', '证')
    q.synonym_tokens    # ('食品经营许可', '餐饮服务', '营业执照')
    q.all_tokens        # tokens, corrections, synonyms, sub-words (deduplicated, capped)
    q.is_pinyin, q.pinyin_tokens   # search the pinyin field too when True

    q = analyze_query("shebaoka")
    q.correction_tokens # ('社保卡',): the pinyin read back as a word of the vocabulary
    q.synonym_tokens    # ('社会保障卡',): synonyms of what was meant
    q.subword_tokens    # ('shebao', 'baoka', '社保', …): syllable n-grams, sub-words

Typo corrections (社报卡 -> 社保卡) and words read from pinyin are expanded with synonyms
like the query itself; the dictionary sub-words of corrections and synonyms are sub-words
too (城市道路占用 -> 城市道路, 占用).

Nothing here imports Django; every public function accepts any input without raising.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .abbreviations import code_fragments, find_aliases
from .life_events import event_items
from .normalize import normalize
from .pinyin import (
    initials_relaxations,
    looks_like_pinyin,
    pinyin_full,
    pinyin_initials,
    pinyin_letter_runs,
    pinyin_query_tokens,
    pinyin_tokens,
    syllable_ngrams,
)
from .segment import HAN_CLASS, MAX_TOKEN_CHARS, Segmenter, get_segmenter, is_han, set_segmenter
from .synonyms import SynonymSet
from .typos import TypoCorrector, get_corrector
from .vocabulary import pinyin_lexicon

__all__ = [
    "MAX_INDEX_CHARS",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_TOKENS",
    "MAX_TOKEN_CHARS",
    "AnalyzedQuery",
    "RelaxedQuery",
    "Segmenter",
    "SynonymSet",
    "TypoCorrector",
    "analyze_for_index",
    "analyze_query",
    "get_segmenter",
    "index_text",
    "is_safe_token",
    "looks_like_pinyin",
    "normalize",
    "pinyin_full",
    "pinyin_index_text",
    "pinyin_initials",
    "pinyin_query_tokens",
    "pinyin_tokens",
    "relax_query",
    "set_segmenter",
    "warm_up",
]

logger = logging.getLogger(__name__)

#: Queries are cut to this many characters before analysis.
MAX_QUERY_CHARS = 256
#: At most this many tokens per token list of an ``AnalyzedQuery`` (and in ``all_tokens``).
MAX_QUERY_TOKENS = 32
#: Index fields are cut to this many characters before analysis.
MAX_INDEX_CHARS = 200_000

_SAFE_TOKEN_RE = re.compile(f"[a-z0-9{HAN_CLASS}]{{1,{MAX_TOKEN_CHARS}}}")
_FALLBACK_RE = re.compile(f"[a-z0-9]+|[{HAN_CLASS}]+")


def is_safe_token(token: str) -> bool:
    """True if ``token`` is 1..MAX_TOKEN_CHARS ASCII lower-case letters, digits or Han."""
    return bool(_SAFE_TOKEN_RE.fullmatch(token))


def _as_text(value: object, limit: int) -> str:
    if value is None:
        return ""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        return ""
    return text[:limit]


def _fallback_tokens(text: str) -> list[str]:
    """Last-resort tokenization (no dictionary) used only if analysis itself failed."""
    try:
        text = normalize(text)
    except Exception:
        text = text.lower()
    return [t[:MAX_TOKEN_CHARS] for t in _FALLBACK_RE.findall(text)]


def _safe(tokens: Iterable[str], exclude: Iterable[str] = ()) -> tuple[str, ...]:
    seen = set(exclude)
    out = []
    for token in tokens:
        if token not in seen and is_safe_token(token):
            seen.add(token)
            out.append(token)
            if len(out) >= MAX_QUERY_TOKENS:
                break
    return tuple(out)


# ----------------------------------------------------------------------------- index


def index_text(text: object, segmenter: Segmenter | None = None) -> str:
    """Space-joined index tokens for one field value."""
    raw = _as_text(text, MAX_INDEX_CHARS)
    if not raw:
        return ""
    try:
        tokens = (segmenter or get_segmenter()).index_tokens(raw)
    except Exception:
        logger.exception("search analysis failed while indexing; using fallback tokens")
        tokens = _fallback_tokens(raw)
    return " ".join(t for t in tokens if is_safe_token(t))


def analyze_for_index(
    fields: Mapping[str, object], segmenter: Segmenter | None = None
) -> dict[str, str]:
    """``{field: text}`` -> ``{field: "space separated index tokens"}``."""
    return {name: index_text(value, segmenter) for name, value in fields.items()}


def pinyin_index_text(name: object, segmenter: Segmenter | None = None) -> str:
    """Space-joined pinyin tokens (full pinyin and initials) for a guide name."""
    raw = _as_text(name, 1_000)
    if not raw:
        return ""
    try:
        tokens = pinyin_tokens(raw, segmenter)
    except Exception:
        logger.exception("pinyin analysis failed while indexing")
        return ""
    return " ".join(t for t in tokens if is_safe_token(t))


# ----------------------------------------------------------------------------- query


@dataclass(frozen=True)
class AnalyzedQuery:
    """The analysis of one search query.

    ``tokens`` are the query's own words (precise segmentation, stopwords removed);
    ``correction_tokens`` come from typo recovery or, for a pinyin query, from reading the
    pinyin back as vocabulary words; ``synonym_tokens`` from the synonym set (applied to
    the query and to those words) and ``subword_tokens`` are the dictionary sub-words of
    long query words, corrections and synonyms, and the syllable n-grams of a pinyin
    query.  A search layer ORs them, ideally weighting ``tokens`` highest.
    ``pinyin_tokens`` are meant for the pinyin field and are only set when ``is_pinyin``
    is true.
    """

    normalized: str
    tokens: tuple[str, ...] = ()
    synonym_tokens: tuple[str, ...] = ()
    subword_tokens: tuple[str, ...] = ()
    correction_tokens: tuple[str, ...] = ()
    is_pinyin: bool = False
    pinyin_tokens: tuple[str, ...] = ()
    alias_tokens: tuple[str, ...] = ()
    code_tokens: tuple[str, ...] = ()
    event_tokens: tuple[str, ...] = ()

    @property
    def all_tokens(self) -> tuple[str, ...]:
        """Every text-field token, most important first, deduplicated and capped."""
        return _safe(
            (
                *self.code_tokens,
                *self.tokens,
                *self.alias_tokens,
                *self.event_tokens,
                *self.correction_tokens,
                *self.synonym_tokens,
                *self.subword_tokens,
            )
        )

    @property
    def is_empty(self) -> bool:
        return not self.tokens and not self.synonym_tokens and not self.correction_tokens and not self.code_tokens

    def query_string(self, *, expanded: bool = True) -> str:
        """Tokens joined by spaces (``expanded=False``: the query's own tokens only)."""
        return " ".join(self.all_tokens if expanded else self.tokens)


def analyze_query(
    q: object,
    synonyms: SynonymSet | None = None,
    *,
    segmenter: Segmenter | None = None,
    corrector: TypoCorrector | None = None,
    aliases: frozenset[str] = frozenset(),
) -> AnalyzedQuery:
    """Analyze a search query.  ``synonyms=None`` uses the repository's
    ``synonyms.tsv``; pass ``SynonymSet.empty()`` to disable expansion.  ``aliases``: the
    abbreviations and colloquial names the index holds (出生证, 民非), found in the query as
    substrings (segmentation cuts an unknown abbreviation into characters)."""
    raw = _as_text(q, MAX_QUERY_CHARS)
    try:
        # NFKC can lengthen text (e.g. "¸" -> " ̧"): cap again after normalizing.
        normalized = normalize(raw)[:MAX_QUERY_CHARS].rstrip()
    except Exception:
        logger.exception("query normalization failed")
        normalized = ""
    if not normalized:
        return AnalyzedQuery(normalized="")
    try:
        seg = segmenter or get_segmenter()
        tokens = _safe(seg.query_tokens(normalized, normalized=True))
        # Item codes (JY-0015, lw jy 0036) are looked for whole, not as their letters and digits.
        codes = _safe(code_fragments(normalized))
        if codes:
            tokens = tuple(t for t in tokens if not (t.isascii() and any(t in code for code in codes)))
        alias_found = _safe(find_aliases(normalized, aliases), exclude=tokens)
        subword_list = seg.subword_tokens(tokens)
        # Words the query probably meant: typo corrections of Han text, or the words a
        # pinyin query spells (shebaoka -> 社保卡).
        terms: list[str] = []
        if is_han(normalized):
            fixer = corrector or get_corrector(seg)
            terms = fixer.corrections(normalized, normalized=True)
        is_pinyin = not codes and looks_like_pinyin(normalized)
        py_tokens: tuple[str, ...] = ()
        if is_pinyin:
            py_tokens = _safe(pinyin_query_tokens(normalized))
            lexicon = pinyin_lexicon(seg)
            for run in pinyin_letter_runs(normalized):
                for homophones in lexicon.convert(run):
                    terms.extend(homophones)
                subword_list.extend(syllable_ngrams(run))
        corrected: list[str] = []
        for term in terms:
            corrected.extend(seg.query_tokens(term, normalized=True))
        corrections = _safe(corrected, exclude=tokens)
        syn_set = SynonymSet.default() if synonyms is None else synonyms
        expanded = syn_set.expand(tokens, normalized)
        for term in dict.fromkeys(terms):
            expanded.extend(syn_set.expand(corrections, term))
        events: list[str] = []
        for words in event_items(normalized):
            events.extend(seg.query_tokens(words, normalized=True))
        event_tokens = _safe((t for t in events if len(t) > 1), exclude=(*tokens, *alias_found))
        synonym_tokens = _safe(expanded, exclude=(*tokens, *corrections, *event_tokens))
        # Sub-words of corrections and synonyms too: an expansion such as 城市道路占用 is
        # one dictionary word, the guide may say 城市道路临时占用.
        subword_list.extend(seg.subword_tokens((*corrections, *synonym_tokens, *event_tokens)))
        subwords = _safe(subword_list, exclude=(*tokens, *corrections, *synonym_tokens, *event_tokens))
        return AnalyzedQuery(
            normalized=normalized,
            tokens=tokens,
            synonym_tokens=synonym_tokens,
            subword_tokens=subwords,
            correction_tokens=corrections,
            is_pinyin=is_pinyin,
            pinyin_tokens=py_tokens,
            alias_tokens=alias_found,
            code_tokens=codes,
            event_tokens=event_tokens,
        )
    except Exception:
        logger.exception("query analysis failed; using fallback tokens")
        return AnalyzedQuery(normalized=normalized, tokens=_safe(_fallback_tokens(normalized)))


@dataclass(frozen=True)
class RelaxedQuery:
    """The last-resort reading of a query whose initials matched nothing whole.

    ``query`` is the analysis with the pieces of every reading added to its pinyin tokens (what
    the backend is asked for and the ranking weighs); a guide answers only if its name, alias
    and result tokens hold every piece of one of the ``readings``, so a piece found alone
    (``bl``, in every 办理 guide) lists nothing.
    """

    query: AnalyzedQuery
    readings: tuple[tuple[str, ...], ...]

    def answers(self, title_tokens: frozenset[str]) -> bool:
        return any(title_tokens.issuperset(reading) for reading in self.readings)


def relax_query(analyzed: AnalyzedQuery) -> RelaxedQuery | None:
    """Looser readings of the query's runs of pinyin initials (``search.analysis.pinyin.
    initials_relaxations``), or ``None`` when it has none: a Han query stays as it was."""
    runs = [token for token in (*analyzed.tokens, *analyzed.pinyin_tokens) if token.isascii() and token.isalpha()]
    readings: dict[tuple[str, ...], None] = {}
    for run in dict.fromkeys(runs):
        readings.update(dict.fromkeys(initials_relaxations(run)))
    if not readings:
        return None
    # Twice the usual cap: a run of ten letters has some sixty pieces; readings whose pieces did
    # not fit are dropped, not half-asked.
    pieces = dict.fromkeys(analyzed.pinyin_tokens)
    for reading in readings:
        if len(pieces.keys() | set(reading)) <= 2 * MAX_QUERY_TOKENS:
            pieces.update(dict.fromkeys(piece for piece in reading if is_safe_token(piece)))
    query = replace(analyzed, pinyin_tokens=tuple(pieces))
    return RelaxedQuery(query, tuple(reading for reading in readings if pieces.keys() >= set(reading)))


def warm_up() -> None:
    """Load dictionaries, pypinyin and synonyms now (call once at process start so the
    first request does not pay ~1 s of loading)."""
    get_segmenter().initialize()
    SynonymSet.default()
    get_corrector()._ensure()
    pinyin_lexicon()
    analyze_query("营业执照办理劳动仲裁")
