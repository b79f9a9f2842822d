import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page

from guides.importer import import_guides
from journeys.models import JourneyPage
from journeys.records import build_journey_view
from tests.conftest import jsonl, make_record
from tests.journeys.conftest import JOURNEY, MEMBERS

pytestmark = pytest.mark.django_db


def total(html):
    return re.search(r"共需 (\d+) 份材料（分项合计 (\d+) 份）", html).groups()


def test_journey_page_shows_steps_and_the_merged_checklist(client, journey):
    html = client.get(journey.url).content.decode()
    assert "新生儿出生一件事" in html
    for number, title in ((1, "出生医学证明"), (2, "落户"), (3, "参保")):
        assert f"第 {number} 步：{title}" in html
    assert "选办" in html and "必办" in html
    # 3 + 3 + 2 item by item; 父母身份证, 授权委托书 (same name and type) and 户口簿 (linked) merged.
    assert total(html) == ("5", "8")
    row = re.search(r"<th scope=\"row\">父母身份证.*?</tr>", html, re.S).group(0)
    assert "复印件 2 份" in row and "出生医学证明签发" in row and "出生登记" in row
    view = build_journey_view(journey)
    assert f'<meta name="checklist-fingerprint" content="{view.merged.fingerprint}">' in html


def test_answers_filter_every_member_and_change_the_fingerprint(client, journey):
    unanswered = client.get(journey.url).content.decode()
    answered = client.get(journey.url, {"q1": "否"}).content.decode()
    assert total(answered) == ("4", "6")
    assert "授权委托书" not in answered
    fingerprint = re.compile(r'name="checklist-fingerprint" content="([0-9a-f]{64})"')
    assert fingerprint.search(unanswered).group(1) != fingerprint.search(answered).group(1)
    # A malformed answer is ignored, as on a guide page.
    assert total(client.get(journey.url, {"q1": "也许"}).content.decode()) == ("5", "8")


def test_fingerprint_changes_when_a_member_checklist_is_republished(client, journey):
    before = build_journey_view(journey).merged.fingerprint
    fields = {**MEMBERS["T-GM-0103"], "materials": [*MEMBERS["T-GM-0103"]["materials"]]}
    fields["materials"].append({"name": "新生儿照片", "type": "其他", "original": 1, "copies": 0, "form": "纸质",
                                "necessity": "必要", "source": "申请人自备", "note": "", "situation": None})
    import_guides(jsonl(make_record(code="T-GM-0103", **fields)), publish=True)
    after = build_journey_view(JourneyPage.objects.get(pk=journey.pk)).merged
    assert after.fingerprint != before
    html = client.get(journey.url).content.decode()
    assert "新生儿照片" in html and total(html) == ("6", "9")
    assert after.fingerprint in html


def test_index_lists_the_journey(client, journey):
    index = journey.get_parent()
    html = client.get(index.url).content.decode()
    assert index.url == "/journeys/"
    assert f'href="{journey.url}"' in html and "新生儿出生一件事" in html


def test_member_guide_page_says_which_journey_and_step(client, journey, members):
    html = client.get(members["T-GM-0102"].url).content.decode()
    box = re.search(r'<aside class="part-of".*?</aside>', html, re.S).group(0)
    assert "属于：" in box and f'href="{journey.url}"' in box
    assert "（第 2 步，共 3 步）" in box
    assert 'rel="prev" href="/g/T-GM-0101/"' in box and "第 1 步 出生医学证明" in box
    assert 'rel="next" href="/g/T-GM-0103/"' in box and "第 3 步 参保" in box
    first = client.get(members["T-GM-0101"].url).content.decode()
    assert "（第 1 步，共 3 步）" in first and 'rel="prev"' not in first


def test_publishing_a_journey_invalidates_its_members_cached_pages(client, members):
    from portal.demo.loader import add_journey

    url = members["T-GM-0102"].url
    assert 'class="part-of"' not in client.get(url).content.decode()  # now cached
    journey = add_journey(JOURNEY)
    assert "（第 2 步，共 3 步）" in client.get(url).content.decode()
    journey.title = "新生儿一件事（更名）"
    journey.save_revision().publish()
    assert "新生儿一件事（更名）" in client.get(url).content.decode()
    journey.unpublish()
    assert 'class="part-of"' not in client.get(url).content.decode()


def test_only_the_centre_edits_journeys(client, journey, django_user_model):
    editors = Group.objects.create(name="部门编辑（测试）")
    root = Page.get_first_root_node()
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(group=editors, page=root, permission=Permission.objects.get(codename=codename))
    admin_access = Permission.objects.get(codename="access_admin")
    editor = django_user_model.objects.create_user("editor", password="pw-editor-1")
    editor.groups.add(editors)
    editor.user_permissions.add(admin_access)
    tester = journey.permissions_for_user(editor)
    assert not tester.can_edit() and not tester.can_publish() and not tester.can_delete()
    assert not journey.get_parent().specific.permissions_for_user(editor).can_add_subpage()
    # The same group permissions on a guide still let the editor edit it.
    guide = Page.objects.get(title="出生登记").specific
    assert guide.permissions_for_user(editor).can_edit()
    client.force_login(editor)
    # Wagtail's admin answers a refusal with a redirect to the dashboard and a message.
    for url in (reverse("wagtailadmin_pages:edit", args=[journey.pk]), reverse("journeys_merge_review", args=[journey.pk])):
        response = client.get(url)
        assert response.status_code in (302, 403) and response.get("Location", "/admin/") == "/admin/"

    reviewer = django_user_model.objects.create_user("reviewer", password="pw-reviewer-1")
    reviewer.groups.add(editors)
    reviewer.user_permissions.add(admin_access, Permission.objects.get(codename="manage_journeys"))
    assert journey.permissions_for_user(reviewer).can_edit()
    client.force_login(reviewer)
    assert client.get(reverse("wagtailadmin_pages:edit", args=[journey.pk])).status_code == 200


def test_editors_review_the_merge_in_the_admin(client, journey, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.invalid", "pw-admin-1")
    client.force_login(admin)
    html = client.get(reverse("journeys_merge_review", args=[journey.pk])).content.decode()
    assert total(html) == ("5", "8")
    row = re.search(r"<td>户口簿<br>.*?</tr>", html, re.S).group(0)
    assert "编辑指定合并" in row and "T-GM-0102" in row and "居民户口簿" in row
    row = re.search(r"<td>父母身份证<br>.*?</tr>", html, re.S).group(0)
    assert "名称和类型相同" in row
    explorer = client.get(reverse("wagtailadmin_explore", args=[journey.get_parent().pk])).content.decode()
    assert reverse("journeys_merge_review", args=[journey.pk]) in explorer


def test_a_shared_question_must_map_onto_a_member_situation(journey):
    journey = JourneyPage.objects.get(pk=journey.pk)
    raw = journey.questions.raw_data
    raw[0]["value"]["mappings"][0]["value"]["situation_key"] = "s9"
    journey.questions = raw
    with pytest.raises(Exception, match="没有情形"):
        journey.full_clean()
