from search.analysis.synonyms import SYNONYMS_PATH, SynonymSet, parse_rows


def test_seed_file_is_substantial_and_well_formed():
    text = SYNONYMS_PATH.read_text(encoding="utf-8")
    rows = parse_rows(text)
    assert len(rows) >= 150
    data_lines = [
        line for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert len(data_lines) == len(rows)  # no malformed line silently dropped


def test_colloquial_phrases_expand_to_official_terms():
    syn = SynonymSet.default()
    cases = {
        "开奶茶店要办什么证": {"食品经营许可", "餐饮服务"},
        "孩子上户口": {"户籍登记", "出生登记", "落户"},
        "身份证丢了怎么办": {"居民身份证", "补领", "挂失"},
        "营业执照丢了": {"营业执照", "补领"},
        "生娃要办什么": {"生育登记", "出生医学证明", "生育津贴"},
        "退休": {"养老保险待遇"},
        "领养老金": {"养老金"},
        "开公司": {"企业设立登记"},
        "装电梯": {"既有住宅增设电梯"},
        "社保": {"社会保险"},
        "医保": {"医疗保险"},
        "失业了怎么办": {"失业保险金"},
        "租房补贴": {"住房租赁补贴", "公租房"},
        "残疾证": {"残疾人证"},
        "老人补贴": {"高龄津贴", "长寿保健金"},
    }
    for query, expected in cases.items():
        extra = set(syn.expand([], query))
        missing = {e for e in expected if e not in extra}
        # Expansions are segmented: an expected word may come as its own query token.
        assert not missing, (query, missing, extra)


def test_traditional_and_full_width_queries_match():
    syn = SynonymSet.default()
    assert "社会保险" in syn.expand([], "社保")
    assert "企业设立登记" in syn.expand([], "開公司")


def test_longest_match_wins():
    syn = SynonymSet.default()
    matches = syn.matches([], "社保卡丢了")
    assert "社保卡丢了" in matches
    assert "社保" not in matches  # nested inside the longer phrase


def test_tokens_already_in_query_are_not_repeated():
    syn = SynonymSet([("医保", ["医疗保险", "医保"])], tokenizer=str.split)
    assert syn.expand(["医保"], "医保") == ["医疗保险"]


def test_rows_from_database_merge_with_file_rows():
    base = SynonymSet.default()
    merged = base.merged([("开民宿", "旅馆业特种行业许可证|民宿登记"), ("小饭桌", ["托管机构"])])
    assert len(merged) == len(base) + 1  # 开民宿 already exists: its expansions are merged
    assert "民宿登记" in merged.expansions_for("开民宿")
    assert "旅馆业特种行业许可证" in merged.expansions_for("开民宿")
    # Expansions come back segmented like a query.
    assert {"托管", "机构"} <= set(merged.expand([], "小饭桌怎么办"))
    assert base.expand([], "小饭桌怎么办") == []
    assert merged.rows[-1] == (["小饭桌"], ["托管机构"])
    assert len(merged.rows) == len(base.rows) + 2


def test_ascii_phrases_match_whole_tokens_only():
    syn = SynonymSet([("ca", "数字证书")], tokenizer=lambda s: [s])
    assert syn.expand(["ca"], "ca证书") == ["数字证书"]
    assert syn.expand(["local"], "local") == []


def test_bad_rows_are_ignored():
    syn = SynonymSet([("", "x"), ("x", ""), ("  ", "  ")])
    assert len(syn) == 0
    assert not syn
    assert parse_rows("# comment\nno tab here\n\n甲\t\n") == []


def test_custom_tokenizer_is_used():
    syn = SynonymSet([("甲乙", "丙丁 戊己|庚")], tokenizer=str.split)
    # A stray single character of a multi-word expansion is dropped as noise,
    # a one-character expansion is kept.
    assert syn.expand([], "甲乙") == ["丙丁", "戊己", "庚"]
    syn = SynonymSet([("甲乙", "丙丁 戊")], tokenizer=str.split)
    assert syn.expand([], "甲乙") == ["丙丁"]


def _old_matches(syn, tokens, raw):
    """The original implementation (one scan of the query per phrase), as a reference."""
    from search.analysis.normalize import normalize
    from search.analysis.segment import is_han

    text = normalize(raw).replace(" ", "")
    phrases = sorted((p for p in syn._mapping if is_han(p) and len(p) >= 2), key=len, reverse=True)
    taken, found = [], []
    for phrase in phrases:
        start, hit = text.find(phrase), False
        while start != -1:
            end = start + len(phrase)
            if not any(s <= start and end <= e for s, e in taken):
                taken.append((start, end))
                hit = True
            start = text.find(phrase, start + 1)
        if hit:
            found.append(phrase)
    return found


def test_substring_lookup_matches_like_a_scan_of_every_phrase():
    from pathlib import Path

    from search.analysis import get_segmenter

    syn = SynonymSet.default()
    seg = get_segmenter()
    path = Path(__file__).with_name("citizen_queries.tsv")
    queries = [line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    for query in queries + ["社保卡丢了", "开奶茶店要办什么证", "公司不做了怎么注销"]:
        tokens = seg.query_tokens(query)
        han = [p for p in syn.matches(tokens, query)
               if len(p) >= 2 and any("\u4e00" <= ch <= "\u9fff" for ch in p)]
        expected = _old_matches(syn, tokens, query)
        assert sorted(han) == sorted(expected), query


def test_ascii_phrases_of_several_words():
    syn = SynonymSet([("id card", "居民身份证"), ("ktv", "娱乐场所")], tokenizer=lambda s: [s])
    assert syn.expand(["id", "card", "补办"], "ID card 补办") == ["居民身份证"]
    assert syn.expand(["idcard"], "idcard") == ["居民身份证"]
    assert syn.expand(["id"], "id 补办") == []  # one word of the phrase is not the phrase
    assert syn.expand(["ktv", "备案"], "ktv备案") == ["娱乐场所"]


def test_seed_file_covers_families_of_colloquial_words():
    syn = SynonymSet.default()
    cases = {
        "塔吊装好了去哪登记": {"起重机械"},
        "儿子去当兵": {"义务兵"},
        "开个托儿所": {"托育机构"},
        "小区的大树想砍掉": {"树木砍伐"},
        "生意暂停几个月": {"歇业"},
        "家里做腊肠卖": {"食品小作坊"},
        "ID card 补办": {"居民身份证"},
        "奶茶店": {"小餐饮"},
        "收废品": {"再生资源", "回收"},
        "开汽修厂": {"机动车修理"},
        "工规证": {"建设工程规划许可证"},
    }
    for query, expected in cases.items():
        extra = set(syn.expand([], query))
        assert expected <= extra, (query, extra)
