"""Text normalization shared by indexing and querying.

``normalize`` is idempotent and cheap (a handful of C-level passes), so it is safe to
call on both sides: what the index stores and what a query looks for always went
through exactly the same steps.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from pathlib import Path

DICTIONARIES_DIR = Path(__file__).resolve().parent.parent / "dictionaries"
T2S_PATH = DICTIONARIES_DIR / "t2s.tsv"

# Format characters (Unicode category Cf: zero-width spaces/joiners, BOM, bidi marks,
# soft hyphen, ...), surrogates (Cs) and private-use characters (Co) are removed
# outright so that "营业\u200b执照" becomes "营业执照".  The Cf ranges come from
# unicodedata 14.0 (Python 3.11); a newer Cf character that is missed here is still
# harmless because the tokenizers only ever emit ASCII letters/digits and Han.
_REMOVE_RE = re.compile(
    "["
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
    "]+"
)
# Control characters (category Cc) become spaces: \t \n \r separate words.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]+")

_t2s_table: dict[int, str] | None = None
_t2s_lock = threading.Lock()


def load_t2s_table(path: Path = T2S_PATH) -> dict[int, str]:
    """Parse ``t2s.tsv`` (``traditional<TAB>simplified`` per line, ``#`` comments)."""
    table: dict[int, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        trad, simp = parts[0].strip(), parts[1].strip()
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[ord(trad)] = simp
    # Resolve chains (A -> B, B -> C  =>  A -> C) so that conversion is idempotent.
    for key, value in list(table.items()):
        seen = {key}
        while ord(value) in table and ord(value) not in seen:
            seen.add(ord(value))
            value = table[ord(value)]
        table[key] = value
    return table


def _build_translation() -> dict[int, str]:
    """t2s table plus ASCII lower-casing, applied in a single ``str.translate`` pass."""
    table = load_t2s_table()
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    return table


def _get_t2s_table() -> dict[int, str]:
    global _t2s_table
    table = _t2s_table
    if table is None:
        with _t2s_lock:
            if _t2s_table is None:
                _t2s_table = _build_translation()
            table = _t2s_table
    return table


def to_simplified(text: str) -> str:
    """Map traditional characters to simplified ones (and ASCII to lower case)."""
    return text.translate(_get_t2s_table())


def normalize(text: str) -> str:
    """Normalize text for search analysis.

    * removes format/surrogate/private-use characters, turns control characters
      into spaces;
    * NFKC: full-width letters, digits and punctuation become half-width
      (``ＹＹＺＺ`` -> ``YYZZ``, ``１２３４５`` -> ``12345``), ideographic space
      becomes a space, compatibility ideographs become unified ones;
    * traditional -> simplified for the characters in ``t2s.tsv``;
    * ASCII lower case (other scripts are left alone; tokens are ASCII/Han only);
    * runs of whitespace collapse to one space; leading/trailing space is stripped.

    Non-``str`` input is converted with ``str()``; ``None`` gives ``""``.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return ""
    if not text.isprintable():
        text = _REMOVE_RE.sub("", text)
        text = _CONTROL_RE.sub(" ", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.translate(_get_t2s_table())
    return " ".join(text.split())
