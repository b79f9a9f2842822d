"""Chinese word segmentation for search (index side and query side).

Both search backends (SQLite FTS / PostgreSQL via Wagtail's database backend, and
Elasticsearch) receive text that was already segmented here and joined with spaces,
so they only need to split on whitespace.

Segmentation engine
-------------------
``rjieba`` (Rust port of jieba, same dictionary) is used when it can be imported,
otherwise the pure-Python ``jieba`` (~4x slower here).  Both produce the same tokens for
the same input (``tests/search_analysis/test_segment.py`` checks this), but **the index
and the queries must come from the same engine and dictionaries**: re-index after
switching or after editing ``gov_terms.txt`` / ``split_words.txt``.

The engine runs in precise mode with the HMM *off*: the HMM glues unknown character
sequences into "new words" differently depending on context (``我想查`` became one word
in a query), which makes a document and a query disagree.  Unknown sequences instead
come out as single characters, and runs of single characters also yield their
character bigrams, on both sides (``沣滘村委会`` -> ``沣 滘 沣滘 村委会``), so an unknown
place name in a query still matches the same name in a guide.

Only runs of the Han characters U+4E00..U+9FD5 (jieba's own Han range) are passed to the
engine; other Han characters (extension A/B.., compatibility ideographs, 〇) are single
characters, ASCII letters/digits runs are words of their own.

Index tokens
------------
Every precise-mode word, followed by its *sub-words*: every dictionary word of two or
more characters inside it (``不动产登记`` -> ``不动产登记 不动 动产 不动产 登记``).  This
is a superset of jieba's ``cut_for_search`` (which only looks at 2- and 3-character
sub-words), so a query for ``营业执照`` also finds a guide where ``个体工商户营业执照``
would be one dictionary word.  Repetitions are kept (term frequency).

Query tokens
------------
Precise-mode words without sub-words, the same single-character bigrams, stopwords
removed, duplicates dropped.  ``subword_tokens`` returns the sub-words of long query
words separately so the search layer can OR them in with a lower weight.

Bigrams do not fix typos (``劳动仲材`` shares only ``劳动`` with ``劳动仲裁``): that is
``search.analysis.typos`` (homophones and one-character substitutions of domain terms).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple

from .normalize import DICTIONARIES_DIR, normalize

logger = logging.getLogger(__name__)

GOV_TERMS_PATH = DICTIONARIES_DIR / "gov_terms.txt"
SPLIT_WORDS_PATH = DICTIONARIES_DIR / "split_words.txt"
STOPWORDS_PATH = DICTIONARIES_DIR / "stopwords.txt"

#: Longest token ever emitted (characters); longer ones are cut, on both sides alike.
MAX_TOKEN_CHARS = 64

# Han characters handed to the segmentation engine (jieba's own range).
HAN_CORE = "\u4e00-\u9fd5"
# Other Han characters: emitted one character at a time.
HAN_EXTRA = "\u3007\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_CLASS = HAN_CORE + HAN_EXTRA

_PIECE_RE = re.compile(f"([{HAN_CORE}]+)|([{HAN_EXTRA}])|([a-z0-9]+)")
_CORE_WORD_RE = re.compile(f"[{HAN_CORE}]+")
_HAN_RE = re.compile(f"[{HAN_CLASS}]")

# Piece kinds.
WORD = 0  # dictionary word of >= 2 Han characters
OOV = 1  # >= 2 Han characters not in the dictionary (not produced with the HMM off)
CHAR = 2  # a single Han character
ASCII = 3  # run of ASCII letters/digits


class Piece(NamedTuple):
    text: str
    kind: int
    adjacent: bool  # directly follows the previous piece (no separator in between)


_new_piece = partial(tuple.__new__, Piece)


def is_han(text: str) -> bool:
    """True if ``text`` contains at least one Han character."""
    return bool(_HAN_RE.search(text))


# --------------------------------------------------------------------------- engines


class _RjiebaEngine:
    name = "rjieba"

    def __init__(self) -> None:
        import rjieba

        self._jieba = rjieba.Jieba()
        self._deleted: set[str] = set()

    def cut(self, text: str) -> list[str]:
        return self._jieba.cut(text, False)

    def has_word(self, word: str) -> bool:
        return self._jieba.has_word(word) and word not in self._deleted

    def add_word(self, word: str, freq: int | None, tag: str | None) -> None:
        self._jieba.add_word(word, freq, tag)
        if freq == 0:
            self._deleted.add(word)
        else:
            self._deleted.discard(word)


class _JiebaEngine:
    name = "jieba"

    def __init__(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        self._freq = self._tokenizer.FREQ

    def cut(self, text: str) -> list[str]:
        return self._tokenizer.lcut(text, HMM=False)

    def has_word(self, word: str) -> bool:
        return bool(self._freq.get(word))

    def add_word(self, word: str, freq: int | None, tag: str | None) -> None:
        self._tokenizer.add_word(word, freq, tag)


_ENGINES = {"rjieba": _RjiebaEngine, "jieba": _JiebaEngine}


def _make_engine(backend: str):
    if backend != "auto":
        return _ENGINES[backend]()
    try:
        return _RjiebaEngine()
    except ImportError:
        logger.warning("rjieba is not installed; falling back to the slower jieba")
        return _JiebaEngine()


# ------------------------------------------------------------------ dictionary files


def read_word_list(path: Path) -> list[str]:
    """One word per line, ``#`` comments and blank lines ignored, normalized."""
    words = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word = normalize(line)
            if word:
                words.append(word)
    return words


