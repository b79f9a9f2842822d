"""Journeys are a kind of search result of their own, found through their member guides or
their names, whichever backend answers."""

import pytest

from journeys.search import journey_results
from portal.demo.loader import _load_json, add_journey
from search.service import search_guides
from tests.search.conftest import BACKENDS, backend_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def journeys(search_settings):
    return {data["slug"]: add_journey(data) for data in _load_json("journeys.json")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_member_guide_found_brings_its_journey(journeys, backend):
    outcome = search_guides("新生儿入户", backend=backend_name(backend), log=False)
    assert "YX-GM-0002" in [hit.page.code for hit in outcome.hits]
    results = journey_results(outcome)
    assert results[0]["slug"] == "xinshenger-chusheng"
    assert "YX-GM-0002" in results[0]["matched_members"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_journey_named_by_the_query_comes_first(journeys, backend):
    outcome = search_guides("开餐饮店", backend=backend_name(backend), log=False)
    assert journey_results(outcome)[0]["slug"] == "canyin-kaidian"


def test_search_page_and_api_list_journeys_apart_from_guides(client, journeys):
    html = client.get("/search/", {"q": "身后"}).content.decode()
    section = html.split('id="journey-results-heading"', 1)[1].split("</section>", 1)[0]
    assert f'href="{journeys["shenhou"].url}"' in section
    data = client.get("/api/v1/search/", {"q": "印章刻制"}).json()
    assert data["journeys"][0]["slug"] == "kaiban-qiye"
    assert all("slug" not in result for result in data["results"])
    assert client.get("/api/v1/search/", {"q": "印章刻制", "page": 2}).json()["journeys"] == []
