"""A small published catalogue for the kiosk: one guide per section, two departments."""

from __future__ import annotations

import pytest

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
