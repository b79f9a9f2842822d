"""The preview of an unchanged guide in a real browser (Debian's Chromium through Playwright): the
form as Chromium submits it, text areas with CR LF line breaks, previews the live checklist."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from tests.editorial.test_preview import MATERIALS, SITUATIONS

# (serialized_rollback: the live server needs committed rows, and the test starts from the database
# as migrated, with Wagtail's root page, not from what an earlier transactional test flushed away)
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PREVIEW = """async (url) => {
  const form = document.getElementById('page-edit-form');
  const posted = await fetch(url, {method: 'POST', body: new FormData(form)});
  const state = await posted.json();
  const html = await (await fetch(url)).text();
  return [state.is_valid, html];
}"""


def test_chromium_previews_an_unchanged_guide_with_its_live_fingerprint(browser, live_server):
    from guides.importer import import_guides
    from portal.demo.loader import ensure_site
    from tests.conftest import build_hall, jsonl, make_record

    ensure_site()
    build_hall()
    import_guides(jsonl(make_record(situations=SITUATIONS, materials=MATERIALS)), publish=True)
    from guides.models import GuidePage

    page = GuidePage.objects.get()
    get_user_model().objects.create_superuser("admin", "admin@example.invalid", "pw")
    tab = browser.new_page()
    tab.goto(f"{live_server.url}/admin/login/")
    tab.fill("input[name=username]", "admin")
    tab.fill("input[name=password]", "pw")
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{live_server.url}/admin/")
    tab.goto(f"{live_server.url}/admin/pages/{page.pk}/edit/")
    valid, html = tab.evaluate(PREVIEW, f"/admin/pages/{page.pk}/edit/preview/")
    assert valid
    assert page.checklist_fingerprint in html
    assert re.findall(r"<legend>([^<]*)</legend>", html) == ["付款方式？", "是否委托他人办理？"]
