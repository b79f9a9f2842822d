"""The hall's floor-plan picture (楼层平面图): uploaded by an editor as a Wagtail image on the hall,
refused without the text that stands for it, shown on the hall page, linked from every guide of
the hall, carried in the guide record and the feed, and in the catalogue by its text only."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.core.management import call_command
from PIL import Image as PillowImage
from wagtail.images import get_image_model
from wagtail.test.utils.form_data import querydict_from_html

from guides.importer import ImportFailed, import_guides
from guides.models import ServiceHall
from guides.presentation import floor_plan_anchor

pytestmark = pytest.mark.django_db

ALT = '一楼：综合受理窗口1-9号在东区，出件窗口10-11号在西区 <script>alert("x")</script>'


def floor_plan_image(title: str = "大厅平面图"):
    buffer = io.BytesIO()
    PillowImage.new("RGB", (640, 400), (240, 240, 240)).save(buffer, format="PNG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name="floor-plan.png"))


@pytest.fixture
def planned_hall(site):
    hall = site["hall"]
    hall.floor_plan = floor_plan_image()
    hall.floor_plan_alt = ALT
    hall.full_clean()
    hall.save()
    return hall


def test_a_floor_plan_needs_its_text(site):
    hall = site["hall"]
    hall.floor_plan = floor_plan_image()
    hall.floor_plan_alt = "  "
    with pytest.raises(ValidationError) as error:
        hall.full_clean()
    assert error.value.message_dict == {"floor_plan_alt": ["上传了楼层平面图，请填写平面图文字说明（替代文本）"]}
    hall.floor_plan = None
    hall.full_clean()  # the text alone is no error


def test_the_admin_refuses_a_floor_plan_without_text_and_saves_one_with_it(client, site):
    client.force_login(get_user_model().objects.create_superuser("editor", "editor@example.invalid", "pw"))
    hall = site["hall"]
    image = floor_plan_image()
    url = f"/admin/snippets/guides/servicehall/edit/{hall.pk}/"
    response = client.get(url)
    assert response.status_code == 200 and "楼层平面图" in response.content.decode()
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    data["floor_plan"] = str(image.pk)
    data["floor_plan_alt"] = ""
    response = client.post(url, data)
    assert response.status_code == 200 and "请填写平面图文字说明" in response.content.decode()
    hall.refresh_from_db()
    assert hall.floor_plan_id is None

    data["floor_plan_alt"] = ALT
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    hall.refresh_from_db()
    assert hall.floor_plan_id == image.pk and hall.floor_plan_alt == ALT


def test_the_hall_page_shows_the_plan_and_every_guide_links_to_it(client, publish_guide, site):
    guide = publish_guide()
    html = client.get(guide.url).content.decode()
    assert "楼层平面图" not in html  # no plan yet: no link to one

    hall = site["hall"]
    hall.floor_plan, hall.floor_plan_alt = floor_plan_image(), ALT
    hall.save()
    image = hall.floor_plan
    anchor = floor_plan_anchor(hall.name)

    page = client.get("/hall/").content.decode()
    assert f'<figure class="floor-plan" id="{anchor}">' in page
    escaped = ALT.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert f'<img src="{image.file.url}" alt="{escaped}" width="640" height="400"' in page
    assert "<script>alert" not in page

    # The guide's cached record and page follow the hall's change.
    html = client.get(guide.url).content.decode()
    assert f'<a href="/hall/#{anchor}">查看大厅楼层平面图</a>' in html
    assert "<script>alert" not in html
    # The kiosk, which stands in the hall, shows the picture itself.
    kiosk = client.get(f"/kiosk/g/{guide.code}/").content.decode()
    assert f'<img src="{image.file.url}" alt="{escaped}"' in kiosk and "<script>alert" not in kiosk
    feed = client.get(f"/api/v1/guides/{guide.code}/").json()
    assert feed["hall"]["floor_plan"] == {"url": image.file.url, "width": 640, "height": 400, "alt": ALT}


def test_the_catalogue_carries_the_text_of_the_plan_not_the_picture(planned_hall, publish_guide, tmp_path):
    publish_guide()
    path = tmp_path / "catalogue.jsonl"
    stderr = io.StringIO()
    call_command("export_guides", str(path), stderr=stderr)
    assert "1 个服务大厅上传了楼层平面图" in stderr.getvalue()
    lines = path.read_text(encoding="utf-8").splitlines()
    index, hall_line = next((i, json.loads(line)) for i, line in enumerate(lines) if '"record":"hall"' in line)
    assert hall_line["floor_plan_alt"] == ALT and "floor_plan" not in hall_line

    # Read back into the same database: nothing changes, the picture stays.
    assert import_guides(lines).records[("hall", "unchanged")] == 1
    # A changed text comes back; the picture, not in the file, is kept.
    lines[index] = json.dumps(hall_line | {"floor_plan_alt": "平面图：一楼东区为受理窗口"}, ensure_ascii=False)
    assert import_guides(lines).records[("hall", "updated")] == 1
    hall = ServiceHall.objects.get()
    assert hall.floor_plan_id == planned_hall.floor_plan_id and hall.floor_plan_alt == "平面图：一楼东区为受理窗口"
    # A file without the text must not leave a picture without one.
    lines[index] = json.dumps(hall_line | {"floor_plan_alt": ""}, ensure_ascii=False)
    with pytest.raises(ImportFailed) as failure:
        import_guides(lines)
    assert any("请填写平面图文字说明" in str(error) for error in failure.value.errors), failure.value.errors
    assert ServiceHall.objects.get().floor_plan_alt == "平面图：一楼东区为受理窗口"
    # A file written before floor plans were exported leaves the text as it is.
    older = json.dumps({k: v for k, v in hall_line.items() if k != "floor_plan_alt"}, ensure_ascii=False)
    assert import_guides([*lines[:index], older, *lines[index + 1 :]]).records[("hall", "unchanged")] == 1
