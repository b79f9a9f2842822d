"""How administrative names shorten (search.analysis.abbreviations), item codes, life events."""

from __future__ import annotations

from search.analysis import analyze_query
from search.analysis.abbreviations import (
    alias_index_tokens,
    code_fragments,
    code_index_tokens,
    find_aliases,
    guide_aliases,
    name_actions,
    result_aliases,
    rule_aliases,
)
from search.analysis.life_events import event_items


def test_the_issue_examples_come_from_the_dictionary():
    assert {"出生证"} <= set(guide_aliases("出生医学证明补发、换发"))
    assert {"无犯证明", "无犯罪证明"} <= set(guide_aliases("无犯罪记录证明开具"))
    assert "民非" in guide_aliases("民办非企业单位（社会服务机构）成立登记")
    assert "城乡居保" in guide_aliases("城乡居民基本养老保险参保登记")


def test_rules_drop_actions_qualifiers_and_parentheses_and_shorten_licences():
    assert "残疾人证" in rule_aliases("残疾人证核发（新办）")
    assert "离婚登记" in rule_aliases("内地居民离婚登记")
    assert "户口簿" in rule_aliases("居民户口簿补领、换领")
    assert "食经证" in rule_aliases("食品经营许可证核发")
    assert "长护险" in rule_aliases("长期护理保险待遇申请")
    assert "生育险" in rule_aliases("生育保险")
    # A two-character remainder that is no document is not an alias (结婚 alone says too little).
    assert "结婚" not in rule_aliases("结婚登记")
    assert name_actions("居民户口簿补领、换领") == ["补领", "换领"]


def test_editors_aliases_come_first_and_the_name_itself_is_no_alias():
    aliases = guide_aliases("食品经营许可证核发", ["饭店证", "食品经营许可证核发"])
    assert aliases[0] == "饭店证" and "食品经营许可证核发" not in aliases
    # What a guide issues has aliases of its own, kept apart from the guide's.
    assert "工商执照" in result_aliases("营业执照（个体工商户）")
    assert "个体户" not in result_aliases("营业执照（个体工商户）")  # from the parentheses


def test_alias_tokens_hold_pinyin_and_initials_with_the_name_s_actions():
    tokens = alias_index_tokens(["出生证"], ["补发"])
    assert tokens == ["出生证", "chushengzheng", "csz", "cszbf", "cszbb"]  # 补发, and 补办 as people say


def test_aliases_are_found_inside_queries():
    lexicon = frozenset({"出生证", "城乡居保", "居保"})
    assert find_aliases("女儿的出生证丢了", lexicon) == ["出生证"]
    assert find_aliases("城乡居保待遇", lexicon) == ["城乡居保", "居保"]
    assert find_aliases("", lexicon) == [] and find_aliases("出生证", frozenset()) == []
    assert analyze_query("城乡居保待遇", aliases=lexicon).alias_tokens[0] == "城乡居保"


def test_codes_are_indexed_whole_and_from_each_part_on():
    assert code_index_tokens("LW-JY-0015") == ["lwjy0015", "jy0015", "0015"]
    assert code_fragments("lw jy 0036") == ["lwjy0036"]
    assert code_fragments("事项编码 lw-gc-0031") == ["lwgc0031"]
    assert code_fragments("孩子3岁") == [] and code_fragments("jy") == []
    q = analyze_query("JY-0015")
    assert q.code_tokens == ("jy0015",) and "jy" not in q.all_tokens and not q.is_pinyin


def test_life_events_lead_to_items():
    assert "学生转学" in event_items("女儿要从老家转学过来读初中")
    assert "学生转学" in event_items("孩子要转到另一个区的学校")
    assert "工伤认定" in event_items("在工厂上班手被机器压伤了")
    assert event_items("营业执照") == []
    assert "工伤认定" in analyze_query("上班时摔伤了").event_tokens
