"""What every feed endpoint shares: conditional requests, gzip, problem bodies, the rate limit,
the OpenAPI document and the docs page."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from django.utils.http import http_date
from openapi_spec_validator import validate as validate_openapi

from tests.feed.conftest import add_copy, publish_edit

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "guides/",
    "guides/T-JY-0001/",
    "guides/T-JY-0001/checklist/",
    "guides/T-JY-0001/checklist/verify/?fingerprint=000000000000",
    "changes/",
    "schema/",
    "schemas/guide.json",
    "docs/",
]


@pytest.fixture
def one_guide(publish_guide):
    return publish_guide()


def test_strong_etags_and_304(one_guide, api):
    for path in ENDPOINTS:
        first = api(path)
        assert first.status_code == 200, path
        etag = first["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{40}"', etag), path
        assert first["Cache-Control"] == "public, no-cache"
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = api(path, HTTP_IF_NONE_MATCH=header)
            assert again.status_code == 304, (path, header)
            assert again.content == b""
            assert again["ETag"] == etag
        assert api(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_publish_changes_the_etag_and_last_modified(one_guide, api):
    before = {path: api(path) for path in ENDPOINTS[:5]}
    assert before["guides/T-JY-0001/"]["Last-Modified"] == http_date(one_guide.last_published_at.timestamp())
    publish_edit(one_guide, add_copy(one_guide))
    for path, old in before.items():
        fresh = api(path, HTTP_IF_NONE_MATCH=old["ETag"])
        assert fresh.status_code == 200, path
        assert fresh["ETag"] != old["ETag"], path


def test_if_modified_since(one_guide, api):
    first = api("guides/T-JY-0001/")
    last_modified = first["Last-Modified"]
    assert api("guides/T-JY-0001/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    assert api("guides/T-JY-0001/", HTTP_IF_MODIFIED_SINCE="Sat, 01 Jan 2000 00:00:00 GMT").status_code == 200
    assert api("guides/T-JY-0001/", HTTP_IF_MODIFIED_SINCE="garbage").status_code == 200
    # If-None-Match wins over If-Modified-Since.
    response = api("guides/T-JY-0001/", HTTP_IF_MODIFIED_SINCE=last_modified, HTTP_IF_NONE_MATCH='"other"')
    assert response.status_code == 200


def test_gzip(one_guide, api):
    plain = api("guides/T-JY-0001/")
    packed = api("guides/T-JY-0001/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content)
    # A strong ETag per encoding; either one revalidates either encoding.
    assert packed["ETag"] == plain["ETag"][:-1] + '-gzip"'
    assert api("guides/T-JY-0001/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    assert api("guides/T-JY-0001/", HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304
    # The same body always compresses to the same bytes.
    assert api("guides/T-JY-0001/", HTTP_ACCEPT_ENCODING="gzip").content == packed.content


def assert_problem(response, status: int):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json; charset=utf-8"
    body = json.loads(response.content)
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    return body


def test_404_and_405_are_problems(one_guide, client):
    for path in ("/api/v1/guides/NOPE/", "/api/v1/guides/T-JY-0001/nothing/", "/api/v1/changes/x", "/api/v1/schemas/other.json"):
        assert_problem(client.get(path), 404)
    for method in ("post", "put", "patch", "delete", "options"):
        response = getattr(client, method)("/api/v1/guides/")
        assert_problem(response, 405)
        assert response["Allow"] == "GET, HEAD"
    head = client.head("/api/v1/guides/T-JY-0001/")
    assert head.status_code == 200 and head["ETag"]


def test_rate_limit(one_guide, client, settings):
    settings.FEED_RATE_LIMIT = "3/minute"
    responses = [client.get("/api/v1/changes/") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    limited = client.get("/api/v1/guides/T-JY-0001/")
    body = assert_problem(limited, 429)
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert body["title"] == "请求过于频繁"
    # Another client is not limited; nor is a 304 free.
    assert client.get("/api/v1/changes/", REMOTE_ADDR="10.0.0.2").status_code == 200
    assert client.get("/api/v1/changes/", REMOTE_ADDR="10.0.0.2", HTTP_IF_NONE_MATCH="*").status_code == 304


def test_rate_limit_behind_a_proxy(one_guide, client, settings):
    settings.FEED_RATE_LIMIT = (1, 60)
    settings.FEED_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert client.get("/api/v1/changes/", HTTP_X_FORWARDED_FOR="spoofed, 192.0.2.1").status_code == 200
    assert client.get("/api/v1/changes/", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    assert client.get("/api/v1/changes/", HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 200


def test_rate_limit_can_be_disabled(site, client, settings):
    settings.FEED_RATE_LIMIT = None
    assert all(client.get("/api/v1/changes/").status_code == 200 for _ in range(130))


def test_the_openapi_document_is_valid_and_covers_every_route(site, api):
    from feed import urls

    document = api("schema/").data
    validate_openapi(document)
    assert document["openapi"] == "3.1.0"
    routes = {
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        for pattern in urls.urlpatterns
        if "^" not in str(pattern.pattern)
    }
    assert set(document["paths"]) == routes - {"/docs/"}
    for item in document["paths"].values():
        responses = item["get"]["responses"]
        assert {"200", "304", "429"} <= set(responses)


def test_the_guide_json_schema_is_versioned(site, api):
    schema = api("schemas/guide.json")
    assert schema["Content-Type"] == "application/schema+json; charset=utf-8"
    assert schema.data["$id"] == "http://testserver/api/v1/schemas/guide/v1.json"
    assert api("schemas/guide/v1.json").data == schema.data


def test_the_docs_page_renders_without_external_assets(site, api):
    response = api("docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    for text in ("/api/v1/guides/{code}/checklist/verify/", "/api/v1/changes/", "X-Yichuang-Signature", "Idempotency-Key", "application/problem+json", "ChecklistVerification"):
        assert text in html, text
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", html)
