"""Inclusion against a bureau-only policy, on the synthetic population and on HELOC.

Run: .venv/bin/python bench/inclusion_study.py [--n 200000] [--seed 7] [--approve 0.6]

Synthetic (thinfile.sim): a logistic model on bureau plus alternative data approves the safest
``--approve`` share of held-out applicants; the bureau-only policy approves thick files (more
than two bureau records) whose bureau-only model score is at least the cut-off that gives its
approvals the same mean predicted PD as the model's, and declines thin files. HELOC (real,
../shared/data/heloc): the model is a logistic regression on all 23 bureau attributes (HELOC
has no alternative data), the bureau score is ``ExternalRiskEstimate``, bureau records are
``NumTotalTrades``. Prints thinfile.portfolio.inclusion's table for each.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from thinfile.portfolio import inclusion
from thinfile.sim import generate_applicants
from thinfile.sim.evaluation import inclusion_decisions

SHARED = Path(os.environ.get("THINFILE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
HELOC = SHARED / "data" / "heloc" / "heloc_dataset_v1.csv"


def heloc_decisions(path: Path, *, approve_share: float, seed: int = 42) -> pd.DataFrame:
    """HELOC's held-out 30 % as a decisions table (special codes −9/−8/−7 as missing)."""
    raw = pd.read_csv(path)
    bad = (raw.pop("RiskPerformance") == "Bad").astype(int)
    features = raw.where(raw >= 0)
    design = pd.concat(
        [features.fillna(0), features.isna().astype(int).add_suffix("_missing")], axis=1
    )
    x_train, x_test, y_train, y_test, _, held = train_test_split(
        design, bad, features, test_size=0.3, stratify=bad, random_state=seed
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(x_train, y_train)
    pd_ = model.predict_proba(x_test)[:, 1]
    return pd.DataFrame(
        {
            "approved": pd_ <= np.quantile(pd_, approve_share),
            "bureau_records": held["NumTotalTrades"].fillna(0).to_numpy(),
            "bureau_score": held["ExternalRiskEstimate"].to_numpy(),
            "pd": pd_,
            "bad": y_test.to_numpy(),
        }
    )


def show(name: str, decisions: pd.DataFrame) -> None:
    found = inclusion(decisions)
    print(f"\n{name}: {len(decisions):,} held-out applicants, bureau cut-off {found.cutoff:g} "
          f"({found.cutoff_rule})")  # fmt: skip
    print(found.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(
        f"thin files approved by the model, declined by the bureau-only policy: {found.included:,}"
        f"; expected bad rate {found.included_expected_bad_rate:.4f}, observed "
        f"{found.included_observed_bad_rate:.4f}"
    )
    if "true_pd" in decisions.columns:
        only = decisions["approved"] & (decisions["bureau_records"] <= 2)
        print(f"their mean true PD (the generator's): {decisions.loc[only, 'true_pd'].mean():.4f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--approve", type=float, default=0.6)
    args = parser.parse_args()
    people = generate_applicants(args.n, seed=args.seed)
    show("synthetic", inclusion_decisions(people, seed=args.seed, approve_share=args.approve))
    if HELOC.exists():
        show("heloc", heloc_decisions(HELOC, approve_share=args.approve))
    else:
        print(f"\n{HELOC} is absent: HELOC skipped")


if __name__ == "__main__":
    main()
