"""Fixtures of the PDF tests: an isolated media root (the PDF cache lives in default storage),
a loopback HTTP server that counts requests, and helpers reading PDFs back with pypdf."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader

from tests.conftest import BASE_RECORD

BASE_URL = "https://guide.example.gov.cn"


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Every test gets its own MEDIA_ROOT, so cached PDFs never leak between tests."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


class CountingServer:
    """A real HTTP server on 127.0.0.1 that answers 200 with a PNG to everything and records
    every request: a render that leaks a fetch is caught even if the fetch "succeeds"."""

    def __init__(self):
        requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(b"\x89PNG\r\n\x1a\n")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.requests = requests
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_server():
    with CountingServer() as server:
        yield server


def page_boxes(document, page_number: int):
    """Every box laid out on a page of a WeasyPrint Document."""
    return document.pages[page_number]._page_box.descendants()


def pdf_pages(content: bytes, *, flat: bool = False) -> list[str]:
    """Text of every page, as pypdf extracts it (margin boxes included); ``flat`` drops line
    breaks, so that text wrapped in a table cell reads as one string."""
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
    return [text.replace("\n", "") for text in pages] if flat else pages


def pdf_text(content: bytes) -> str:
    return "\n".join(pdf_pages(content))


def embedded_fonts(content: bytes) -> dict[str, set[str]]:
    """BaseFont name → the /FontFile keys of its descriptor, for every font used on any page."""
    fonts: dict[str, set[str]] = {}
    for page in PdfReader(io.BytesIO(content)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"]).lstrip("/")] = {
                key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor
            }
    return fonts


def structure_elements(content: bytes) -> list[tuple[str, tuple[str, ...], dict]]:
    """The tagged PDF's structure tree, depth first: (type, types of its ancestors, the element)
    for every structure element, e.g. ("TH", ("Document", "Sect", "Table", "THead", "TR"), {...})."""
    catalog = PdfReader(io.BytesIO(content)).trailer["/Root"]
    found: list[tuple[str, tuple[str, ...], dict]] = []

    def walk(node, ancestors: tuple[str, ...]) -> None:
        node = node.get_object()
        # Kids are structure elements, or marked-content references (integers, /MCR and /OBJR).
        if not hasattr(node, "get") or node.get("/Type") not in (None, "/StructElem") or "/S" not in node:
            return
        kind = str(node["/S"]).lstrip("/")
        found.append((kind, ancestors, node))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid, (*ancestors, kind))

    root = catalog["/StructTreeRoot"].get_object()
    kids = root.get("/K")
    for kid in kids if isinstance(kids, list) else [kids]:
        walk(kid, ())
    return found


def link_uris(content: bytes) -> list[str]:
    uris = []
    for page in PdfReader(io.BytesIO(content)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


FOOTER = re.compile(r"第 (\d+) 页 / 共 (\d+) 页")


def qr_codes(content: bytes) -> list[str]:
    """The distinct texts of the QR codes printed in the PDF, decoded from its images (zxing-cpp).
    WeasyPrint shares one resource dictionary between pages, so each page lists every image."""
    import zxingcpp

    found = []
    for page in PdfReader(io.BytesIO(content)).pages:
        for image in page.images:
            picture = image.image.convert("L")
            # Four pixels per module, as a scanner would see it printed.
            picture = picture.resize((picture.width * 4, picture.height * 4))
            found += [code.text for code in zxingcpp.read_barcodes(picture)]
    return list(dict.fromkeys(found))


def material(name: str, **fields) -> dict:
    return {**BASE_RECORD["materials"][0], "note": "", **fields, "name": name}
