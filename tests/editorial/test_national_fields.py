"""Editors fill in the national fields in the guide's edit form; the form refuses a 办件类型 that
contradicts the promised limit, as the import does."""

import pytest
from django.test import Client

from guides.models import GuidePage
from tests.editorial.conftest import browser_form_data

pytestmark = pytest.mark.django_db


def test_an_editor_fills_them_in_and_a_contradiction_is_refused(guides, accounts):
    page = guides["own"]
    editor = Client()
    editor.force_login(accounts["editor"])
    url = f"/admin/pages/{page.pk}/edit/"
    html = editor.get(url).content.decode()
    for name in (
        "exercise_level", "entrusting_department", "co_handlers", "intermediary_services", "special_procedures",
        "handling_type", "result_validity", "materials-0-basis", "steps-1-review_standard",
    ):
        assert f'name="{name}"' in html, name
    data = browser_form_data(html)
    data.update(
        {
            "exercise_level": "县级", "entrusting_department": "江城市市场监督管理局", "co_handlers": "测试区税务局、测试区公安分局",
            "intermediary_services": "检测报告由检测机构出具", "special_procedures": "专家评审（5个工作日）",
            "result_validity": "5年", "materials-0-basis": "《食品安全法》第三十五条", "steps-1-review_standard": "材料齐全的，予以受理",
            "handling_type": "即办件",
        }
    )
    refused = editor.post(url, data)
    assert refused.status_code == 200
    assert "即办件的承诺办结时限应为即办，现为10个工作日" in refused.content.decode()
    assert not GuidePage.objects.get(pk=page.pk).get_latest_revision_as_object().entrusting_department

    data["handling_type"] = "承诺件"
    assert editor.post(url, data).status_code == 302
    draft = GuidePage.objects.get(pk=page.pk).get_latest_revision_as_object()
    assert (draft.exercise_level, draft.handling_type, draft.result_validity) == ("县级", "承诺件", "5年")
    assert draft.co_handlers == "测试区税务局、测试区公安分局"
    assert draft.materials.first().basis == "《食品安全法》第三十五条"
    assert [step.review_standard for step in draft.steps.all()][1] == "材料齐全的，予以受理"
