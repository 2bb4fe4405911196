"""The review decided column by column writes what the line-by-line review writes: on a book
of a few thousand varied lines (past due, frozen, above the ceiling, no income, temporary
limits, recent increases, lines opened after the date, pending offers superseded), two
reviews a fortnight apart leave the same decisions, offers, limit moves, limit history,
notices and run counts on both databases, whatever the batch size, in one process or two."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.databases import fresh_database_url
from thinfile.decisioning.limit_policy import DEFAULT_LIMIT_POLICY_DIR, load_limit_policy
from thinfile.decisioning.limits import LimitArm, assign_limit_arm
from thinfile.services import limit_review_batch
from thinfile.services.identity_records import SYSTEM
from thinfile.services.limit_arms import arm_outcomes
from thinfile.services.limit_policies import (
    activate_limit_policy,
    register_limit_policy,
    register_limit_policy_text,
    set_limit_challenger,
)
from thinfile.services.limit_reviews import decide_lines_in, review_limits
from thinfile.store import make_engine, upgrade
from thinfile.store.limits_tables import (
    limit_line_incomes,
    limit_line_months,
    limit_temporary,
)
from thinfile.store.servicing_codec import from_day, to_day
from thinfile.store.servicing_tables import credit_lines, limit_changes

FIRST, SECOND = date(2025, 4, 30), date(2025, 5, 15)
LINES = 2_500
CHALLENGER_CEILING, CHALLENGER_SHARE = 2_500_000, Decimal("0.3")
WRITTEN = {
    "decisions": "SELECT line_id, day, review_day, kind, arm, policy_version, model_version, "
    "action, old_limit, new_limit, reason_codes, inputs_json, pd, model_reasons "
    "FROM limit_decisions ORDER BY review_day, line_id",
    "offers": "SELECT o.line_id, d.review_day, d.action, o.old_limit, o.new_limit, "
    "o.offered_day, o.expires_day, o.status, o.decided_day FROM limit_offers o "
    "JOIN limit_decisions d ON d.id = o.decision_id ORDER BY o.offered_day, o.line_id",
    "lines": "SELECT id, limit_amount, status, version FROM servicing_credit_lines ORDER BY id",
    "notices": "SELECT n.line_id, d.review_day, n.day, n.kind, n.old_limit, n.new_limit, "
    "n.reason_codes FROM limit_notices n LEFT JOIN limit_decisions d ON d.id = n.decision_id "
    "ORDER BY n.day, n.line_id, n.kind",
    "changes": "SELECT line_id, day, old_limit, new_limit, reason FROM servicing_limit_changes "
    "ORDER BY day, line_id, id",
    "runs": "SELECT business_day, status, counts_json FROM limit_review_runs ORDER BY 1",
    "snapshots": "SELECT COUNT(*), SUM(balance), SUM(days_past_due) FROM limit_line_months",
}


@pytest.fixture
def second_url(backend: str, tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "second"
    folder.mkdir()
    yield from fresh_database_url(backend, folder)


def seed_book(engine: sa.Engine, seed: int = 11) -> None:
    """Varied lines with month-end snapshots, incomes, temporary limits and past increases."""
    rng = random.Random(seed)
    review, second = to_day(FIRST), to_day(SECOND)
    lines, months, incomes, temporary, changes = [], [], [], [], []
    for line_id in range(1, LINES + 1):
        opened = review - rng.choice([20, 95, 200, 400, 700]) + rng.choice([0, 0, 0, 30])
        limit = rng.choice([300_000, 500_000, 1_500_000, 2_990_000, 3_000_000, 3_500_000])
        lines.append(
            {
                "id": line_id,
                "currency": "CNY",
                "limit_amount": limit,
                "status": rng.choice(["active"] * 6 + ["frozen", "closed"]),
                "annual_rate": rng.choice(["0.18", "0.2400", "0.0"]),
                "product_json": "{}",
                "opened_day": opened,
                "version": 1,
            }
        )
        late = rng.random() < 0.15
        for back in range(0, 400, 30):
            day = review - back if back else review
            if day < opened or (back == 0 and rng.random() < 0.05):
                continue
            dpd = rng.choice([0, 5, 12, 35, 61]) if late else 0
            due = rng.choice([0, 40_000, 60_000])
            months.append(
                {
                    "line_id": line_id,
                    "day": day,
                    "month_end": 1,
                    "opened_day": opened,
                    "limit_amount": limit,
                    "balance": rng.randrange(0, limit),
                    "days_past_due": dpd,
                    "worst_dpd": dpd + rng.choice([0, 0, 3]) if late else 0,
                    "amount_due": due,
                    "amount_paid": due if not late else rng.choice([0, due // 2]),
                    "drawn": rng.choice([0, 0, 100_000]),
                    "prepaid": rng.choice([0, 0, 0, 20_000]),
                }
            )
            if back == 0 and rng.random() < 0.9:  # most lines have a snapshot on both dates
                months.append({**months[-1], "day": second, "month_end": 0})
        if rng.random() < 0.85:
            incomes.append(
                {
                    "line_id": line_id,
                    "income": rng.choice([0, 200_000, 600_000, 2_000_000]),
                    "source": "test",
                    "day": opened,
                }
            )
        if rng.random() < 0.05:
            temporary.append(
                {
                    "line_id": line_id,
                    "base_limit": limit,
                    "temporary_limit": limit,
                    "start_day": review - 10,
                    "end_day": second + 30,
                    "status": "active",
                }
            )
        if rng.random() < 0.1:
            changes.append(
                {
                    "line_id": line_id,
                    "day": review - rng.choice([10, 60, 120]),
                    "old_limit": limit // 2,
                    "new_limit": limit,
                    "reason": "seeded increase",
                }
            )
    with engine.begin() as conn:
        for table, rows in (
            (credit_lines, lines),
            (limit_line_months, months),
            (limit_line_incomes, incomes),
            (limit_temporary, temporary),
            (limit_changes, changes),
        ):
            conn.execute(sa.insert(table), rows)


def written(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {k: [tuple(r) for r in conn.execute(sa.text(q))] for k, q in WRITTEN.items()}


def with_challenger(engine: sa.Engine) -> str:
    """The shipped policy with a 25,000-yuan ceiling as the challenger of 30 % of the lines."""
    shipped = register_limit_policy(engine, DEFAULT_LIMIT_POLICY_DIR, actor=SYSTEM)
    activate_limit_policy(engine, shipped, actor=SYSTEM)
    settings = json.loads((DEFAULT_LIMIT_POLICY_DIR / "policy.json").read_text("utf-8"))
    settings["ceiling_fen"] = CHALLENGER_CEILING
    graph = (DEFAULT_LIMIT_POLICY_DIR / "decision.json").read_text("utf-8")
    made = register_limit_policy_text(engine, json.dumps(settings), graph, actor=SYSTEM)
    set_limit_challenger(engine, made.version, CHALLENGER_SHARE, actor=SYSTEM)
    return made.version


def two_reviews(
    url: str, batch: int, workers: int = 1, *, challenger: bool = False
) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    upgrade(engine)
    seed_book(engine)
    if challenger:
        with_challenger(engine)
    review_limits(engine, FIRST, batch_lines=batch, workers=workers)
    review_limits(engine, SECOND, batch_lines=batch, workers=workers)
    state = written(engine)
    engine.dispose()
    return state


def test_the_column_wise_review_writes_what_the_line_by_line_review_writes(
    database_url, second_url, monkeypatch
):
    batched = two_reviews(database_url, 700, workers=2)  # two processes on PostgreSQL
    with monkeypatch.context() as patch:
        patch.setattr(
            limit_review_batch,
            "decide_batch_in",
            lambda uow, book, day, first, last: len(decide_lines_in(uow, book, day, first, last)),
        )
        line_by_line = two_reviews(second_url, 1_000)
    assert batched["decisions"] and batched["offers"] and batched["notices"]
    actions = {r[7] for r in batched["decisions"]}
    assert actions >= {"none", "increase", "held_out", "decrease", "freeze", "unfreeze"}
    assert any(r[7] == "superseded" for r in batched["offers"])
    for table, rows in line_by_line.items():
        assert batched[table] == rows, table


def test_a_challenger_decides_its_share_of_the_lines_and_the_control_group_is_held_out(
    database_url, second_url, monkeypatch
):
    batched = two_reviews(database_url, 700, workers=2, challenger=True)
    with monkeypatch.context() as patch:
        patch.setattr(
            limit_review_batch,
            "decide_batch_in",
            lambda uow, book, day, first, last: len(decide_lines_in(uow, book, day, first, last)),
        )
        line_by_line = two_reviews(second_url, 1_000, challenger=True)
    assert batched == line_by_line
    champion = load_limit_policy()
    control_share = champion.settings.control_share
    arms: dict[str, int] = {}
    for row in batched["decisions"]:
        line_id, kind, arm, version, action, new = row[0], row[3], row[4], row[5], row[7], row[9]
        if kind != "review":
            continue
        expected = assign_limit_arm(int(line_id), control_share, CHALLENGER_SHARE)
        assert arm == expected.value, line_id
        arms[arm] = arms.get(arm, 0) + 1
        if arm == LimitArm.CHALLENGER.value:
            assert version != champion.version
            assert action != "increase" or int(new) <= CHALLENGER_CEILING
        else:
            assert version == champion.version
        if arm == LimitArm.CONTROL.value:
            assert action != "increase"
    outside = arms["champion"] + arms["challenger"]
    assert abs(Fraction(arms["challenger"], outside) - Fraction(3, 10)) < Fraction(1, 20)
    assert arms["control"] > 0 and any(
        r[7] == "held_out" and r[4] == "control" for r in batched["decisions"]
    )
    challenger_raised = [
        int(r[9]) for r in batched["decisions"] if r[4] == "challenger" and r[7] == "increase"
    ]
    assert challenger_raised and max(challenger_raised) <= CHALLENGER_CEILING


def test_the_live_book_by_arm_counts_what_the_tables_hold(database_url):
    """The by-arm figures after a review, against the same figures computed here from the
    rows the review wrote and the latest snapshot."""
    engine = make_engine(database_url)
    upgrade(engine)
    seed_book(engine)
    with_challenger(engine)
    review_limits(engine, FIRST, batch_lines=700)
    outcomes = arm_outcomes(engine, FIRST)
    with engine.connect() as conn:
        decided = conn.execute(
            sa.text(
                "SELECT d.line_id, d.arm, d.action, o.status FROM limit_decisions d "
                "LEFT JOIN limit_offers o ON o.decision_id = d.id "
                "WHERE d.kind = 'review' AND d.review_day = :r"
            ),
            {"r": to_day(FIRST)},
        ).all()
        at = conn.execute(sa.text("SELECT MAX(day) FROM limit_line_months")).scalar()
        snap = {
            int(r[0]): (int(r[1]), int(r[2]), int(r[3]))
            for r in conn.execute(
                sa.text(
                    "SELECT line_id, limit_amount, balance, days_past_due "
                    "FROM limit_line_months WHERE day = :d"
                ),
                {"d": at},
            )
        }
    assert at is not None and outcomes.observed_on == from_day(int(at)) == SECOND
    expected: dict[str, dict[str, int]] = {}
    for line_id, arm, action, status in decided:
        e = expected.setdefault(
            arm,
            dict.fromkeys(
                (
                    "lines",
                    "offered",
                    "accepted",
                    "held",
                    "reduced",
                    "seen",
                    "limit",
                    "balance",
                    "late",
                ),
                0,
            ),
        )
        e["lines"] += 1
        e["offered"] += action == "increase"
        e["accepted"] += status == "accepted"
        e["held"] += action == "held_out"
        e["reduced"] += action in ("decrease", "freeze")
        if int(line_id) in snap:
            limit, balance, dpd = snap[int(line_id)]
            e["seen"] += 1
            e["limit"] += limit
            e["balance"] += balance
            e["late"] += dpd >= 30
    assert {a.arm for a in outcomes.arms} == {"champion", "challenger", "control"}
    for a in outcomes.arms:
        e = expected[a.arm]
        assert (a.lines, a.offered, a.accepted, a.held_out, a.reduced, a.observed) == (
            e["lines"],
            e["offered"],
            e["accepted"],
            e["held"],
            e["reduced"],
            e["seen"],
        )
        assert a.average_limit_fen == e["limit"] // e["seen"]
        assert a.utilization == (Decimal(e["balance"]) / e["limit"]).quantize(Decimal("0.0001"))
        assert a.past_due_30_share == (Decimal(e["late"]) / e["seen"]).quantize(Decimal("0.0001"))
    control = next(a for a in outcomes.arms if a.arm == "control")
    assert control.offered == 0 and control.held_out > 0
    assert arm_outcomes(engine, date(2025, 4, 29)).arms == ()  # no review that day
    engine.dispose()
