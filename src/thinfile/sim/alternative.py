"""Credit-bureau (征信) records and alternative data: income flows, rent, utilities, social
insurance (社保), e-commerce, device and address stability, existing debt.

Two latent traits drive what is observed: ``discipline`` (paying what is owed when it is
owed) and ``stability`` (staying put in one job, one phone, one address). Observed fields are
noisy, partial views of them; the applicant's consent (授权) decides which views exist at all.
"""

from __future__ import annotations

import numpy as np

from thinfile.sim.draws import Floats, Ints, Mask, by_segment, lognormal, sigmoid, whole_yuan_fen
from thinfile.sim.segments import SEGMENTS

__all__ = [
    "TIER_INCOME",
    "bureau",
    "consent",
    "digital_footprint",
    "existing_debt",
    "income",
    "observed_income",
    "payment_history",
    "work_records",
]

Columns = dict[str, np.ndarray]

TIER_INCOME = np.array([0.0, 1.30, 1.10, 0.95, 0.85])
"""Income multiplier by city tier (index 1–4)."""
_MICRO_SHOP = next(i for i, s in enumerate(SEGMENTS) if s.name == "micro_shop_owner")


def income(rng: np.random.Generator, seg: Ints, tier: Ints, stability: Floats) -> Columns:
    """True monthly income (yuan) and its volatility: the latent truth behind what is seen."""
    n = seg.shape[0]
    median = by_segment(seg, "income_median") * TIER_INCOME[tier] * np.exp(0.08 * stability)
    cv_mean = by_segment(seg, "income_cv") * np.exp(-0.10 * stability)
    return {
        "true_income_yuan": lognormal(rng, median, 0.35, n),
        "true_income_cv": rng.gamma(4.0, cv_mean / 4.0),
    }


def bureau(rng: np.random.Generator, seg: Ints, age: Ints, discipline: Floats) -> Columns:
    """Credit-bureau history: months since the first record (0 = 征信白户), number of records
    and delinquencies in the last 24 months."""
    n = seg.shape[0]
    has = rng.random(n) < by_segment(seg, "bureau_share") * np.where(age >= 30, 1.1, 0.9)
    months = lognormal(rng, by_segment(seg, "bureau_months_median"), 0.7, n)
    months = np.where(has, np.clip(np.rint(months), 1, (age - 17) * 12), 0).astype(np.int64)
    records = np.where(has, 1 + rng.poisson(months / 30.0), 0).astype(np.int64)
    rate = records * 0.12 * np.exp(-1.0 * discipline)
    return {
        "bureau_history_months": months,
        "bureau_records": records,
        "bureau_delinquencies_24m": rng.poisson(rate).astype(np.int64),
    }


def existing_debt(rng: np.random.Generator, records: Ints, true_income: Floats) -> Ints:
    """Monthly payments on debts the applicant already has, in fen."""
    n = records.shape[0]
    has_debt = rng.random(n) < np.where(records > 0, 0.6, 0.1)
    share = lognormal(rng, np.where(records > 0, 0.12, 0.08), 0.6, n)
    return whole_yuan_fen(np.where(has_debt, true_income * np.minimum(share, 0.8), 0.0))


def consent(rng: np.random.Generator, discipline: Floats) -> Mask:
    """Whether the applicant authorised alternative-data queries (about 85% do)."""
    return rng.random(discipline.shape[0]) < sigmoid(1.9 + 0.35 * discipline)


def work_records(
    rng: np.random.Generator, seg: Ints, months_in_city: Ints, stability: Floats, consented: Mask
) -> Columns:
    """Gig-platform tenure (0 when not on a platform) and social-insurance months (0 when not
    contributing, or when there is no consent to look)."""
    n = seg.shape[0]
    on_platform = rng.random(n) < by_segment(seg, "platform_share")
    tenure = lognormal(rng, 14.0 * np.exp(0.3 * stability), 0.8, n)
    tenure = np.where(on_platform, np.clip(np.rint(tenure), 1, months_in_city), 0)
    insured = consented & (rng.random(n) < by_segment(seg, "social_insurance_share"))
    insured_months = lognormal(rng, 24.0 * np.exp(0.3 * stability), 0.7, n)
    insured_months = np.where(insured, np.clip(np.rint(insured_months), 1, months_in_city), 0)
    return {
        "platform_tenure_months": tenure.astype(np.int64),
        "social_insurance_months": insured_months.astype(np.int64),
    }


