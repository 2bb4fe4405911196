"""A simulation decides less than a full decision — the best fit's offers only, no cost
statements — and in chunks across workers; none of that may change what it counts."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from tests.support.decisioning import Reason, Score
from thinfile.decisioning import decide, load_policy, simulate, simulate_rows
from thinfile.decisioning.simulate import application_from_record
from thinfile.sim import generate_applicants

ON = date(2026, 11, 25)


class SpreadPD:
    """A PD from 0.2% to 30% fixed by the applicant's id: every grade, no model to train."""

    version = "spread-pd:1"

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> Score:
        pd = 0.002 + (zlib.crc32(str(record["applicant_id"]).encode()) % 1000) / 1000 * 0.3
        found = (Reason("R_INCOME", "income_monthly_mean", "income", 0.4),)[:reasons]
        return Score(pd, int(600 - 500 * pd), found)


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = generate_applicants(400, seed=5).to_dict("records")  # type: ignore[assignment]
    return rows


def test_the_first_offer_only_is_the_full_decisions_first_offer(records):
    policy, model = load_policy(), SpreadPD()
    fewer = 0
    for record in records:
        app = application_from_record(record)
        full = decide(app, policy=policy, model=model, on=ON)
        fast = decide(app, policy=policy, model=model, on=ON, first_offer_only=True)
        assert fast.outcome == full.outcome, app.applicant_id
        assert fast.grade == full.grade and fast.pd == full.pd
        if not full.offers:
            assert not fast.offers
            assert fast.reason_codes == full.reason_codes
            continue
        assert fast.offers[0].as_dict() == full.offers[0].as_dict(), app.applicant_id
        assert fast.offers[0].build_up == full.offers[0].build_up
        assert fast.reason_codes == full.reason_codes
        staff_notes = {"PRICE_BUILD_UP", "PRICE_CAPPED", "PROGRAMME"}
        assert any(f.code == "PRICE_BUILD_UP" for f in full.findings)
        assert not any(f.code in staff_notes for f in fast.findings)  # not written for a count
        fewer += len(fast.offers) < len(full.offers)
    assert fewer > 20  # the shortcut is taken: lower-fit products were left unpriced


def test_chunks_in_workers_count_what_one_process_counts(records, monkeypatch):
    monkeypatch.setattr(simulate_rows, "_CHUNK", 70)  # six chunks per arm, of unequal sizes
    policy, model = load_policy(), SpreadPD()
    one = simulate(records, policy=policy, baseline=policy, model=model, on=ON)
    two = simulate(
        records, policy=policy, baseline=policy, model=model, on=ON, workers=2, parallel_from=2
    )
    assert two.as_dict() == one.as_dict()
    counted: dict[str, Any] = one.as_dict()
    assert counted["candidate"]["overall"]["applications"] == len(records)
