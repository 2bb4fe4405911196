"""How much the alternative data is worth on the generated population.

Fits two logistic regressions on a train split — one on bureau information only, one on
bureau plus alternative data — and reports their AUC on the held-out split, for thin-file
applicants (薄征信: at most two bureau records, 征信白户 included) and for everyone.

Reproduce the figures in ``docs.md``::

    .venv/bin/python -m thinfile.sim.evaluation --n 200000 --seed 7
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = [
    "ALTERNATIVE_FEATURES",
    "BUREAU_FEATURES",
    "InformationValue",
    "compare_information",
    "inclusion_decisions",
    "is_thin_file",
    "segment_table",
]

BUREAU_FEATURES: tuple[str, ...] = (
    "bureau_history_months",
    "bureau_records",
    "bureau_delinquencies_24m",
    "existing_debt_payment_monthly",
    "requested_amount",
    "requested_term_months",
)
"""What a lender sees without alternative data: the bureau report and the application."""

ALTERNATIVE_FEATURES: tuple[str, ...] = (
    "platform_tenure_months",
    "income_monthly_mean",
    "income_monthly_cv",
    "income_months_observed",
    "rent_months_reported",
    "rent_on_time_ratio",
    "utility_months_reported",
    "utility_on_time_ratio",
    "social_insurance_months",
    "ecommerce_months_active",
    "ecommerce_monthly_spend",
    "device_tenure_months",
    "address_changes_24m",
    "months_in_city",
)
"""Alternative data added to the bureau features in the second model."""

THIN_FILE_MAX_RECORDS = 2


@dataclass(frozen=True, slots=True)
class InformationValue:
    """Held-out AUCs of the two models, for thin-file applicants and for everyone."""

    thin_file_bureau_auc: float
    thin_file_with_alternative_auc: float
    all_bureau_auc: float
    all_with_alternative_auc: float
    thin_file_share: float
    test_rows: int


def is_thin_file(applicants: pd.DataFrame) -> pd.Series:
    """Applicants with at most two bureau records (征信白户 or nearly so)."""
    return applicants["bureau_records"] <= THIN_FILE_MAX_RECORDS


def _design(applicants: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Numeric features; missing ratios become 0 with an indicator; money in log-yuan."""
    parts = []
    for name in columns:
        values = applicants[name].to_numpy(dtype=np.float64)
        if np.isnan(values).any():
            parts.append(np.isnan(values).astype(np.float64))
            values = np.nan_to_num(values, nan=0.0)
        if name.endswith(("_mean", "_spend", "_monthly", "_amount")):
            values = np.log1p(values / 100.0)
        parts.append(values)
    return np.column_stack(parts)


def _fit_predict(train: pd.DataFrame, test: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The held-out PDs of a logistic regression on ``columns`` fitted on ``train``."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(_design(train, columns), train["bad_12m"].to_numpy())
    pd_: np.ndarray = model.predict_proba(_design(test, columns))[:, 1]
    return pd_


def _fit_auc(
    train: pd.DataFrame, test: pd.DataFrame, columns: tuple[str, ...], mask: np.ndarray
) -> tuple[float, float]:
    scores = _fit_predict(train, test, columns)
    truth = test["bad_12m"].to_numpy()
    return float(roc_auc_score(truth[mask], scores[mask])), float(roc_auc_score(truth, scores))


def compare_information(
    applicants: pd.DataFrame, *, seed: int = 0, test_share: float = 0.3
) -> InformationValue:
    """Train both models on one split of ``applicants`` and score the other."""
    train, test = train_test_split(
        applicants, test_size=test_share, random_state=seed, stratify=applicants["bad_12m"]
    )
    thin = is_thin_file(test).to_numpy()
    bureau_thin, bureau_all = _fit_auc(train, test, BUREAU_FEATURES, thin)
    both = BUREAU_FEATURES + ALTERNATIVE_FEATURES
    alt_thin, alt_all = _fit_auc(train, test, both, thin)
    return InformationValue(
        bureau_thin, alt_thin, bureau_all, alt_all, float(thin.mean()), len(test)
    )


def inclusion_decisions(
    applicants: pd.DataFrame,
    *,
    seed: int = 0,
    test_share: float = 0.3,
    approve_share: float = 0.6,
) -> pd.DataFrame:
    """The held-out applicants as a decisions table for the inclusion measure
    (``thinfile.portfolio.inclusion``): the bureau-plus-alternative model approves the
    ``approve_share`` it rates safest (``approved``, its ``pd``); ``bureau_score`` is what a
    bureau-only model says, 1000 × (1 − its PD), higher is better; ``bureau_records``;
    ``bad`` the 12-month outcome and ``true_pd`` the generator's own PD."""
    train, test = train_test_split(
        applicants, test_size=test_share, random_state=seed, stratify=applicants["bad_12m"]
    )
    full = _fit_predict(train, test, BUREAU_FEATURES + ALTERNATIVE_FEATURES)
    bureau = _fit_predict(train, test, BUREAU_FEATURES)
    return pd.DataFrame(
        {
            "approved": full <= np.quantile(full, approve_share),
            "bureau_records": test["bureau_records"].to_numpy(),
            "bureau_score": np.round(1000 * (1 - bureau)),
            "pd": full,
            "bad": test["bad_12m"].to_numpy(),
            "true_pd": test["true_pd"].to_numpy(),
        }
    )


def segment_table(applicants: pd.DataFrame) -> pd.DataFrame:
    """Share, 12-month bad rate and mean true PD by segment, plus the whole population."""
    grouped = applicants.groupby("segment", sort=False).agg(
        applicants=("bad_12m", "size"),
        bad_rate=("bad_12m", "mean"),
        mean_true_pd=("true_pd", "mean"),
    )
    grouped["share"] = grouped["applicants"] / len(applicants)
    grouped.loc["all"] = [
        len(applicants),
        applicants["bad_12m"].mean(),
        applicants["true_pd"].mean(),
        1.0,
    ]
    return grouped[["applicants", "share", "bad_rate", "mean_true_pd"]]


def main(argv: list[str] | None = None) -> None:
    """Print the segment table and the AUCs for a generated population."""
    from thinfile.sim.population import generate_applicants

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    applicants = generate_applicants(args.n, seed=args.seed)
    print(segment_table(applicants).to_string(float_format=lambda v: f"{v:.4f}"))
    value = compare_information(applicants, seed=args.seed)
    print(
        f"thin-file share of test rows: {value.thin_file_share:.3f} (test rows: {value.test_rows})"
    )
    print(f"AUC thin-file, bureau only:          {value.thin_file_bureau_auc:.3f}")
    print(f"AUC thin-file, bureau + alternative: {value.thin_file_with_alternative_auc:.3f}")
    print(f"AUC everyone,  bureau only:          {value.all_bureau_auc:.3f}")
    print(f"AUC everyone,  bureau + alternative: {value.all_with_alternative_auc:.3f}")


if __name__ == "__main__":
    main()
