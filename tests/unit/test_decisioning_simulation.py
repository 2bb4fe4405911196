from datetime import date
from typing import Any

import pytest

from tests.support.decisioning import ChosenPD, application, id_number
from thinfile.decisioning import load_policy, parse_application, simulate
from thinfile.decisioning.report import render_simulation_html


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
    change = report.as_dict()["change"]
    assert change == {"approval_rate": round(2 / 6 - 4 / 6, 6), "swap_in": 0, "swap_out": 2}
    html = render_simulation_html(report)
    assert "Change from baseline" in html and "thin-file" in html and "<script" not in html
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
