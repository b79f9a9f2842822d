import pytest
from django.core.exceptions import ValidationError

from guides.models import ChecklistVersion, GuideMaterial
from guides.serializers import checklist_of, serialize_guide

pytestmark = pytest.mark.django_db


def publish_edit(page, edit):
    latest = page.get_latest_revision_as_object()
    edit(latest)
    latest.save_revision().publish()
    page.refresh_from_db()
    return page


def test_first_publish_records_version_one(publish_guide):
    page = publish_guide()
    version = ChecklistVersion.objects.get(guide=page)
    assert (page.checklist_version, version.version) == (1, 1)
    assert version.fingerprint == page.checklist_fingerprint
    assert version.checklist["materials"][0]["name"] == "食品经营许可申请书"
    assert version.revision_id == page.live_revision_id


def test_summary_edit_keeps_the_version(publish_guide):
    page = publish_guide()
    fingerprint = page.checklist_fingerprint
    page = publish_edit(page, lambda p: setattr(p, "summary", "改写后的事项简介"))
    assert page.summary == "改写后的事项简介"
    assert (page.checklist_version, page.checklist_fingerprint) == (1, fingerprint)
    assert ChecklistVersion.objects.filter(guide=page).count() == 1


def test_copy_count_edit_bumps_the_version_once(publish_guide):
    page = publish_guide()

    def more_copies(p):
        materials = list(p.materials.all())
        materials[1].copy_count = 3
        p.materials = materials

    page = publish_edit(page, more_copies)
    assert page.checklist_version == 2
    # Publishing the same checklist again does not bump it a second time.
    page = publish_edit(page, lambda p: setattr(p, "summary", "再次发布"))
    assert page.checklist_version == 2
    versions = list(ChecklistVersion.objects.filter(guide=page).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].fingerprint != versions[1].fingerprint
    assert versions[1].fingerprint == checklist_of(serialize_guide(page))[1]


def test_publishing_an_old_revision_is_a_new_version_not_a_rollback(publish_guide):
    page = publish_guide()
    first_revision = page.live_revision

    def drop_material(p):
        p.materials = list(p.materials.all())[:-1]

    page = publish_edit(page, drop_material)
    assert page.checklist_version == 2
    first_revision.publish()
    page.refresh_from_db()
    # The checklist text is the same as version 1, but it is a new publication event.
    assert page.checklist_version == 3
    assert page.checklist_fingerprint == ChecklistVersion.objects.get(guide=page, version=1).fingerprint


def test_drafts_do_not_touch_the_published_checklist(publish_guide, client):
    page = publish_guide()
    latest = page.get_latest_revision_as_object()
    latest.materials = [*latest.materials.all(), GuideMaterial(name="新增材料", original_count=1)]
    latest.save_revision()
    page.refresh_from_db()
    assert page.checklist_version == 1
    assert ChecklistVersion.objects.filter(guide=page).count() == 1
    assert "新增材料" not in client.get(page.url).content.decode()


@pytest.mark.parametrize(
    "change,field,message",
    [
        (lambda p: setattr(p, "promised_limit_value", 30), "promised_limit_value", "承诺办结时限"),
        (lambda p: setattr(p, "phone", "12"), "phone", "电话号码"),
        (lambda p: setattr(p, "materials", []), "__all__", "至少需要一项申请材料"),
        (lambda p: setattr(p, "fee_charged", True), "fee_charged", "收费项目"),
    ],
)
def test_invalid_guides_are_refused_with_clear_messages(publish_guide, change, field, message):
    page = publish_guide()
    latest = page.get_latest_revision_as_object()
    change(latest)
    with pytest.raises(ValidationError) as error:
        latest.full_clean()
    assert any(message in text for text in error.value.message_dict[field])
    assert ChecklistVersion.objects.filter(guide=page).count() == 1


def test_material_must_name_a_declared_situation(publish_guide):
    page = publish_guide()
    latest = page.get_latest_revision_as_object()
    materials = list(latest.materials.all())
    materials[0].situation = "从未声明的情形"
    latest.materials = materials
    with pytest.raises(ValidationError, match="从未声明的情形"):
        latest.full_clean()


def test_intake_window_must_be_an_intake_window(publish_guide):
    from guides.models import ServiceWindow

    page = publish_guide()
    latest = page.get_latest_revision_as_object()
    latest.intake_window = ServiceWindow.objects.get(role="delivery")
    with pytest.raises(ValidationError) as error:
        latest.full_clean()
    assert any("不是综合受理窗口" in m for m in error.value.message_dict["intake_window"])
