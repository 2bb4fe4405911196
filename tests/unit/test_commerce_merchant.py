"""A merchant's statuses and settlement account number, as the domain reads them."""

from __future__ import annotations

import pytest

from thinfile.commerce import (
    MerchantStatus,
    activated,
    mask_account_number,
    settlement_account_number,
)
from thinfile.errors import InvalidSettlementAccountError, MerchantStatusError, NonAsciiTextError


def test_an_account_number_is_read_as_typed_and_masked_to_prefix_and_last_four() -> None:
    number = settlement_account_number("６２２２ 0212-3456 7891 234")
    assert number == "6222021234567891234"
    assert mask_account_number(number) == "6222***********1234"


@pytest.mark.parametrize("text", ["1234567", "1" * 31, "6222a0212345", ""])
def test_an_account_number_that_is_not_8_to_30_digits_is_refused(text: str) -> None:
    with pytest.raises(InvalidSettlementAccountError) as refused:
        settlement_account_number(text, field="account")
    assert refused.value.field == "account"


def test_an_account_number_in_another_script_is_refused() -> None:
    with pytest.raises(NonAsciiTextError):
        settlement_account_number("٦٢٢٢٠٢١٢٣٤٥٦")


def test_a_merchant_is_activated_only_under_a_contract() -> None:
    with pytest.raises(MerchantStatusError):
        activated(MerchantStatus.PENDING, has_contract=False)
    assert activated(MerchantStatus.SUSPENDED, has_contract=True) is MerchantStatus.ACTIVE
    assert activated(MerchantStatus.ACTIVE, has_contract=False) is MerchantStatus.ACTIVE
