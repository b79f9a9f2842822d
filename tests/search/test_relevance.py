"""Issue 18 on both backends, over the corpus and the demo site: citizen queries in every style
(abbreviations, pinyin initials, code fragments, life situations in sentences) on the held-out
set, precise result lists with reasons and whole-word highlights, and suggestions beyond names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search.evaluation import evaluate, read_judgements
from search.precision import measure_precision, read_precision_judgements
from search.service import search_guides
from tests.search.conftest import BACKENDS, backend_name

QUERIES_DIR = Path(__file__).resolve().parents[1] / "search_analysis"
HELD_OUT = QUERIES_DIR / "queries_heldout.tsv"
FRESH = QUERIES_DIR / "queries_fresh.tsv"
TUNING = QUERIES_DIR / "queries_tuning.tsv"
PRECISION = QUERIES_DIR / "precision_judgements.tsv"


def codes(query: str, backend: str) -> list[str]:
    return [hit.page.code for hit in search_guides(query, backend=backend_name(backend), log=False).hits]


def report_of(path: Path, backend: str):
    judgements = read_judgements(path.read_text(encoding="utf-8").splitlines())
    return judgements, evaluate(judgements, lambda q: codes(q, backend))


def styles_of(judgements) -> set[str]:
    return {judgement.kind for judgement in judgements}


@pytest.mark.parametrize("backend", BACKENDS)
def test_fresh_held_out_citizen_queries(search_settings, backend):
    """The held-out set: written after the first one had been partly seen, committed before it
    was ever run, never tuned on (its header says how). Issue 18 asks for R@1 ≥ 0.90, R@3 ≥ 0.98
    and no query without results (README, Search)."""
    judgements, report = report_of(FRESH, backend)
    assert {"abbreviation", "initials", "code", "sentence"} <= styles_of(judgements)
    assert len(judgements) >= 120
    # Plain numbers only: a failure must not print which held-out queries missed.
    r1, r3, zero = report.recall(1), report.recall(3), report.zero_results
    del report
    print(f"fresh held-out {backend}: R@1 {r1:.3f} R@3 {r3:.3f} zero {zero}")
    assert r1 >= 0.90
    assert r3 >= 0.98
    assert zero == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_held_out_citizen_queries(search_settings, backend):
    """The first held-out set, tuned on since one of its misses was seen (its header says so):
    held at what it reached. Before issue 18: R@1 0.667, R@3 0.750, 27 without results."""
    judgements, report = report_of(HELD_OUT, backend)
    failures = "\n".join(f"{j.query} → {','.join(j.codes)} got {','.join(top)}" for j, top in report.failures)
    print(f"first held-out {backend}: R@1 {report.recall(1):.3f} R@3 {report.recall(3):.3f}")
    assert report.recall(1) >= 0.91 and report.recall(3) >= 0.99, failures
    assert report.zero_results == 0, failures


@pytest.mark.parametrize("backend", BACKENDS)
def test_tuning_citizen_queries(search_settings, backend):
    judgements, report = report_of(TUNING, backend)
    failures = "\n".join(f"{j.query} → {','.join(j.codes)} got {','.join(top)}" for j, top in report.failures)
    print(f"tuning {backend}: R@1 {report.recall(1):.3f} R@3 {report.recall(3):.3f} MRR {report.mrr:.3f}")
    assert report.recall(1) >= 0.9 and report.recall(3) >= 0.95, failures
    assert report.zero_results <= 1, failures


@pytest.mark.parametrize("backend", BACKENDS)
def test_code_fragments_find_the_guide(search_settings, backend):
    for query in ("lwjy0015", "JY-0015", "lw jy 0015", "LW-JY-0015", "事项编码 LW-JY-0015"):
        assert codes(query, backend)[:2] and "LW-JY-0015" in codes(query, backend)[:2], query
    found = codes("0015", backend)
    assert {"LW-GC-0015", "LW-JY-0015", "LW-GM-0015"} <= set(found[:6])
    hit = search_guides("lwjy0015", backend=backend_name(backend), log=False).hits[0]
    assert hit.page.code == "LW-JY-0015" and hit.reason == "事项编码：LW-JY-0015"


@pytest.mark.parametrize("backend", BACKENDS)
def test_abbreviations_and_their_initials(search_settings, backend):
    cases = {
        "出生证": "LW-GM-0032", "csz": "LW-GM-0032", "民非": "LW-JY-0060", "无犯证明": "LW-GM-0015",
        # An abbreviation of what the guide issues stays whole in the query (网络文化经营许可证).
        "网文证办理": "LW-JY-0038",
        # Initials of two sub-words of one long word (食品经营 in 食品经营许可证).
        "spjy": "LW-JY-0015",
    }  # fmt: skip
    for query, code in cases.items():
        hits = search_guides(query, backend=backend_name(backend), log=False).hits
        assert hits and code in {hit.page.code for hit in hits[:2]}, query
    first = search_guides("csz", backend=backend_name(backend), log=False).hits[0]
    assert first.reason == "又称：出生证"


@pytest.mark.parametrize("backend", BACKENDS)
def test_initials_typed_loosely_find_the_guide_and_nonsense_finds_nothing(search_settings, backend):
    """Initials that match no index token whole are read again, as a last resort: an action the
    name does not say (hkbbl: 户口本 + 办理), a letter too many, two swapped."""
    cases = {"hkbbl": "LW-GM-0008", "sfzbb": "LW-GM-0011", "yyzzbb": "LW-JY-0012", "jzzz": "LW-GM-0013", "zjz": "LW-GM-0013"}
    for query, code in cases.items():
        assert code in codes(query, backend)[:3], query
    for nonsense in ("qxzwk", "xkcdqz", "zzzzz"):
        assert codes(nonsense, backend) == [], nonsense
    assert codes("阿拉丁神灯", backend) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tea_shop_finds_the_business_registration_in_a_short_list(search_settings, backend):
    """开奶茶店要办什么证 matched 63 of the demo's 75 guides, 个体工商户设立登记 at #12."""
    from guides.models import GuidePage

    outcome = search_guides("开奶茶店要办什么证", backend=backend_name(backend), log=False)
    shown = [hit.page.code for hit in outcome.hits]
    assert {"YX-JY-0001", "LW-JY-0008"} & set(shown[:6]), shown
    assert {"YX-JY-0005", "LW-JY-0015"} & set(shown[:3]), shown
    assert not outcome.related
    assert outcome.total <= 30 < GuidePage.objects.live().count() / 10
    for hit in outcome.hits:
        marks = re.findall(r"<mark>(.*?)</mark>", str(hit.snippet))
        assert all(len(mark) > 1 for mark in marks), (hit.page.code, marks)  # never 开 or 证 alone
        assert hit.reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_licence_finds_the_guides_that_issue_it_and_says_so(search_settings, backend):
    """营业执照 returned 37 results, most of them guides that merely ask for a licence."""
    from guides.models import GuidePage

    live = GuidePage.objects.live()
    issuers = set(live.filter(result_name__contains="营业执照").values_list("code", flat=True))
    named = set(live.filter(title__contains="营业执照").values_list("code", flat=True))
    asking = live.filter(search_checklist__contains="营业执照").exclude(code__in=issuers | named).count()
    assert asking > 50
    outcome = search_guides("营业执照", backend=backend_name(backend), log=False)
    listed = {hit.page.code for hit in outcome.hits}
    assert listed and listed <= issuers | named
    assert outcome.total == len(issuers | named) <= 15
    for hit in outcome.hits:
        assert hit.reason in (f"办理结果：{hit.page.result_name}", "事项名称：营业执照"), hit.reason


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_common_word_alone_lists_maybe_related_guides(search_settings, backend, client):
    """登记 is in a large share of the catalogue's names: nothing tells a guide apart."""
    outcome = search_guides("登记", backend=backend_name(backend), log=False)
    assert outcome.related and outcome.hits
    data = client.get("/api/v1/search/", {"q": "登记"}).json()
    assert data["related"] is True
    assert "可能相关" in client.get("/search/", {"q": "登记"}).content.decode()
    assert search_guides("居住证", backend=backend_name(backend), log=False).related is False


