import pytest

from guides.domain.phones import InvalidPhone, is_valid_phone, normalize_phone, tel_uri
from tests.domain.corpus import load_corpus

GOOD = [
    # landlines
    ("020-81380512", "020-81380512"),
    ("02081380512", "020-81380512"),
    ("020 8138 0512", "020-81380512"),
    ("(020)81380512", "020-81380512"),
    ("（020）8138-0512", "020-81380512"),
    ("０２０－８１３８０５１２", "020-81380512"),
    ("020—81380512", "020-81380512"),
    ("020‐81380512", "020-81380512"),
    ("020\u300081380512", "020-81380512"),
    ("010-61234567", "010-61234567"),
    ("0755-81234567", "0755-81234567"),
    ("0571-8123456", "0571-8123456"),
    ("05718123456", "0571-8123456"),
    ("+86 20 8138 0512", "020-81380512"),
    ("+86-020-81380512", "020-81380512"),
    # extensions
    ("020-81380512转123", "020-81380512转123"),
    ("020-81380512 转 123", "020-81380512转123"),
    ("020-81380512 ext 8", "020-81380512转8"),
    ("020-81380512 EXT.8", "020-81380512转8"),
    ("0755-8123456转９９", "0755-8123456转99"),
    # mobiles
    ("13800138000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("+86 199 1234 5678", "19912345678"),
    ("8615012345678", "15012345678"),
    ("008613800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    # hotlines, short codes, emergency
    ("12345", "12345"),
    ("12315", "12315"),
    ("12333", "12333"),
    ("12348", "12348"),
    ("12366", "12366"),
    ("12319", "12319"),
    (" 12345 ", "12345"),
    ("95588", "95588"),
    ("110", "110"),
    ("119", "119"),
    ("120", "120"),
    ("122", "122"),
    # 400/800
    ("4001234567", "400-123-4567"),
    ("400-123-4567", "400-123-4567"),
    ("400 1234 567", "400-123-4567"),
    ("800-810-8888", "800-810-8888"),
    ("400-123-4567转2", "400-123-4567转2"),
]

BAD = [
    ("", "不能为空"),
    ("   ", "不能为空"),
    ("020-1234", "过短"),
    ("020-8138051", "应为8位"),
    ("020-813805123", "过长"),
    ("0755-812345", "过短"),
    ("020-01380512", "不能以0或1开头"),
    ("011-81380512", "区号"),
    ("0020-81380512", "区号"),
    ("81380512", "缺少区号"),
    ("8138051", "缺少区号"),
    ("020-81380512-123", "转"),
    ("0571-8123456-7", "转"),
    ("020-81380512转", "分机号"),
    ("020-81380512转abc", "分机号"),
    ("020-81380512转1234567", "分机号"),
    ("13800138000转1", "手机号码不能带分机号"),
    ("12345转1", "分机号"),
    ("1380013800", "11位"),
    ("138001380001", "11位"),
    ("12800138000", "第二位"),
    ("020-8138O512", "只能包含"),
    ("tel:12345", "只能包含"),
    ("020-81380512 / 020-81380513", "只能包含"),
    ("020-81380512；12345", "只能包含"),
    ("+1 415 555 0100", "中国大陆"),
    ("020+81380512", "开头"),
    ("114", "服务热线"),
    ("123456", "服务热线"),
    ("1234", "服务热线"),
    ("96333", "无法识别"),
    ("4001234", "缺少区号"),
    ("400123456789", "无法识别"),
]


@pytest.mark.parametrize(("raw", "expected"), GOOD)
def test_normalizes_valid_numbers(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected
    assert is_valid_phone(raw)
    # Normal form is a fixed point.
    assert normalize_phone(expected) == expected


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_rejects_invalid_numbers_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhone, match=reason):
        normalize_phone(raw)
    assert not is_valid_phone(raw)


def test_invalid_phone_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize_phone("abc")


def test_non_string_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        normalize_phone(12345)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "uri"),
    [
        ("020-81380512", "tel:02081380512"),
        ("020-81380512转123", "tel:02081380512,123"),
        ("+86 138 0013 8000", "tel:13800138000"),
        ("12345", "tel:12345"),
        ("400-123-4567", "tel:4001234567"),
    ],
)
def test_tel_uri(raw: str, uri: str) -> None:
    assert tel_uri(raw) == uri


def test_tel_uri_rejects_invalid_numbers() -> None:
    with pytest.raises(InvalidPhone):
        tel_uri("8138051")


def test_every_corpus_phone_is_valid_and_already_normalized() -> None:
    for guide in load_corpus():
        for key in ("phone", "complaint_phone"):
            assert normalize_phone(guide[key]) == guide[key], (guide["code"], key)
