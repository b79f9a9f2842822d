from search.analysis.segment import Segmenter
from search.analysis.typos import TypoCorrector, get_corrector


def test_homophone_typos_map_back_to_domain_terms():
    fix = get_corrector()
    assert fix.corrections("劳动仲材怎么申请") == ["劳动仲裁"]
    assert "营业执照" in fix.corrections("营业直照丢了")
    assert "失业保险金" in fix.corrections("失业保险今")
    assert fix.corrections("申请공租房abc") == []  # other scripts: no crash, no guess
    assert "残疾人证" in fix.corrections("残疾人正")


def test_one_substituted_character_in_long_terms():
    assert "营业执照" in get_corrector().corrections("营业执炤注销")


def test_correct_queries_are_left_alone():
    fix = get_corrector()
    for query in ["劳动仲裁", "营业执照注销", "工伤认定", "工商登记", "开奶茶店要办什么证",
                  "身份证丢了怎么办", "医保", ""]:
        assert fix.corrections(query) == [], query


def test_dictionary_words_are_not_corrected():
    # 工伤 (work injury) and 工商 (industry and commerce) sound alike; both are words.
    assert get_corrector().corrections("工伤") == []


def test_custom_term_list():
    seg = Segmenter()
    fix = TypoCorrector(terms=["前海合作区"], segmenter=seg)
    assert fix.corrections("前海合做区") == ["前海合作区"]
    assert fix.corrections("劳动仲材") == []