@pytest.mark.parametrize("backend", BACKENDS)
def test_precision_on_the_labelled_queries(search_settings, backend):
    """Before issue 18 (main, SQLite): P@10 0.217 with 135.6 results a query on average."""
    judgements = read_precision_judgements(PRECISION.read_text(encoding="utf-8").splitlines())
    figures = measure_precision(judgements, backend_name(backend))
    print(f"precision {backend}: {figures}")
    assert figures.precision_at_10 >= 0.45
    assert figures.recall_at_10 >= 0.85
    assert figures.mean_listed <= 12


def test_each_result_says_why_in_the_page_and_the_api(search_settings, client):
    html = client.get("/search/", {"q": "营业执照"}).content.decode()
    assert "匹配：办理结果：" in html
    data = client.get("/api/v1/search/", {"q": "csz"}).json()
    assert data["results"][0]["code"] == "LW-GM-0032" and data["results"][0]["reason"] == "又称：出生证"
    assert data["results"][0]["click_url"].startswith("/search/click/?")


def suggestions(client, query: str) -> list[dict]:
    response = client.get("/api/v1/search/suggest/", {"q": query})
    assert response.status_code == 200
    return response.json()["suggestions"]


def test_suggest_finds_codes_from_any_fragment(search_settings, client):
    for fragment in ("lwjy0015", "jy0015", "JY-0015", "LW-JY-0015"):
        found = suggestions(client, fragment)
        assert "LW-JY-0015" in [s["code"] for s in found], fragment
    found = suggestions(client, "0024")  # the kiosk's own example: digits of a code
    assert {"LW-GC-0024", "LW-JY-0024", "LW-GM-0024", "YX-JY-0024", "YX-GM-0024"} <= {s["code"] for s in found}
    assert all(s["match"] == "code" and s["reason"] == f"事项编码：{s['code']}" for s in found)


