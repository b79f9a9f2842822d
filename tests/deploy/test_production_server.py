"""The production stack as `make serve` runs it (gunicorn with ``portal.gunicorn`` under
``portal.settings.production``, static files collected), started from the repo on a free port:
pages, their hashed and compressed static files, the security headers, and every absolute URL
starting with PUBLIC_BASE_URL (QR code, canonical link, sitemap, Atom, CPSV-AP loaded by PyLD)."""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.deploy.conftest import fetch

# These tests start portals of their own on SQLite files (the embedded default), whatever the
# pass's test database: run once, in the SQLite pass.
pytestmark = pytest.mark.sqlite

CODE = "YX-JY-0001"


def _static_link(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, f"no {pattern} in the page"
    return match.group(1)


def _guide_path(server) -> str:
    status, headers, _ = fetch(f"{server.url}/g/{CODE}/")
    assert status == 302, status
    return headers["Location"]


def test_pages_css_and_kiosk_script_are_served_hashed_and_compressed(production_server):
    status, headers, body = fetch(f"{production_server.url}/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    css = _static_link(body.decode(), r'<link rel="stylesheet" href="(/static/css/portal\.[0-9a-f]{12}\.css)">')

    status, headers, body = fetch(f"{production_server.url}/kiosk/")
    assert status == 200
    script = _static_link(body.decode(), r'<script src="(/static/kiosk/kiosk\.[0-9a-f]{12}\.js)" defer>')

    for path, content_type, marker in ((css, "text/css", b".site-header"), (script, "text/javascript", b"kiosk")):
        status, headers, body = fetch(f"{production_server.url}{path}", {"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["Content-Type"].split(";")[0] == content_type
        assert headers["Content-Encoding"] == "gzip"
        assert marker in gzip.decompress(body)
        # A hashed name never changes its content: cached for good.
        assert "immutable" in headers["Cache-Control"]
        status, headers, body = fetch(f"{production_server.url}{path}")
        assert status == 200 and "Content-Encoding" not in headers and marker in body


PUBLIC_PATHS = ["/", "/search/?q=%E8%90%A5%E4%B8%9A", "/kiosk/", f"/kiosk/g/{CODE}/", "/api/v1/guides/", "/api/v1/docs/", "/no-such-page/"]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_responses_carry_the_strict_policy_and_the_other_headers(production_server, path):
    status, headers, _ = fetch(f"{production_server.url}{path}")
    assert status in (200, 404), (path, status)
    policy = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_guide_page_and_its_sheet(production_server):
    for _ in range(2):  # rendered, then from the shared page cache: the same headers
        status, headers, _ = fetch(f"{production_server.url}{_guide_path(production_server)}")
        assert status == 200 and "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and "camera=()" in headers["Permissions-Policy"]
    status, headers, _ = fetch(f"{production_server.url}/g/{CODE}/pdf/")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    # The kiosk's print page and the admin preview frame the sheet: same origin only.
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"


def test_the_admin_has_its_own_looser_policy_never_none(production_server):
    status, headers, body = fetch(f"{production_server.url}/admin/login/")
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "camera=()" in headers["Permissions-Policy"]


def test_static_files_carry_the_headers_too(production_server):
    status, headers, body = fetch(f"{production_server.url}/")
    css = _static_link(body.decode(), r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"')
    status, headers, _ = fetch(f"{production_server.url}{css}")
    assert status == 200 and "default-src 'self'" in headers["Content-Security-Policy"]
    assert "Permissions-Policy" in headers


def test_sheet_qr_code_decodes_to_the_public_short_link(production_server):
    from tests.printing.conftest import qr_codes

    status, _, body = fetch(f"{production_server.url}/g/{CODE}/pdf/")
    assert status == 200
    assert qr_codes(body) == [f"{production_server.url}/g/{CODE}/"]


def test_every_absolute_url_starts_with_the_public_base_url(production_server):
    base = production_server.url
    # The Host header a client happens to send changes nothing.
    other_host = {"Host": "localhost"}
    status, _, body = fetch(f"{base}{_guide_path(production_server)}", other_host)
    html = body.decode()
    assert status == 200
    canonical = _static_link(html, r'<link rel="canonical" href="([^"]+)">')
    assert canonical.startswith(f"{base}/")
    jsonld = json.loads(_static_link(html, r'<script type="application/ld\+json">(.*?)</script>'))
    assert jsonld["url"] == canonical

    status, _, body = fetch(f"{base}/sitemap.xml", other_host)
    locations = [element.text for element in ET.fromstring(body).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locations) > 10 and all(location.startswith(f"{base}/") for location in locations)

    status, _, body = fetch(f"{base}/changes.atom", other_host)
    feed = ET.fromstring(body)
    atom = "{http://www.w3.org/2005/Atom}"
    links = [link.get("href") for link in feed.iter(f"{atom}link")]
    assert links and all(link.startswith(f"{base}/") for link in links)
    summaries = list(feed.iter(f"{atom}summary"))
    assert summaries and {summary.get("type") for summary in summaries} == {"text"}

    status, _, body = fetch(f"{base}/api/v1/guides/{CODE}/", other_host)
    record = json.loads(body)
    assert record["short_url"] == f"{base}/g/{CODE}/"
    assert record["pdf_url"] == f"{base}/g/{CODE}/pdf/"
    assert record["url"] == canonical


def test_cpsv_ap_export_loads_in_a_json_ld_processor_that_fetches_its_context(production_server):
    from pyld import jsonld

    base = production_server.url
    status, headers, body = fetch(f"{base}/api/v1/cpsv-ap/guides/{CODE}/", {"Host": "localhost"})
    assert status == 200, body[:300]
    document = json.loads(body)
    assert document["@context"] == f"{base}/api/v1/cpsv-ap/context.jsonld"

    fetched = []
    load_over_http = jsonld.requests_document_loader(timeout=30)

    def loader(url, options=None):
        fetched.append(url)
        return load_over_http(url, options or {})

    expanded = jsonld.expand(document, {"documentLoader": loader})
    assert fetched == [f"{base}/api/v1/cpsv-ap/context.jsonld"]
    ids = [node["@id"] for node in expanded if "@id" in node]
    # The portal's own nodes (service, evidence, channels …), beside the EU's vocabularies; none
    # named after the Host header the client sent.
    own = [node_id for node_id in ids if urlsplit(node_id).hostname in ("127.0.0.1", "localhost")]
    assert len(own) > 3 and all(node_id.startswith(f"{base}/") for node_id in own), own
    services = [node for node in expanded if "http://purl.org/vocab/cpsv#PublicService" in node.get("@type", [])]
    assert len(services) == 1


def test_the_task_worker_runs_beside_the_web_server(production_server):
    """Last in the module, after requests that wrote (the admin's, the sheets'): the task worker
    polls the same SQLite database, and neither it nor the web workers failed on its lock (either
    one ending stops the whole stack)."""
    assert production_server.process.poll() is None, production_server.output()[-3000:]
    commands = []
    for pid in production_server.descendants():
        try:
            commands.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    assert any("db_worker" in command for command in commands), commands
    assert "database is locked" not in production_server.output()
