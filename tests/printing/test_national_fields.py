"""The printed sheets carry what a citizen and a clerk need of the national fields: the citizen's
sheet 办件类型, 中介服务, 特别程序 and 结果有效期 (time and cost, and what holds after); the
counter checklist 办件类型 and the steps' 审查标准, which are part of its fingerprint."""

from __future__ import annotations

import re

import pytest

from guides.importer import import_guides
from tests.conftest import jsonl
from tests.portal.test_national_fields import NATIONAL, REVIEW_STANDARD, national_record
from tests.printing.conftest import pdf_text

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return re.sub(r"\s+", "", pdf_text(body))


def test_the_citizen_sheet_and_the_counter_checklist(client, site):
    import_guides(jsonl(national_record()), publish=True)
    citizen = text_of(client.get("/g/T-JY-0001/pdf/"))
    for text in (
        "办件类型承诺件", "中介服务" + NATIONAL["intermediary_services"], "特别程序" + NATIONAL["special_procedures"],
        "结果有效期：5年",
    ):
        assert text in citizen, text
    # Who exercises the item is the web page's business; the sheet keeps to two pages.
    assert "委托部门" not in citizen and "联办机构" not in citizen
    counter = text_of(client.get("/g/T-JY-0001/counter.pdf"))
    assert "办件类型承诺件" in counter
    assert "审查标准受理" + REVIEW_STANDARD in counter


def test_a_sheet_without_them_has_none_of_their_headings(client, site):
    import_guides(jsonl(national_record(**dict.fromkeys(("handling_type", "intermediary_services", "special_procedures", "result_validity"), ""))), publish=True)
    citizen = text_of(client.get("/g/T-JY-0001/pdf/"))
    for label in ("办件类型", "中介服务", "特别程序", "结果有效期"):
        assert label not in citizen, label
