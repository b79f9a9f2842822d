"""Sheets in the language of their address: /en/g/<code>/pdf/ prints the sheet's words in
English and the guide as written, is stored and looked up apart from the Chinese sheet, and links
to the English page (the journey sheet: tests/journeys/test_english.py)."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage

from tests.printing.conftest import pdf_text

pytestmark = pytest.mark.django_db
CODE = "T-JY-0001"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def stored_names() -> list[str]:
    names = []
    directories, _files = default_storage.listdir(f"pdf/{CODE}")
    for directory in directories:
        names += default_storage.listdir(f"pdf/{CODE}/{directory}")[1]
    return sorted(names)


def test_the_english_citizen_sheet(client, publish_guide, django_assert_max_num_queries):
    page = publish_guide()
    chinese = client.get(f"/g/{CODE}/pdf/")
    english = client.get(f"/en/g/{CODE}/pdf/")
    assert chinese.status_code == english.status_code == 200
    zh, en = flat(pdf_text(body(chinese))), flat(pdf_text(body(english)))
    # The sheet's words in English, the guide as editors wrote it, the one checklist fingerprint.
    assert "Checklist fingerprint" in en and "清单指纹" not in en
    assert "清单指纹" in zh and "Checklist fingerprint" not in zh
    assert "食品经营许可证核发" in en and "食品经营许可申请书" in en
    assert page.checklist_fingerprint in en and page.checklist_fingerprint in zh
    # Its QR code and printed address lead to the English page.
    assert f"http://testserver/en/g/{CODE}/" in en.replace(" ", "")
    assert f"http://testserver/g/{CODE}/" in zh.replace(" ", "") and "/en/g/" not in zh
    # Stored apart, and each served again from its own file.
    names = stored_names()
    assert len(names) == 2
    assert any("-citizen-en-" in name for name in names) and any("-citizen-zh-hans-" in name for name in names)
    with django_assert_max_num_queries(0):
        again = client.get(f"/en/g/{CODE}/pdf/")
    assert body(again) == body(english)


def test_the_english_counter_checklist(client, publish_guide):
    publish_guide()
    text = flat(pdf_text(body(client.get(f"/en/g/{CODE}/counter.pdf"))))
    assert "Counter checklist" in text and "受理清单（窗口收件核对用）" not in text
    assert "Required" in text  # 必要, a value of the record shown in English

