"""Journeys in English: the page, its part-of boxes on member guides and its sheet under /en/."""

import re

import pytest
from django.utils import translation

from tests.printing.conftest import pdf_text

pytestmark = pytest.mark.django_db


def flat(text):
    return re.sub(r"\s+", "", text)


def test_the_english_journey_page_and_part_of_box(client, journey, members):
    html = client.get("/en/journeys/baby/").content.decode()
    assert '<html lang="en"' in html and "新生儿出生一件事" in html
    assert '<link rel="alternate" hreflang="zh-Hans" href="http://testserver/journeys/baby/">' in html
    # The journeys cached for the part-of boxes serve both languages, each with its own links.
    with translation.override("zh-hans"):
        path = next(iter(members.values())).url
    chinese = client.get(path).content.decode()
    english = client.get(f"/en{path}").content.decode()
    assert 'href="/journeys/baby/"' in chinese and 'href="/en/journeys/baby/"' not in chinese
    assert 'href="/en/journeys/baby/"' in english


def test_the_english_journey_sheet(client, journey, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    chinese = flat(pdf_text(client.get("/j/baby/pdf/", {"q1": "否"}).content))
    english = pdf_text(client.get("/en/j/baby/pdf/", {"q1": "否"}).content)
    assert "合并清单指纹" in chinese
    assert "Merged checklist fingerprint" in english and "合并清单指纹" not in flat(english)
    assert "新生儿出生一件事" in flat(english)  # the journey as editors wrote it
    assert "/en/journeys/baby/" in flat(english)
