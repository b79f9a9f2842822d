"""Pinyin queries read back as Han words (shebaoka -> 社保卡) and split into syllable n-grams."""

from search.analysis import analyze_query, pinyin_index_text
from search.analysis.pinyin import PinyinLexicon, pinyin_letter_runs, syllable_ngrams
from search.analysis.vocabulary import correction_terms, pinyin_lexicon


def test_lexicon_converts_letters_to_words():
    lex = PinyinLexicon(["社保卡", "补办", "失业", "事业", "加装电梯", "a", "abc"])
    assert len(lex) == 4  # 失业 / 事业 share "shiye"; non-Han entries are ignored
    assert lex.convert("shebaoka") == [["社保卡"]]
    assert lex.convert("shebaokabuban") == [["社保卡"], ["补办"]]
    assert lex.convert("shiye") == [["事业", "失业"]] or lex.convert("shiye") == [["失业", "事业"]]
    # Letters no word covers are skipped as plain syllables; a partial last syllable is fine.
    assert lex.convert("woyaojiazhuangdianti") == [["加装电梯"]]
    assert lex.convert("jiazhuangdiant") == []
    assert lex.convert("xyz") == []  # not pinyin at all
    assert lex.convert("") == []


def test_default_lexicon_knows_colloquial_phrases_and_sub_words():
    lex = pinyin_lexicon()
    assert "社保卡" in lex.words_for("shebaoka")
    assert "加装电梯" in lex.words_for("jiazhuangdianti")
    assert "护照" in lex.words_for("huzhao")  # a dictionary sub-word of 普通护照
    terms = correction_terms()
    assert {"社保卡", "营业执照", "低保"} <= terms
    assert all(2 <= len(t) <= 12 for t in terms)


def test_letter_runs_and_syllable_ngrams():
    assert pinyin_letter_runs("shenfenzheng buling") == [
        "shenfenzheng",
        "buling",
        "shenfenzhengbuling",
    ]
    assert pinyin_letter_runs("yyzz") == ["yyzz"]
    grams = syllable_ngrams("yejianshigong")
    assert {"yejian", "shigong", "jianshi", "yejianshi"} <= set(grams)
    assert "yejianshigong" not in grams  # the whole string is a query token already
    assert syllable_ngrams("shebao") == []  # two syllables: nothing in between
    assert syllable_ngrams("yyzz") == []


def test_pinyin_queries_find_official_terms():
    q = analyze_query("shebaoka")
    assert q.is_pinyin and q.pinyin_tokens == ("shebaoka",)
    assert "社保卡" in q.correction_tokens
    assert "社会保障卡" in q.synonym_tokens  # the synonym of what was spelled
    q = analyze_query("jiazhuang dianti")
    assert "加装电梯" in q.correction_tokens
    assert "既有住宅增设电梯" in q.synonym_tokens
    q = analyze_query("dibao")
    assert "最低生活保障" in q.synonym_tokens


def test_pinyin_ngrams_meet_name_pinyin():
    q = analyze_query("yejianshigong")
    name = set(pinyin_index_text("夜间施工证明核发").split())
    assert {"yejian", "shigong"} <= set(q.subword_tokens) & name
    q = analyze_query("laowupaiqian")
    assert set(q.all_tokens) & set(pinyin_index_text("劳务派遣经营许可（新办）").split())


def test_initials_and_english_stay_as_they_are():
    q = analyze_query("yyzz")
    assert q.correction_tokens == () and q.synonym_tokens == ()
    q = analyze_query("hello world")
    assert not q.is_pinyin and q.correction_tokens == ()
