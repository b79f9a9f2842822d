"""The restricted URL fetcher: data: URIs and files below the static and media roots only;
nothing from the network, no traversal, no symlink escape, every attempt recorded."""

from __future__ import annotations

import base64
import io
import logging

import pytest
from PIL import Image

from printing.fetcher import RefusedURL, RestrictedURLFetcher
from printing.render import html_to_pdf

BASE_URL = "http://testserver"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (31, 95, 168)).save(buffer, format="PNG")
    return buffer.getvalue()


def refused_urls(server_url: str) -> list[str]:
    return [
        "file:///etc/passwd",
        f"{server_url}/x.png",
        "http://127.0.0.1:1/x.png",
        f"http://[::1]:{server_url.rsplit(':', 1)[1]}/x.png",
        "http://localhost/x.png",
        "http://169.254.169.254/latest/meta-data",
        "https://example.com/a.png",
        "ftp://example.com/a.png",
        "gopher://127.0.0.1:70/x",
        "//example.com/protocol-relative.png",
    ]


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("top secret")
    return path


def test_every_kind_of_reference_in_html_is_refused_without_network(http_server, caplog):
    server = http_server.url
    html = f"""<!DOCTYPE html><html lang="zh-CN"><head>
      <link rel="stylesheet" href="{server}/style.css">
      <link rel="stylesheet" href="file:///etc/passwd">
      <style>
        @import url({server}/import.css);
        @font-face {{ font-family: Evil; src: url({server}/font.woff2); }}
        body {{ background: url({server}/bg.png); font-family: Evil, sans-serif; }}
        li::before {{ content: url(http://169.254.169.254/latest/meta-data); }}
      </style></head><body>
      <p>正文</p>
      <img src="file:///etc/passwd"><img src="{server}/img.png">
      <img src="http://169.254.169.254/latest/meta-data"><img src="https://example.com/a.png">
      <img src="http://[::1]:{http_server.port}/v6.png">
      <div style="background-image: url('{server}/inline.png')">x</div>
      <svg width="10" height="10"><image href="{server}/svg.png" width="10" height="10"/></svg>
      <object data="{server}/object.svg"></object><embed src="{server}/embed.svg">
      <ul><li>列表</li></ul>
    </body></html>"""
    fetcher = RestrictedURLFetcher(base_url=BASE_URL)
    with caplog.at_level(logging.WARNING, logger="printing"):
        pdf = html_to_pdf(html, base_url=BASE_URL, url_fetcher=fetcher)

    assert pdf.startswith(b"%PDF-")
    assert http_server.requests == []
    assert fetcher.attempts, "the fetcher was not consulted"
    assert all(not attempt.allowed for attempt in fetcher.attempts), fetcher.attempts
    tried = {attempt.url for attempt in fetcher.attempts}
    for expected in (
        f"{server}/style.css",
        "file:///etc/passwd",
        f"{server}/import.css",
        f"{server}/font.woff2",
        f"{server}/bg.png",
        f"{server}/img.png",
        "http://169.254.169.254/latest/meta-data",
        "https://example.com/a.png",
        f"{server}/inline.png",
        f"{server}/svg.png",
    ):
        assert expected in tried, expected
    assert any("refused" in record.getMessage() for record in caplog.records)


def test_direct_fetches_of_forbidden_urls_raise_and_are_recorded(http_server):
    fetcher = RestrictedURLFetcher(base_url=BASE_URL)
    for url in refused_urls(http_server.url):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert len(fetcher.refused) == len(refused_urls(http_server.url))
    assert http_server.requests == []


def test_data_uris_are_served():
    png = png_bytes()
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    fetcher = RestrictedURLFetcher(base_url=BASE_URL)
    response = fetcher.fetch(uri)
    assert response.read() == png
    html = f'<p>图</p><img src="{uri}" style="width: 10mm">'
    assert html_to_pdf(html, base_url=BASE_URL, url_fetcher=fetcher).startswith(b"%PDF-")
    assert all(attempt.allowed for attempt in fetcher.attempts)


def test_media_and_static_files_are_served_by_path_and_by_site_url(media_root, settings, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    settings.STATIC_ROOT = static
    settings.STATICFILES_DIRS = []
    (media_root / "logos").mkdir()
    (media_root / "logos" / "hall.png").write_bytes(png_bytes())
    (static / "mark.png").write_bytes(png_bytes())

    fetcher = RestrictedURLFetcher(base_url=BASE_URL)
    assert fetcher.fetch((media_root / "logos" / "hall.png").as_uri()).read() == png_bytes()
    assert fetcher.fetch(f"{BASE_URL}/media/logos/hall.png").read() == png_bytes()
    assert fetcher.fetch(f"{BASE_URL}/static/mark.png").read() == png_bytes()
    # Same path on another host is not ours.
    with pytest.raises(RefusedURL):
        fetcher.fetch("http://other.example/media/logos/hall.png")
    html = f'<img src="/media/logos/hall.png"><img src="{(static / "mark.png").as_uri()}">'
    pdf = html_to_pdf(html, base_url=BASE_URL, url_fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert [a.allowed for a in fetcher.attempts[-2:]] == [True, True]


def test_traversal_and_symlinks_out_of_the_roots_are_refused(media_root, secret):
    (media_root / "inside.txt").write_text("fine")
    (media_root / "escape").symlink_to(secret)
    (media_root / "escape-dir").symlink_to(secret.parent, target_is_directory=True)
    (media_root / "alias").symlink_to(media_root / "inside.txt")
    fetcher = RestrictedURLFetcher(base_url=BASE_URL)

    assert fetcher.fetch((media_root / "inside.txt").as_uri()).read() == b"fine"
    assert fetcher.fetch((media_root / "alias").as_uri()).read() == b"fine"
    for url in (
        f"file://{media_root}/../secret.txt",
        f"file://{media_root}/%2e%2e/secret.txt",
        (media_root / "escape").as_uri(),
        f"{(media_root / 'escape-dir').as_uri()}/secret.txt",
        f"{BASE_URL}/media/../secret.txt",
        f"{BASE_URL}/media/%2e%2e/secret.txt",
        f"{BASE_URL}/media/escape",
        f"{BASE_URL}/media//etc/passwd",
        f"file://{media_root}/missing.png",
        f"file://{media_root}",
        "file://remote-host/etc/passwd",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_a_refused_image_does_not_stop_the_sheet(http_server):
    html = f'<h1>标题</h1><img src="{http_server.url}/a.png" alt="图片"><p>正文继续</p>'
    fetcher = RestrictedURLFetcher(base_url=BASE_URL)
    pdf = html_to_pdf(html, base_url=BASE_URL, url_fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert http_server.requests == []
