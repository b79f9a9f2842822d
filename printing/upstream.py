"""Workarounds for bugs in the libraries the sheets are rendered with, each to be removed once
the version we pin carries the fix upstream."""

from __future__ import annotations

import re


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
