"""Typo recovery for queries, against the domain vocabulary.

Most Chinese typos come from the pinyin IME: the right syllables, the wrong character
(``劳动仲材`` for ``劳动仲裁``, ``营业直照`` for ``营业执照``).  Character bigrams do not help
much there (``劳动仲材`` shares only ``劳动`` with ``劳动仲裁``), so this module maps such
spans back to the domain term:

* **homophones**: a span whose toneless pinyin equals a domain term's
  (``laodong zhongcai``) or, with ``get_corrector``, a phrase of ``synonyms.tsv``
  (``社报卡`` -> ``社保卡``);
* **one substituted character** in spans of four or more characters
  (``营业执炤`` -> ``营业执照``), or of three single characters (``居往证`` -> ``居住证``).

Only spans aligned with jieba word boundaries that contain an out-of-vocabulary word
or a single character are considered (a typo breaks the word, so jieba falls back to
the HMM or single characters), and spans of four or more characters made of two or
more dictionary words whose pinyin is that of a domain term (``职业登记`` for
``执业登记``: "real-word" typos); spans that are dictionary words themselves are never
"corrected" (``工伤`` is not turned into ``工商``).  Corrections are extra tokens for the
search layer to OR in, never replacements.  Spans that begin or end with a filler
word (stopword) are left alone: ``卖要办`` is not ``卖药``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable

from .pinyin import han_syllables
from .segment import CHAR, OOV, WORD, Segmenter, get_segmenter

MAX_SPAN = 12
MAX_CORRECTIONS = 4
#: Spans made of dictionary words only are corrected from this length on (homophones only).
MIN_REAL_WORD_SPAN = 4


class TypoCorrector:
    def __init__(
        self,
        terms: Iterable[str] | None = None,
        segmenter: Segmenter | None = None,
        *,
        homophone_terms: Iterable[str] = (),
    ):
        """``terms`` (default: the segmenter's domain terms) are recovered from homophones
        and from one substituted character; ``homophone_terms`` (colloquial phrases such
        as 社保卡) from homophones only: one substituted character of a short everyday
        phrase is too often another phrase (带社保卡 is not 办社保卡)."""
        self._segmenter = segmenter
        self._terms_arg = None if terms is None else tuple(terms)
        self._homophone_arg = tuple(homophone_terms)
        self._lock = threading.Lock()
        self._ready = False
        self._terms: frozenset[str] = frozenset()
        self._strict: frozenset[str] = frozenset()
        self._by_pinyin: dict[tuple[str, ...], list[str]] = {}
        self._by_mask: dict[str, list[str]] = {}
        self._lengths: tuple[int, ...] = ()

    @property
    def segmenter(self) -> Segmenter:
        return self._segmenter or get_segmenter()

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            seg = self.segmenter
            raw = self._terms_arg if self._terms_arg is not None else seg.domain_terms
            strict = {t for t in raw if 2 <= len(t) <= MAX_SPAN}
            terms = sorted(strict | {t for t in self._homophone_arg if 2 <= len(t) <= MAX_SPAN})
            by_pinyin: dict[tuple[str, ...], list[str]] = {}
            by_mask: dict[str, list[str]] = {}
            for term in terms:
                syl = han_syllables(term)
                if all(syl):
                    by_pinyin.setdefault(syl, []).append(term)
                if len(term) >= 3 and term in strict:
                    for i in range(len(term)):
                        by_mask.setdefault(term[:i] + "\0" + term[i + 1 :], []).append(term)
            self._terms = frozenset(terms)
            self._strict = frozenset(strict)
            self._by_pinyin = by_pinyin
            self._by_mask = by_mask
            self._lengths = tuple(sorted({len(t) for t in terms}))
            self._ready = True

    def corrections(self, text: str, *, normalized: bool = False) -> list[str]:
        """Domain terms that the query probably meant (not already in the query)."""
        self._ensure()
        if not self._terms:
            return []
        seg = self.segmenter
        pieces = seg.pieces(text, normalized=normalized)
        found: dict[str, None] = {}
        # Split into runs of adjacent Han pieces.
        runs: list[list] = []
        current: list = []
        for piece in pieces:
            if piece.kind > CHAR or not piece.adjacent:  # ASCII or a gap ends the run
                if current:
                    runs.append(current)
                current = []
            if piece.kind <= CHAR:
                current.append(piece)
        if current:
            runs.append(current)
        lengths = set(self._lengths)
        for run in runs:
            text_run = "".join(p.text for p in run)
            if text_run in self._terms:
                continue
            syl = han_syllables(text_run)
            bounds = [0]
            for p in run:
                bounds.append(bounds[-1] + len(p.text))
            suspicious = [p.kind in (OOV, CHAR) for p in run]
            piece_at = [i for i, p in enumerate(run) for _ in p.text]  # character -> piece
            # A filler at the edge of a span is most likely meant (卖要办 is not 卖药办).
            filler = [seg.is_stopword(p.text) for p in run]
            for a in range(len(run)):
                for b in range(a + 1, len(run) + 1):
                    start, end = bounds[a], bounds[b]
                    size = end - start
                    if size > MAX_SPAN:
                        break
                    if size not in lengths or filler[a] or filler[b - 1]:
                        continue
                    # A span of dictionary words only is a "real-word" typo at best
                    # (职业登记 for 执业登记): only long homophones are taken then.
                    real_words = not any(suspicious[a:b])
                    if real_words and (size < MIN_REAL_WORD_SPAN or b - a < 2):
                        continue
                    span = text_run[start:end]
                    if span in self._terms or seg.is_known_word(span):
                        continue
                    key = syl[start:end]
                    candidates = [
                        term
                        for term in (self._by_pinyin.get(key, ()) if all(key) else ())
                        if term in self._strict
                        or (len(term) >= 3 and self._plausible(run, piece_at, a, b, start, term))
                    ]
                    # One substituted character: in 4+ character spans, or in 3-character
                    # spans of single characters (居往证 for 居住证).
                    if not candidates and not real_words and (
                        size >= 4 or (size == 3 and all(p.kind == CHAR for p in run[a:b]))
                    ):
                        candidates = [
                            term
                            for i in range(size)
                            if run[piece_at[start + i]].kind != WORD
                            for term in self._by_mask.get(span[:i] + "\0" + span[i + 1 :], ())
                            if self._plausible(run, piece_at, a, b, start, term)
                        ]
                    for term in candidates:
                        if term not in text_run:
                            found[term] = None
        # A term inside another found domain term adds nothing (仲裁 next to 劳动仲裁).
        strict = self._strict
        terms = [t for t in found if not any(t != o and t in o and o in strict for o in found)]
        return terms[:MAX_CORRECTIONS]


    @staticmethod
    def _plausible(run, piece_at: list[int], a: int, b: int, start: int, term: str) -> bool:
        """False if the characters that differ from ``term`` are single-character words
        next to nothing but dictionary words: 残疾人买 is 残疾人 + 买, not a mistyped
        残疾人证, and 买轮椅 is not 卖轮椅.  A typo breaks a word into pieces instead."""
        text = "".join(p.text for p in run)
        differ = {piece_at[start + i] for i, ch in enumerate(term) if ch != text[start + i]}
        if not all(run[i].kind == CHAR for i in differ):
            return True
        return not all(run[i].kind == WORD for i in range(a, b) if i not in differ)


_correctors: weakref.WeakKeyDictionary[Segmenter, TypoCorrector] = weakref.WeakKeyDictionary()
_correctors_lock = threading.Lock()


def get_corrector(segmenter: Segmenter | None = None) -> TypoCorrector:
    """The corrector for ``segmenter`` (default: the default segmenter), built once and
    fed with that segmenter's domain terms and the phrases of ``synonyms.tsv`` (社保卡 is
    what people mean by 社报卡, though only 社会保障卡 is a domain term)."""
    seg = segmenter or get_segmenter()
    corrector = _correctors.get(seg)
    if corrector is None:
        with _correctors_lock:
            corrector = _correctors.get(seg)
            if corrector is None:
                from .vocabulary import correction_terms

                corrector = _correctors[seg] = TypoCorrector(
                    segmenter=seg, homophone_terms=correction_terms(seg)
                )
    return corrector
