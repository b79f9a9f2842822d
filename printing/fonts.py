"""The typefaces of the printed sheets.

Text is set in a CJK font found through fontconfig (``font_families()``; Debian's
fonts-noto-cjk by default). WeasyPrint copies and subsets every font it embeds on every render.
For Noto Sans CJK, a 20 MB collection of 65,535 glyphs, that was 40 % of a two-page sheet's
render time and half of its bytes. So the setup (``manage.py build_print_fonts``) cuts a *print
face* out of the system font once: the characters of everyday Chinese (the 6,763 hanzi of
GB 2312), Latin, punctuation and full-width forms, about 9,500 glyphs and 2 MB per weight. It is
registered under its own family name, PRINT_FAMILY. The sheets name it first and the full font
after it, so a character outside GB 2312 (a rare character in a name) still prints, from the full
font. Without a built print face, sheets are slower and bigger, but still right.

The print face has TrueType outlines, converted from the source's CFF ones within a thousandth
of an em: HarfBuzz subsets CFF outlines at about 14 ms per face and sheet (it must expand their
subroutines), TrueType ones in a third of that, and they come out a third smaller in the PDF.

The print face is a modified Noto Sans CJK (SIL Open Font License 1.1). It keeps the copyright
and licence records and takes a name of its own: the licence reserves the name "Source", and a
modified font should not pass for the original.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("printing")

# Tried in order by fontconfig; the first is the Debian package fonts-noto-cjk.
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)

PRINT_FAMILY = "Yichuang Sans SC"
PRINT_POSTSCRIPT_FAMILY = "YichuangSansSC"
# The faces the sheets use (sheet.css sets bold type), with their fontconfig and CSS weights.
STYLES = {"Regular": (80, 400), "Bold": (200, 700)}
MANIFEST = "print-fonts.json"
# Bump when the recipe below changes, so that every machine builds its print face again.
BUILD_FORMAT = 2
# Largest distance, in font units (1/1000 em in Noto Sans CJK), between a cubic curve of the
# source and the quadratic curves that replace it in the print face.
TRUETYPE_MAX_ERROR = 1.0
# OpenType features kept: those HarfBuzz applies to horizontal text by default. Vertical forms and
# the locl variants for Japanese, Korean and traditional Chinese pull in 7,000 glyphs a
# simplified-Chinese sheet never shows.
LAYOUT_FEATURES = ("calt", "ccmp", "clig", "dist", "kern", "liga", "mark", "mkmk", "rclt", "rlig", "rvrn")
# Besides the GB 2312 hanzi: everything below the CJK blocks (Latin, Greek, Cyrillic, symbols,
# arrows, box drawing, enclosed numbers), CJK punctuation, enclosed CJK and squared units, and
# the half- and full-width forms.
KEPT_RANGES = ((0x0000, 0x2E7F), (0x3000, 0x303F), (0x3200, 0x33FF), (0xFF00, 0xFFEF))


class PrintFontError(Exception):
    """The print face could not be built."""


@lru_cache(maxsize=1)
def font_families() -> tuple[str, ...]:
    """The CJK families of the sheets, in order of preference (before the print face)."""
    configured = getattr(settings, "PRINTING_FONT_FAMILIES", None)
    return tuple(configured) if configured else CJK_FONT_FAMILIES


def font_dir() -> Path:
    return Path(settings.PRINTING_FONT_DIR)


@dataclass(frozen=True)
class SourceFace:
    """One face of an installed font, as fontconfig finds it."""

    family: str
    file: str
    index: int
    size: int
    mtime_ns: int


def find_source_face(style: str) -> SourceFace | None:
    """The installed face of the first CJK family that has ``style`` for real (a regular face
    stands in for a missing bold one in fontconfig's answer: that is not a bold face)."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    weight = STYLES[style][0]
    for family in font_families():
        try:
            result = subprocess.run(  # noqa: S603 - fixed executable, no shell
                [fc_match, "--format=%{family}\t%{file}\t%{index}\t%{weight}", f"{family}:lang=zh-cn:weight={weight}"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        found, path, index, found_weight = (result.stdout.split("\t") + ["", "", "", ""])[:4]
        if family.lower() not in found.lower() or not path:
            continue
        try:
            if abs(float(found_weight) - weight) > 20:
                continue
            status = os.stat(path)
            return SourceFace(family, path, int(index or 0), status.st_size, status.st_mtime_ns)
        except (OSError, ValueError):
            continue
    return None


def kept_codepoints(cmap: Iterable[int]) -> set[int]:
    """The characters of the print face: those of KEPT_RANGES and the GB 2312 hanzi, where the
    source font has them."""
    hanzi = set()
    for high in range(0xB0, 0xF8):  # GB 2312 rows 16-87: the hanzi
        for low in range(0xA1, 0xFF):
            try:
                hanzi.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return {cp for cp in cmap if cp in hanzi or any(first <= cp <= last for first, last in KEPT_RANGES)}


def face_file_name(style: str) -> str:
    return f"{PRINT_POSTSCRIPT_FAMILY}-{style}.ttf"


def build_face(source: SourceFace, style: str, target: Path) -> int:
    """Cut the print face of ``style`` out of ``source`` into ``target`` (written atomically);
    returns its number of glyphs."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source.file, fontNumber=source.index)
    options = subset.Options()
    options.layout_features = list(LAYOUT_FEATURES)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=kept_codepoints(font.getBestCmap()))
    subsetter.subset(font)
    # The CFF table carries names of its own: it goes before the face is renamed.
    if "CFF " in font:
        _convert_to_truetype(font)
    _rename(font, style, source)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        font.save(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return font["maxp"].numGlyphs


def _rename(font, style: str, source: SourceFace) -> None:
    full_name = f"{PRINT_FAMILY} {style}"
    postscript_name = f"{PRINT_POSTSCRIPT_FAMILY}-{style}"
    names = font["name"]
    names.names = [record for record in names.names if record.nameID not in (1, 2, 3, 4, 6, 16, 17, 18, 21, 22)]
    for name_id, text in (
        (1, PRINT_FAMILY),
        (2, style),
        (3, f"{BUILD_FORMAT}:{postscript_name}"),
        (4, full_name),
        (6, postscript_name),
        (10, f"{source.family} {style}, cut down to the GB 2312 characters for printed guide sheets."),
    ):
        names.setName(text, name_id, 3, 1, 0x409)


def _convert_to_truetype(font) -> None:
    """Replace the CFF outlines of ``font`` by TrueType ones (quadratic curves, clockwise outer
    contours), in place. Metrics, cmap and layout tables stay as they are."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        # CFF draws outer contours counter-clockwise, TrueType clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, TRUETYPE_MAX_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    for tag in ("CFF ", "VORG"):  # VORG only goes with CFF outlines
        if tag in font:
            del font[tag]
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    font["loca"] = newTable("loca")
    # Version 1.0 of maxp describes TrueType outlines: one zone, no hinting programs; the point
    # and contour maxima are recalculated when the font is saved.
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0  # no glyph names: PDFs address glyphs by number
    font.sfntVersion = "\x00\x01\x00\x00"


# --- the manifest: what was built from what ------------------------------------------------------


def read_manifest(directory: Path) -> dict:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) and manifest.get("format") == BUILD_FORMAT else {}


def _write_manifest(directory: Path, manifest: dict) -> None:
    partial = directory / f".{MANIFEST}.{os.getpid()}.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, directory / MANIFEST)


def _face_is_current(directory: Path, entry: dict | None, source: SourceFace) -> bool:
    if not entry or entry.get("source") != asdict(source):
        return False
    try:
        return (directory / entry["file"]).stat().st_size == entry["size"]
    except (OSError, KeyError, TypeError):
        return False


def _build_one(source: SourceFace, style: str, directory: str) -> dict:
    target = Path(directory) / face_file_name(style)
    glyphs = build_face(source, style, target)
    return {"file": target.name, "size": target.stat().st_size, "glyphs": glyphs, "source": asdict(source)}


def build_print_fonts(
    directory: Path | None = None,
    *,
    styles: Iterable[str] = STYLES,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """Build the print faces that are missing or out of date (in parallel), and return the
    manifest. Raises PrintFontError when no CJK font is installed."""
    directory = directory or font_dir()
    directory.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(directory) if not force else {}
    faces = dict(manifest.get("faces", {}))
    sources = {}
    for style in styles:
        source = find_source_face(style)
        if source is None:
            if style == "Regular":
                raise PrintFontError(f"no CJK font among {', '.join(font_families())} (install fonts-noto-cjk)")
            log(f"{style}: no {style.lower()} face of {', '.join(font_families())}; bold type will use the full font")
            faces.pop(style, None)
            continue
        if _face_is_current(directory, faces.get(style), source):
            log(f"{style}: up to date ({directory / faces[style]['file']})")
        else:
            sources[style] = source
    if sources:
        log(f"building {', '.join(sources)} from {', '.join(sorted({s.file for s in sources.values()}))} …")
        with ProcessPoolExecutor(max_workers=max(1, min(len(sources), os.cpu_count() or 1))) as pool:
            futures = {style: pool.submit(_build_one, source, style, str(directory)) for style, source in sources.items()}
            for style, future in futures.items():
                faces[style] = future.result()
                log(f"{style}: {faces[style]['glyphs']:,} glyphs, {faces[style]['size'] / 1e6:.1f} MB")
    manifest = {"format": BUILD_FORMAT, "family": PRINT_FAMILY, "faces": faces}
    _write_manifest(directory, manifest)
    # Faces of an earlier build format (another file name) or of a style no longer built.
    current = {entry["file"] for entry in faces.values()}
    for path in directory.glob(f"{PRINT_POSTSCRIPT_FAMILY}-*.[ot]tf"):
        if path.name not in current:
            path.unlink(missing_ok=True)
            log(f"removed {path.name}")
    built_faces.cache_clear()
    return manifest


@dataclass(frozen=True)
class PrintFace:
    style: str
    path: Path
    css_weight: int
    source_family: str


@lru_cache(maxsize=4)
def built_faces(directory: Path | None = None) -> tuple[PrintFace, ...]:
    """The print faces built in ``directory`` (default settings.PRINTING_FONT_DIR) that are
    intact and cut from one of font_families()."""
    directory = directory or font_dir()
    families = {family.lower() for family in font_families()}
    found = []
    for style, entry in read_manifest(directory).get("faces", {}).items():
        try:
            path = directory / entry["file"]
            source_family = entry["source"]["family"]
            if style in STYLES and source_family.lower() in families and path.stat().st_size == entry["size"]:
                found.append(PrintFace(style, path, STYLES[style][1], source_family))
        except (OSError, KeyError, TypeError, AttributeError):
            continue
    return tuple(found)
