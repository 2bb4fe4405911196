"""The book a limit-policy simulation runs over (:mod:`thinfile.services.limit_simulation`):
the loans of a synthetic performance table up to the policy's ceiling, as lines, and their
monthly rows as line × month matrices. Pure computation; no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError

__all__ = ["ENDED", "SimulatedBook", "simulated_book"]

ENDED = ("prepaid", "closed", "default")
"""The loan statuses that end a line, coded 1, 2 and 3 in :attr:`SimulatedBook.status`."""
_PERFORMANCE = ("applicant_id", "loan_id", "segment", "month", "status", "days_past_due")
_MONEY = ("amount_due", "amount_paid", "balance", "principal", "annual_rate_bps")


@dataclass(frozen=True, slots=True)
class SimulatedBook:
    """The lines and their loans' monthly rows as line × month matrices (column 0 unused)."""

    lines: np.ndarray
    segments: np.ndarray
    principal: np.ndarray
    income: np.ndarray
    rate: list[Decimal]
    present: np.ndarray
    status: np.ndarray
    dpd: np.ndarray
    due: np.ndarray
    paid: np.ndarray
    balance: np.ndarray


def _line_number(loan_id: str) -> int:
    digits = "".join(ch for ch in loan_id if ch.isdigit())
    if not digits:
        raise DataContractError("a loan id has no number", field="loan_id", value=loan_id)
    return int(digits)


def _check(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"the {name} table lacks {', '.join(missing)}",
            field=name,
            value=", ".join(missing),
            remedy=f"pass a table made by thinfile synth {name}",
        )


def simulated_book(
    applicants: pd.DataFrame, performance: pd.DataFrame, months: int, ceiling: int
) -> SimulatedBook:
    """The loans of ``performance`` up to ``ceiling`` as lines, months 1 to ``months``, each
    borrower's income from ``applicants``; a table short of a column, or a borrower missing
    from ``applicants``, is a ``DataContractError`` naming it."""
    _check(performance, (*_PERFORMANCE, *_MONEY), "performance")
    _check(applicants, ("applicant_id", "income_monthly_mean"), "applicants")
    p = performance[performance["month"].between(1, months)]
    p = p[(p["principal"] > 0) & (p["principal"] <= ceiling)]
    if p.empty:
        raise DataContractError(
            "the performance table has no loans from 1 fen up to the policy's ceiling",
            field="performance",
        )
    loans = p.drop_duplicates("loan_id").sort_values("loan_id")
    income = applicants.set_index(applicants["applicant_id"].astype(str))["income_monthly_mean"]
    person = loans["applicant_id"].astype(str)
    if not person.isin(income.index).all():
        raise DataContractError(
            "a borrower of the performance table is not in the applicants table",
            field="applicant_id",
            value=str(person[~person.isin(income.index)].iloc[0]),
            remedy="pass the applicants table the performance was simulated from",
        )
    row = pd.Series(np.arange(len(loans)), index=loans["loan_id"].astype(str).to_numpy())
    i = row.loc[p["loan_id"].astype(str)].to_numpy()
    k = p["month"].to_numpy(dtype=np.int64)
    shape = (len(loans), months + 1)

    def matrix(values: pd.Series, fill: int = 0) -> np.ndarray:
        out = np.full(shape, fill, dtype=np.int64)
        out[i, k] = values.to_numpy(dtype=np.int64)
        return out

    status_codes = p["status"].map({s: n for n, s in enumerate(ENDED, start=1)}).fillna(0)
    rates = {b: Decimal(int(b)) / 10_000 for b in loans["annual_rate_bps"].unique()}
    present = np.zeros(shape, dtype=bool)
    present[i, k] = True
    return SimulatedBook(
        lines=np.array([_line_number(x) for x in loans["loan_id"].astype(str)], dtype=np.int64),
        segments=loans["segment"].astype(str).to_numpy(),
        principal=loans["principal"].to_numpy(dtype=np.int64),
        income=income.loc[person].to_numpy(dtype=np.int64),
        rate=[rates[b] for b in loans["annual_rate_bps"]],
        present=present,
        status=matrix(status_codes.astype(np.int64)),
        dpd=matrix(p["days_past_due"]),
        due=matrix(p["amount_due"]),
        paid=matrix(p["amount_paid"]),
        balance=matrix(p["balance"]),
    )
