import re

import pytest

from guides.models import GuidePage
from journeys.records import build_journey_view
from tests.printing.conftest import pdf_text

pytestmark = pytest.mark.django_db


def get(client, path, params=None):
    response = client.get(path, params or {})
    return response, response.json()


def test_journey_list_names_members(client, journey):
    response, data = get(client, "/api/v1/journeys/")
    assert response.status_code == 200
    [item] = data["items"]
    assert item["slug"] == "baby" and item["name"] == "新生儿出生一件事" and item["audience"] == "person"
    assert item["member_codes"] == ["T-GM-0101", "T-GM-0102", "T-GM-0103"]
    assert item["api_url"].endswith("/api/v1/journeys/baby/") and item["pdf_url"].endswith("/j/baby/pdf/")


def test_journey_detail_has_member_fingerprints_and_the_merged_checklist(client, journey, members):
    response, data = get(client, "/api/v1/journeys/baby/", {"q1": "否"})
    assert response.status_code == 200
    fingerprints = {m["code"]: m["fingerprint"] for step in data["steps"] for m in step["members"]}
    assert fingerprints == {code: page.checklist_fingerprint for code, page in members.items()}
    assert [step["members"][0]["required"] for step in data["steps"]] == [True, True, False]
    merged = data["merged_checklist"]
    assert (merged["material_count"], merged["item_material_count"]) == (4, 6)
    assert merged["answers"] == {"q1": "否"} and data["answered"] == ["是否委托他人办理？ 否"]
    assert merged["fingerprint"] == build_journey_view(journey, {"q1": "否"}).merged.fingerprint
    ids = next(m for m in merged["materials"] if m["name"] == "父母身份证")
    assert ids["copies"] == 2 and [n["code"] for n in ids["needed_by"]] == ["T-GM-0101", "T-GM-0102"]
    book = next(m for m in merged["materials"] if m["name"] == "户口簿")
    assert book["linked"] and book["original"] == 2
    # The page for the same answers carries the same fingerprint.
    assert merged["fingerprint"] in client.get(journey.url, {"q1": "否"}).content.decode()
    _, unanswered = get(client, "/api/v1/journeys/baby/")
    assert unanswered["merged_checklist"]["fingerprint"] != merged["fingerprint"]


@pytest.mark.parametrize("params", [{"q1": "也许"}, {"q2": "是"}, {"x": "1"}, {"q1": ""}])
def test_bad_answers_are_clear_errors(client, journey, params):
    response = client.get("/api/v1/journeys/baby/", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["parameter"] == next(iter(params))


def test_unknown_journey_is_404(client, journey):
    assert client.get("/api/v1/journeys/nothing/").status_code == 404
    assert client.get("/api/v1/journeys/baby/extra/").status_code == 404


def test_openapi_describes_the_journey_endpoints(client):
    document = client.get("/api/v1/schema/").json()
    assert {"/journeys/", "/journeys/{slug}/"} <= set(document["paths"])
    assert "MergedChecklist" in document["components"]["schemas"]
    checklist = document["paths"]["/guides/{code}/checklist/"]["get"]["parameters"]
    assert any(p.get("name") == "answers" and p.get("explode") for p in checklist)


def test_guide_checklist_for_answers_is_the_printed_sheet(client, members, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    guide = GuidePage.objects.get(code="T-GM-0102")
    response, data = get(client, "/api/v1/guides/T-GM-0102/checklist/", {"s1": "否"})
    assert response.status_code == 200
    assert data["answers"] == {"s1": "否"}
    names = [m["name"] for m in data["materials"]]
    assert names == ["父母身份证", "户口簿"]
    assert data["fingerprint"] == guide.checklist_fingerprint
    sheet = client.get("/g/T-GM-0102/pdf/", {"s1": "否"})
    text = re.sub(r"\s+", "", pdf_text(b"".join(sheet.streaming_content) if sheet.streaming else sheet.content))
    assert data["fingerprint"] in text
    for name in names:
        assert name in text
    assert "授权委托书" not in text
    assert re.search(rf"共{len(names)}项材料", text)
    # Without answers the conditional material stays, marked as such.
    _, everything = get(client, "/api/v1/guides/T-GM-0102/checklist/")
    assert [m["applies"] for m in everything["materials"]] == [True, True, None]


@pytest.mark.parametrize("params", [{"s1": "也许"}, {"s9": "是"}, {"foo": "bar"}])
def test_guide_checklist_rejects_bad_answers(client, members, params):
    response = client.get("/api/v1/guides/T-GM-0102/checklist/", params)
    assert response.status_code == 400 and response.json()["parameter"] == next(iter(params))
