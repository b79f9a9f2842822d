import pytest

from guides.domain.fees import fee_summary, first_amount


@pytest.mark.parametrize(
    ("standard", "shown"),
    [
        ("80元/件，含第一本证书工本费；每增加一本证书加收10元", "80元/件"),
        ("工本费 20 元/证", "20元/证"),
        ("每份１５元", "15元"),
        ("12.50元/每次", "12.5元/次"),
        ("按挖掘面积和道路结构类型计收", None),
    ],
)
def test_the_first_amount_of_a_standard(standard, shown):
    amount = first_amount(standard)
    assert (amount.display() if amount else None) == shown


def test_the_tile_summarises_the_items():
    def summary(*standards):
        return fee_summary([{"name": "费", "standard": text} for text in standards])

    assert summary("80元/件，含工本费") == "80元/件"
    assert summary("80元/件", "550元/件；每增加一本证书加收10元") == "80–550元/件"
    assert summary("550元/件", "20元/证") == "20元/证起"
    assert summary("80元/件", "80元/件") == "80元/件"
    assert summary("按面积计收", "执行省定标准") is None
    assert summary("按面积计收", "10元/次") == "10元/次"
    assert fee_summary([]) is None
