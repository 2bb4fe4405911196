from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.support.decisioning import ChosenPD, application, id_number
from thinfile.decisioning import load_policy, parse_application, simulate
from thinfile.decisioning.report import render_simulation_html
from thinfile.errors import InvalidInputError


def record(
    n: int, *, bad: int | None, segment="delivery_rider", history=0, **extra
) -> dict[str, Any]:
    app = parse_application(
        application(
            applicant_id=f"A{n}",
            id_number=id_number(seq=f"{n:03d}"),
            segment=segment,
            bureau_history_months=history,
            **extra,
        )
    )
    row = dict(app.as_record())
    row["bad_12m"] = bad
    return row


@pytest.fixture(scope="module")
def small_file():
    # Six past applications with chosen PDs: grades A, A, C, D, F (declined), and a knockout.
    return [
        record(1, bad=0),
        record(2, bad=1, history=36),
        record(3, bad=0, segment="factory_worker"),
        record(4, bad=None, segment="factory_worker", history=24),
        record(5, bad=1),
        record(6, bad=0, consent_credit=False),
    ]


PDS = {"A1": 0.01, "A2": 0.012, "A3": 0.04, "A4": 0.07, "A5": 0.5, "A6": 0.01}


def test_simulation_figures_match_a_hand_computation(small_file):
    policy = load_policy()
    report: dict[str, Any] = simulate(
        small_file, policy=policy, model=ChosenPD(by_applicant=PDS), on=date(2026, 11, 25)
    ).as_dict()
    overall = report["candidate"]["overall"]
    # approved: A1, A2, A3, A4 (A5 is grade F, A6 lacks consent)
    assert overall["applications"] == 6 and overall["approved"] == 4
    assert overall["approval_rate"] == round(4 / 6, 6)
    assert overall["expected_bad_rate"] == round((0.01 + 0.012 + 0.04 + 0.07) / 4, 6)
    # outcomes known for A1, A2, A3 among approvals: one bad of three
    assert overall["realised_bad_rate"] == round(1 / 3, 6)
    by_file = report["candidate"]["by_file"]
    assert by_file["thin-file"]["applications"] == 4 and by_file["thin-file"]["approved"] == 2
    assert by_file["thick-file"]["approval_rate"] == 1.0
    assert report["candidate"]["by_segment"]["factory_worker"]["approved"] == 2


def test_simulation_reports_the_change_from_a_baseline(small_file, tmp_path):
    import json
    import shutil

    from thinfile.decisioning.policy import DEFAULT_POLICY_DIR

    folder = tmp_path / "tight"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    graph = json.loads((folder / "decision.json").read_text())
    grade = next(n for n in graph["nodes"] if n["id"] == "grade")
    for rule in grade["content"]["rules"]:
        if rule["g"] in ('"C"', '"D"', '"E"'):
            rule["ok"] = "false"
    (folder / "decision.json").write_text(json.dumps(graph))
    report = simulate(
        small_file,
        policy=load_policy(folder),
        baseline=load_policy(),
        model=ChosenPD(by_applicant=PDS),
        on=date(2026, 11, 25),
    )
    data: dict[str, Any] = report.as_dict()
    change = data["change"]
    assert {k: change[k] for k in ("approval_rate", "swap_in", "swap_out")} == {
        "approval_rate": round(2 / 6 - 4 / 6, 6),
        "swap_in": 0,
        "swap_out": 2,
    }
    new, old = data["candidate"]["overall"], data["baseline"]["overall"]
    for key in ("expected_interest", "expected_fees", "expected_loss", "expected_margin"):
        assert Decimal(change[key]) == Decimal(new[key]) - Decimal(old[key]), key
    # the two grade-C and D approvals dropped were the dearest: the mean rate falls
    assert Decimal(change["average_annualized_rate"]) < 0
    assert Decimal(change["expected_loss"]) < 0
    html = render_simulation_html(report)
    assert "Change from baseline" in html and "thin-file" in html and "<script" not in html
    assert "mean annualized rate -" in html and "By grade" in html
    import re

    assert re.search(r"<td>\d+\.\d{2}%</td>", html)
    assert not re.search(r"<td>0\.\d{3,}</td>", html)  # rates are shown as percentages


