import pytest

from search.analysis.segment import (
    GOV_TERMS_PATH,
    MAX_TOKEN_CHARS,
    Segmenter,
    read_user_dict,
)
from tests.search_analysis.corpus import make_guides


def test_gov_dictionary_is_large_and_every_term_stays_whole(seg):
    entries = read_user_dict(GOV_TERMS_PATH)
    assert len(entries) >= 400
    broken = [word for word, _, _ in entries if seg.cut(word) != [word]]
    assert broken == []


@pytest.mark.parametrize(
    "term",
    ["营业执照", "不动产登记", "法定代表人", "居住证", "统一社会信用代码", "食品经营许可证",
     "公租房", "社保卡", "医保", "生育津贴", "养老金", "退役军人", "残疾人证", "施工许可",
     "建设工程规划许可证", "户籍", "出生登记", "准生证", "个体工商户", "经营范围",
     "消防验收", "特种设备", "排水许可", "占道", "挖掘", "树木迁移", "劳动仲裁",
     "失业保险金", "高龄津贴"],
)
def test_required_domain_terms(seg, term):
    assert term in seg.domain_terms
    assert seg.query_tokens(term) == [term]


def test_domain_term_stays_one_token_in_context(seg):
    assert seg.cut("个体工商户营业执照注销") == ["个体工商户", "营业执照", "注销"]
    assert "营业执照" in seg.query_tokens("我的营业执照丢了怎么补办")


def test_search_mode_yields_sub_words(seg):
    tokens = seg.index_tokens("不动产登记")
    assert tokens[0] == "不动产登记"
    assert {"不动产", "登记"} <= set(tokens)
    tokens = seg.index_tokens("建设工程规划许可证核发")
    assert {"建设工程规划许可证", "规划", "许可证", "建设工程", "规划许可", "核发"} <= set(tokens)


def test_index_tokens_superset_of_jieba_cut_for_search():
    seg = Segmenter(backend="jieba")
    seg.initialize()
    tokenizer = seg._engine._tokenizer  # jieba.Tokenizer with our dictionaries loaded
    text = "个体工商户营业执照注销登记，申请人应当提交不动产权证书和统一社会信用代码"
    expected = {
        w for w in tokenizer.cut_for_search(text, HMM=False) if w.isalnum()
    } - seg.stopwords
    assert expected <= set(seg.index_tokens(text))


def test_query_tokens_drop_question_words_and_fillers(seg):
    assert seg.query_tokens("开奶茶店要办什么证") == ["开", "奶茶店", "证"]
    assert seg.query_tokens("我想开公司") == ["开", "公司"]
    assert seg.query_tokens("请问怎么办理护照") == ["护照"]
    assert seg.query_tokens("去哪里办理居住证需要什么") == ["居住证"]
    assert seg.query_tokens("如何申请公租房呢") == ["申请", "公租房"]
    assert seg.query_tokens("怎么样 可以 能 吗") == []


def test_stopwords_are_dropped_from_the_index_too(seg):
    tokens = seg.index_tokens("申请人可以在这里办理营业执照的注销")
    for stop in ["可以", "办理", "的", "在"]:
        assert stop not in tokens
    assert "营业执照" in tokens


def test_query_tokens_deduplicated_index_tokens_keep_term_frequency(seg):
    assert seg.query_tokens("医保 医保 医保") == ["医保"]
    assert seg.index_tokens("医保 医保").count("医保") == 2


def test_ascii_words_and_numbers_are_kept(seg):
    assert seg.query_tokens("12345热线") == ["12345", "热线"]
    assert seg.query_tokens("ETC办理") == ["etc"]
    assert seg.index_tokens("2024年度企业年报")[:2] == ["2024", "年度"]
    assert seg.query_tokens("VIN码") == ["vin", "码"]


def test_punctuation_never_becomes_a_token(seg):
    tokens = seg.index_tokens("营业执照（副本）、身份证；“户口本”！？《证明》")
    assert tokens and all(t.isalnum() for t in tokens)


def test_single_character_runs_yield_bigrams_on_both_sides(seg):
    # 沣滘 is not in the dictionary: single characters plus their bigram.
    assert "沣滘" in seg.query_tokens("沣滘")
    assert "沣滘" in seg.index_tokens("沣滘村委会办公地址")
    # No bigram across a stopword or punctuation.
    assert "滘村" not in seg.query_tokens("滘，村")


def test_typo_query_keeps_correct_part(seg):
    tokens = seg.query_tokens("劳动仲材")
    assert "劳动" in tokens
    assert set(tokens) & set(seg.index_tokens("劳动仲裁")) == {"劳动"}


def test_subword_tokens(seg):
    assert seg.subword_tokens(["不动产登记", "医保"]) == ["不动", "动产", "登记", "不动产"]
    assert seg.subword_tokens(["营业执照", "营业"]) == ["执照"]


def test_split_words_are_not_glued_to_fillers(seg):
    assert "想开" not in seg.cut("我想开个超市")
    assert not seg.is_known_word("想开")
    assert "想开" not in seg.domain_terms


def test_tokens_are_capped_in_length(seg):
    long_ascii = "a" * 500
    assert seg.index_tokens(long_ascii) == ["a" * MAX_TOKEN_CHARS]


def test_rare_han_characters_are_single_tokens(seg):
    # Extension B characters are outside jieba's range: single chars + bigrams.
    assert seg.query_tokens("\U00020000\U00020001") == ["\U00020000", "\U00020001", "\U00020000\U00020001"]


def test_extra_words_and_thread_safe_lazy_init():
    import threading

    custom = Segmenter(extra_words=["深港通办", ("前海合作区", 500, "ns")])
    results = []

    def work():
        results.append(custom.query_tokens("深港通办前海合作区"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [["深港通办", "前海合作区"]] * 8
    assert {"深港通办", "前海合作区"} <= custom.domain_terms


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError):
        Segmenter(backend="nope")


def test_rjieba_and_jieba_agree():
    fast, slow = Segmenter(backend="rjieba"), Segmenter(backend="jieba")
    guides = make_guides(300)
    texts = [g.name for g in guides] + [g.summary for g in guides] + [
        "开奶茶店要办什么证", "我想给孩子上户口", "沣滘村委会", "劳动仲材怎么申请",
    ]
    for text in texts:
        assert fast.index_tokens(text) == slow.index_tokens(text), text
        assert fast.query_tokens(text) == slow.query_tokens(text), text
