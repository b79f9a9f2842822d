"""What a guide's fee tile says: the amounts editors wrote in the fee standards (收费标准),
summarised. A standard is free text ("80元/件，含第一本证书工本费"); its first amount in yuan, with
the unit after a slash, is the amount of that fee item."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

_AMOUNT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*元(?:\s*/\s*(每?[^\s，,；;。、（）()]{1,4}))?")


def _yuan(number: str, unit: str) -> str:
    return f"{number}元/{unit}" if unit else f"{number}元"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class Amount:
    value: Decimal
    unit: str  # what the amount is per (件, 证, 次), or ""

    def display(self) -> str:
        return _yuan(_number(self.value), self.unit)


def first_amount(standard: str) -> Amount | None:
    """The first amount in yuan a fee standard states, or None (按面积计收, 执行省定标准)."""
    match = _AMOUNT_RE.search(unicodedata.normalize("NFKC", standard or ""))
    if match is None:
        return None
    return Amount(Decimal(match.group(1)), (match.group(2) or "").removeprefix("每"))


def fee_summary(items: Iterable[Mapping[str, str]]) -> str | None:
    """The amount to show for a charged guide: one amount ("80元/件"), a range of amounts with one
    unit ("80–550元/件"), the lowest of differing units with 起 ("20元/证起"); None when no
    standard states an amount (the standards must be read in full)."""
    amounts = [amount for item in items if (amount := first_amount(item.get("standard", "")))]
    if not amounts:
        return None
    low = min(amounts, key=lambda amount: amount.value)
    high = max(amounts, key=lambda amount: amount.value)
    if low.value == high.value:
        return low.display()
    if len({amount.unit for amount in amounts}) == 1:
        return _yuan(f"{_number(low.value)}–{_number(high.value)}", low.unit)
    return f"{low.display()}起"
