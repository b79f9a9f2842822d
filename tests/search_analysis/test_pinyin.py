import pytest

from search.analysis import analyze_query, relax_query
from search.analysis.pinyin import (
    initials_relaxations,
    looks_like_initials,
    looks_like_pinyin,
    pinyin_full,
    pinyin_initials,
    pinyin_query_tokens,
    pinyin_tokens,
    split_syllables,
)


def test_full_and_initials():
    assert pinyin_full("营业执照") == "yingyezhizhao"
    assert pinyin_initials("营业执照") == "yyzz"
    assert pinyin_initials("不动产登记") == "bdcdj"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("银行", "yinhang"),
        ("重庆", "chongqing"),
        ("还款", "huankuan"),
        ("长寿保健金", "changshoubaojianjin"),
        ("会计", "kuaiji"),
        ("行政许可", "xingzhengxuke"),
        ("绿色通道", "lvsetongdao"),
    ],
)
def test_polyphonic_characters_are_read_in_context(text, expected):
    assert pinyin_full(text) == expected


def test_ascii_kept_other_characters_dropped():
    assert pinyin_full("ＹＹ 营业（执照）!") == "yyyingyezhizhao"
    assert pinyin_initials("12345热线") == "12345rx"
    assert pinyin_full("營業執照") == "yingyezhizhao"
    assert pinyin_full("！？。") == ""


def test_pinyin_tokens_cover_words_inside_the_name():
    tokens = pinyin_tokens("个体工商户营业执照注销")
    for expected in ["getigongshanghuyingyezhizhaozhuxiao", "gtgshyyzzzx", "yyzz",
                     "yingyezhizhao", "gtgsh", "zhuxiao"]:
        assert expected in tokens
    assert len(tokens) == len(set(tokens))
    assert "bdc" in pinyin_tokens("不动产登记")
    assert pinyin_tokens("") == []
    assert pinyin_tokens("，。") == []


def test_pinyin_tokens_cover_two_sub_words_of_one_long_word():
    tokens = pinyin_tokens("食品经营许可证核发（新办）")
    assert {"spjy", "shipinjingying", "jyxkz"} <= set(tokens)
    # Runs longer than MAX_SUBWORD_RUN_CHARS are left to the whole word's own tokens.
    assert "spjyxkz" in tokens and len(tokens) == len(set(tokens))


@pytest.mark.parametrize(
    "query",
    ["yyzz", "yingyezhizhao", "ying ye zhi zhao", "xi'an", "bdcdj", "yingyezh", "YYZZ",
     "ｙｙｚｚ", "gongjijin tiqu", "yibao"],
)
def test_looks_like_pinyin(query):
    assert looks_like_pinyin(query)


@pytest.mark.parametrize(
    "query", ["营业执照", "hello", "wifi", "ukey", "12345", "a", "", "yyzz 营业", "x" * 80, "app"]
)
def test_does_not_look_like_pinyin(query):
    assert not looks_like_pinyin(query)


def test_split_syllables():
    assert split_syllables("yingyezhizhao") == ["ying", "ye", "zhi", "zhao"]
    assert split_syllables("xian") == ["xian"]
    assert split_syllables("yingyezh") == ["ying", "ye", "zh"]
    assert split_syllables("yingyezh", allow_partial=False) is None
    assert split_syllables("pdf") is None


def test_pinyin_query_tokens_join_parts():
    assert pinyin_query_tokens("ying ye zhi zhao") == ["ying", "ye", "zhi", "zhao", "yingyezhizhao"]
    assert pinyin_query_tokens("YYZZ") == ["yyzz"]
    assert pinyin_query_tokens("xi'an") == ["xi", "an", "xian"]


def test_query_meets_index():
    index = set(pinyin_tokens("个体工商户营业执照注销"))
    for query in ["yyzz", "yingyezhizhao", "ying ye zhi zhao", "gtgsh"]:
        assert set(pinyin_query_tokens(query)) & index, query


def test_initials_relaxations_read_words_typed_together_typos_and_actions():
    readings = initials_relaxations("hkbbl")
    assert ("hkb", "bl") in readings  # 户口本 + 办理
    assert ("hkb",) in readings  # the action left out
    assert ("hkbl",) in readings  # one letter too many
    assert ("khbbl",) in readings  # two letters swapped
    assert readings.index(("hkb", "bl")) < readings.index(("hkb",))  # most literal first
    assert all(len(piece) >= 2 for reading in readings for piece in reading)
    assert ("yyzz",) in initials_relaxations("yyzzz")
    assert ("jzz",) in initials_relaxations("zjz")


@pytest.mark.parametrize("run", ["hukouben", "yingyezhizhao", "hk", "pdf2", "营业执照", ""])
def test_full_pinyin_and_short_runs_are_not_relaxed(run):
    assert not looks_like_initials(run) or len(run) < 3
    assert initials_relaxations(run) == []


def test_relax_query_keeps_han_queries_as_they_are():
    assert relax_query(analyze_query("阿拉丁神灯")) is None
    relaxed = relax_query(analyze_query("hkbbl"))
    assert relaxed and {"hkb", "bl"} <= set(relaxed.query.pinyin_tokens)
    assert relaxed.answers(frozenset({"hkb", "bl", "hukouben"}))
    assert not relaxed.answers(frozenset({"bl", "banli"}))  # a common piece alone answers nothing
