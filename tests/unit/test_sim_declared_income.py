"""Simulated applicants are assessed on the income they declared, as live applicants are.

A synthetic applicant with no observed income months carries what it declared; a policy
simulation must read it the way a live application's ``declared_monthly_income`` is read,
not decline the applicant for affordability as if it had declared nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.support.decisioning import ChosenPD
from thinfile.decisioning import decide, load_policy, simulate
from thinfile.decisioning.simulate import application_from_record
from thinfile.sim import generate_applicants

ON = date(2026, 1, 1)
LOW_PD = ChosenPD(default_pd=0.02)  # a lendable grade, so affordability is what decides


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return generate_applicants(1500, seed=17)


@pytest.fixture(scope="module")
def unobserved(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Applicants with no income months observed (no platform, payroll or bank flows)."""
    rows = [
        {str(key): value for key, value in row.items()}
        for row in table[table["income_months_observed"] == 0].to_dict("records")
    ]
    assert len(rows) > 150
    return rows


def test_every_applicant_carries_the_income_it_declared_in_whole_fen(table):
    declared = table["declared_monthly_income"]
    assert declared.dtype == np.int64
    assert (declared > 0).all() and (declared % 100 == 0).all()
    unseen = table["income_months_observed"] == 0
    # with nothing observed, the income figure the table shows is the declared one
    assert (table.loc[unseen, "income_monthly_mean"] == declared[unseen]).all()
    # observed applicants declared too, and not simply their observed mean
    assert (table.loc[~unseen, "income_monthly_mean"] != declared[~unseen]).mean() > 0.9


def _declared_after_haircut(row: dict[str, Any], haircut: Decimal) -> int:
    """The declared income less the policy's haircut, rounded down to the fen."""
    exact = Decimal(int(row["declared_monthly_income"])) * (1 - haircut)
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


def test_applicants_with_no_observed_income_are_assessed_on_their_declared_income(unobserved):
    policy = load_policy()
    haircut = policy.settings.declared_income_haircut
    adequate = declined_for_room = 0
    for row in unobserved:
        decision = decide(application_from_record(row), policy=policy, model=LOW_PD, on=ON)
        room = decision.affordability
        if room is None:  # knocked out before affordability (e.g. no credit consent)
            continue
        income = _declared_after_haircut(row, haircut)
        assert (room.source, room.income) == ("declared", income), row["applicant_id"]
        existing = int(row["existing_debt_payment_monthly"])
        exact_room = int((income * room.max_dsr).to_integral_value(rounding=ROUND_FLOOR))
        if exact_room - existing > 0:
            adequate += 1
            declined_for_room += any(f.code == "AFFORDABILITY" for f in decision.findings)
    assert adequate > 100
    assert declined_for_room == 0


def test_a_simulation_approves_applicants_whose_declared_income_affords_the_loan(unobserved):
    policy = load_policy()
    report: dict[str, Any] = simulate(unobserved, policy=policy, model=LOW_PD, on=ON).as_dict()
    direct = [
        decide(application_from_record(row), policy=policy, model=LOW_PD, on=ON)
        for row in unobserved
    ]
    approved = sum(d.outcome.value == "approve" for d in direct)
    assert report["candidate"]["overall"]["approved"] == approved
    assert approved > len(unobserved) / 2
