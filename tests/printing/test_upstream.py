"""Workarounds for library bugs and fixed choices (printing.upstream)."""

import re
import zlib

import pydyf
import tinyhtml5
from tinyhtml5 import inputstream
from tinyhtml5.constants import space_characters

from printing.upstream import (
    PDF_DEFLATE_LEVEL,
    CharsUntilPatterns,
    DeflateAtLevel,
    fix_tinyhtml5_pattern_cache,
    set_pdf_deflate_level,
)


def test_tinyhtml5_reuses_its_patterns_after_the_fix() -> None:
    cache = inputstream.characters_until_regex
    assert isinstance(cache, CharsUntilPatterns), "PrintingConfig.ready() installs the fix"
    fix_tinyhtml5_pattern_cache()
    assert inputstream.characters_until_regex is cache
    tree = tinyhtml5.parse('<p class="a">一 &amp; 二<br>三</p><!-- note --><p title=\'x\'>四</p>')
    assert cache, "the parser looked no pattern up"
    # Keyed by the character sets asked for, never by a pattern (the upstream bug).
    assert not any(isinstance(characters, re.Pattern) for characters, _ in cache)
    patterns = dict(cache)
    tinyhtml5.parse("<p>五 &lt; 六</p>")
    assert all(cache[key] is pattern for key, pattern in patterns.items())
    assert "".join(tree.itertext()) == "一 & 二三 note 四"


def test_patterns_find_what_tinyhtml5_asks_for() -> None:
    cache = CharsUntilPatterns()
    until_markup = cache[(("&", "<", "\u0000"), False)]
    assert until_markup.match("文字 text&amp;").group() == "文字 text"
    spaces = cache[(space_characters, True)]
    assert spaces.match(" \t\n x").group() == " \t\n "
    # Characters special inside a character class are taken literally.
    assert cache[(("]", "^", "-", "\\"), False)].match("ab]c").group() == "ab"
    assert cache[(("]", "^", "-", "\\"), True)].match("^-\\]x").group() == "^-\\]"


def stream_body(stream: pydyf.Stream) -> bytes:
    return stream.data.split(b"\nstream\n", 1)[1].rsplit(b"\nendstream", 1)[0]


def test_pdf_streams_are_compressed_at_the_chosen_level() -> None:
    assert isinstance(pydyf.zlib, DeflateAtLevel), "PrintingConfig.ready() installs the level"
    installed = pydyf.zlib
    set_pdf_deflate_level()
    assert pydyf.zlib is installed
    # Text that zlib's levels compress differently (checked first, or the test would prove nothing).
    data = "".join(f"{i * 7919 % 10007}{chr(0x4E00 + i * 31 % 20000)}" for i in range(20_000)).encode()
    chosen, best = zlib.compress(data, PDF_DEFLATE_LEVEL), zlib.compress(data, 9)
    assert chosen != best
    body = stream_body(pydyf.Stream([data], compress=True))
    assert body == chosen
    assert zlib.decompress(body) == data
    # pydyf's other zlib uses are zlib's own.
    assert pydyf.zlib.decompress(best) == data
