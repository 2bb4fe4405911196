"""The economics a policy simulation reports beside approvals and bad rates (#25), against
sums written here from each offer's own schedule rows."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.support.decisioning import ChosenPD, application, id_number, table_priced_policy
from thinfile.decisioning import decide, load_policy, parse_application, simulate
from thinfile.decisioning.report import render_simulation_html

ON = date(2026, 11, 25)
PDS = {"E1": 0.01, "E2": 0.04, "E3": 0.07, "E4": 0.5}


def _records() -> list[dict[str, Any]]:
    rows = []
    for k, (segment, history) in enumerate(
        [
            ("delivery_rider", 0),
            ("delivery_rider", 0),
            ("factory_worker", 30),
            ("factory_worker", 0),
        ],
        start=1,
    ):
        app = parse_application(
            application(
                applicant_id=f"E{k}",
                id_number=id_number(seq=f"{k:03d}"),
                segment=segment,
                bureau_history_months=history,
                months_in_city=48,  # older than the new-citizen programme's three years
            )
        )
        row = dict(app.as_record())
        row["bad_12m"] = 0
        rows.append(row)
    return rows


def _yuan(fen: Decimal) -> str:
    return str((fen / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_expected_revenue_loss_and_margin_match_the_schedules():
    policy = load_policy()
    records = _records()
    report: dict[str, Any] = simulate(
        records, policy=policy, model=ChosenPD(by_applicant=PDS), on=ON
    ).as_dict()
    interest = fees = 0
    loss = margin = Decimal(0)
    rates = []
    for record in records[:3]:
        app = parse_application(
            application(
                applicant_id=record["applicant_id"],
                id_number=record["id_number"],
                segment=record["segment"],
                bureau_history_months=record["bureau_history_months"],
                months_in_city=48,
            )
        )
        pd = Decimal(str(PDS[app.applicant_id]))
        offer = decide(app, policy=policy, model=ChosenPD(float(pd)), on=ON).offers[0]
        rows = offer.schedule.installments
        openings = [offer.amount] + [r.balance for r in rows[:-1]]
        years = Decimal(sum(openings)) / 12
        earned = sum(r.interest for r in rows), sum(r.fee for r in rows)
        expected_loss = years * pd * Decimal("0.80")
        costs = years * (Decimal("0.035") + Decimal("0.015") + Decimal("0.012")) + 1500
        interest, fees = interest + earned[0], fees + earned[1]
        loss += expected_loss
        margin += earned[0] + earned[1] - costs - expected_loss
        rates.append(offer.annualized.nominal)
    overall = report["candidate"]["overall"]
    assert overall["approved"] == 3
    assert overall["expected_interest"] == _yuan(Decimal(interest))
    assert overall["expected_fees"] == _yuan(Decimal(fees))
    assert overall["expected_loss"] == _yuan(loss)
    assert overall["expected_margin"] == _yuan(margin) and margin > 0
    assert overall["share_at_cap"] == 0.0
    dist = overall["rate_distribution"]
    assert sum(dist["bands"].values()) == 3
    assert dist["p50"] == str(sorted(rates)[1].quantize(Decimal("0.000001")))
    by_grade = report["candidate"]["by_grade"]
    assert {g: by_grade[g]["approved"] for g in by_grade} == {"A": 1, "C": 1, "D": 1, "F": 0}
    thin = report["candidate"]["by_file"]["thin-file"]
    assert thin["approved"] == 2 and thin["rate_distribution"] is not None


def test_an_occupation_mostly_priced_at_the_cap_is_flagged(tmp_path):
    greedy = load_policy(table_priced_policy(tmp_path / "greedy", rate="0.36", fee="0.03"))
    report = simulate(
        _records(),
        policy=greedy,
        baseline=load_policy(),
        model=ChosenPD(by_applicant=PDS),
        on=ON,
    )
    data: dict[str, Any] = report.as_dict()
    riders = data["candidate"]["by_segment"]["delivery_rider"]
    assert riders["share_at_cap"] == 1.0 and riders["mostly_at_cap"] and riders["flagged"]
    assert not data["baseline"]["by_segment"]["delivery_rider"]["mostly_at_cap"]
    # measured with the shipped pricing parameters, the dearer policy earns more
    assert Decimal(data["change"]["expected_margin"]) > 0
    assert Decimal(data["change"]["average_annualized_rate"]) > 0
    html = render_simulation_html(report)
    assert "most approvals at the cap" in html and "Annualized rates of approved offers" in html


def test_a_report_under_a_lower_cap_has_no_bands_above_it():
    """Under a 20% cap the bands end at 20% (it listed 20%–22% and 22%–20%); an offer at the
    cap is counted in the last band."""
    from thinfile.decisioning.economics import EconomicsTally, OfferEconomics

    tally = EconomicsTally()
    for nominal in ("0.15", "0.1999", "0.20"):
        tally.add(
            OfferEconomics(
                Decimal(nominal), Decimal(nominal), False, 100, 0, Decimal(1), Decimal(2),
                Decimal(1000), None,
            )
        )  # fmt: skip
    bands = tally.distribution(Decimal("0.20"))["bands"]
    assert bands == {"0%–10%": 0, "10%–14%": 0, "14%–18%": 1, "18%–20%": 2}
    usual = tally.distribution(Decimal("0.24"))["bands"]
    assert isinstance(usual, dict) and list(usual)[-2:] == ["20%–22%", "22%–24%"]


def test_the_approval_rate_is_rounded_one_way_and_its_change_is_in_points():
    from thinfile.decisioning.report import percent, points

    assert percent(0.76755) == "76.76%"  # 15,351 of 20,000: the command said 76.75%
    assert percent(Decimal("0.76755")) == "76.76%"  # the report's six places, as written
    assert points(-0.00725) == "-0.73 points" and points(0) == "+0.00 points"
