"""Who the applicants are: segment, age and sex, city, household registration, the request."""

from __future__ import annotations

from datetime import date

import numpy as np

from thinfile.resident_id import MIN_BORROWER_AGE
from thinfile.sim.draws import (
    Floats,
    Ints,
    by_segment,
    lognormal,
    weighted_choice,
    whole_yuan_fen,
)
from thinfile.sim.geography import CITIES, MIGRANT_ORIGINS
from thinfile.sim.segments import (
    PURPOSE_AMOUNT_YUAN,
    PURPOSE_TERM_WEIGHTS,
    PURPOSES,
    SEGMENTS,
    TERMS,
)

__all__ = ["completed_years", "demographics", "request", "residence", "segments"]

Columns = dict[str, np.ndarray]

MIN_AGE, MAX_AGE = MIN_BORROWER_AGE, 60
_DAYS_PER_YEAR = 365.2425
MIN_AMOUNT_YUAN, MAX_AMOUNT_YUAN = 1_000, 200_000


def segments(rng: np.random.Generator, n: int) -> Ints:
    """Each applicant's segment code (an index into :data:`SEGMENTS`)."""
    return weighted_choice(rng, [s.share for s in SEGMENTS], n)


def completed_years(birth: np.ndarray, as_of: date) -> Ints:
    """Age in completed years (周岁) on ``as_of`` for each birth date (``datetime64[D]``)."""
    days = birth.astype("datetime64[D]")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    before_birthday = (months * 100 + mdays) > (as_of.month * 100 + as_of.day)
    ages: Ints = (as_of.year - years - before_birthday).astype(np.int64)
    return ages


def demographics(rng: np.random.Generator, seg: Ints, as_of: date) -> Columns:
    """Birth date, age in completed years on ``as_of``, and sex (``F``/``M``)."""
    n = seg.shape[0]
    years = rng.normal(by_segment(seg, "age_mean"), by_segment(seg, "age_sd"))
    years = np.clip(years, MIN_AGE + 0.02, MAX_AGE + 0.95)
    birth = np.datetime64(as_of, "D") - np.rint(years * _DAYS_PER_YEAR).astype("timedelta64[D]")
    is_male = rng.random(n) < by_segment(seg, "male_share")
    return {
        "birth_date": birth,
        "age": completed_years(birth, as_of),
        "is_male": is_male,
        "gender": np.where(is_male, "M", "F"),
    }


def residence(rng: np.random.Generator, seg: Ints, age: Ints, stability: Floats) -> Columns:
    """City and tier, hukou province and whether it is local, months in the city, and the
    division code an ID number would carry (from the hukou province)."""
    n = seg.shape[0]
    tier = np.empty(n, dtype=np.int64)
    for code, segment in enumerate(SEGMENTS):
        mask = seg == code
        tier[mask] = weighted_choice(rng, segment.tier_weights, int(mask.sum())) + 1
    city = np.empty(n, dtype=np.int64)
    city_tiers = np.array([c.tier for c in CITIES])
    for t in range(1, 5):
        mask, members = tier == t, np.flatnonzero(city_tiers == t)
        weights = [CITIES[i].weight for i in members]
        city[mask] = members[weighted_choice(rng, weights, int(mask.sum()))]
    city_province = np.array([c.province for c in CITIES], dtype=np.int64)[city]
    is_local = rng.random(n) < by_segment(seg, "local_hukou_share")
    origins = np.array(list(MIGRANT_ORIGINS), dtype=np.int64)
    migrant_from = origins[weighted_choice(rng, list(MIGRANT_ORIGINS.values()), n)]
    same_province = rng.random(n) < 0.25
    hukou = np.where(is_local | same_province, city_province, migrant_from)
    max_months = np.maximum((age - 16) * 12, 1)
    median = by_segment(seg, "months_in_city_median") * np.where(is_local, 2.5, 1.0)
    months = lognormal(rng, median * np.exp(0.25 * stability), 0.8, n)
    region = hukou * 10000 + rng.integers(1, 6, n) * 100 + rng.integers(1, 10, n)
    return {
        "city_index": city,
        "city_tier": tier,
        "hukou_province_code": hukou,
        "is_local_hukou": is_local,
        "months_in_city": np.clip(np.rint(months), 1, max_months).astype(np.int64),
        "region_code": region,
    }


def request(rng: np.random.Generator, seg: Ints, income_yuan: Floats) -> Columns:
    """The loan asked for: purpose code, amount in fen (whole hundreds of yuan), term in months."""
    n = seg.shape[0]
    purpose = np.empty(n, dtype=np.int64)
    for code, segment in enumerate(SEGMENTS):
        mask = seg == code
        purpose[mask] = weighted_choice(rng, segment.purpose_weights, int(mask.sum()))
    median = np.array(PURPOSE_AMOUNT_YUAN, dtype=np.float64)[purpose]
    yuan = lognormal(rng, median * np.sqrt(income_yuan / 7000.0), 0.5, n)
    hundreds = np.clip(np.rint(yuan / 100), MIN_AMOUNT_YUAN // 100, MAX_AMOUNT_YUAN // 100)
    term_index = np.empty(n, dtype=np.int64)
    for p in range(len(PURPOSES)):
        mask = purpose == p
        term_index[mask] = weighted_choice(rng, PURPOSE_TERM_WEIGHTS[p], int(mask.sum()))
    return {
        "purpose_code": purpose,
        "requested_amount": whole_yuan_fen(hundreds * 100.0),
        "requested_term_months": np.array(TERMS, dtype=np.int64)[term_index],
    }