def parse_user_dict_line(line: str) -> tuple[str, int | None, str | None] | None:
    """Parse one jieba user-dictionary line ``word [freq] [tag]``.

    Returns ``None`` for blank lines, ``#`` comments and lines whose word is not made of
    Han characters only (the engine never sees anything else).
    """
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    parts = line.split()
    word = normalize(parts[0])
    freq: int | None = None
    tag: str | None = None
    for extra in parts[1:3]:
        if extra.isdigit():
            freq = int(extra)
        elif extra.isalpha():
            tag = extra
    if not _CORE_WORD_RE.fullmatch(word):
        return None
    return word, freq, tag


def read_user_dict(path: Path) -> list[tuple[str, int | None, str | None]]:
    entries = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        entry = parse_user_dict_line(raw)
        if entry is not None:
            entries.append(entry)
    return entries


# ------------------------------------------------------------------------ segmenter


class Segmenter:
    """jieba-based segmenter with the government-service dictionary.

    Initialisation (loading the engine's dictionary, ~0.3 s with rjieba, ~1-2 s with
    jieba) happens lazily on first use, once, under a lock; afterwards the object is
    read-only and safe to share between threads.
    """

    def __init__(
        self,
        user_dicts: Sequence[Path] = (GOV_TERMS_PATH, SPLIT_WORDS_PATH),
        stopwords_path: Path | None = STOPWORDS_PATH,
        *,
        extra_words: Iterable[str | tuple[str, int | None, str | None]] = (),
        extra_stopwords: Iterable[str] = (),
        backend: str = "auto",
    ) -> None:
        if backend not in ("auto", *_ENGINES):
            raise ValueError(f"unknown segmentation backend {backend!r}")
        self._user_dicts = tuple(Path(p) for p in user_dicts)
        self._stopwords_path = stopwords_path
        self._extra_words = tuple(extra_words)
        self._extra_stopwords = tuple(extra_stopwords)
        self._backend = backend
        self._lock = threading.Lock()
        self._engine = None
        self._stopwords: frozenset[str] = frozenset()
        self._domain_terms: frozenset[str] = frozenset()
        self._expansion_cache: dict[str, tuple[str, ...]] = {}
        self._kind_cache: dict[str, int] = {}

    # -- initialisation -----------------------------------------------------------

    def initialize(self) -> None:
        """Load dictionaries now (idempotent, thread-safe)."""
        if self._engine is not None:
            return
        with self._lock:
            if self._engine is not None:
                return
            engine = _make_engine(self._backend)
            entries: list[tuple[str, int | None, str | None]] = []
            for path in self._user_dicts:
                entries.extend(read_user_dict(path))
            for extra in self._extra_words:
                entry = (
                    parse_user_dict_line(extra)
                    if isinstance(extra, str)
                    else parse_user_dict_line(" ".join(str(x) for x in extra if x is not None))
                )
                if entry is not None:
                    entries.append(entry)
            terms = set()
            for word, freq, tag in entries:
                engine.add_word(word, freq, tag)
                if freq == 0:  # "word 0" deletes a word (jieba's del_word)
                    terms.discard(word)
                else:
                    terms.add(word)
            stopwords = set(self._extra_stopwords)
            if self._stopwords_path is not None:
                stopwords.update(read_word_list(self._stopwords_path))
            self._stopwords = frozenset(normalize(w) for w in stopwords if w)
            self._domain_terms = frozenset(terms)
            self._engine = engine  # published last: marks the object as ready

    def _get_engine(self):
        engine = self._engine
        if engine is None:
            self.initialize()
            engine = self._engine
        return engine

    @property
    def backend_name(self) -> str:
        return self._get_engine().name

    @property
    def stopwords(self) -> frozenset[str]:
        self._get_engine()
        return self._stopwords

    @property
    def domain_terms(self) -> frozenset[str]:
        """Words of the domain dictionary (normalized, Han only)."""
        self._get_engine()
        return self._domain_terms

    def is_stopword(self, token: str) -> bool:
        self._get_engine()
        return token in self._stopwords

    def is_known_word(self, word: str) -> bool:
        """True if ``word`` is in the engine's dictionary (base + domain words)."""
        return self._get_engine().has_word(word)

    # -- segmentation -------------------------------------------------------------

    def pieces(self, text: str, *, normalized: bool = False) -> list[Piece]:
        """Precise-mode segmentation of ``text`` into classified pieces."""
        engine = self._get_engine()
        if not normalized:
            text = normalize(text)
        kinds = self._kind_cache
        out: list[Piece] = []
        append = out.append
        prev_end = -1
        for match in _PIECE_RE.finditer(text):
            start, end = match.span()
            adjacent = start == prev_end
            prev_end = end
            core, extra, ascii_run = match.groups()
            if core is not None:
                if len(core) == 1:
                    append(_new_piece((core, CHAR, adjacent)))
                    continue
                for word in engine.cut(core):
                    kind = kinds.get(word)
                    if kind is None:
                        if len(word) == 1:
                            kind = CHAR
                        else:
                            kind = WORD if engine.has_word(word) else OOV
                            if len(kinds) > 200_000:
                                kinds.clear()
                            kinds[word] = kind
                    append(_new_piece((word, kind, adjacent)))
                    adjacent = True
            elif extra is not None:
                append(_new_piece((extra, CHAR, adjacent)))
            else:
                append(_new_piece((ascii_run[:MAX_TOKEN_CHARS], ASCII, adjacent)))
        return out

    def cut(self, text: str, *, normalized: bool = False) -> list[str]:
        """Precise-mode words (stopwords included, separators dropped)."""
        return [p.text for p in self.pieces(text, normalized=normalized)]

    def expansions(self, word: str) -> tuple[str, ...]:
        """Extra index tokens for a Han word: dictionary sub-words, and character
        bigrams if the word itself is not in the dictionary."""
        if len(word) < 3:
            return ()
        cached = self._expansion_cache.get(word)
        if cached is not None:
            return cached
        engine = self._get_engine()
        stop = self._stopwords
        found: list[str] = []
        seen: set[str] = set()
        n = len(word)
        for size in range(2, n):
            for i in range(n - size + 1):
                sub = word[i : i + size]
                if sub not in seen and sub not in stop and engine.has_word(sub):
                    seen.add(sub)
                    found.append(sub)
        if not engine.has_word(word):
            for i in range(n - 1):
                sub = word[i : i + 2]
                if sub not in seen and sub not in stop:
                    seen.add(sub)
                    found.append(sub)
        result = tuple(found)
        if len(self._expansion_cache) > 200_000:
            self._expansion_cache.clear()
        self._expansion_cache[word] = result
        return result

    def _tokens(self, text: str, normalized: bool, expand: bool) -> list[str]:
        stop = self.stopwords
        expansions = self.expansions
        out: list[str] = []
        append = out.append
        run: list[str] = []  # current run of adjacent single Han characters

        for token, kind, adjacent in self.pieces(text, normalized=normalized):
            if run and (not adjacent or kind != CHAR or token in stop):
                if len(run) > 1:
                    out.extend([run[i] + run[i + 1] for i in range(len(run) - 1)])
                run = []
            if token in stop:
                continue
            append(token)
            if kind == CHAR:
                run.append(token)
            elif expand and kind != ASCII and len(token) > 2:
                out.extend(expansions(token))
        if len(run) > 1:
            out.extend([run[i] + run[i + 1] for i in range(len(run) - 1)])
        return out

    def index_tokens(self, text: str, *, normalized: bool = False) -> list[str]:
        """Tokens to index for ``text`` (order kept, repetitions kept for tf)."""
        return self._tokens(text, normalized, expand=True)

    def query_tokens(self, text: str, *, normalized: bool = False) -> list[str]:
        """Precise-mode query tokens: stopwords removed, duplicates dropped."""
        return list(dict.fromkeys(self._tokens(text, normalized, expand=False)))

    def subword_tokens(self, tokens: Iterable[str]) -> list[str]:
        """Sub-words of long query tokens that are not query tokens themselves."""
        tokens = list(tokens)
        present = set(tokens)
        out: dict[str, None] = {}
        for token in tokens:
            if len(token) >= 3 and _CORE_WORD_RE.fullmatch(token):
                for sub in self.expansions(token):
                    if sub not in present:
                        out[sub] = None
        return list(out)


_default: Segmenter | None = None
_default_lock = threading.Lock()


def get_segmenter() -> Segmenter:
    """The process-wide default segmenter (created lazily, initialised on first use)."""
    global _default
    seg = _default
    if seg is None:
        with _default_lock:
            if _default is None:
                _default = Segmenter()
            seg = _default
    return seg


def set_segmenter(segmenter: Segmenter | None) -> None:
    """Replace the default segmenter (e.g. one built with extra words from the DB).

    Anything indexed with a different dictionary must be re-indexed.
    """
    global _default
    with _default_lock:
        _default = segmenter
