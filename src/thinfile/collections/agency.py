"""Outsourced collection agencies (委外催收机构): a case as an agency may see it.

An agency gets only what it needs to collect: the case and loan numbers, bucket and days past
due, the amount overdue, the borrower's masked name and the numbers it may call (masked;
its dialer resolves them through the lender). Never the ID number, income, application or
the emergency contact's details beyond the masked number.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AgencyCaseView", "CaseFacts", "redact_for_agency"]


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """Everything staff see of a case (the agency view is cut from it)."""

    case_id: int
    loan_id: int
    bucket: str
    days_past_due: int
    overdue_fen: int
    outstanding_fen: int
    currency: str
    borrower_name_masked: str
    id_number_masked: str
    numbers_masked: tuple[tuple[str, str], ...]
    """``(party, masked number)`` of each registered party."""
    assignee: str | None
    agency: str | None


@dataclass(frozen=True, slots=True)
class AgencyCaseView:
    case_id: int
    loan_id: int
    bucket: str
    days_past_due: int
    overdue_fen: int
    currency: str
    borrower_name_masked: str
    borrower_numbers_masked: tuple[str, ...]


def redact_for_agency(facts: CaseFacts) -> AgencyCaseView:
    """The agency's view: no ID number, no outstanding balance, no third-party numbers."""
    return AgencyCaseView(
        case_id=facts.case_id,
        loan_id=facts.loan_id,
        bucket=facts.bucket,
        days_past_due=facts.days_past_due,
        overdue_fen=facts.overdue_fen,
        currency=facts.currency,
        borrower_name_masked=facts.borrower_name_masked,
        borrower_numbers_masked=tuple(n for p, n in facts.numbers_masked if p == "borrower"),
    )
