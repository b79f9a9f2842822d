"""GET /api/v1/changes/: from any cursor, every later event exactly once, in order."""

from __future__ import annotations

import pytest

from feed.models import ChangeEvent
from tests.feed.conftest import add_copy, publish_edit

pytestmark = pytest.mark.django_db


def poll(api, since: str, limit: int) -> tuple[list[int], str]:
    """Drain the log from ``since``; return the event ids seen and the final cursor."""
    seen = []
    while True:
        response = api("changes/", {"since": since, "limit": limit})
        assert response.status_code == 200, response.data
        seen += [event["id"] for event in response.data["events"]]
        assert response.data["next_cursor"] == (str(seen[-1]) if seen else since)
        since = response.data["next_cursor"]
        if not response.data["has_more"]:
            return seen, since


def test_from_every_position_every_later_event_once_in_order(catalogue, api, settings):
    settings.FEED_RATE_LIMIT = None
    page = catalogue[0]
    publish_edit(page, add_copy(page), note="复印件改为 2 份")
    catalogue[3].unpublish()
    ids = list(ChangeEvent.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 13
    for start in [0, *ids]:
        for limit in (1, 3, 200):
            seen, cursor = poll(api, str(start), limit)
            assert seen == [i for i in ids if i > start], (start, limit)
            assert cursor == str(ids[-1])


def head() -> str:
    """The cursor of the newest event (ids are not the same in every run: PostgreSQL does not
    hand a rolled-back test's ids out again)."""
    return str(ChangeEvent.objects.order_by("-id").values_list("id", flat=True)[0])


def test_the_event_body(catalogue, api):
    page = catalogue[0]
    cursor = head()
    publish_edit(page, add_copy(page), note="复印件改为 2 份")
    events = api("changes/", {"since": cursor}).data["events"]
    assert [e["type"] for e in events] == ["published", "checklist_changed"]
    event = events[1]
    stored = ChangeEvent.objects.get(pk=event["id"])
    assert event == {
        "id": stored.pk,
        "cursor": str(stored.pk),
        "type": "checklist_changed",
        "created_at": event["created_at"],
        "code": "T-JY-0001",
        "name": "食品经营许可证核发",
        "checklist_version": 2,
        "fingerprint": page.checklist_fingerprint,
        "change_note": "复印件改为 2 份",
        "changes": stored.changes,
        "guide_url": "http://testserver/api/v1/guides/T-JY-0001/",
    }
    assert event["created_at"].endswith("+08:00")
    # What changed in the checklist, field by field: one more copy of one material, nothing else.
    materials = event["changes"]["materials"]
    assert materials["added"] == materials["removed"] == []
    assert [change["field"] for material in materials["changed"] for change in material["fields"]] == ["copies"]


def test_polling_while_guides_are_published(catalogue, api, publish_guide):
    _, cursor = poll(api, "0", 50)
    assert api("changes/", {"since": cursor}).data["events"] == []
    publish_guide(code="T-GM-0003", category="公民类")
    seen, cursor = poll(api, cursor, 1)
    assert [ChangeEvent.objects.get(pk=i).code for i in seen] == ["T-GM-0003", "T-GM-0003"]
    assert poll(api, cursor, 1) == ([], cursor)


def test_nothing_new_is_one_indexed_query(catalogue, api, django_assert_num_queries):
    cursor = head()
    api("changes/", {"since": cursor})
    with django_assert_num_queries(1) as captured:
        response = api("changes/", {"since": cursor})
    assert response.data == {"events": [], "limit": 50, "has_more": False, "next_cursor": cursor}
    sql = captured.captured_queries[0]["sql"]
    assert f'"feed_changeevent"."id" > {cursor}' in sql and "JOIN" not in sql


def test_a_cursor_beyond_the_head_waits_for_new_events(site, api):
    assert api("changes/", {"since": "999"}).data["next_cursor"] == "999"


def test_bad_cursors_and_limits_are_400_problems(site, api):
    for params in ({"since": ""}, {"since": "-1"}, {"since": "abc"}, {"since": "1.5"}, {"since": "9" * 19}, {"limit": "0"}, {"limit": "500"}):
        response = api("changes/", params)
        assert response.status_code == 400, params
        assert response.data["parameter"] == next(iter(params))
