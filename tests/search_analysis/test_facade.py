from search.analysis import (
    MAX_QUERY_TOKENS,
    AnalyzedQuery,
    SynonymSet,
    analyze_for_index,
    analyze_query,
    index_text,
    is_safe_token,
    pinyin_index_text,
)


def _index_set(text):
    return set(index_text(text).split())


def test_analyze_for_index_returns_space_joined_tokens_per_field():
    out = analyze_for_index(
        {"title": "个体工商户营业执照注销", "summary": "申请人应当提交注销登记申请书", "empty": "",
         "none": None, "number": 42}
    )
    assert out["title"] == "个体工商户 个体 工商 商户 工商户 营业执照 营业 执照 注销"
    assert "注销登记" in out["summary"].split()
    assert out["empty"] == "" and out["none"] == "" and out["number"] == "42"


def test_pinyin_index_text():
    tokens = pinyin_index_text("个体工商户营业执照注销").split()
    assert "yyzz" in tokens and "yingyezhizhao" in tokens
    assert pinyin_index_text(None) == ""


def test_analyzed_query_fields():
    q = analyze_query("开奶茶店要办什么证")
    assert isinstance(q, AnalyzedQuery)
    assert q.normalized == "开奶茶店要办什么证"
    assert q.tokens == ("开", "奶茶店", "证")
    assert "食品经营许可" in q.synonym_tokens
    assert not q.is_pinyin and q.pinyin_tokens == ()
    assert q.all_tokens[:3] == q.tokens


def test_query_tokens_meet_index_tokens():
    guide = _index_set("食品经营许可证核发（餐饮服务）")
    assert set(analyze_query("开奶茶店要办什么证").all_tokens) & guide
    guide = _index_set("不动产转移登记")
    assert set(analyze_query("不动产登记").all_tokens) & guide
    assert "不动产" in analyze_query("不动产登记").subword_tokens


def test_typo_query_finds_the_right_guide_through_corrections():
    q = analyze_query("劳动仲材怎么申请")
    assert "劳动仲裁" in q.correction_tokens
    assert "劳动仲裁" in _index_set("劳动人事争议仲裁申请（劳动仲裁）")


def test_traditional_and_full_width_queries():
    assert analyze_query("營業執照").tokens == ("营业执照",)
    q = analyze_query("ＹＹＺＺ")
    assert q.tokens == ("yyzz",) and q.is_pinyin and q.pinyin_tokens == ("yyzz",)
    assert set(q.pinyin_tokens) & set(pinyin_index_text("个体工商户营业执照注销").split())


def test_pinyin_routing():
    q = analyze_query("ying ye zhi zhao")
    assert q.is_pinyin
    assert "yingyezhizhao" in q.pinyin_tokens


def test_synonyms_can_be_disabled_or_replaced():
    assert analyze_query("医保", SynonymSet.empty()).synonym_tokens == ()
    custom = SynonymSet([("医保", "医疗保障")], tokenizer=lambda s: [s])
    assert analyze_query("医保", custom).synonym_tokens == ("医疗保障",)


def test_fts_syntax_is_neutralised():
    for query in ['" * OR NEAR( - :', 'title:营业执照 OR 1=1', '营业执照" AND "注销',
                  "NOT 医保*", "^护照", "{a b}", "a AND b OR c NOT d"]:
        q = analyze_query(query)
        assert all(is_safe_token(t) for t in q.all_tokens + q.pinyin_tokens), (query, q)
        for op in ("and", "or", "not", "near"):
            assert op not in q.all_tokens
    assert analyze_query('" * OR NEAR( - :').is_empty


def test_empty_and_junk_queries():
    for query in [None, "", "   ", "？！。", "\x00\x01", "😀😀", 12345]:
        q = analyze_query(query)
        assert isinstance(q, AnalyzedQuery)
    assert analyze_query("😀").is_empty
    # Digits are looked for whole, as a fragment of an item code too.
    assert analyze_query(12345).code_tokens == ("12345",) == analyze_query(12345).all_tokens[:1]


def test_long_queries_are_capped():
    q = analyze_query("营业执照身份证居住证护照社保卡医保公积金" * 500)
    assert len(q.tokens) <= MAX_QUERY_TOKENS
    assert len(q.all_tokens) <= MAX_QUERY_TOKENS
    assert len(q.normalized) <= 256
