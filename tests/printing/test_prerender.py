"""Pre-rendering: prerender(), the render_pdfs command and the background task."""

from __future__ import annotations

import gc
import io
import weakref

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from printing.cache import prerender
from printing.tasks import prerender_guide
from tests.printing.conftest import pdf_text
from tests.printing.test_views import stored

pytestmark = pytest.mark.django_db


def test_prerender_renders_the_sheets_and_every_answer_combination(publish_guide):
    page = publish_guide()
    report = prerender(page)
    assert report.ok and report.rendered == 4 and report.cached == 0
    names = [name.split("/")[1] for name in stored()]
    assert sum(name.startswith("all-citizen-") for name in names) == 1
    assert sum(name.startswith("all-counter-") for name in names) == 1
    assert sum("-citizen-" in name and not name.startswith("all-") for name in names) == 2
    again = prerender(page)
    assert again.rendered == 0 and again.cached == 4


def test_prerendered_sheet_is_what_the_url_serves(client, publish_guide):
    page = publish_guide()
    prerender(page)
    before = stored()
    response = client.get("/g/T-JY-0001/pdf/", {page.situations.get().key: "是"})
    assert response.status_code == 200
    assert stored() == before


def test_prerender_keeps_the_live_and_the_previous_revision(publish_guide):
    page = publish_guide()
    prerender(page, combinations=False)
    for summary in ("第二版简介。", "第三版简介。"):
        page = publish_guide(summary=summary)
        prerender(page, combinations=False)
    revisions = {name.split("/")[0] for name in stored()}
    assert len(revisions) == 2
    assert str(page.live_revision_id) in revisions


def test_render_pdfs_command(publish_guide):
    publish_guide()
    publish_guide(code="T-JY-0002", name="第二个事项", materials=[
        {"name": "申请表", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
         "source": "申请人自备", "note": "", "situation": None},
    ])
    out, err = io.StringIO(), io.StringIO()
    call_command("render_pdfs", "--all", "--workers", "1", stdout=out, stderr=err)
    assert "2 guides: 6 PDFs rendered, 0 already cached, 0 guides failed." in out.getvalue()
    assert len(stored("T-JY-0002")) == 2

    out = io.StringIO()
    call_command("render_pdfs", "--code", "t-jy-0001", "--workers", "1", stdout=out, stderr=io.StringIO())
    assert "1 guides: 0 PDFs rendered, 4 already cached" in out.getvalue()


def test_render_pdfs_needs_a_selection(publish_guide):
    publish_guide()
    with pytest.raises(CommandError):
        call_command("render_pdfs")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("render_pdfs", "--code", "NOPE", "--workers", "1")


def test_prerender_task(publish_guide):
    page = publish_guide()
    result = prerender_guide.enqueue(page.pk)
    assert result.return_value["rendered"] == 4
    assert default_storage.exists(f"pdf/{page.code}")


# The worker takes tasks in transactions of its own (BEGIN EXCLUSIVE on SQLite).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_publish_queues_the_render_for_the_database_worker(publish_guide, settings):
    """Production's queue (TASKS_BACKEND=database): the publish only writes a task row; the
    worker (``manage.py db_worker``, django-tasks-db) renders the sheets."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PRINTING_PRERENDER_ON_PUBLISH = True
    page = publish_guide()
    queued = DBTaskResult.objects.filter(task_path="printing.tasks.prerender_guide")
    assert [task.args_kwargs["args"] for task in queued] == [[page.pk]]
    assert stored() == []  # nothing rendered in the request

    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    task = queued.get()
    assert task.status == "SUCCESSFUL", task.exception_class_path
    assert task.return_value["rendered"] == 4 and task.return_value["failed"] == []
    assert len(stored()) == 4


def test_answers_with_the_same_checklist_share_one_sheet(client, publish_guide):
    # Only 有限责任公司 has a material of its own: 个人独资企业 and 合伙企业 give one checklist.
    page = publish_guide(
        situations=[{"question": "企业类型？", "options": ["有限责任公司", "个人独资企业", "合伙企业"]}],
        materials=[
            {"name": "申请书", "original": 1, "copies": 0, "form": "纸质", "necessity": "必要",
             "source": "申请人自备", "note": "", "situation": None},
            {"name": "公司章程", "original": 0, "copies": 1, "form": "纸质", "necessity": "必要",
             "source": "申请人自备", "note": "", "situation": "有限责任公司"},
        ],
    )
    key = page.situations.get().key
    report = prerender(page)
    # Unanswered, the counter checklist, and two checklists for three answers.
    assert report.ok and report.rendered == 4, report.as_dict()
    before = stored()
    sole = client.get("/g/T-JY-0001/pdf/", {key: "个人独资企业"})
    partnership = client.get("/g/T-JY-0001/pdf/", {key: "合伙企业"})
    company = client.get("/g/T-JY-0001/pdf/", {key: "有限责任公司"})
    assert sole.status_code == partnership.status_code == company.status_code == 200
    assert stored() == before, "a sheet was rendered that was already stored"
    assert sole["ETag"] == partnership["ETag"] != company["ETag"]
    # The sheet says which answers it is for, in words of its checklist.
    body = b"".join(partnership.streaming_content) if partnership.streaming else partnership.content
    text = pdf_text(body)
    assert "企业类型？ 个人独资企业或合伙企业" in text


def test_render_pdfs_workers_render_in_their_own_process(publish_guide, monkeypatch):
    import multiprocessing

    import printing.render
    from guides.serializers import serialize_guide
    from printing.render import RenderTimeout, render_guide_pdf_limited, render_in_this_process

    monkeypatch.setattr(printing.render, "_renders_here", False)
    record = serialize_guide(publish_guide())
    collecting = gc.isenabled()
    try:
        render_in_this_process()
        # The collector is off and what the process held is frozen, out of its passes.
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
        before = set(multiprocessing.active_children())
        # Cyclic garbage made between sheets is collected after the next sheet, without
        # automatic collection.
        garbage = Cycle()
        garbage.self = garbage
        collected = weakref.ref(garbage)
        del garbage
        pdf = render_guide_pdf_limited(record, kind="citizen", base_url="https://guide.example.gov.cn")
        assert pdf.startswith(b"%PDF-")
        assert set(multiprocessing.active_children()) == before, "a render worker was started"
        assert collected() is None, "the cycle made before the sheet outlived it"
        # The time limit holds inline too.
        with pytest.raises(RenderTimeout):
            render_guide_pdf_limited(record, timeout=0.01, kind="citizen", base_url="https://guide.example.gov.cn")
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()


class Cycle:
    """An object that can refer to itself (a reference cycle) and be watched by a weakref."""