def test_suggest_leads_from_results_and_materials_to_guides(search_settings, client):
    # The kiosk's example YYZZ: the guides that issue a business licence, and why.
    found = suggestions(client, "YYZZ")
    by_code = {s["code"]: s for s in found}
    assert {"YX-JY-0001", "YX-JY-0002"} <= set(by_code)  # the demo names no guide after the licence
    assert by_code["YX-JY-0001"]["reason"] == "办理结果：营业执照（个体工商户）"
    assert by_code["YX-JY-0001"]["match"] == "result"
    assert [s["match"] for s in found] == sorted((s["match"] for s in found), key=["name", "alias", "code", "result", "material"].index)
    # A document a guide asks for leads to that guide.
    found = suggestions(client, "预防接种证")
    assert any(s["match"] == "material" and s["reason"].startswith("申请材料：") for s in found)
    # An alias, typed in initials.
    found = suggestions(client, "csz")
    assert found[0]["code"] == "LW-GM-0032" and found[0]["reason"] == "又称：出生证"
    assert suggestions(client, "spjy") and all("食品经营" in s["name"] for s in suggestions(client, "spjy")[:3])


def test_the_kiosk_lists_its_own_examples_with_their_reasons(search_settings, client):
    html = client.get("/kiosk/", {"q": "yyzz"}).content.decode()
    assert "办理结果：营业执照（个体工商户）" in html
    html = client.get("/kiosk/", {"q": "0024"}).content.decode()
    assert "YX-JY-0024" in html and "事项编码：YX-JY-0024" in html
