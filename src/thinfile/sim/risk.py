"""The known default process: a latent 12-month default probability and the outcome drawn
from it.

The log-odds of default are a sum of named effects (below). They use the *true* traits and
income, which the lender never sees directly: bureau records and alternative data are noisy
views of them (:mod:`thinfile.sim.alternative`). ``true_pd`` is therefore the ceiling any
scorecard can approach, never a model input.
"""

from __future__ import annotations

import numpy as np

from thinfile.sim.draws import Floats, Ints, Mask, by_segment, sigmoid

__all__ = ["EFFECTS", "default_outcome", "true_default_probability"]

EFFECTS: dict[str, float] = {
    "discipline": -0.85,
    "stability": -0.40,
    "income_volatility": 1.20,
    "debt_to_income": 1.50,
    "log_income": -0.30,
    "under_23": 0.25,
    "local_hukou": -0.15,
}
"""Coefficient of each effect on the default log-odds (per unit of the effect)."""


def true_default_probability(
    seg: Ints,
    *,
    discipline: Floats,
    stability: Floats,
    true_income: Floats,
    true_cv: Floats,
    debt_payment_fen: Ints,
    amount_fen: Ints,
    term_months: Ints,
    age: Ints,
    is_local: Mask,
) -> Floats:
    """The probability of reaching 90+ days past due within 12 months on book (逾期90天以上)."""
    new_payment_yuan = amount_fen / 100.0 * (1.0 / term_months + 0.012)
    dti = (debt_payment_fen / 100.0 + new_payment_yuan) / true_income
    log_odds = (
        by_segment(seg, "risk_offset")
        + EFFECTS["discipline"] * discipline
        + EFFECTS["stability"] * stability
        + EFFECTS["income_volatility"] * (true_cv - 0.25)
        + EFFECTS["debt_to_income"] * (np.clip(dti, 0.0, 3.0) - 0.30)
        + EFFECTS["log_income"] * np.log(true_income / 7000.0)
        + EFFECTS["under_23"] * (age < 23)
        + EFFECTS["local_hukou"] * is_local
    )
    return sigmoid(log_odds)


def default_outcome(rng: np.random.Generator, true_pd: Floats) -> Ints:
    """``bad_12m``: 1 when the applicant defaults within 12 months, drawn from ``true_pd``."""
    return (rng.random(true_pd.shape[0]) < true_pd).astype(np.int64)
