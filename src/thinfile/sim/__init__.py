"""A synthetic population of new-citizen (新市民) applicants with a known truth behind them.

Vectorised (NumPy/pandas) and reproducible from a seed. Data flow::

    generate_applicants(n, seed) ──► applicants (identity, request, bureau, alternative data,
                                      true_pd, bad_12m)
    simulate_performance(applicants, months, seed) ──► monthly repayment rows per loan
    write_table / read_table ──► CSV or Parquet

See ``docs.md`` beside this file for the schemas, the segments and the calibration.
"""

from thinfile.sim.installments import build_schedules, price_monthly_bps
from thinfile.sim.performance import (
    DEFAULT_FIRST_VINTAGE,
    MAX_MONTHS,
    PERFORMANCE_COLUMNS,
    STATUSES,
    Behaviour,
    simulate_performance,
)
from thinfile.sim.population import (
    APPLICANT_COLUMNS,
    DEFAULT_AS_OF,
    GENERATION_STEPS,
    MAX_APPLICANTS,
    NOT_MODEL_INPUTS,
    generate_applicants,
)
from thinfile.sim.segments import PURPOSES, SEGMENTS, TERMS, Segment
from thinfile.sim.tables import read_table, write_table

__all__ = [
    "APPLICANT_COLUMNS",
    "DEFAULT_AS_OF",
    "DEFAULT_FIRST_VINTAGE",
    "GENERATION_STEPS",
    "MAX_APPLICANTS",
    "MAX_MONTHS",
    "NOT_MODEL_INPUTS",
    "PERFORMANCE_COLUMNS",
    "PURPOSES",
    "SEGMENTS",
    "STATUSES",
    "TERMS",
    "Behaviour",
    "Segment",
    "build_schedules",
    "generate_applicants",
    "price_monthly_bps",
    "read_table",
    "simulate_performance",
    "write_table",
]
