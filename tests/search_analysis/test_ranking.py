"""search.ranking on hand-made candidates (no Django, no index)."""

from search.analysis import AnalyzedQuery, analyze_query, index_text, pinyin_index_text
from search.ranking import (
    MIN_RARITY,
    UNASKED_VARIANT_PENALTY,
    VARIANT_WORDS,
    Candidate,
    Vocabulary,
    rarity,
    rerank,
    score,
    weighted_tokens,
)
from tests.search_analysis.corpus import make_guides
from tests.search_analysis.test_citizen_queries import _rows as citizen_queries


def _guide(key, name, checklist="", text="", result=""):
    return Candidate.from_texts(key, index_text(name), index_text(checklist), index_text(text), index_text(result))


def _order(query, candidates):
    q = query if isinstance(query, AnalyzedQuery) else analyze_query(query)
    return [c.key for c in rerank(q, candidates)]


def test_rarity_is_per_field_and_bounded():
    guides = [_guide(i, f"事项{i}登记", text="身份证 登记") for i in range(9)]
    guides.append(_guide("sfz", "居民身份证补领", text="身份证 登记"))
    rare = rarity(guides, ["登记", "身份证", "无此词"])
    assert rare["登记"]["name"] < rare["身份证"]["name"]  # 9 names vs 1 name
    assert rare["身份证"]["text"] == rare["登记"]["text"] < rare["身份证"]["name"]  # in every text
    assert MIN_RARITY < rare["登记"]["text"] < 0.5
    assert rare["无此词"]["name"] == 1.0
    assert rarity(guides[:1], ["登记"]) == {"登记": {"name": 1.0, "alias": 1.0, "result": 1.0, "checklist": 1.0, "text": 1.0}}


def test_the_result_counts_after_the_name_and_before_the_materials():
    """营业执照 is what the business registrations produce and what hundreds of other guides ask
    for as a material: the guides that issue it come first, a guide named after it before them."""
    guides = [_guide(i, f"{trade}经营许可", checklist="营业执照 身份证") for i, trade in enumerate("烟酒药茶")]
    guides.append(_guide("company", "有限责任公司设立登记", checklist="身份证", result="营业执照（有限责任公司）"))
    assert _order("营业执照", guides)[0] == "company"
    guides.append(_guide("replace", "营业执照补领", checklist="身份证", result="营业执照"))
    assert _order("营业执照", guides)[:2] == ["replace", "company"]


def test_rare_words_outweigh_frequent_ones():
    guides = [
        _guide(i, name)
        for i, name in enumerate(["补领婚姻登记证", "生育登记", "失业登记", "出生登记"])
    ]
    guides.append(_guide("crane", "建筑起重机械使用登记"))
    # 塔吊 -> 起重机械 (a synonym) beats the own word 登记 that every name has.
    assert _order("塔吊装好了去哪登记", guides)[0] == "crane"


def test_unasked_variant_is_moved_down():
    new = _guide("new", "互联网上网服务营业场所经营单位设立审批")
    change = _guide("change", "互联网上网服务营业场所经营单位变更审批")
    assert _order("开网吧要办什么手续", [change, new]) == ["new", "change"]
    # Asked for (as a word or a synonym: 增加 -> 变更), the variant wins.
    assert _order("网吧 增加 电脑 台数", [new, change])[0] == "change"
    q = analyze_query("网吧")
    weights = weighted_tokens(q)
    assert score(q, new, weights) - score(q, change, weights) == UNASKED_VARIANT_PENALTY


def test_sub_words_count_for_part_of_their_word_only():
    exact = _guide("exact", "建设工程规划许可证核发（新办）")
    near = _guide("near", "建设用地规划许可证核发")
    q = AnalyzedQuery(
        normalized="工规证",
        tokens=("工规证",),
        synonym_tokens=("建设工程规划许可证",),
        subword_tokens=("建设", "工程", "规划", "许可", "许可证", "建设工程", "规划许可"),
    )
    assert _order(q, [near, exact]) == ["exact", "near"]


def test_sub_words_stand_in_for_a_word_no_guide_has():
    clinic = _guide("clinic", "诊所备案")
    other = _guide("other", "生产建设项目水土保持方案审批")
    # 口腔诊所 is in no guide: its sub-word 诊所 carries the query, not the generic 审批.
    assert _order("开个口腔诊所要审批吗", [other, clinic])[0] == "clinic"


def test_expansions_inside_a_matched_word_are_not_counted_twice():
    shop = _guide("shop", "药品零售经营许可证核发（新办）")
    q = AnalyzedQuery(normalized="x", tokens=("x",), synonym_tokens=("药品零售",))
    q2 = AnalyzedQuery(normalized="x", tokens=("x",), synonym_tokens=("药品零售", "零售", "药品"))
    assert score(q, shop) == score(q2, shop)


def test_name_coverage_of_own_words():
    both = _guide("both", "失业登记")
    one = _guide("one", "失业保险金申领")
    assert _order("失业 登记", [one, both])[0] == "both"


def test_empty_inputs():
    assert rerank(analyze_query(""), []) == []
    guide = _guide("a", "生育登记")
    assert rerank(analyze_query(""), [guide]) == [guide]


def test_candidates_built_from_the_query_vocabulary_rank_as_full_ones():
    """Candidates that keep only the tokens scoring looks at (substring search) must rank exactly
    as candidates that hold every token of their texts."""
    guides = make_guides(300, seed=7)
    texts = [
        (f"{index_text(g.name)} {pinyin_index_text(g.name)}", index_text(g.summary[:40]), index_text(g.summary),
         index_text(g.name[-4:]))
        for g in guides
    ]
    queries = [row[0] for row in citizen_queries()[:60]] + ["营业执照变更", "yyzz", "身份证丢了", "开饭店"]
    checked = 0
    for query in queries:
        analyzed = analyze_query(query)
        vocabulary = Vocabulary(analyzed)
        wanted = set(weighted_tokens(analyzed))
        matching = [i for i, t in enumerate(texts) if wanted & set(" ".join(t).split())][:50]
        full = [Candidate.from_texts(i, *texts[i]) for i in matching]
        lean = [Candidate.from_texts(i, *texts[i], vocabulary=vocabulary) for i in matching]
        for whole, kept in zip(full, lean, strict=True):
            assert kept.name == whole.name & (wanted | set(VARIANT_WORDS)), query
            assert kept.text == whole.text & wanted, query
        assert [c.key for c in rerank(analyzed, lean)] == [c.key for c in rerank(analyzed, full)], query
        checked += len(matching) > 1
    assert checked > 40
