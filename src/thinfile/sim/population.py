"""``generate_applicants``: a whole synthetic population in one vectorised pass.

Data flow::

    seed ──streams──► segment ──► age, sex ──► city, hukou ──► latent traits
         ──► true income ──► bureau ──► consent ──► alternative data ──► request
         ──► true_pd ──► bad_12m ──► names, ID numbers, phones ──► DataFrame
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from thinfile.errors import InvalidInputError
from thinfile.sim import alternative, identity, people, risk
from thinfile.sim.draws import Ints, streams
from thinfile.sim.geography import CITIES, PROVINCES
from thinfile.sim.segments import PURPOSES, SEGMENTS

__all__ = [
    "APPLICANT_COLUMNS",
    "BLOCK_ROWS",
    "DEFAULT_AS_OF",
    "GENERATION_STEPS",
    "MAX_APPLICANTS",
    "block_count",
    "generate_applicants",
    "generate_block",
    "generate_blocked",
]

DEFAULT_AS_OF = date(2026, 1, 1)
"""The application date ages and histories are measured at, unless another is given."""
MAX_APPLICANTS = 50_000_000

GENERATION_STEPS: tuple[str, ...] = (
    "people",
    "bureau and alternative data",
    "outcomes",
    "identities",
    "table",
)
"""The steps reported to ``on_step``, in order."""

NOT_MODEL_INPUTS: tuple[str, ...] = (
    "name",
    "id_number",
    "phone",
    "birth_date",
    "true_pd",
    "gender",
    "age",
    "hukou_province",
    "is_local_hukou",
    "city",
    "city_tier",
    "segment",
    "purpose",
)
"""Columns a model must never learn from: personal data, the synthetic ground truth and the
protected or proxy attributes (kept for fairness reports only: sex, age, hukou and where the
applicant lives, which ``thinfile.scoring.contract.PROTECTED_INPUTS`` names and no model may
read). The occupation ``segment`` is among them — a score rests on what the applicant does
(earns, pays, stays, owes, asks for), not on the work they do; occupation is reported on, to
check that each one is reached — and so is the loan ``purpose``, which stands in for it (most
working-capital requests come from shop owners). Leaving both out costs no discrimination
beyond the noise on held-out data (``bench/RESULTS.md``, #16 item 15)."""

APPLICANT_COLUMNS: tuple[str, ...] = (
    "applicant_id",
    "name",
    "id_number",
    "phone",
    "birth_date",
    "age",
    "gender",
    "city",
    "city_tier",
    "hukou_province",
    "is_local_hukou",
    "months_in_city",
    "segment",
    "purpose",
    "requested_amount",
    "requested_term_months",
    "bureau_history_months",
    "bureau_records",
    "bureau_delinquencies_24m",
    "platform_tenure_months",
    "income_monthly_mean",
    "income_monthly_cv",
    "income_months_observed",
    "income_verified",
    "declared_monthly_income",
    "rent_months_reported",
    "rent_on_time_ratio",
    "utility_months_reported",
    "utility_on_time_ratio",
    "social_insurance_months",
    "ecommerce_months_active",
    "ecommerce_monthly_spend",
    "device_tenure_months",
    "address_changes_24m",
    "existing_debt_payment_monthly",
    "consent_alt_data",
    "true_pd",
    "bad_12m",
)
"""The applicants table's columns, in order (documented in ``thinfile/sim/docs.md``)."""

_STREAMS = (
    "segment",
    "people",
    "residence",
    "latent",
    "income",
    "bureau",
    "debt",
    "consent",
    "work",
    "observed",
    "payments",
    "footprint",
    "request",
    "outcome",
    "names",
    "ids",
    "phones",
)

Columns = dict[str, np.ndarray]


def generate_applicants(
    n: int,
    *,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    on_step: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """``n`` synthetic new-citizen (新市民) applicants, reproducible from ``seed``.

    One row per applicant with identity, request, bureau and alternative data, and the ground
    truth ``true_pd`` and ``bad_12m``. ``on_step`` is called with each name in
    :data:`GENERATION_STEPS` as that step finishes (for progress bars).
    """
    _check(n, seed)
    return _generate(streams(seed, _STREAMS), n, as_of, on_step, first_id=1)


BLOCK_ROWS = 100_000
"""Rows per block of a population generated in blocks (:func:`generate_block`)."""
_BLOCK_KEY = 0x424C4F43  # "BLOC": keeps block seeds apart from the streams of one pass


def block_count(n: int, block_rows: int = BLOCK_ROWS) -> int:
    """How many blocks ``n`` applicants make."""
    return -(-n // block_rows)


def generate_block(
    n: int,
    block: int,
    *,
    seed: int,
    block_rows: int = BLOCK_ROWS,
    as_of: date = DEFAULT_AS_OF,
) -> pd.DataFrame:
    """Block ``block`` of a population of ``n`` applicants generated in blocks.

    The partitioning rule, the same on one machine and on Spark: applicants are numbered from
    1 and cut into blocks of ``block_rows`` (the last one shorter); block *k* holds applicants
    ``k·block_rows + 1`` onwards and draws from its own generators, derived from ``seed`` and
    *k* alone (``SeedSequence(seed, spawn_key=(BLOC, k))``). A block is therefore the same
    whichever process generates it and however blocks are grouped into partitions, and the
    population is its blocks in order. It is not :func:`generate_applicants`'s population for
    the same seed (that is one pass with one set of generators). Identity numbers and phones
    are unique within a block, not checked across blocks.
    """
    _check(n, seed)
    if isinstance(block_rows, bool) or not isinstance(block_rows, int) or block_rows < 1:
        raise InvalidInputError(
            "rows per block must be a positive whole number", field="block_rows", value=block_rows
        )
    if not 0 <= block < block_count(n, block_rows):
        raise InvalidInputError(
            f"the population has {block_count(n, block_rows)} blocks", field="block", value=block
        )
    start = block * block_rows
    size = min(block_rows, n - start)
    root = np.random.SeedSequence(seed, spawn_key=(_BLOCK_KEY, block))
    children = root.spawn(len(_STREAMS))
    rng = {
        name: np.random.default_rng(child) for name, child in zip(_STREAMS, children, strict=True)
    }
    return _generate(rng, size, as_of, None, first_id=start + 1)


def generate_blocked(
    n: int, *, seed: int, block_rows: int = BLOCK_ROWS, as_of: date = DEFAULT_AS_OF
) -> pd.DataFrame:
    """The whole population of :func:`generate_block`'s rule, its blocks in order."""
    _check(n, seed)
    blocks = [
        generate_block(n, k, seed=seed, block_rows=block_rows, as_of=as_of)
        for k in range(block_count(n, block_rows))
    ]
    return pd.concat(blocks, ignore_index=True)


def _generate(
    rng: dict[str, np.random.Generator],
    n: int,
    as_of: date,
    on_step: Callable[[str], None] | None,
    *,
    first_id: int,
) -> pd.DataFrame:
    report = on_step or (lambda _step: None)
    cols = _people(rng, n, as_of)
    report(GENERATION_STEPS[0])
    cols.update(_data(rng, cols))
    report(GENERATION_STEPS[1])
    cols.update(_outcomes(rng, cols))
    report(GENERATION_STEPS[2])
    cols.update(_identities(rng, cols, first_id))
    report(GENERATION_STEPS[3])
    frame = _table(cols)
    report(GENERATION_STEPS[4])
    return frame


def _check(n: int, seed: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_APPLICANTS:
        raise InvalidInputError(
            f"the number of applicants must be from 1 to {MAX_APPLICANTS}", field="n", value=n
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInputError(
            "the seed must be a non-negative whole number", field="seed", value=seed
        )


def _people(rng: dict[str, np.random.Generator], n: int, as_of: date) -> Columns:
    seg = people.segments(rng["segment"], n)
    cols: Columns = {"segment_code": seg}
    cols.update(people.demographics(rng["people"], seg, as_of))
    latent = rng["latent"].normal(0.0, 1.0, (2, n))
    cols["discipline"] = latent[0]
    cols["stability"] = 0.35 * latent[0] + np.sqrt(1 - 0.35**2) * latent[1]
    cols.update(people.residence(rng["residence"], seg, cols["age"], cols["stability"]))
    cols.update(alternative.income(rng["income"], seg, cols["city_tier"], cols["stability"]))
    return cols


def _data(rng: dict[str, np.random.Generator], c: Columns) -> Columns:
    seg = c["segment_code"]
    out = alternative.bureau(rng["bureau"], seg, c["age"], c["discipline"])
    out["existing_debt_payment_monthly"] = alternative.existing_debt(
        rng["debt"], out["bureau_records"], c["true_income_yuan"]
    )
    consented = alternative.consent(rng["consent"], c["discipline"])
    out["consent_alt_data"] = consented
    out.update(
        alternative.work_records(rng["work"], seg, c["months_in_city"], c["stability"], consented)
    )
    out.update(
        alternative.observed_income(
            rng["observed"],
            seg,
            consented,
            out["platform_tenure_months"],
            out["social_insurance_months"],
            c["true_income_yuan"],
            c["true_income_cv"],
        )
    )
    out.update(
        alternative.payment_history(
            rng["payments"], consented, c["is_local_hukou"], c["months_in_city"], c["discipline"]
        )
    )
    out.update(
        alternative.digital_footprint(
            rng["footprint"],
            consented,
            c["age"],
            c["stability"],
            c["discipline"],
            c["true_income_yuan"],
        )
    )
    out.update(people.request(rng["request"], seg, c["true_income_yuan"]))
    return out


def _outcomes(rng: dict[str, np.random.Generator], c: Columns) -> Columns:
    true_pd = risk.true_default_probability(
        c["segment_code"],
        discipline=c["discipline"],
        stability=c["stability"],
        true_income=c["true_income_yuan"],
        true_cv=c["true_income_cv"],
        debt_payment_fen=c["existing_debt_payment_monthly"],
        amount_fen=c["requested_amount"],
        term_months=c["requested_term_months"],
        age=c["age"],
        is_local=c["is_local_hukou"],
    )
    return {"true_pd": true_pd, "bad_12m": risk.default_outcome(rng["outcome"], true_pd)}


def _identities(rng: dict[str, np.random.Generator], c: Columns, first_id: int) -> Columns:
    n = c["age"].shape[0]
    sequences: Ints = np.asarray(rng["ids"].integers(0, 500, size=n), dtype=np.int64)
    ids = identity.make_id_numbers(c["birth_date"], c["is_male"], c["region_code"], sequences)
    for _ in range(20):
        clash = _duplicated(ids)
        if not clash.any():
            break
        sequences[clash] = rng["ids"].integers(0, 500, int(clash.sum()))
        ids[clash] = identity.make_id_numbers(
            c["birth_date"][clash], c["is_male"][clash], c["region_code"][clash], sequences[clash]
        )
    phones = identity.make_phones(rng["phones"], n)
    for _ in range(20):
        clash = _duplicated(phones)
        if not clash.any():
            break
        phones[clash] = identity.make_phones(rng["phones"], int(clash.sum()))
    return {
        "applicant_id": identity.serial_ids("A", first_id, n),
        "name": identity.make_names(rng["names"], c["is_male"]),
        "id_number": ids,
        "phone": phones,
    }


def _duplicated(values: np.ndarray) -> np.ndarray:
    """True for every value after its first occurrence."""
    return pd.Series(values, copy=False).duplicated().to_numpy()


def _table(c: Columns) -> pd.DataFrame:
    frame: dict[str, object] = {name: c[name] for name in APPLICANT_COLUMNS if name in c}
    for key in ("applicant_id", "name", "id_number", "phone", "gender"):
        frame[key] = pd.array(c[key], dtype="str")
    frame["birth_date"] = c["birth_date"].astype("datetime64[s]")
    frame["city"] = pd.array(np.array([x.name for x in CITIES])[c["city_index"]], dtype="str")
    provinces = np.array([PROVINCES.get(code, "") for code in range(100)])
    frame["hukou_province"] = pd.array(provinces[c["hukou_province_code"]], dtype="str")
    frame["segment"] = pd.array(
        np.array([s.name for s in SEGMENTS])[c["segment_code"]], dtype="str"
    )
    frame["purpose"] = pd.array(np.array(PURPOSES)[c["purpose_code"]], dtype="str")
    return pd.DataFrame({name: frame[name] for name in APPLICANT_COLUMNS})
