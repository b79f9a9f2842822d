"""One checklist everywhere: for every guide of the corpus, the fingerprint on the web page, in
the intake feed, in the printed counter checklist and in the CPSV-AP export is the same, and an
edit of one material moves all of them together and bumps the version once."""

from __future__ import annotations

import io
import json
import re

import pytest
from pypdf import PdfReader

from guides.models import GuidePage
from guides.serializers import live_record
from printing.render import render_guide_pdf
from tests.conftest import imported_corpus

META = re.compile(r'<meta name="checklist-fingerprint" content="([0-9a-f]{64})">')
CPSV = re.compile(r'"yc:checklistFingerprint"\s*:\s*"([0-9a-f]{64})"')


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker):
    with imported_corpus(django_db_blocker):
        yield


def fingerprints(client, page) -> dict[str, str]:
    """The fingerprint as each channel shows it."""
    seen = {"stored": page.checklist_fingerprint}
    seen["web page"] = META.search(client.get(page.url).content.decode()).group(1)
    seen["feed"] = client.get(f"/api/v1/guides/{page.code}/").json()["checklist_fingerprint"]
    cpsv = CPSV.findall(client.get(f"/api/v1/cpsv-ap/guides/{page.code}/").content.decode())
    assert len(cpsv) == 1, cpsv
    seen["cpsv-ap"] = cpsv[0]
    pdf = render_guide_pdf(
        live_record(page), kind="counter", base_url="http://localhost", checklist_version=page.checklist_version
    )
    text = "".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    seen["counter pdf"] = page.checklist_fingerprint if page.checklist_fingerprint in re.sub(r"\s", "", text) else text[-300:]
    return seen


def test_every_channel_carries_the_same_fingerprint(corpus, db, client, settings):
    settings.FEED_RATE_LIMIT = None  # two feed requests per guide: faster than one client may ask
    pages = list(GuidePage.objects.live().order_by("code"))
    assert len(pages) == 250
    for page in pages:
        seen = fingerprints(client, page)
        assert len(set(seen.values())) == 1, (page.code, seen)


def test_editing_one_material_moves_every_channel_together(corpus, db, client):
    page = GuidePage.objects.live().order_by("code").first()
    before = fingerprints(client, page)
    cursor = "0"
    while True:
        poll = client.get("/api/v1/changes/", {"since": cursor, "limit": 200}).json()
        cursor = poll["next_cursor"]
        if not poll["has_more"]:
            break
    version = page.checklist_version

    draft = page.get_latest_revision_as_object()
    materials = list(draft.materials.all())
    materials[0].copy_count += 1
    draft.materials = materials
    draft.save_revision().publish()
    page.refresh_from_db()

    after = fingerprints(client, page)
    assert len(set(after.values())) == 1, after
    assert after["feed"] != before["feed"]
    assert page.checklist_version == version + 1
    feed = client.get(f"/api/v1/guides/{page.code}/").json()
    assert feed["checklist_version"] == version + 1
    # The intake system polling the change log hears of it, once.
    events = client.get("/api/v1/changes/", {"since": cursor}).json()["events"]
    assert [e["type"] for e in events if e["code"] == page.code].count("checklist_changed") == 1
    assert after["feed"] in json.dumps(events)
