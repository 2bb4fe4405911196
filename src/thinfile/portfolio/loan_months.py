"""The loan-month table: one row per loan per month on book, the input of every measure.

| column | type | meaning |
|---|---|---|
| ``loan_id`` | str | the loan |
| ``vintage`` | str | origination month, ``YYYY-MM`` |
| ``mob`` | int64 | months on book: 1 for the first month-end after origination, 2, … |
| ``status`` | str | the loan's status at that month-end (``closed``, ``prepaid``, ``default``, …) |
| ``days_past_due`` | int64 | days past due at that month-end (a charge-off's too), 0 when current |
| ``balance`` | int64 | principal owed at that month-end, fen |
| ``principal`` | int64 | the amount lent, fen (the same on every row of a loan) |
| ``segment``, ``grade``, ``product`` | str | optional: filters and back-test groups |

A synthetic performance table (``thinfile synth performance``) is one already, with ``month``
for ``mob``; :func:`check_loan_months` accepts it under that name.
"""

from __future__ import annotations

import re
from typing import NoReturn

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError

__all__ = ["LOAN_MONTH_COLUMNS", "MAX_MOB", "OPTIONAL_COLUMNS", "check_loan_months"]

LOAN_MONTH_COLUMNS: tuple[str, ...] = (
    "loan_id",
    "vintage",
    "mob",
    "status",
    "days_past_due",
    "balance",
    "principal",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("segment", "grade", "product")
_WHOLE = ("mob", "days_past_due", "balance", "principal")
_VINTAGE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_MOB = 600
"""The most months on book a row may give (fifty years): no loan is on a book longer, and a
curve is drawn out to the largest month on book, so a mistyped one would claim memory for
every month up to it."""
_REMEDY = "pass a loan-month table: thinfile portfolio export or thinfile synth performance"


def check_loan_months(frame: pd.DataFrame) -> pd.DataFrame:
    """The loan-month table in ``frame``, checked: contract columns (then optional ones) only.

    Raises :class:`~thinfile.errors.DataContractError` naming the first column that breaks the
    contract: missing, not whole numbers where whole numbers are due, a negative amount, a
    vintage not written ``YYYY-MM``, a month on book under 1 or over :data:`MAX_MOB`, a loan
    listed twice in one month.
    """
    if "mob" not in frame.columns and "month" in frame.columns:
        frame = frame.rename(columns={"month": "mob"})
    missing = [c for c in LOAN_MONTH_COLUMNS if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"the loan-month table lacks {', '.join(missing)}",
            field="loan_months",
            value=", ".join(missing),
            remedy=_REMEDY,
        )
    columns = list(LOAN_MONTH_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in frame.columns]
    table = frame[columns].reset_index(drop=True)
    _check_whole_numbers(table)
    for column in ("loan_id", "vintage", "status", *columns[len(LOAN_MONTH_COLUMNS) :]):
        table[column] = table[column].astype("str")
    if not table["vintage"].str.fullmatch(_VINTAGE).all():
        _broken("vintage", "must be a month written YYYY-MM")
    if (table["mob"] < 1).any():
        _broken("mob", "starts at 1")
    if (table["mob"] > MAX_MOB).any():
        _broken("mob", f"is at most {MAX_MOB} months")
    if table.duplicated(["loan_id", "mob"]).any():
        _broken("mob", "has a loan twice in one month")
    if (table.groupby("loan_id")["vintage"].nunique() > 1).any():
        _broken("vintage", "differs between rows of one loan")
    return table


def _check_whole_numbers(table: pd.DataFrame) -> None:
    """Cast the count and money columns to int64, refusing fractions, gaps and negatives."""
    for column in _WHOLE:
        whole = pd.api.types.is_integer_dtype(table[column]) or table.empty
        if not whole or table[column].isna().any():
            _broken(column, "must hold whole numbers")
        table[column] = table[column].astype(np.int64)
        if (table[column] < 0).any():
            _broken(column, "must not be negative")


def _broken(column: str, why: str) -> NoReturn:
    raise DataContractError(f"the loan-month column {column} {why}", field=column, remedy=_REMEDY)
