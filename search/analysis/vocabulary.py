"""The service vocabulary: words a citizen may mean, for typo recovery and pinyin queries.

Two word lists are derived from the dictionaries, once per segmenter:

* ``correction_terms``: the domain dictionary (``gov_terms.txt``) plus the Han phrases
  and expansions of ``synonyms.tsv``, so that a homophone typo of a colloquial phrase
  (社报卡 for 社保卡) is recovered like one of an official term;
* ``pinyin_words``: the same plus their dictionary sub-words (护照 inside 普通护照), read
  back from pinyin queries (``shebaoka`` -> 社保卡) by ``PinyinLexicon``.

Rows that editors add in the database are not part of it (they change per request and
reading them as pinyin costs ~0.1 ms a word); they still expand queries as synonyms.
"""

from __future__ import annotations

import re
import threading
import weakref

from .pinyin import PinyinLexicon
from .segment import HAN_CORE, Segmenter, get_segmenter
from .synonyms import SynonymSet

_CORE_RE = re.compile(f"[{HAN_CORE}]{{2,12}}")

_lock = threading.Lock()
_terms: weakref.WeakKeyDictionary[Segmenter, frozenset[str]] = weakref.WeakKeyDictionary()
_lexicons: weakref.WeakKeyDictionary[Segmenter, PinyinLexicon] = weakref.WeakKeyDictionary()


def _synonym_words(synonyms: SynonymSet) -> set[str]:
    words: set[str] = set()
    for phrases, expansions in synonyms.rows:
        for item in (*phrases, *expansions):
            item = item.replace(" ", "")
            if _CORE_RE.fullmatch(item):
                words.add(item)
    return words


def correction_terms(segmenter: Segmenter | None = None) -> frozenset[str]:
    """Domain terms plus the Han synonym phrases and expansions (2..12 characters)."""
    seg = segmenter or get_segmenter()
    terms = _terms.get(seg)
    if terms is None:
        with _lock:
            terms = _terms.get(seg)
            if terms is None:
                words = {t for t in seg.domain_terms if _CORE_RE.fullmatch(t)}
                words |= _synonym_words(SynonymSet.default())
                terms = _terms[seg] = frozenset(words)
    return terms


def pinyin_lexicon(segmenter: Segmenter | None = None) -> PinyinLexicon:
    """``correction_terms`` and their dictionary sub-words, keyed by full pinyin."""
    seg = segmenter or get_segmenter()
    lexicon = _lexicons.get(seg)
    if lexicon is None:
        terms = correction_terms(seg)
        with _lock:
            lexicon = _lexicons.get(seg)
            if lexicon is None:
                words = set(terms)
                for term in terms:
                    words.update(s for s in seg.expansions(term) if seg.is_known_word(s))
                lexicon = _lexicons[seg] = PinyinLexicon(sorted(words))
    return lexicon
