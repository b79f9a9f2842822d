"""Journeys in the catalogue file: export_guides writes them, import_guides reads them back with
the same merged checklist, and a journey line that names no known guide or has the wrong shape is
refused with its line, writing nothing. (The restore of the demo's journeys into an empty database
is tests/portal/test_restore.py.)"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from guides.importer import ImportFailed, import_guides
from journeys.models import JourneyPage
from journeys.records import build_journey_view

pytestmark = pytest.mark.django_db

ANSWER = {"q1": "是"}


def export_lines(tmp_path) -> list[str]:
    path = tmp_path / "catalogue.jsonl"
    call_command("export_guides", str(path), stderr=io.StringIO())
    return path.read_text(encoding="utf-8").splitlines()


def journey_lines(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines if json.loads(line).get("record") == "journey"]


def test_a_journey_deleted_after_the_export_comes_back_with_its_merged_checklist(tmp_path, journey):
    before = {answers: build_journey_view(journey, dict(answers)).merged.fingerprint for answers in ((), tuple(ANSWER.items()))}
    lines = export_lines(tmp_path)
    [line] = journey_lines(lines)
    assert line["steps"][1] == {"title": "落户", "logic": "and", "note": "", "members": [["T-GM-0102", "required"]]}
    assert line["links"] == [{"label": "户口簿", "materials": [["T-GM-0102", "户口簿"], ["T-GM-0103", "居民户口簿"]]}]
    assert line["page"]["live"] is True

    journey.delete()
    report = import_guides(lines)
    assert report.records[("journey", "created")] == 1
    restored = JourneyPage.objects.live().get(slug="baby")
    after = {answers: build_journey_view(restored, dict(answers)).merged.fingerprint for answers in before}
    assert after == before and len(set(after.values())) == 2
    assert restored.first_published_at == dt.datetime.fromisoformat(line["page"]["first_published_at"])
    # (imported into a database with pages, not a restore: the journey is given a new id)
    assert restored.pk != line["page"]["id"]
    assert journey_lines(export_lines(tmp_path)) == [line | {"page": line["page"] | {"id": restored.pk}}]

    # Read again: nothing to change.
    assert import_guides(lines).records[("journey", "unchanged")] == 1


def test_a_withdrawn_journey_stays_withdrawn(tmp_path, journey):
    JourneyPage.objects.get(pk=journey.pk).unpublish()  # the page as published, not the instance added
    lines = export_lines(tmp_path)
    journey.delete()
    import_guides(lines)
    restored = JourneyPage.objects.get(slug="baby")
    assert not restored.live and restored.first_published_at is not None


def test_a_journey_naming_an_unknown_guide_is_refused_whole(tmp_path, journey):
    lines = export_lines(tmp_path)
    number, line = next((n, json.loads(text)) for n, text in enumerate(lines, start=1) if '"record":"journey"' in text)
    line["steps"][0]["members"][0][0] = "T-GM-9999"
    lines[number - 1] = json.dumps(line, ensure_ascii=False)
    journey.delete()
    with pytest.raises(ImportFailed) as failed:
        import_guides(lines)
    [error] = failed.value.errors
    assert error.line == number and "T-GM-9999" in error.message
    assert not JourneyPage.objects.exists()


def test_a_journey_line_of_the_wrong_shape_says_what_is_wrong(tmp_path, journey):
    lines = export_lines(tmp_path)
    number = next(n for n, text in enumerate(lines, start=1) if '"record":"journey"' in text)
    line = json.loads(lines[number - 1])
    line["steps"][0]["members"] = "T-GM-0101"
    lines[number - 1] = json.dumps(line, ensure_ascii=False)
    with pytest.raises(ImportFailed) as failed:
        import_guides(lines)
    errors = failed.value.errors
    # The bad line, and the header: the journey it counts was not read.
    assert {error.line for error in errors} == {1, number}, errors
    assert any(error.line == number and "steps.members" in error.message for error in errors), errors
