"""Workarounds for bugs and fixed choices in the libraries the sheets are rendered with, each to
be removed once the version we pin carries a fix or an option upstream."""

from __future__ import annotations

import re
import zlib
from typing import Any


class CharsUntilPatterns(dict):
    """The pattern cache of tinyhtml5's ``HTMLUnicodeInputStream.chars_until``, filled on lookup.

    tinyhtml5 2.1 stores each compiled pattern under the wrong key (a chained assignment rebinds
    the character set to the pattern before the key is built), so its cache never hits and every
    call builds and compiles the character class again: about half the time WeasyPrint spends
    parsing a sheet's HTML. With this mapping the lookup always succeeds and the broken branch
    is never reached.
    """

    def __missing__(self, key: tuple[object, bool]) -> re.Pattern[str]:
        characters, opposite = key
        # "opposite" matches a run of the given characters, otherwise a run of anything else.
        pattern = re.compile(f"[{'' if opposite else '^'}{''.join(re.escape(c) for c in characters)}]+")
        self[key] = pattern
        return pattern


def fix_tinyhtml5_pattern_cache() -> None:
    """Install CharsUntilPatterns as tinyhtml5's cache (idempotent)."""
    from tinyhtml5 import inputstream

    if not isinstance(inputstream.characters_until_regex, CharsUntilPatterns):
        inputstream.characters_until_regex = CharsUntilPatterns()


# zlib's own default. On a citizen sheet (two font subsets and two pages of content, 440 KB before
# compression) level 9 took 24 ms and level 6 9 ms, for 1 % more bytes (122 KB against 121 KB).
PDF_DEFLATE_LEVEL = 6


class DeflateAtLevel:
    """The zlib module as pydyf sees it, with every stream compressor working at ``level``.

    pydyf 0.13 compresses each PDF stream with ``zlib.compressobj(level=9)`` and offers no way
    to choose, and WeasyPrint has none either. Everything else is zlib's own.
    """

    def __init__(self, level: int):
        self.level = level

    def compressobj(self, level: int = zlib.Z_DEFAULT_COMPRESSION, *args: Any, **kwargs: Any):
        # The level pydyf asks for (9) gives way to ours.
        return zlib.compressobj(self.level, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


def set_pdf_deflate_level(level: int = PDF_DEFLATE_LEVEL) -> None:
    """Make pydyf compress PDF streams at ``level`` (idempotent)."""
    import pydyf

    current = pydyf.zlib
    if not (isinstance(current, DeflateAtLevel) and current.level == level):
        pydyf.zlib = DeflateAtLevel(level)
