"""Pinyin keys for guide names, and routing of ASCII queries that look like pinyin.

Readings come from pypinyin (``heteronym=False``) with its phrase dictionary, so
polyphonic characters are read in context (银行 -> yinhang, 重庆 -> chongqing, 还款 ->
huankuan).  ``ü`` is written ``v`` (绿 -> lv), as with pinyin IMEs.  ASCII letters and
digits are kept as they are; everything else (punctuation, other scripts) is dropped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

from .normalize import normalize
from .segment import (
    _CORE_WORD_RE,
    CHAR,
    HAN_CLASS,
    MAX_TOKEN_CHARS,
    Segmenter,
    get_segmenter,
)

# Valid toneless syllables (pypinyin's dictionary minus interjections such as m/n/ng/hm,
# which would make almost any consonant string parse), plus lue/nue spellings of lve/nve.
_SYLLABLE_TEXT = """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bu
    ca cai can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong
    chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai
    dan dang dao de dei den deng di dia dian diao die din ding diu dong dou du duan dui dun
    duo e ei en eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei
    gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng
    hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu
    ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui
    kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin ling liu lo
    long lou lu luan lun luo lv lve lue ma mai man mang mao me mei men meng mi mian miao mie
    min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nia nian niang niao nie nin
    ning niu nong nou nu nuan nun nuo nv nve nue o ou pa pai pan pang pao pei pen peng pi
    pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan
    que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao
    se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan
    shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te tei teng ti
    tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia
    xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo
    yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe
    zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu
    zuan zui zun zuo
    """
SYLLABLES = frozenset(_SYLLABLE_TEXT.split())
_MAX_SYLLABLE = max(len(s) for s in SYLLABLES)
_SYLLABLE_PREFIXES = frozenset(s[:i] for s in SYLLABLES for i in range(1, len(s) + 1))

# Readings that pypinyin's phrase dictionary gets wrong for service vocabulary.
PHRASE_FIXES: dict[str, list[list[str]]] = {
    "还款": [["huán"], ["kuǎn"]],
    "还贷": [["huán"], ["dài"]],
    "还清": [["huán"], ["qīng"]],
}

_HAN_RUN_RE = re.compile(f"[{HAN_CLASS}]+|[a-z0-9]+")
_ASCII_QUERY_RE = re.compile(r"[a-z' ]+")
_ASCII_PART_RE = re.compile(r"[a-z0-9]+")
_INITIALS_RE = re.compile(r"[b-df-hj-np-tw-z]+")  # consonants that can start a syllable
# Longest run of two sub-words of one word that is indexed on its own (食品经营, 4).
MAX_SUBWORD_RUN_CHARS = 6
# Letters at either end of an initials query that the last-resort reading may leave out: an
# action or a word the guide's name does not have (hkbbl: hkb 户口本 + bl 办理).
MAX_LOOSE_INITIALS = 2
# Shortest piece of an initials query that the last-resort reading matches on its own.
MIN_RELAXED_PIECE = 2

_init_lock = threading.Lock()
_initialized = False


def _ensure_pypinyin() -> None:
    global _initialized
    if _initialized:
        return
    with _init_lock:
        if not _initialized:
            from pypinyin import load_phrases_dict

            load_phrases_dict(PHRASE_FIXES)
            _initialized = True


@lru_cache(maxsize=32768)
def han_syllables(run: str) -> tuple[str, ...]:
    """One toneless syllable per Han character of ``run`` (``""`` if unknown)."""
    _ensure_pypinyin()
    from pypinyin import Style, lazy_pinyin

    result = lazy_pinyin(run, style=Style.NORMAL, errors=lambda chars: [""] * len(chars))
    if len(result) != len(run):  # defensive: keep the one-per-character contract
        result = [
            (lazy_pinyin(ch, style=Style.NORMAL, errors=lambda c: [""])[0:1] or [""])[0]
            for ch in run
        ]
    return tuple(s if s.isascii() and s.isalpha() else "" for s in result)


def _readings(text: str) -> list[str]:
    """One reading per character of normalized ``text``: the toneless syllable of a Han
    character (read in context), the character itself for ASCII letters/digits, ``""``
    for anything else."""
    out = [""] * len(text)
    for match in _HAN_RUN_RE.finditer(text):
        run, start = match.group(), match.start()
        if run[0].isascii():
            out[start : start + len(run)] = run
        else:
            out[start : start + len(run)] = han_syllables(run)
    return out


def syllables(text: str, *, normalized: bool = False) -> list[str]:
    """Toneless syllables of the Han characters in ``text``; ASCII words kept whole."""
    if not normalized:
        text = normalize(text)
    out: list[str] = []
    for match in _HAN_RUN_RE.finditer(text):
        run = match.group()
        if run[0].isascii():
            out.append(run)
        else:
            out.extend(s for s in han_syllables(run) if s)
    return out


def pinyin_full(text: str) -> str:
    """``"营业执照"`` -> ``"yingyezhizhao"``."""
    return "".join(_readings(normalize(text)))


def pinyin_initials(text: str) -> str:
    """``"营业执照"`` -> ``"yyzz"`` (ASCII words are kept whole: ``"12345热线"`` ->
    ``"12345rx"``)."""
    return "".join(r[0] for r in _readings(normalize(text)) if r)


def pinyin_tokens(name: str, segmenter: Segmenter | None = None) -> list[str]:
    """Pinyin index tokens for a guide name.

    Full pinyin and initials of the whole name, of each word and dictionary sub-word, and of
    runs of two and three words, so ``yyzz``, ``yingyezhizhao``, ``gtgsh`` and ``bdc`` all find
    ``个体工商户营业执照注销`` / ``不动产登记``.  Words are read as they are read inside
    the name.
    """
    text = normalize(name)
    if not text:
        return []
    seg = segmenter or get_segmenter()
    readings = _readings(text)
    spans: list[tuple[int, int]] = [(0, len(text))]
    words: list[tuple[int, int]] = []
    subwords: list[tuple[int, int]] = []
    pos = 0
    for piece in seg.pieces(text, normalized=True):
        start = text.find(piece.text, pos)
        if start < 0:  # cannot happen for normalized text; be defensive
            continue
        end = pos = start + len(piece.text)
        if piece.kind == CHAR or seg.is_stopword(piece.text):
            continue
        spans.append((start, end))
        words.append((start, end))
        if _CORE_WORD_RE.fullmatch(piece.text):
            for sub in seg.expansions(piece.text):
                offset = piece.text.find(sub)
                spans.append((start + offset, start + offset + len(sub)))
                subwords.append((start + offset, start + offset + len(sub)))
    # Runs of two and three adjacent words too: 公章刻制 (gzkz) inside 公章刻制备案.
    for first in range(len(words)):
        for last in range(first + 1, min(first + 3, len(words))):
            if all(words[k][1] == words[k + 1][0] for k in range(first, last)):
                spans.append((words[first][0], words[last][1]))
    # Two adjacent sub-words of one long word as well: 食品经营 (spjy) inside 食品经营许可证.
    for first_start, first_end in subwords:
        for second_start, second_end in subwords:
            if second_start == first_end and second_end - first_start <= MAX_SUBWORD_RUN_CHARS:
                spans.append((first_start, second_end))
    out: dict[str, None] = {}
    for start, end in spans:
        part = readings[start:end]
        for token in ("".join(part), "".join(r[0] for r in part if r)):
            if len(token) >= 2:
                out[token[:MAX_TOKEN_CHARS]] = None
    return list(out)


def split_syllables(text: str, *, allow_partial: bool = True) -> list[str] | None:
    """Split a run of letters into pinyin syllables, or ``None`` if impossible.

    Prefers the longest syllables (``xian`` stays one syllable).  With
    ``allow_partial`` the last syllable may be incomplete (``yingyezh``), as when a
    user is still typing.
    """
    n = len(text)
    if not n or not text.isascii() or not text.isalpha():
        return None
    # best[i]: a segmentation of text[i:], computed right to left.
    best: list[list[str] | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for size in range(min(_MAX_SYLLABLE, n - i), 0, -1):
            chunk = text[i : i + size]
            last = i + size == n
            if chunk in SYLLABLES or (last and allow_partial and chunk in _SYLLABLE_PREFIXES):
                rest = best[i + size]
                if rest is not None:
                    best[i] = [chunk, *rest]
                    break
    return best[0]


def looks_like_pinyin(query: str) -> bool:
    """True if an ASCII query is plausibly pinyin: full syllables (``yingyezhizhao``,
    ``ying ye zhi zhao``, ``xi'an``) or initials (``yyzz``, ``bdcdj``).

    Meant for routing: a True answer means "also search the pinyin field"; words such
    as ``pdf`` look like initials and that is harmless.
    """
    text = normalize(query)
    if not text or len(text) > 64 or not _ASCII_QUERY_RE.fullmatch(text):
        return False
    parts = [p for p in re.split(r"[' ]+", text) if p]
    if not parts or sum(len(p) for p in parts) < 2:
        return False
    for part in parts:
        if split_syllables(part) is not None and (len(part) >= 2 or len(parts) > 1):
            continue
        if 2 <= len(part) <= 12 and _INITIALS_RE.fullmatch(part):
            continue
        return False
    return True


def looks_like_initials(run: str) -> bool:
    """True for a run of letters that reads as pinyin initials rather than full syllables
    (``hkbbl``, ``csz``; not ``hukouben``)."""
    if not run.isascii() or not run.isalpha() or not 3 <= len(run) <= MAX_TOKEN_CHARS:
        return False
    return bool(_INITIALS_RE.fullmatch(run)) or split_syllables(run, allow_partial=False) is None


def initials_relaxations(run: str) -> list[tuple[str, ...]]:
    """Looser readings of a run of initials that matched no index token whole, most literal
    first; each is a tuple of tokens that must all be found in one guide's name, alias or result.

    Two or three words typed together (``hkbyyzz``: ``hkb`` + ``yyzz``), one letter too many or
    two letters swapped (typos), and up to ``MAX_LOOSE_INITIALS`` letters at either end left out
    (an action the name does not say). Pieces are never shorter than ``MIN_RELAXED_PIECE``.
    """
    if not looks_like_initials(run):
        return []
    n, least = len(run), MIN_RELAXED_PIECE
    out: dict[tuple[str, ...], None] = {}
    for cut in range(least, n - least + 1):
        out[(run[:cut], run[cut:])] = None
    for first in range(least, n - 2 * least + 1):
        for second in range(first + least, n - least + 1):
            out[(run[:first], run[first:second], run[second:])] = None
    if n > 3:
        for i in range(n):
            out[(run[:i] + run[i + 1 :],)] = None
    for i in range(n - 1):
        if run[i] != run[i + 1]:
            out[(run[:i] + run[i + 1] + run[i] + run[i + 2 :],)] = None
    for loose in range(1, MAX_LOOSE_INITIALS + 1):
        if n - loose >= 3:
            out[(run[: n - loose],)] = None
            out[(run[loose:],)] = None
    return list(out)


def pinyin_query_tokens(query: str) -> list[str]:
    """Tokens to match against ``pinyin_tokens``: each space/apostrophe-separated part
    plus, for several parts, all of them joined (``ying ye zhi zhao`` ->
    ``ying ye zhi zhao yingyezhizhao``)."""
    parts = _ASCII_PART_RE.findall(normalize(query))
    out = dict.fromkeys(p[:MAX_TOKEN_CHARS] for p in parts)
    if len(parts) > 1:
        out["".join(parts)[:MAX_TOKEN_CHARS]] = None
    return list(out)


# ------------------------------------------------------------- pinyin -> Han words


#: Homophones of one pinyin reading kept when converting (shiye: 失业 事业 …).
MAX_HOMOPHONES = 3


class PinyinLexicon:
    """Han words keyed by their toneless full pinyin, to read a pinyin query back as words.

    Citizens type ``shebaoka`` or ``jiazhuang dianti`` meaning 社保卡 / 加装电梯: words that
    are not in a guide's name (whose pinyin the index has) but in the domain dictionary
    or the synonym phrases.  ``convert`` splits a run of letters into lexicon words and
    plain syllables, covering as many letters as possible with words.
    """

    def __init__(self, words: Iterable[str]) -> None:
        by_pinyin: dict[str, list[str]] = {}
        for word in words:
            if len(word) < 2 or not _CORE_WORD_RE.fullmatch(word):
                continue
            syl = han_syllables(word)
            if not all(syl):
                continue
            key = "".join(syl)
            bucket = by_pinyin.setdefault(key, [])
            if word not in bucket:
                bucket.append(word)
        self._by_pinyin = by_pinyin
        self._lengths = tuple(sorted({len(k) for k in by_pinyin}))

    def __len__(self) -> int:
        return len(self._by_pinyin)

    def words_for(self, letters: str) -> list[str]:
        """Lexicon words whose full pinyin is exactly ``letters``."""
        return list(self._by_pinyin.get(letters, ()))

    def convert(self, letters: str, *, per_reading: int = MAX_HOMOPHONES) -> list[list[str]]:
        """The lexicon words that best cover ``letters`` (one list of homophones per
        covered stretch, left to right); ``[]`` if no word fits.

        Dynamic programming over letter positions: a step is either a lexicon word or one
        syllable (the last one may be incomplete); more letters covered by words is better,
        then fewer steps (longer words).
        """
        n = len(letters)
        if not n or n > MAX_TOKEN_CHARS or not self._by_pinyin:
            return []
        by_pinyin = self._by_pinyin
        # best[i] = (covered letters, -steps, words) for letters[:i]
        best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (n + 1)
        best[0] = (0, 0, ())
        for i in range(n):
            here = best[i]
            if here is None:
                continue
            covered, steps, words = here
            for size in self._lengths:
                if i + size > n:
                    break
                key = letters[i : i + size]
                if key in by_pinyin:
                    cand = (covered + size, steps - 1, (*words, key))
                    if best[i + size] is None or cand[:2] > best[i + size][:2]:
                        best[i + size] = cand
            for size in range(1, min(_MAX_SYLLABLE, n - i) + 1):
                chunk = letters[i : i + size]
                if chunk in SYLLABLES or (i + size == n and chunk in _SYLLABLE_PREFIXES):
                    cand = (covered, steps - 1, words)
                    if best[i + size] is None or cand[:2] > best[i + size][:2]:
                        best[i + size] = cand
        final = best[n]
        if final is None:
            return []
        return [by_pinyin[key][:per_reading] for key in final[2]]



def pinyin_letter_runs(query: str) -> list[str]:
    """The letter runs of a pinyin query: its space/apostrophe-separated parts, and all of
    them joined when there are several (``ying ye zhi zhao`` is one word typed apart)."""
    parts = [p for p in _ASCII_PART_RE.findall(normalize(query)) if p.isalpha()]
    if len(parts) > 1:
        parts.append("".join(parts))
    return [p[:MAX_TOKEN_CHARS] for p in parts]


def syllable_ngrams(letters: str, *, min_size: int = 2, max_size: int = 4) -> list[str]:
    """Joined runs of ``min_size``..``max_size`` consecutive syllables of ``letters``
    (``yejianshigong`` -> ``yejian jianshi shigong yejianshi jianshigong ...``): they
    meet the per-word pinyin tokens of guide names when the whole string does not."""
    syl = split_syllables(letters, allow_partial=False)
    if not syl or len(syl) <= min_size:
        return []
    out: dict[str, None] = {}
    for size in range(min_size, min(max_size, len(syl) - 1) + 1):
        for i in range(len(syl) - size + 1):
            out["".join(syl[i : i + size])] = None
    return list(out)
