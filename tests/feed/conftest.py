"""Fixtures of the feed tests: a small published catalogue over three sections and departments,
and a JSON client for the API."""

from __future__ import annotations

import pytest

from tests.conftest import make_record

CATALOGUE = [
    {"code": "T-JY-0001"},
    {"code": "T-JY-0002", "name": "食品经营备案", "department": "测试区商务局", "item_type": "行政备案",
     "materials": [dict(material, marks=marks) for material, marks in zip(
         make_record()["materials"], (["告知承诺"], ["免提交"], [], []), strict=True)]},
    {"code": "T-GC-0001", "name": "建筑工程施工许可", "category": "工程类"},
    {"code": "T-GM-0001", "name": "居民身份证换领", "category": "公民类", "department": "测试区公安分局",
     "item_type": "公共服务"},
    {"code": "T-GM-0002", "name": "出生医学证明补发", "category": "公民类", "department": "测试区公安分局",
     "item_type": "行政确认"},
]


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalogue(publish_guide):
    """Five published guides, published in this order."""
    return [publish_guide(**overrides) for overrides in CATALOGUE]


@pytest.fixture
def api(client):
    """GET an API path and return the response with ``.data`` (decoded JSON, when any)."""

    def _get(path: str, params: dict | None = None, **headers):
        response = client.get(path if path.startswith("/") else f"/api/v1/{path}", params or {}, **headers)
        if response.get("Content-Type", "").split(";")[0] in {"application/json", "application/problem+json", "application/schema+json"} and not response.get("Content-Encoding"):
            response.data = response.json() if response.content else None
        return response

    return _get


def publish_edit(page, edit, *, note: str | None = None):
    """Edit the latest revision of a guide, publish it (with ``note`` as the revision's change
    note) and return the refreshed live page."""
    latest = page.get_latest_revision_as_object()
    edit(latest)
    if note is not None:
        latest.change_note = note
    latest.save_revision().publish()
    page.refresh_from_db()
    return page


def add_copy(page):
    """A checklist change: one more copy of the second material."""

    def edit(p):
        materials = list(p.materials.all())
        materials[1].copy_count += 1
        p.materials = materials

    return edit


__all__ = ["CATALOGUE", "add_copy", "make_record", "publish_edit"]
