"""The limit review graded by a registered behaviour model: each decision records the model's
version, PD and reasons beside the policy version and replays to itself; a PD the policy
grades D stops an increase and says why; without a model the rules grade and no model version
is recorded."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from tests.integration.limits_book import REVIEW, book_with_incomes
from thinfile.decisioning.limit_policy import DEFAULT_LIMIT_POLICY_DIR
from thinfile.scoring.behaviour_model import behaviour_table, train_behaviour_model
from thinfile.scoring.model import ScoringModel
from thinfile.security.roles import Role
from thinfile.services import business_date
from thinfile.services.identity_records import SYSTEM, Actor
from thinfile.services.limit_policies import activate_limit_policy, register_limit_policy
from thinfile.services.limit_replay import replay_limit_decision
from thinfile.services.limit_reviews import review_limits
from thinfile.services.limits import request_limit_increase
from thinfile.services.policies import register_model
from thinfile.sim import generate_applicants, simulate_performance
from thinfile.store import make_engine, upgrade
from thinfile.store.servicing_codec import to_day

DECISIONS = (
    "SELECT id, line_id, action, new_limit, reason_codes, policy_version, model_version, pd, "
    "model_reasons FROM limit_decisions WHERE day = :d ORDER BY line_id"
)
"""The decisions of the review on REVIEW (close of business reviewed each month-end before)."""


@pytest.fixture(scope="module")
def behaviour_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScoringModel, Path]:
    """A small scorecard trained on synthetic performance (the application score is noise)."""
    applicants = generate_applicants(2000, seed=7)
    performance = simulate_performance(applicants, months=12, seed=7)
    table = behaviour_table(performance, review_months=[3, 6], horizon=6)
    noise = np.random.default_rng(7).integers(520, 680, len(table))
    table = table.assign(application_score=noise.astype(np.int64))
    model = train_behaviour_model(table, application_version="noise", kind="scorecard")
    path = tmp_path_factory.mktemp("behaviour") / "model"
    model.save(path)
    return model, path


def _review(database_url: str, monkeypatch: pytest.MonkeyPatch, model_path: Path | None, **kw):
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 5, 16, tzinfo=UTC))
    engine = make_engine(database_url)
    upgrade(engine)
    book = book_with_incomes(engine)
    if model_path is not None:
        register_model(engine, kw["version"], model_path, actor=SYSTEM, kind="behaviour")
    if kw.get("policy") is not None:
        activate_limit_policy(
            engine, register_limit_policy(engine, kw["policy"], actor=SYSTEM), actor=SYSTEM
        )
    review_limits(engine, REVIEW)
    with engine.connect() as conn:
        rows = {int(r.line_id): r for r in conn.execute(sa.text(DECISIONS), {"d": to_day(REVIEW)})}
    return engine, book, rows


def test_each_decision_records_the_behaviour_model_and_replays_to_itself(
    database_url, monkeypatch, behaviour_model
):
    model, path = behaviour_model
    engine, book, rows = _review(database_url, monkeypatch, path, version=model.version)
    assert {r.model_version for r in rows.values()} == {model.version}
    assert all(r.policy_version.startswith("limits-sha256:") for r in rows.values())
    for r in rows.values():
        assert 0 < float(r.pd) < 1 and len(r.pd.split(".")[1]) == 6
        for reason in json.loads(r.model_reasons or "[]"):
            assert reason["feature"] in model.feature_names and reason["code"].startswith("R")
    # the good payer's PD falls in the default policy's grade A (below 0.03): offered double
    good = rows[book.good]
    assert float(good.pd) < 0.03
    assert (good.action, good.new_limit) == ("increase", 1_000_000)
    # the late payer is frozen whatever the model says, with the model's PD on record
    assert rows[book.late].action == "freeze" and float(rows[book.late].pd) > float(good.pd)
    for r in rows.values():
        replayed = replay_limit_decision(engine, int(r.id))
        assert replayed.same and replayed.replayed.model_version == model.version
        assert replayed.replayed.pd == r.pd
    engine.dispose()


def test_a_pd_the_policy_grades_d_gets_no_increase_and_the_reasons_say_why(
    database_url, monkeypatch, behaviour_model, tmp_path
):
    model, path = behaviour_model
    strict = tmp_path / "strict"
    shutil.copytree(DEFAULT_LIMIT_POLICY_DIR, strict)
    settings = json.loads((strict / "policy.json").read_text("utf-8"))
    settings["behaviour_pd_grades"] = [
        {"grade": "A", "pd_below": "0.0001"},
        {"grade": "B", "pd_below": "0.0002"},
        {"grade": "C", "pd_below": "0.0003"},
        {"grade": "D"},
    ]
    (strict / "policy.json").write_text(json.dumps(settings), "utf-8")
    engine, book, rows = _review(
        database_url, monkeypatch, path, version=model.version, policy=strict
    )
    good = rows[book.good]
    assert float(good.pd) >= 0.0003  # grade D under this policy
    assert (good.action, good.new_limit) == ("none", 500_000)
    assert "BEHAVIOUR_GRADE" in good.reason_codes.split(",")
    replayed = replay_limit_decision(engine, int(good.id))
    assert replayed.same
    words = replayed.replayed.reasons("en")
    assert words[0]["text"] == "Your repayment record does not yet support a higher limit."
    model_words = [w["text"] for w in words[1:]]
    stored = json.loads(good.model_reasons)
    shown = [r for r in stored if r["feature"] != "application_score"]
    assert len(model_words) == len(shown) >= 1
    assert all(t.startswith("Our assessment weighed ") for t in model_words)
    assert all(w["text"].startswith("评估中") for w in replayed.replayed.reasons("zh")[1:])
    # a borrower who asks is answered the same way, with the model's reasons
    answer = request_limit_increase(engine, book.good, actor=Actor("u1", Role.BORROWER))
    assert answer.action == "none" and "BEHAVIOUR_GRADE" in answer.reason_codes
    assert answer.model_reasons and any(
        r["text"].startswith("Our assessment weighed ") for r in answer.reasons("en")
    )
    engine.dispose()


def test_without_a_behaviour_model_the_rules_grade_and_no_model_version_is_recorded(
    database_url, monkeypatch
):
    engine, book, rows = _review(database_url, monkeypatch, None)
    assert {(r.model_version, r.pd, r.model_reasons) for r in rows.values()} == {(None, None, None)}
    assert rows[book.good].action == "increase"
    assert all(replay_limit_decision(engine, int(r.id)).same for r in rows.values())
    engine.dispose()
