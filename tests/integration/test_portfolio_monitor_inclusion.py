"""The console's inclusion section from the live book, on SQLite and PostgreSQL: each stored
application's bureau score computed from its bureau fields by the active model's bureau-only
baseline, and the comparison with a bureau-only policy equal to the one the exported decisions
table gives (``portfolio.inclusion``, worked here from the applications as submitted)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_applications import STAFF, form
from tests.support.decisioning import Reason, Score, id_number
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.decisioning import PolicyBook, load_policy
from thinfile.errors import DataContractError
from thinfile.portfolio.inclusion import inclusion
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, identity, real_name
from thinfile.services import applications as apps
from thinfile.services.acceptance import accept_offer
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import Actor
from thinfile.services.policies import DecisionRuntime, ensure_default_policy
from thinfile.services.portfolio import loan_months
from thinfile.services.portfolio_monitor import MonitorFilters, live_report

BASELINE: dict[str, object] = {
    "version": "bureau-baseline/1",
    "features": ["bureau_history_months", "bureau_records", "bureau_delinquencies_24m"],
    "means": [20.0, 1.0, 0.25],
    "scales": [40.0, 2.0, 0.8],
    "coefficients": [-0.3, -0.1, 0.5],
    "intercept": -2.8,
    "rows": 16000,
}
"""A baseline as a model stores it, its figures chosen here so the scores can be worked out
by hand."""

SAFE, RISKY = 24, 1
"""Months in the city: the test model's PD is 1 % for a safe applicant and 60 % (declined)
for a risky one."""

# months in city, bureau history months, records, delinquencies (None: not given)
APPLICATIONS: list[tuple[int, int | None, int | None, int | None]] = [
    (SAFE, None, None, None),  # 征信白户, approved: included by the model
    (SAFE, 6, 1, 0),  # thin, approved
    (SAFE, 12, 2, 1),  # thin, approved
    (RISKY, 3, 1, 2),  # thin, declined
    (SAFE, 60, 4, 0),  # thick, approved
    (SAFE, 36, 3, 3),  # thick, approved, many delinquencies: below the bureau's cut-off
    (SAFE, 120, 8, 0),  # thick, approved, a long clean file
    (RISKY, 48, 4, 1),  # thick, declined, scoring just below the safe clean files
    (RISKY, 24, 5, 4),  # thick, declined
    (SAFE, 90, 6, 0),  # thick, approved: its loan is taken and never repaid
]
START = datetime(2024, 1, 2, 9, tzinfo=UTC)
SPACING = timedelta(days=40)
"""Applications a month and more apart, so none is counted in another's 30-day velocity."""


@dataclass
class MonthsInCity:
    """The test model: PD by months in the city."""

    version: str = "inclusion-test-model:1"

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> Score:
        pd_ = 0.01 if record.get("months_in_city") == SAFE else 0.6
        reason = Reason("R_TENURE", "months_in_city", "months in the city", 0.2)
        return Score(pd_, int(600 - 500 * pd_), (reason,)[:reasons])


def bureau_score_by_hand(history: int | None, records: int | None, late: int | None) -> int:
    """round(1000 × (1 − sigmoid(intercept + Σ coefficient × (x − mean) ÷ scale)))."""
    z = -2.8 - 0.3 * ((history or 0) - 20) / 40 - 0.1 * ((records or 0) - 1) / 2
    z += 0.5 * ((late or 0) - 0.25) / 0.8
    return round(1000 * (1 - 1 / (1 + math.exp(-z))))


@dataclass(frozen=True)
class Decided:
    """The applications as decided: the decisions table worked out from what was submitted
    (``approved`` as the service answered), the borrower, and the last application."""

    decisions: pd.DataFrame
    borrower: Actor
    last_id: str
    last_day: date


