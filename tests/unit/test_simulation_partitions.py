"""What lets a policy simulation and a synthetic population be split across machines
(``thinfile.spark``) and give the single-machine answer, checked without Spark: decisions
counted in parts and carried as plain JSON merge, in any order, to the same report; a
population made in blocks is the same whichever blocks are made where."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pandas as pd
import pytest

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number
from thinfile.decisioning import load_policy, parse_application, simulate
from thinfile.decisioning.simulate import Counts, count_records, report_from_counts
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


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 1, 0, 2)])
def test_decisions_counted_in_parts_and_carried_as_json_give_the_same_report(order):
    rows = records(40)
    model = ChosenPD(by_applicant={f"A{k}": 0.005 + 0.003 * k for k in range(40)})
    shipped = load_policy()
    capped = replace(shipped, settings=replace(shipped.settings, cap=Decimal("0.20")))
    whole = simulate(rows, policy=capped, baseline=shipped, model=model, on=DECIDED_ON)
    parts = [
        count_records(rows[i : i + 11], policy=capped, baseline=shipped, model=model, on=DECIDED_ON)
        for i in range(0, 40, 11)
    ]
    carried = [json.dumps(parts[k].state()) for k in order]  # plain JSON: no pickled objects
    counts = Counts.empty(
        [(capped.version, capped.settings.cap), (shipped.version, shipped.settings.cap)]
    )
    for text in carried:
        counts.merge(Counts.from_state(json.loads(text)))
    again = report_from_counts(counts, policy=capped, model_version=model.version)
    assert again.as_dict() == whole.as_dict()
    assert whole.candidate.overall.approved > 0
    assert whole.change() is not None


def test_sums_are_exact_whatever_the_order_of_addition():
    """Floats added in different orders differ in their last bits; the counts do not."""
    pds = [0.1, 0.2, 0.3, 1e-17, 0.7, 1 / 3, 2 / 3, 0.05]
    assert sum(pds) != sum(reversed(pds))  # the order matters to a float sum
    model = ChosenPD(by_applicant={f"A{k}": pds[k % len(pds)] for k in range(16)})
    rows = records(16)
    policy = load_policy()
    forward = count_records(rows, policy=policy, model=model, on=DECIDED_ON)
    backward = count_records(list(reversed(rows)), policy=policy, model=model, on=DECIDED_ON)
    assert forward.state() != {}
    assert forward.candidate.overall.state() == backward.candidate.overall.state()
    assert forward.candidate.overall.pd_units == backward.candidate.overall.pd_units


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


@pytest.fixture(scope="module")
def trained():
    from thinfile.scoring import train_model
    from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants

    return train_model(
        generate_applicants(3000, seed=11),
        target="bad_12m",
        kind="both",
        id_col="applicant_id",
        exclude=list(NOT_MODEL_INPUTS),
    )


@pytest.mark.parametrize("left_out", ["rent_on_time_ratio", "income_verified"])
def test_a_chunk_in_which_every_applicant_left_a_field_out_is_scored_as_its_rows(trained, left_out):
    """A field every record of a chunk lacks is a column of gaps, as one row's missing key
    is: the count is the one of deciding each applicant alone (it was refused as a column
    the data lacks, so a partition's luck decided whether a Spark run finished)."""
    from thinfile.decisioning import decide
    from thinfile.decisioning.simulate import application_from_record
    from thinfile.sim import generate_applicants

    frame = generate_applicants(80, seed=5).assign(**{left_out: None})
    rows: list[dict[str, object]] = frame.to_dict("records")  # type: ignore[assignment]
    assert trained.feature_names.count(left_out) == 1
    report = simulate(rows, policy=load_policy(), model=trained, on=DECIDED_ON)
    alone = [
        decide(application_from_record(r), policy=load_policy(), model=trained, on=DECIDED_ON)
        for r in rows
    ]
    approved = sum(d.outcome.value == "approve" for d in alone)
    assert report.candidate.overall.applications == 80
    assert report.candidate.overall.approved == approved > 0


def test_an_empty_file_compared_with_a_baseline_is_a_report_of_nothing():
    policy = load_policy()
    report = simulate([], policy=policy, baseline=policy, model=ChosenPD(), on=DECIDED_ON)
    change = report.change()
    assert change is not None and change["approval_rate"] == 0
    assert report.candidate.overall.applications == 0
