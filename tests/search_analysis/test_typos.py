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


def test_homophones_of_colloquial_phrases():
    fix = get_corrector()
    assert "社保卡" in fix.corrections("社报卡补办")  # 社保卡 is a synonyms.tsv phrase
    assert "低保" in fix.corrections("低宝怎么申请")
    assert "公租房" in fix.corrections("公组房")


def test_colloquial_phrases_are_not_guessed_from_one_substituted_character():
    # 带社保卡 differs from the phrase 办社保卡 by one character: no correction.
    assert get_corrector().corrections("领养老金要带社保卡吗") == []


def test_spans_edged_by_fillers_are_left_alone():
    # 卖要 sounds like 卖药 (a phrase), but 要 is a filler word here.
    assert get_corrector().corrections("家里做腊肠卖要办什么证") == []


def test_real_word_and_three_character_typos():
    fix = get_corrector()
    # 职业登记 is two dictionary words, homophone of the domain term 执业登记.
    assert "执业登记" in fix.corrections("医疗机构职业登记")
    # Three single characters, one of them wrong.
    assert "居住证" in fix.corrections("居往证申领")
    # Two correct dictionary words that happen to sound like nothing in particular.
    assert fix.corrections("工伤认定") == []


def test_nested_corrections_keep_the_longest_domain_term():
    assert get_corrector().corrections("劳动仲材") == ["劳动仲裁"]  # not also 仲裁


def test_homophone_only_terms():
    seg = Segmenter()
    fix = TypoCorrector(terms=["前海合作区"], segmenter=seg, homophone_terms=["社保卡"])
    assert fix.corrections("社报卡") == ["社保卡"]
    assert fix.corrections("前海合做区") == ["前海合作区"]
    assert fix.corrections("社包卡") == ["社保卡"]  # bao: a homophone too
    assert fix.corrections("社保片") == []  # not a homophone; no one-character guess either


def test_single_character_words_next_to_whole_words_are_meant():
    fix = get_corrector()
    # 残疾人 + 买 is not a mistyped 残疾人证; 买轮椅 is not the phrase 卖轮椅 (mai = mai).
    assert fix.corrections("残疾人买轮椅助听器有补贴吗") == []
    # A two-character colloquial expansion is not guessed from a homophone (不发 / 补发).
    assert fix.corrections("老板拖欠工资不发") == []
    # ... but a mistyped domain term still is, also a common action word.
    assert "居民身份证" in fix.corrections("居民身份正补领")
    assert "变更" in fix.corrections("食品经营许可证变梗")
