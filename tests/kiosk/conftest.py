"""A small published catalogue for the kiosk (one guide per section, two departments), the demo
site, and a kiosk tab in Chromium (tests/browser.py) for the browser tests."""

from __future__ import annotations

import io

import pytest

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}

# Headless Chromium cannot print (a real print() from a PDF frame crashes the renderer there), so
# print() is replaced in every frame, before any script runs, by a recorder of the frame's address.
RECORD_PRINT = """
if (window === window.top) { window.__printCalls = []; }
window.print = function () {
  try { window.top.__printCalls.push(String(window.location.href)); } catch (error) {}
};
"""

# The kiosk page's own CSP (connect-src 'self') refuses a fetch() of a blob: address, so a test
# cannot read a printed sheet back through its address. The Blob behind every blob: address the
# page makes is kept instead, by address, to be read with a FileReader, which CSP does not govern.
RECORD_BLOBS = """
window.__blobs = {};
const createObjectURL = URL.createObjectURL;
URL.createObjectURL = function (object) {
  const address = createObjectURL.call(URL, object);
  window.__blobs[address] = object;
  return address;
};
"""

FOOD_CODE = "T-JY-0001"
ONLINE_URL = "https://zwfw.example.gov.cn/apply?item=T-JY-0001&channel=kiosk"


@pytest.fixture
def catalogue(publish_guide):
    plain_materials = [
        {
            "name": "居民身份证",
            "original": 1,
            "copies": 1,
            "form": "纸质",
            "necessity": "必要",
            "source": "政府部门核发",
            "note": "",
            "situation": None,
        },
    ]
    food = publish_guide(online_url=ONLINE_URL)
    publish_guide(
        code="T-GM-0001",
        name="居民身份证换领",
        category="公民类",
        department="测试区公安分局",
        item_type="公共服务",
        service_object=["自然人"],
        materials=plain_materials,
        online=False,
        result="居民身份证",
    )
    publish_guide(
        code="T-GC-0001",
        name="建筑工程施工许可证核发",
        category="工程类",
        department="测试区住房和城乡建设局",
        materials=plain_materials,
        online=False,
        result="建筑工程施工许可证",
    )
    return {"food": food}


LONG_DEPARTMENT = "江城市云溪区退役军人事务局军队离退休干部服务管理中心暨双拥工作领导小组办公室综合服务窗口"


@pytest.fixture
def demo(transactional_db):
    """The demo site of `make run`, one of its departments renamed to a very long name."""
    from django.core.management import call_command

    from guides.models import Department

    call_command("load_demo", stdout=io.StringIO())
    department = Department.objects.filter(guides__live=True).distinct().order_by("code").first()
    department.name = department.short_name = LONG_DEPARTMENT
    department.save()
    return department


@pytest.fixture
def kiosk_page(browser, live_server):
    """A page at portrait size that records every request and every print() call."""

    def _open(viewport=PORTRAIT):
        context = browser.new_context(viewport=viewport, has_touch=True, locale="zh-CN")
        context.add_init_script(RECORD_PRINT)
        context.add_init_script(RECORD_BLOBS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        opened.append(context)
        return page

    opened = []
    yield _open
    for context in opened:
        context.close()
