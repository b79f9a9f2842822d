"""Previewing an unchanged guide shows what is live: the same material and question order, the
same checklist fingerprint. A browser submits multi-line text areas with CR LF, so rows with such
fields come back as changed; rows imported without a sort order used to sort apart from them."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from guides.models import GuideMaterial, GuideSituation
from tests.editorial.conftest import browser_form_data

pytestmark = pytest.mark.django_db

SITUATIONS = [
    {"question": "付款方式？", "options": ["全款购房", "贷款购房"]},
    {"question": "是否委托他人办理？", "options": ["委托他人办理"]},
]
MATERIALS = [
    {"name": "不动产登记申请书", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
     "source": "申请人自备", "note": "买卖双方签字\n并按手印", "situation": None},
    {"name": "买卖双方居民身份证", "original": 1, "copies": 1, "form": "纸质", "necessity": "必要",
     "source": "政府部门核发", "note": "", "situation": None},
    {"name": "抵押合同", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
     "source": "申请人自备", "note": "", "situation": "贷款购房"},
    {"name": "授权委托书", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
     "source": "申请人自备", "note": "", "situation": "委托他人办理"},
]


@pytest.fixture
def guide(publish_guide):
    return publish_guide(situations=SITUATIONS, materials=MATERIALS)


def preview_of_unchanged_form(page) -> str:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.invalid", "pw"))
    data = browser_form_data(client.get(f"/admin/pages/{page.pk}/edit/").content.decode())
    assert "\r\n" in data["situations-0-options"]  # as a browser sends it
    assert client.post(f"/admin/pages/{page.pk}/edit/preview/", data).json() == {"is_valid": True, "is_available": True}
    return client.get(f"/admin/pages/{page.pk}/edit/preview/").content.decode()


def questions(html: str) -> list[str]:
    return re.findall(r"<legend>([^<]*)</legend>", html)


def test_preview_of_an_unchanged_guide_shows_the_live_fingerprint_and_order(guide):
    live = Client().get(guide.url).content.decode()
    preview = preview_of_unchanged_form(guide)
    assert guide.checklist_fingerprint in live
    assert guide.checklist_fingerprint in preview
    assert questions(preview) == questions(live) == ["付款方式？", "是否委托他人办理？"]


def test_rows_imported_without_sort_order_keep_their_order_in_the_preview(guide):
    """Guides imported before rows were numbered have no sort order at all."""
    for model in (GuideMaterial, GuideSituation):
        model.objects.filter(guide=guide).update(sort_order=None)
    guide.refresh_from_db()
    preview = preview_of_unchanged_form(guide)
    assert guide.checklist_fingerprint in preview
    assert questions(preview) == ["付款方式？", "是否委托他人办理？"]


def test_imported_rows_are_numbered_in_record_order(guide):
    names = list(GuideMaterial.objects.filter(guide=guide).order_by("sort_order").values_list("name", "sort_order"))
    assert names == [(material["name"], position) for position, material in enumerate(MATERIALS)]
