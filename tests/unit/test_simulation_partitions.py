"""What lets a policy simulation and a synthetic population be split across machines
(``thinfile.spark``) and give the single-machine answer, checked without Spark: decisions
made in parts and carried as plain records count to the same report; a population made in
blocks is the same whichever blocks are made where."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pandas as pd
import pytest

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number
from thinfile.decisioning import load_policy, parse_application, simulate
from thinfile.decisioning.simulate import DecidedRows, decide_records, report_from_rows
from thinfile.errors import InvalidInputError
from thinfile.sim.population import block_count, generate_block, generate_blocked


def records(n: int) -> list[dict[str, object]]:
    rows = []
    for k in range(n):
        app = parse_application(
            application(
                applicant_id=f"A{k}",
                id_number=id_number(seq=f"{k % 1000:03d}"),
                segment=("delivery_rider", "factory_worker", "domestic_service")[k % 3],
                bureau_history_months=(0, 6, 30)[k % 3],
                requested_amount=f"{3000 + 700 * (k % 9)}.00",
            )
        )
        row: dict[str, object] = dict(app.as_record())
        row["bad_12m"] = None if k % 4 == 0 else k % 5 == 0
        rows.append(row)
    return rows


def test_decisions_made_in_parts_and_carried_as_records_give_the_same_report():
    rows = records(40)
    model = ChosenPD(by_applicant={f"A{k}": 0.005 + 0.003 * k for k in range(40)})
    shipped = load_policy()
    capped = replace(shipped, settings=replace(shipped.settings, cap=Decimal("0.20")))
    whole = simulate(rows, policy=capped, baseline=shipped, model=model, on=DECIDED_ON)
    parts = [
        decide_records(
            rows[i : i + 13], policy=capped, baseline=shipped, model=model, on=DECIDED_ON
        )
        for i in range(0, 40, 13)
    ]
    carried = [r for part in parts for r in part.records()]
    json.dumps(carried)  # plain values only: Decimals travel as text
    decided = DecidedRows.from_records(carried, with_baseline=True)
    again = report_from_rows(decided, policy=capped, baseline=shipped, model=model)
    assert again.as_dict() == whole.as_dict()
    assert whole.candidate.overall.approved > 0


def test_a_population_in_blocks_is_its_blocks_in_order():
    n, block = 2_500, 1_000
    assert block_count(n, block) == 3
    whole = generate_blocked(n, seed=3, block_rows=block)
    assert whole["applicant_id"].tolist()[::1000] == ["A0000000001", "A0000001001", "A0000002001"]
    parts = [generate_block(n, k, seed=3, block_rows=block) for k in (2, 0, 1)]
    pd.testing.assert_frame_equal(
        pd.concat([parts[1], parts[2], parts[0]], ignore_index=True), whole
    )
    assert not generate_block(n, 0, seed=4, block_rows=block).equals(parts[1])


@pytest.mark.parametrize(("block", "rows", "field"), [(3, 1_000, "block"), (0, 0, "block_rows")])
def test_a_block_outside_the_population_is_refused(block, rows, field):
    with pytest.raises(InvalidInputError) as err:
        generate_block(2_500, block, seed=3, block_rows=rows)
    assert err.value.field == field
