"""The print face (printing.fonts): built by the setup from the installed CJK font, complete for
everyday Chinese, renamed, rebuilt when damaged, and a clear error without a CJK font."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fontTools.pens.areaPen import AreaPen
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from printing.fonts import (
    MANIFEST,
    PRINT_FAMILY,
    PrintFontError,
    build_print_fonts,
    built_faces,
    face_file_name,
    find_source_face,
    font_dir,
)
from printing.render import sheet_families

# Text every sheet prints: punctuation, digits, Latin, full-width forms and symbols.
EVERYDAY = "，。、：；！？（）【】《》“”‘’…—·％＋０１２ＡＢ①②③℃×÷→ABCxyz0123456789@#&-_/"


def gb2312_hanzi() -> set[str]:
    hanzi = set()
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                hanzi.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return hanzi


def names(font: TTFont) -> dict[int, str]:
    return {record.nameID: record.toUnicode() for record in font["name"].names if record.platformID == 3}


def test_the_setup_built_both_print_faces_for_everyday_chinese():
    faces = {face.style: face for face in built_faces()}
    assert set(faces) == {"Regular", "Bold"}, f"run manage.py build_print_fonts (looked in {font_dir()})"
    assert sheet_families()[0] == PRINT_FAMILY
    hanzi = gb2312_hanzi()
    assert len(hanzi) == 6763
    for style, face in faces.items():
        font = TTFont(face.path)
        cmap = font.getBestCmap()
        missing = [char for char in hanzi | set(EVERYDAY) if ord(char) not in cmap]
        assert not missing, f"{style} lacks {''.join(sorted(missing)[:40])}"
        # A cut-down face: the speed and the size of the sheets come from here.
        assert font["maxp"].numGlyphs < 12_000
        assert "堃" not in {chr(cp) for cp in cmap}
        record = names(font)
        assert record[1] == PRINT_FAMILY and record[2] == style
        assert record[6] == f"YichuangSansSC-{style}"
        # The licence and copyright of the source font travel with it (SIL OFL 1.1).
        assert "Open Font License" in record[13] and "Adobe" in record[0]


@pytest.mark.parametrize("text", ["中", "窗", "A", "①", "％"])
def test_print_faces_have_the_source_outlines_in_truetype(text):
    for face in built_faces():
        source = find_source_face(face.style)
        print_font, source_font = TTFont(face.path), TTFont(source.file, fontNumber=source.index)
        # TrueType outlines: HarfBuzz subsets them much faster than CFF ones.
        assert "glyf" in print_font and "CFF " not in print_font
        outlines = []
        for font in (print_font, source_font):
            glyph_set = font.getGlyphSet()
            name = font.getBestCmap()[ord(text)]
            area, bounds = AreaPen(glyph_set), BoundsPen(glyph_set)
            glyph_set[name].draw(area)
            glyph_set[name].draw(bounds)
            outlines.append((area.value, bounds.bounds, glyph_set[name].width))
        (print_area, print_bounds, print_width), (source_area, source_bounds, source_width) = outlines
        assert print_width == source_width
        assert all(abs(a - b) <= 2 for a, b in zip(print_bounds, source_bounds, strict=True)), text
        # Same shape, contours reversed: TrueType draws outer contours clockwise, CFF the other way.
        assert print_area == pytest.approx(-source_area, rel=0.01), text


def test_a_build_keeps_current_faces_and_rebuilds_a_damaged_one(tmp_path):
    # Start from the setup's faces, so that only the damaged one is built here.
    for face in built_faces():
        shutil.copy(face.path, tmp_path / face.path.name)
    shutil.copy(font_dir() / MANIFEST, tmp_path / MANIFEST)
    bold = tmp_path / face_file_name("Bold")
    regular = tmp_path / face_file_name("Regular")
    untouched = regular.stat().st_mtime_ns

    lines = []
    build_print_fonts(tmp_path, log=lines.append)
    assert [line for line in lines if "up to date" in line] == [
        f"Regular: up to date ({regular})",
        f"Bold: up to date ({bold})",
    ]

    # A face of an earlier build format is removed: nothing reads it any more.
    stale = tmp_path / "YichuangSansSC-Regular.otf"
    stale.write_bytes(b"OTTO")
    build_print_fonts(tmp_path, log=lines.append)
    assert not stale.exists() and "removed YichuangSansSC-Regular.otf" in lines

    bold.write_bytes(bold.read_bytes()[: 100_000])  # an interrupted copy
    assert [face.style for face in built_faces(tmp_path)] == ["Regular"]
    manifest = build_print_fonts(tmp_path, log=lines.append)
    assert regular.stat().st_mtime_ns == untouched
    assert {face.style for face in built_faces(tmp_path)} == {"Regular", "Bold"}
    assert manifest["faces"]["Bold"]["size"] == bold.stat().st_size
    assert TTFont(io.BytesIO(bold.read_bytes()))["maxp"].numGlyphs == manifest["faces"]["Bold"]["glyphs"]
    assert json.loads((tmp_path / MANIFEST).read_text())["faces"] == manifest["faces"]
    assert not [path.name for path in tmp_path.iterdir() if "partial" in path.name]


def test_faces_cut_from_another_family_are_not_used(tmp_path, settings):
    for face in built_faces():
        shutil.copy(face.path, tmp_path / face.path.name)
    shutil.copy(font_dir() / MANIFEST, tmp_path / MANIFEST)
    settings.PRINTING_FONT_DIR = tmp_path
    assert len(built_faces()) == 2
    settings.PRINTING_FONT_FAMILIES = ["WenQuanYi Micro Hei", "Droid Sans Fallback"]
    assert built_faces() == ()
    assert PRINT_FAMILY not in sheet_families()


def test_without_a_cjk_font_the_build_is_a_clear_error(tmp_path, settings):
    settings.PRINTING_FONT_DIR = tmp_path
    settings.PRINTING_FONT_FAMILIES = ["No Such Family SC"]
    assert find_source_face("Regular") is None
    with pytest.raises(PrintFontError, match="No Such Family SC"):
        build_print_fonts(tmp_path)
    with pytest.raises(CommandError, match="install fonts-noto-cjk"):
        call_command("build_print_fonts", verbosity=0)
    assert not [path for path in tmp_path.iterdir() if path.suffix in (".otf", ".ttf")]