def test_worker_processes_give_the_same_report(small_file):
    policy = load_policy()
    model = ChosenPD(by_applicant=PDS)
    one = simulate(small_file, policy=policy, model=model, on=date(2026, 11, 25))
    two = simulate(
        small_file, policy=policy, model=model, on=date(2026, 11, 25), workers=2, parallel_from=2
    )
    assert two.as_dict() == one.as_dict()


def _occupations() -> tuple[list[dict[str, object]], dict[str, float]]:
    """Four riders, all approved (one goes bad); four factory workers, one approved."""
    rows = [record(10 + k, bad=int(k == 0)) for k in range(4)]
    rows += [record(20 + k, bad=0, segment="factory_worker") for k in range(4)]
    pds = {f"A{10 + k}": 0.01 for k in range(4)} | {"A20": 0.01, "A21": 0.5, "A22": 0.5}
    return rows, pds | {"A23": 0.5}


def test_an_occupation_approved_below_the_minimum_share_of_the_average_is_flagged() -> None:
    rows, pds = _occupations()
    policy = load_policy()
    assert policy.settings.min_segment_share == Decimal("0.8")
    report = simulate(rows, policy=policy, model=ChosenPD(by_applicant=pds), on=date(2026, 11, 25))
    data: dict[str, Any] = report.as_dict()
    assert data["min_segment_share"] == "0.8" and data["target_bad_rate"] == "0.08"
    by_segment = data["candidate"]["by_segment"]
    # overall 5 of 8 approved; factory workers 1 of 4: 0.25 / 0.625 = 0.4 of the average
    factory, riders = by_segment["factory_worker"], by_segment["delivery_rider"]
    assert factory["approval_share_of_average"] == 0.4
    assert factory["below_min_share"] and factory["flagged"]
    assert riders["approval_share_of_average"] == 1.6 and not riders["below_min_share"]
    # riders: one bad of four approved, above the policy's 8% target
    assert riders["above_target_bad_rate"] and not factory["above_target_bad_rate"]
    assert data["candidate"]["flagged_segments"] == ["delivery_rider", "factory_worker"]
    html = render_simulation_html(report)
    assert "below 80% of the overall approval rate" in html and "above 8.00%" in html
    assert "approval below the minimum share" in html and "bad rate above target" in html
    assert "Flagged: delivery_rider, factory_worker." in html


def test_the_minimum_share_can_be_set_for_one_simulation() -> None:
    rows, pds = _occupations()
    report: dict[str, Any] = simulate(
        rows,
        policy=load_policy(),
        model=ChosenPD(by_applicant=pds),
        on=date(2026, 11, 25),
        min_segment_share=Decimal("0.4"),
    ).as_dict()
    assert report["min_segment_share"] == "0.4"
    assert not report["candidate"]["by_segment"]["factory_worker"]["below_min_share"]
    with pytest.raises(InvalidInputError) as error:
        simulate(
            rows,
            policy=load_policy(),
            model=ChosenPD(by_applicant=pds),
            on=date(2026, 11, 25),
            min_segment_share=Decimal("1.5"),
        )
    assert error.value.field == "min_segment_share"


def test_a_policy_without_segment_checks_keeps_its_version_when_stored_and_read() -> None:
    from pathlib import Path

    from thinfile.decisioning.policy import policy_from_json

    for policy in (load_policy(), load_policy(Path(__file__).parent / "policy_format_1")):
        again = policy_from_json(policy.settings_json(), policy.graph_json)
        assert again.version == policy.version
        assert again.settings == policy.settings
    older = load_policy(Path(__file__).parent / "policy_format_1")
    assert older.settings.min_segment_share is None and older.settings.target_bad_rate is None
    assert "min_segment_share" not in older.settings_json()
    rows, pds = _occupations()
    report = simulate(rows, policy=older, model=ChosenPD(by_applicant=pds), on=date(2026, 11, 25))
    assert report.min_segment_share == Decimal("0.8") and report.target_bad_rate is None


def test_the_report_with_its_flags_is_plain_json() -> None:
    import json

    rows, pds = _occupations()
    report = simulate(
        rows, policy=load_policy(), model=ChosenPD(by_applicant=pds), on=date(2026, 11, 25)
    )
    assert json.loads(json.dumps(report.as_dict())) == report.as_dict()
