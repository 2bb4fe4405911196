"""Inclusion (普惠): thin-file applicants the model approves that a bureau-only rule declines.

The baseline is the policy a lender without alternative data runs: approve an applicant with
a thick bureau file (more than two records) whose bureau score is at least a cut-off; decline
every thin file (at most two records, 征信白户 included), since the bureau says too little.
The model's policy is the ``approved`` column of the decisions table.

The cut-off is given, or chosen *at the same expected loss*: the lowest bureau score whose
approvals' mean predicted PD is no higher than that of the model's approvals (so the baseline
takes no more risk per loan than the model does). Per policy and per file group (thin, thick,
all): applications, approvals, approval rate, expected bad rate (mean predicted PD of the
approvals) and observed bad rate (among approvals with a known outcome). ``included`` are the
thin-file applicants the model approves: all of them are declined by the baseline.

Columns: ``approved`` (bool), ``bureau_records`` (int), ``bureau_score`` (higher is better;
missing for a file with no score), ``pd`` (the model's predicted PD, needed for expected
rates and the same-loss cut-off) and optionally ``bad`` (1, 0 or missing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError

__all__ = [
    "INCLUSION_COLUMNS",
    "THIN_FILE_RECORDS",
    "Inclusion",
    "bureau_only_approvals",
    "cutoff_at_same_expected_loss",
    "inclusion",
]

THIN_FILE_RECORDS = 2
"""A thin file (薄征信, 征信白户 included) has at most this many bureau records."""
INCLUSION_COLUMNS: tuple[str, ...] = (
    "policy",
    "group",
    "applications",
    "approvals",
    "approval_rate",
    "expected_bad_rate",
    "observed_bad_rate",
    "outcomes",
)
_GROUPS = ("thin_file", "thick_file", "all")


@dataclass(frozen=True, slots=True)
class Inclusion:
    """The comparison: the cut-off used, how it was chosen (``given`` or
    ``same_expected_loss``), :data:`INCLUSION_COLUMNS` per policy (``model``,
    ``bureau_only``) and group, and the thin-file applicants only the model approves."""

    cutoff: float
    cutoff_rule: str
    table: pd.DataFrame
    included: int
    included_expected_bad_rate: float
    included_observed_bad_rate: float


def _require(decisions: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        if column not in decisions.columns:
            raise DataContractError(
                f"the decisions table lacks {column}",
                field="decisions",
                value=column,
                remedy="pass approved, bureau_records, bureau_score and pd per application",
            )


def _is_thin(decisions: pd.DataFrame) -> pd.Series:
    return decisions["bureau_records"].fillna(0) <= THIN_FILE_RECORDS


def bureau_only_approvals(decisions: pd.DataFrame, cutoff: float) -> pd.Series:
    """True where the bureau-only rule approves: a thick file scoring at least ``cutoff``."""
    _require(decisions, "bureau_records", "bureau_score")
    score = pd.to_numeric(decisions["bureau_score"], errors="coerce")
    return (~_is_thin(decisions) & (score >= cutoff)).fillna(False).astype(bool)


def cutoff_at_same_expected_loss(decisions: pd.DataFrame) -> float:
    """The lowest bureau score whose bureau-only approvals have a mean predicted PD no higher
    than the model's approvals; ``inf`` (approve nobody) when even the best score's is higher."""
    _require(decisions, "approved", "bureau_records", "bureau_score", "pd")
    target = decisions.loc[decisions["approved"].astype(bool), "pd"].astype(float).mean()
    score = pd.to_numeric(decisions["bureau_score"], errors="coerce")
    thick = decisions.assign(score=score)[~_is_thin(decisions) & score.notna()]
    if thick.empty or math.isnan(target):
        return math.inf
    by_score = thick.groupby("score")["pd"].agg(["sum", "size"]).sort_index(ascending=False)
    mean_pd = by_score["sum"].cumsum() / by_score["size"].cumsum()
    # tolerance: the same set of loans summed in another order may differ in the last place
    meeting = mean_pd[mean_pd <= target + 1e-12]
    return float(meeting.index.min()) if len(meeting) else math.inf  # float-ok: a score


def inclusion(decisions: pd.DataFrame, *, cutoff: float | None = None) -> Inclusion:
    """The model's approvals against the bureau-only rule at ``cutoff`` (or at the same
    expected loss when None)."""
    _require(decisions, "approved", "bureau_records", "bureau_score")
    rule = "given"
    if cutoff is None:
        cutoff, rule = cutoff_at_same_expected_loss(decisions), "same_expected_loss"
    thin = _is_thin(decisions)
    policies = {
        "model": decisions["approved"].astype(bool),
        "bureau_only": bureau_only_approvals(decisions, cutoff),
    }
    groups = {"thin_file": thin, "thick_file": ~thin, "all": pd.Series(True, index=thin.index)}
    rows = [
        _row(decisions, policy, group, approved & groups[group], groups[group])
        for policy, approved in policies.items()
        for group in _GROUPS
    ]
    only_model = policies["model"] & ~policies["bureau_only"] & thin
    included = _row(decisions, "model", "included", only_model, only_model)
    return Inclusion(
        cutoff=cutoff,
        cutoff_rule=rule,
        table=pd.DataFrame(rows, columns=list(INCLUSION_COLUMNS)),
        included=int(only_model.sum()),
        included_expected_bad_rate=included["expected_bad_rate"],
        included_observed_bad_rate=included["observed_bad_rate"],
    )


class _Row(TypedDict):
    policy: str
    group: str
    applications: int
    approvals: int
    approval_rate: float
    expected_bad_rate: float
    observed_bad_rate: float
    outcomes: int


def _row(
    decisions: pd.DataFrame, policy: str, group: str, approved: pd.Series, members: pd.Series
) -> _Row:
    applications, approvals = int(members.sum()), int(approved.sum())
    expected = (
        float(decisions.loc[approved, "pd"].astype(float).mean())  # float-ok: a rate
        if "pd" in decisions.columns and approvals
        else math.nan
    )
    outcomes = (
        approved & decisions["bad"].notna() if "bad" in decisions.columns else approved & False
    )
    bads = decisions.loc[outcomes, "bad"].astype("float64")
    observed = float(bads.mean()) if outcomes.any() else math.nan  # float-ok: a rate
    return {
        "policy": policy,
        "group": group,
        "applications": applications,
        "approvals": approvals,
        "approval_rate": approvals / applications if applications else math.nan,
        "expected_bad_rate": expected,
        "observed_bad_rate": observed,
        "outcomes": int(np.count_nonzero(outcomes.to_numpy())),
    }
