"""A small journey over three published guides, built through the same path as the demo's."""

from __future__ import annotations

import pytest

AGENT = {"question": "是否委托他人办理？", "options": ["委托他人办理"]}


def material(name, type_="证件证书证明", original=1, copies=0, situation=None):
    return {"name": name, "type": type_, "original": original, "copies": copies, "form": "纸质", "necessity": "必要",
            "source": "申请人自备", "note": "", "situation": situation}


MEMBERS = {
    "T-GM-0101": dict(
        name="出生医学证明签发", category="公民类", situations=[AGENT],
        materials=[material("父母身份证", copies=1), material("结婚证"),
                   material("授权委托书", "申请表格文书", situation="委托他人办理")],
    ),
    "T-GM-0102": dict(
        name="出生登记", category="公民类", situations=[AGENT],
        materials=[material("父母身份证", copies=2), material("户口簿"),
                   material("授权委托书", "申请表格文书", situation="委托他人办理")],
    ),
    "T-GM-0103": dict(
        name="城乡居民医保参保登记", category="公民类", situations=[],
        materials=[material("居民户口簿", original=2), material("参保登记表", "申请表格文书")],
    ),
}

JOURNEY = {
    "slug": "baby",
    "title": "新生儿出生一件事",
    "audience": "person",
    "intro": "宝宝出生后要办的事，材料只备一套。",
    "steps": [
        {"title": "出生医学证明", "logic": "and", "members": [["T-GM-0101", "required"]]},
        {"title": "落户", "logic": "and", "members": [["T-GM-0102", "required"]]},
        {"title": "参保", "logic": "and", "members": [["T-GM-0103", "optional"]]},
    ],
    "questions": [{"key": "q1", "question": "是否委托他人办理？", "options": "委托他人办理",
                   "maps": [["T-GM-0101", "s1"], ["T-GM-0102", "s1"]]}],
    "links": [{"label": "户口簿", "materials": [["T-GM-0102", "户口簿"], ["T-GM-0103", "居民户口簿"]]}],
}


@pytest.fixture
def members(publish_guide):
    return {code: publish_guide(code=code, **fields) for code, fields in MEMBERS.items()}


@pytest.fixture
def journey(members):
    from portal.demo.loader import add_journey

    return add_journey(JOURNEY)
