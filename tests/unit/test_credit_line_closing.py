"""Closing a revolving line (销户): only with nothing drawn and nothing held on it, once."""

from __future__ import annotations

import pytest

from thinfile.errors import ConflictError
from thinfile.money import Money
from thinfile.servicing import CreditLine, LineStatus, close_line

LINE = CreditLine(7, Money.of("5000"))


def test_an_idle_line_closes_and_a_frozen_one_too() -> None:
    assert close_line(LINE, 0, 0).status is LineStatus.CLOSED
    frozen = CreditLine(7, Money.of("5000"), LineStatus.FROZEN)
    assert close_line(frozen, 0, 0) == CreditLine(7, Money.of("5000"), LineStatus.CLOSED)


@pytest.mark.parametrize(
    ("owed", "held", "words"),
    [(1, 0, "0.01 of principal is still owed"), (0, 35_000, "hold 350.00")],
)
def test_a_line_with_a_draw_owed_or_a_purchase_held_stays_open(
    owed: int, held: int, words: str
) -> None:
    with pytest.raises(ConflictError) as refused:
        close_line(LINE, owed, held)
    assert words in refused.value.message and refused.value.field == "line_id"


@pytest.mark.parametrize("status", [LineStatus.CLOSED, LineStatus.CHARGED_OFF])
def test_a_closed_or_charged_off_line_is_not_closed_again(status: LineStatus) -> None:
    with pytest.raises(ConflictError, match=str(status)):
        close_line(CreditLine(7, Money.of("5000"), status), 0, 0)