def decide_applications(engine: Engine) -> Decided:
    """One applicant submits :data:`APPLICATIONS` in turn, each decided by the shipped
    policy and the test model; the bureau score of each is worked out by hand."""
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(engine, hasher, email="rider@example.com", password="pw-123456!")
    actor = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine, cipher, actor=actor, name="王小明", id_number=id_number(), phone="13800138000"
    )
    real_name.verify_real_name(
        engine, cipher, SandboxRealNameVerifier(), applicant_id=profile.id, actor=actor
    )
    ensure_default_policy(engine, actor=STAFF)
    runtime = DecisionRuntime(PolicyBook(load_policy()), MonthsInCity(), ("test",))
    rows, last_id = [], ""
    for k, (months, history, records, late) in enumerate(APPLICATIONS):
        at = START + k * SPACING
        fields = {
            "months_in_city": months,
            "bureau_history_months": history,
            "bureau_records": records,
            "bureau_delinquencies_24m": late,
        }
        record = apps.apply_for_credit(
            engine,
            cipher,
            runtime,
            actor=actor,
            applicant_id=profile.id,
            form={**form(), **{f: v for f, v in fields.items() if v is not None}},
            on=at.date(),
            consents_recorded=False,
            at=at,
        )
        last_id = record.id
        rows.append(
            {
                "approved": record.status == "approved",
                "bureau_records": records or 0,
                "bureau_score": bureau_score_by_hand(history, records, late),
                "pd": 0.01 if months == SAFE else 0.6,
                "bad": math.nan,
            }
        )
    return Decided(pd.DataFrame(rows), actor, last_id, at.date())


@pytest.fixture
def book(engine: Engine) -> tuple[Engine, pd.DataFrame]:
    """The applications decided; the last one's loan taken and, never repaid, 90 days past
    due by the end of the book. Returns the engine and the decisions table."""
    decided = decide_applications(engine)
    accept_offer(engine, decided.last_id, actor=decided.borrower, offer=0, seconds_read=12,
                 confirmed=True, on=decided.last_day)  # fmt: skip
    run_cob(engine, decided.last_day + timedelta(days=130))
    decisions = decided.decisions.copy()
    decisions.loc[len(decisions) - 1, "bad"] = 1.0  # 90 days past due: in default
    return engine, decisions


def _as_written(value: object) -> object:
    """A rate as the report writes it: six decimal places, null where undefined."""
    if isinstance(value, float):
        return None if math.isnan(value) else f"{value:.6f}"
    return value


def _numbers(row: Mapping[str, object]) -> dict[str, object]:
    return {k: float(str(v)) if isinstance(v, str) and k.endswith("rate") else v
            for k, v in row.items()}  # fmt: skip


def test_the_live_inclusion_table_is_the_table_of_the_submitted_applications(
    book: tuple[Engine, pd.DataFrame],
) -> None:
    engine, decisions = book
    assert decisions["approved"].tolist() == [m == SAFE for m, *_ in APPLICATIONS]
    report = live_report(engine, bureau_baseline=BASELINE)
    found = report["inclusion"]["baseline"]  # type: ignore[index]
    expected = inclusion(decisions)
    assert found["cutoff"] == format(expected.cutoff, ".10g")
    assert found["cutoff_rule"] == "same_expected_loss"
    assert found["included"] == expected.included == 3  # the three thin files approved
    assert found["policies"] == [
        {k: _as_written(v) for k, v in r.items()} for r in expected.table.to_dict(orient="records")
    ]
    policies = [_numbers(r) for r in found["policies"]]
    # by hand: the model approves 3 of 4 thin files and 4 of 6 thick ones; the bureau-only
    # policy no thin file and, at the model's expected loss (every approval's PD 1 %), the
    # three clean thick files scoring above the declined one at 937: cut-off 968
    by_policy = {(r["policy"], r["group"]): r for r in policies}
    assert by_policy["model", "thin_file"]["approvals"] == 3
    assert by_policy["model", "thick_file"]["approval_rate"] == pytest.approx(4 / 6, abs=1e-6)
    assert by_policy["bureau_only", "thin_file"]["approvals"] == 0
    assert found["cutoff"] == "968"
    assert by_policy["bureau_only", "thick_file"]["approvals"] == 3
    assert by_policy["bureau_only", "thick_file"]["expected_bad_rate"] == 0.01
    # the one loan taken defaulted: the model's thick-file approvals have one known outcome
    assert by_policy["model", "thick_file"]["outcomes"] == 1
    assert by_policy["model", "thick_file"]["observed_bad_rate"] == 1.0
    assert "needs_bureau_baseline" not in report["inclusion"]  # type: ignore[operator]


