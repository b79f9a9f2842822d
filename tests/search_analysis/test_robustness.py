"""Property-based robustness: analysis never raises and only emits safe tokens."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import (
    MAX_QUERY_TOKENS,
    MAX_TOKEN_CHARS,
    AnalyzedQuery,
    analyze_for_index,
    analyze_query,
    get_segmenter,
    is_safe_token,
    normalize,
    pinyin_index_text,
)

FTS_SYNTAX = ['"', "*", " OR ", " AND ", " NOT ", "NEAR(", ")", "(", "-", ":", "^", "+",
              "'", "{", "}", "[", "]", "\\", "/", "~", "|", "&", ";", "\x00", "\u200b",
              "\ufeff", "\u3000", "\r\n", "😀", "👨‍👩‍👧", "\ud800", "\udfff", "\ue000"]
CJK_SAMPLES = ["营业执照", "不动产登记", "劳动仲材", "營業執照", "ＹＹＺＺ", "怎么办", "的",
               "\U00020000", "〇", "開", "yyzz", "12345", "沣滘"]

any_char = st.characters(exclude_categories=())  # includes surrogates, controls, unassigned
han_char = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
fragment = st.one_of(
    st.text(any_char, max_size=20),
    st.text(han_char, min_size=1, max_size=12),
    st.sampled_from(FTS_SYNTAX),
    st.sampled_from(CJK_SAMPLES),
)
messy_text = st.lists(fragment, max_size=30).map("".join)
huge_text = st.builds(lambda chunk, n: (chunk * n)[:12_000], messy_text, st.integers(1, 3_000))
queries = st.one_of(messy_text, huge_text)

SETTINGS = settings(
    max_examples=1_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _check_tokens(tokens, cap=None):
    assert all(isinstance(t, str) and is_safe_token(t) for t in tokens), tokens
    assert all(len(t) <= MAX_TOKEN_CHARS for t in tokens)
    if cap is not None:
        assert len(tokens) <= cap


@SETTINGS
@given(queries)
def test_analyze_query_never_raises_and_tokens_are_safe(text):
    q = analyze_query(text)
    assert isinstance(q, AnalyzedQuery)
    for field in (q.tokens, q.synonym_tokens, q.subword_tokens, q.correction_tokens,
                  q.pinyin_tokens, q.all_tokens):
        _check_tokens(field, MAX_QUERY_TOKENS)
    assert len(q.normalized) <= 256
    assert q.query_string() == " ".join(q.all_tokens)


@SETTINGS
@given(messy_text, messy_text)
def test_analyze_for_index_never_raises_and_output_is_space_separated_safe_tokens(a, b):
    out = analyze_for_index({"title": a, "body": b})
    assert set(out) == {"title", "body"}
    for value in out.values():
        assert value == value.strip() and "  " not in value
        _check_tokens(value.split())
    _check_tokens(pinyin_index_text(a).split())


@settings(max_examples=100, deadline=None, database=None)
@given(huge_text)
def test_huge_index_input(text):
    _check_tokens(analyze_for_index({"body": text})["body"].split())


@SETTINGS
@given(st.text(any_char, max_size=60) | messy_text)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip() and "  " not in once


@SETTINGS
@given(st.lists(st.one_of(st.text(han_char, min_size=1, max_size=8), st.sampled_from(CJK_SAMPLES)),
                min_size=1, max_size=6).map("".join))
def test_every_query_token_of_a_text_is_an_index_token_of_that_text(text):
    seg = get_segmenter()
    assert set(seg.query_tokens(text)) <= set(seg.index_tokens(text))