def observed_income(
    rng: np.random.Generator,
    seg: Ints,
    consented: Mask,
    platform: Ints,
    insured: Ints,
    true_income: Floats,
    true_cv: Floats,
) -> Columns:
    """What the lender sees of income: the mean of up to 12 observed months (platform payouts,
    payroll or bank flows) with its volatility, or else the self-declared (申报) figure; and
    the monthly income every applicant declares on the application form, observed or not."""
    n = seg.shape[0]
    has_source = (platform > 0) | (insured > 0) | (rng.random(n) < 0.25)
    has_source |= (seg == _MICRO_SHOP) & (rng.random(n) < 0.6)
    span = np.where(platform > 0, platform, np.where(insured > 0, insured, rng.integers(3, 13, n)))
    months = np.where(consented & has_source, np.minimum(span, 12), 0).astype(np.int64)
    seen = true_income * np.exp(rng.normal(0.0, 0.06, n))
    declared = true_income * np.exp(rng.normal(0.12, 0.25, n))
    noise = rng.normal(0.0, 1.0, n) * 0.6 / np.sqrt(np.maximum(months, 1))
    cv = np.where(months >= 3, np.round(true_cv * np.exp(noise), 4), np.nan)
    return {
        "income_monthly_mean": whole_yuan_fen(np.where(months > 0, seen, declared)),
        "income_monthly_cv": cv,
        "income_months_observed": months,
        "income_verified": months >= 6,
        "declared_monthly_income": whole_yuan_fen(declared),
    }


def payment_history(
    rng: np.random.Generator,
    consented: Mask,
    is_local: Mask,
    months_in_city: Ints,
    discipline: Floats,
) -> Columns:
    """Rent and utility/telecom payment records over up to 24 months: how many months were
    reported and the share paid on time (NaN when none were reported)."""
    n = consented.shape[0]
    window = np.minimum(months_in_city, 24)
    renter = ~is_local | (rng.random(n) < 0.2)
    out: Columns = {}
    for kind, available, base, slope in (
        ("rent", consented & renter, 0.55, 1.2),
        ("utility", consented, 0.75, 0.9),
    ):
        reported = available & (rng.random(n) < base)
        months = np.where(reported, rng.integers(1, window + 1), 0).astype(np.int64)
        p_on_time = sigmoid(2.6 + (0.4 if kind == "utility" else 0.0) + slope * discipline)
        on_time = rng.binomial(months, p_on_time)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(months > 0, on_time / np.maximum(months, 1), np.nan)
        out[f"{kind}_months_reported"] = months
        out[f"{kind}_on_time_ratio"] = np.round(ratio, 4)
    return out


def digital_footprint(
    rng: np.random.Generator,
    consented: Mask,
    age: Ints,
    stability: Floats,
    discipline: Floats,
    true_income: Floats,
) -> Columns:
    """E-commerce activity (months active of the last 24, mean monthly spend in fen), device
    tenure and address changes in the last 24 months."""
    n = consented.shape[0]
    shops = consented & (rng.random(n) < 0.85)
    p_active = sigmoid(0.8 + 0.6 * stability - 0.02 * (age - 30))
    active = np.where(shops, rng.binomial(24, p_active), 0).astype(np.int64)
    spend = lognormal(rng, 0.08 * true_income * np.exp(-0.25 * discipline), 0.45, n)
    device = lognormal(rng, np.exp(2.7 + 0.35 * stability), 0.6, n)
    moves = rng.poisson(0.9 * np.exp(-0.55 * stability))
    return {
        "ecommerce_months_active": active,
        "ecommerce_monthly_spend": whole_yuan_fen(np.where(active > 0, spend, 0.0)),
        "device_tenure_months": np.clip(np.rint(device), 0, 96).astype(np.int64),
        "address_changes_24m": np.minimum(moves, 12).astype(np.int64),
    }