def test_without_a_baseline_the_live_report_says_the_model_needs_retraining(
    book: tuple[Engine, pd.DataFrame],
) -> None:
    engine, decisions = book
    section = live_report(engine)["inclusion"]
    assert isinstance(section, dict) and "baseline" not in section
    assert section["needs_bureau_baseline"] is True
    thin = decisions[decisions["bureau_records"] <= 2]
    assert section["thin_file"]["applications"] == len(thin) == 4
    assert section["thin_file"]["approvals"] == int(thin["approved"].sum()) == 3


def test_a_product_or_vintage_filter_keeps_the_declined_applications(
    book: tuple[Engine, pd.DataFrame],
) -> None:
    """Applications are decided before a product is chosen: a product filter leaves every
    application in the inclusion table (declines are no product's), and a vintage range keeps
    those decided in its months — not only the loans taken, which read 1 of 1 approved."""
    engine, decisions = book
    product = str(loan_months(engine)["product"].iloc[0])
    whole = live_report(engine)["inclusion"]
    narrowed = live_report(engine, filters=MonitorFilters(product=product))["inclusion"]
    assert isinstance(whole, dict) and isinstance(narrowed, dict)
    for group in ("thin_file", "thick_file"):
        assert narrowed[group] == whole[group]
    months = [(START + k * SPACING).strftime("%Y-%m") for k in range(len(APPLICATIONS))]
    first, last = months[0], months[2]
    kept = decisions[[first <= m <= last for m in months]]
    section = live_report(engine, filters=MonitorFilters(vintage_from=first, vintage_to=last))[
        "inclusion"
    ]
    assert isinstance(section, dict)
    thin, thick = kept[kept["bureau_records"] <= 2], kept[kept["bureau_records"] > 2]
    assert section["thin_file"]["applications"] + section["thick_file"]["applications"] == 3
    assert section["thin_file"]["applications"] == len(thin)
    assert section["thin_file"]["approvals"] == int(thin["approved"].sum())
    assert section["thick_file"]["approvals"] == int(thick["approved"].sum())


def test_an_application_waiting_for_an_underwriter_is_neither_approved_nor_declined(
    book: tuple[Engine, pd.DataFrame],
) -> None:
    """A referral not yet reviewed is left out of the approval rates: it would read as a
    decline."""
    engine, decisions = book
    whole = live_report(engine)
    with engine.begin() as conn:  # the first application (a thin file, declined) referred
        first = conn.execute(
            sa.text("SELECT id FROM applications ORDER BY submitted_at LIMIT 1")
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE applications SET status = 'referred' WHERE id = :id"), {"id": first}
        )
    waiting = live_report(engine)
    before, after = whole["inclusion"], waiting["inclusion"]
    assert isinstance(before, dict) and isinstance(after, dict)
    first_row = decisions.iloc[0]
    group = "thin_file" if int(first_row["bureau_records"]) <= 2 else "thick_file"
    assert after[group]["applications"] == before[group]["applications"] - 1
    assert after[group]["approvals"] == before[group]["approvals"] - int(
        bool(first_row["approved"])
    )


def test_a_malformed_baseline_is_refused_naming_its_field(
    book: tuple[Engine, pd.DataFrame],
) -> None:
    engine, _ = book
    with pytest.raises(DataContractError) as error:
        live_report(engine, bureau_baseline={**BASELINE, "scales": [40.0, 0.0, 0.8]})
    assert error.value.field == "bureau_baseline.scales"


def test_the_bureau_scores_by_hand_spread_around_the_cutoff() -> None:
    """The book is worth testing: its thick files do not all score alike."""
    scores = {bureau_score_by_hand(h, r, d) for _, h, r, d in APPLICATIONS if (r or 0) > 2}
    assert len(scores) == 6
