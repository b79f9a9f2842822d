"""Colloquial phrase -> official terminology expansion for queries.

A ``SynonymSet`` is built from plain rows ``(phrases, expansions)`` so that rows from
``search/dictionaries/synonyms.tsv`` and rows edited in the admin (database) can be
merged freely::

    base = SynonymSet.default()
    merged = base.merged([("开民宿", ["旅馆业特种行业许可证"])])

File format (``synonyms.tsv``): ``phrase|phrase|... <TAB> expansion|expansion|...``;
``#`` starts a comment line.

Matching: a phrase matches when it occurs in the normalized query (spaces removed), or
— for phrases without Han characters, which are matched as whole words only — when it
equals a query token.  If a matched phrase lies inside a longer matched phrase
(``社保`` inside ``社保卡丢了``), only the longer one counts.  Expansions are segmented
with the query segmenter, so the returned tokens are ordinary index tokens.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .normalize import DICTIONARIES_DIR, normalize
from .segment import get_segmenter, is_han

SYNONYMS_PATH = DICTIONARIES_DIR / "synonyms.tsv"

Row = tuple[str | Sequence[str], str | Sequence[str]]

_SPLIT_RE = re.compile(r"[|｜]")
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+")
# Longest run of ASCII words joined when looking for an ASCII phrase ("id card").
_MAX_ASCII_RUN = 4
_DEFAULT_LOCK = threading.Lock()
_default_set: SynonymSet | None = None


def _split(value: str | Sequence[str]) -> list[str]:
    items = _SPLIT_RE.split(value) if isinstance(value, str) else list(value)
    out = []
    for item in items:
        norm = normalize(item)
        if norm and norm not in out:
            out.append(norm)
    return out


def parse_rows(text: str) -> list[tuple[list[str], list[str]]]:
    """Parse ``synonyms.tsv`` content into ``(phrases, expansions)`` rows."""
    rows = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "\t" not in line:
            continue
        left, right = line.split("\t", 1)
        phrases, expansions = _split(left), _split(right.split("\t")[0])
        if phrases and expansions:
            rows.append((phrases, expansions))
    return rows


class SynonymSet:
    """An immutable set of phrase -> expansions rules."""

    def __init__(
        self,
        rows: Iterable[Row] = (),
        *,
        tokenizer: Callable[[str], list[str]] | None = None,
    ) -> None:
        self._rows: list[tuple[list[str], list[str]]] = []
        self._mapping: dict[str, list[str]] = {}
        # Han phrases (2+ characters) are found by looking up every substring of the query
        # whose length is one of theirs: ~100 dictionary lookups for a typical query instead
        # of one scan of the query per phrase.
        self._han_lengths: tuple[int, ...] = ()
        self._word_phrases: frozenset[str] = frozenset()
        self._tokenizer = tokenizer
        self._token_cache: dict[str, tuple[str, ...]] = {}
        self._add(rows)

    def _add(self, rows: Iterable[Row]) -> None:
        mapping = self._mapping
        lengths = set(self._han_lengths)
        words = set(self._word_phrases)
        for phrases_value, expansions_value in rows:
            phrases, expansions = _split(phrases_value), _split(expansions_value)
            if not phrases or not expansions:
                continue
            self._rows.append((phrases, expansions))
            for phrase in phrases:
                key = phrase.replace(" ", "")
                target = list(mapping.get(key, ()))  # copied: lists may be shared (merged)
                for exp in expansions:
                    if exp not in target:
                        target.append(exp)
                mapping[key] = target
                if not is_han(key):
                    words.add(key)
                elif len(key) >= 2:
                    lengths.add(len(key))
        self._han_lengths = tuple(sorted(lengths, reverse=True))
        self._word_phrases = frozenset(words)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_tsv(cls, path: Path = SYNONYMS_PATH, **kwargs) -> SynonymSet:
        return cls(parse_rows(Path(path).read_text(encoding="utf-8")), **kwargs)

    @classmethod
    def default(cls) -> SynonymSet:
        """The rows of ``synonyms.tsv``, loaded once per process."""
        global _default_set
        if _default_set is None:
            with _DEFAULT_LOCK:
                if _default_set is None:
                    _default_set = cls.from_tsv()
        return _default_set

    @classmethod
    def empty(cls) -> SynonymSet:
        return cls(())

    def merged(self, rows: Iterable[Row]) -> SynonymSet:
        """A new set with this set's rows followed by ``rows`` (e.g. from the DB).

        This set's rows are taken over as they are (already normalized), so merging a few
        rows into the ~2,000 phrases of ``synonyms.tsv`` costs a fraction of a millisecond
        (the search merges the editors' rows on every request); the cache of segmented
        expansions is shared with this set."""
        merged = SynonymSet((), tokenizer=self._tokenizer)
        merged._rows = list(self._rows)
        merged._mapping = dict(self._mapping)
        merged._han_lengths = self._han_lengths
        merged._word_phrases = self._word_phrases
        merged._token_cache = self._token_cache  # same tokenizer: expansions segment alike
        merged._add(rows)
        return merged

    @property
    def rows(self) -> list[tuple[list[str], list[str]]]:
        return [(list(p), list(e)) for p, e in self._rows]

    def __len__(self) -> int:
        return len(self._mapping)

    def __bool__(self) -> bool:
        return bool(self._mapping)

    # -- lookup -----------------------------------------------------------------------

    def matches(self, query_tokens: Iterable[str], raw_query: str) -> list[str]:
        """Phrases that match the query (longest first, nested matches removed)."""
        normalized = normalize(raw_query)
        text = normalized.replace(" ", "")
        tokens = list(query_tokens)
        mapping = self._mapping
        taken: list[tuple[int, int]] = []
        found: list[str] = []
        n = len(text)
        for size in self._han_lengths:  # longest first
            if size > n:
                continue
            for start in range(n - size + 1):
                phrase = text[start : start + size]
                if phrase not in mapping:
                    continue
                end = start + size
                if any(s <= start and end <= e for s, e in taken):
                    continue
                taken.append((start, end))
                if phrase not in found:
                    found.append(phrase)
        words = self._word_phrases
        if words:
            # ASCII phrases match whole words, or runs of adjacent words written with or
            # without spaces ("id card" / "idcard"); query tokens too ("ktv" in "ktv备案").
            ascii_words = _ASCII_WORD_RE.findall(normalized)
            for i in range(len(ascii_words)):
                joined = ""
                for word in ascii_words[i : i + _MAX_ASCII_RUN]:
                    joined += word
                    if joined in words and joined not in found:
                        found.append(joined)
            for token in tokens:
                if token in words and token not in found:
                    found.append(token)
        for token in tokens:  # single Han characters only match as whole tokens
            if token not in found and token in mapping and len(token) == 1:
                found.append(token)
        return found

    def expansions_for(self, phrase: str) -> list[str]:
        return list(self._mapping.get(normalize(phrase).replace(" ", ""), ()))

    def _tokens_of(self, expansion: str) -> tuple[str, ...]:
        cached = self._token_cache.get(expansion)
        if cached is None:
            tokenize = self._tokenizer or get_segmenter().query_tokens
            cached = tuple(tokenize(expansion))
            if len(self._token_cache) > 10_000:
                self._token_cache.clear()
            self._token_cache[expansion] = cached
        return cached

    def expand(self, query_tokens: Sequence[str], raw_query: str) -> list[str]:
        """Extra tokens for the query: the tokens of the expansions of every matching
        phrase, without the tokens the query already has."""
        present = set(query_tokens)
        out: dict[str, None] = {}
        for phrase in self.matches(query_tokens, raw_query):
            for expansion in self._mapping[phrase]:
                tokens = self._tokens_of(expansion)
                for token in tokens:
                    # Stray single characters of a multi-word expansion are noise.
                    if len(token) == 1 and len(tokens) > 1 and is_han(token):
                        continue
                    if token not in present:
                        out[token] = None
        return list(out)
