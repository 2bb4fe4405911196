"""Schedules of generated terms: an example whose installments, rounded up to its multiple,
would repay the loan before the last one is refused by ``build_schedule`` and rejected here."""

from __future__ import annotations

from hypothesis import reject

from thinfile.errors import InvalidInputError
from thinfile.loanmath import LoanTerms, Schedule, build_schedule


def built(terms: LoanTerms) -> Schedule:
    """``build_schedule(terms)``; the example rejected when the only refusal is its multiple."""
    try:
        return build_schedule(terms)
    except InvalidInputError as refused:
        assert refused.field == "multiple_of" and terms.multiple_of > 1, refused
        reject()
