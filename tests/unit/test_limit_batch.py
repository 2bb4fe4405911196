"""The column-wise limit decisions answer exactly as the line-by-line ones: on thousands of
varied lines (past due, frozen, above the ceiling, no income, temporary limits, recent
increases, ratios with nothing to divide, graded by a behaviour model or by the rules), the
same action, new limit in fen, reason codes, policy version and stored inputs; the same arm
for every line, near a share's bound too."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import numpy as np
import pytest

from thinfile.decisioning.limit_batch import decide_limit_columns
from thinfile.decisioning.limit_columns import LimitColumns, assign_limit_arms, inputs_json
from thinfile.decisioning.limit_policy import (
    DEFAULT_LIMIT_POLICY_DIR,
    limit_policy_from_json,
    load_limit_policy,
)
from thinfile.decisioning.limits import (
    BehaviourScore,
    LimitInputs,
    assign_limit_arm,
    decide_limit,
)

POLICY = load_limit_policy()
_SETTINGS = json.loads((DEFAULT_LIMIT_POLICY_DIR / "policy.json").read_text("utf-8"))
TIGHT = limit_policy_from_json(
    json.dumps(
        {
            **_SETTINGS,
            "name": "tight",
            "ceiling_fen": 2_000_000,
            "step_fen": 5_000,
            "affordability_term_months": 24,
        }
    ),
    (DEFAULT_LIMIT_POLICY_DIR / "decision.json").read_text("utf-8"),
)
LINES = 4_000


def _maybe(rng: random.Random, value: int, share: float = 0.1) -> int | None:
    return None if rng.random() < share else value


def varied_lines(seed: int, n: int = LINES) -> list[LimitInputs]:
    """Lines of every kind a review meets, drawn at random (a fixed seed)."""
    rng = random.Random(seed)
    lines = []
    for line_id in range(1, n + 1):
        limit = rng.choice(
            [100_000, 500_000, 1_000_000, 1_234_567, 2_000_000, 2_950_000, 3_000_000, 3_200_000]
        ) + rng.choice([0, 0, 0, 10_000, 99])
        dpd = rng.choice([0] * 14 + [1, 5, 12, 30, 45, 91])
        late = rng.choice([0] * 6 + [1, 2, 3])
        balance = rng.randrange(0, limit + 1)
        behaviour = {
            "months_on_book": rng.randrange(0, 25),
            "months_observed": rng.randrange(1, 13),
            "current_dpd": dpd,
            "worst_dpd_12m": dpd + rng.choice([0, 0, 0, 7, 31, 65]),
            "delinquent_months_3m": min(late, 1) if dpd == 0 else late,
            "delinquent_months_6m": late,
            "delinquent_months_12m": late + rng.choice([0, 1]),
            "on_time_share_bps": _maybe(rng, rng.choice([10_000, 9_600, 9_500, 9_000, 5_000])),
            "utilization_bps": _maybe(rng, rng.randrange(0, 12_000)),
            "utilization_avg_bps": _maybe(
                rng, rng.choice([4_999, 5_000, rng.randrange(0, 12_000)])
            ),
            "payment_to_due_bps": _maybe(rng, rng.choice([10_000, 9_499, 9_500, 8_000])),
            "drawn_12m": rng.randrange(0, 2_000_000),
            "repaid_12m": rng.randrange(0, 2_000_000),
            "prepaid_12m": rng.choice([0, 0, 50_000]),
            "limit_fen": limit,
            "balance_fen": balance,
        }
        lines.append(
            LimitInputs(
                line_id=line_id,
                kind="review",
                status=rng.choice(["active"] * 5 + ["frozen"]),
                limit_fen=limit,
                behaviour=behaviour,
                annual_rate=Decimal(rng.choice(["0.18", "0.2400", "0", "0.0899"])),
                income_fen=_maybe(rng, rng.choice([0, 150_000, 480_000, 1_000_000, 9_999_999])),
                days_since_increase=_maybe(rng, rng.randrange(0, 200), 0.6),
                temporary=rng.random() < 0.1,
                application_score=_maybe(rng, rng.randrange(400, 800), 0.3),
            )
        )
    return lines


def varied_scores(seed: int, n: int = LINES) -> list[BehaviourScore | None]:
    rng = random.Random(seed)
    pds = ["0.010000", "0.029999", "0.030000", "0.079000", "0.150000", "0.199999", "0.600000"]
    return [
        None
        if rng.random() < 0.1
        else BehaviourScore(
            "behaviour-sha256:test",
            rng.choice(pds),
            ({"code": "B01", "feature": "worst_dpd_12m", "contribution": 0.4},),
        )
        for _ in range(n)
    ]


def _same(lines, policy, scores=None) -> None:
    columns = LimitColumns.from_inputs(lines[0].kind, lines)
    batch = decide_limit_columns(columns, policy, scores)
    for n, line in enumerate(lines):
        old = decide_limit(line, policy, None if scores is None else scores[n])
        new = (
            batch.action[n],
            int(batch.old_limit[n]),
            int(batch.new_limit[n]),
            batch.reason_codes[n],
            batch.policy_version[n],
        )
        expected = (
            old.action.value,
            old.old_limit,
            old.new_limit,
            ",".join(old.reason_codes),
            old.policy_version,
        )
        assert new == expected, f"line {line.line_id}: {line}"


@pytest.mark.parametrize("policy", [POLICY, TIGHT], ids=["default", "tight"])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_batch_decides_every_line_as_the_line_by_line_path(policy, seed):
    lines = varied_lines(seed)
    _same(lines, policy)
    actions = set(decide_limit_columns(LimitColumns.from_inputs("review", lines), policy).action)
    assert actions == {"none", "increase", "decrease", "freeze", "unfreeze"}


def test_a_batch_graded_by_a_behaviour_model_decides_as_the_line_by_line_path():
    _same(varied_lines(3), POLICY, varied_scores(3))


def test_a_requested_batch_and_a_graph_read_as_a_whole_decide_as_the_line_by_line_path():
    lines = [LimitInputs.from_json({**i.as_json(), "kind": "request"}) for i in varied_lines(4)]
    _same(lines, POLICY)
    whole = limit_policy_from_json(POLICY.settings_text, POLICY.graph_json)
    object.__setattr__(whole, "reads", None)  # a graph with a node that reads anything
    _same(varied_lines(5, 300), whole)


def test_held_out_increases_are_the_control_groups_as_line_by_line():
    lines = varied_lines(6)
    columns = LimitColumns.from_inputs("review", lines)
    control = np.array([i.line_id % 3 == 0 for i in lines])
    batch = decide_limit_columns(columns, POLICY).held_out(control)
    for n, line in enumerate(lines):
        old = decide_limit(line, POLICY)
        if control[n] and old.action.value == "increase":
            old = old.held_out()
        assert (batch.action[n], int(batch.new_limit[n]), batch.reason_codes[n]) == (
            old.action.value,
            old.new_limit,
            ",".join(old.reason_codes),
        )


def test_the_stored_inputs_are_the_line_by_line_json_to_the_byte():
    lines = varied_lines(7)
    texts = inputs_json(LimitColumns.from_inputs("review", lines))
    assert texts == [json.dumps(i.as_json(), separators=(",", ":")) for i in lines]
    back = LimitColumns.from_inputs("review", lines)
    assert [back.inputs(n) for n in range(len(lines))] == lines


def test_every_line_meets_the_same_arm_near_a_shares_bound_too():
    ids = np.arange(1, 20_001, dtype=np.int64)
    for control, challenger in [
        (Decimal("0.05"), Decimal(0)),
        (Decimal("0.05"), Decimal("0.2")),
        (Decimal(0), Decimal("0.999")),
    ]:
        arms = assign_limit_arms(ids, control, challenger)
        assert list(arms) == [
            assign_limit_arm(i, control, challenger).value for i in range(1, 20_001)
        ]
    # a share whose bound is one line's hash exactly: that line is decided by the old path
    import hashlib

    u = int.from_bytes(hashlib.sha256(b"thinfile-limits:77").digest()[:8], "big")
    exact = Decimal(u) / Decimal(2**64)
    for share in (exact, exact.next_plus(), exact.next_minus()):
        arms = assign_limit_arms(ids[70:80], share, Decimal(0))
        assert list(arms) == [assign_limit_arm(i, share, Decimal(0)).value for i in range(71, 81)]
