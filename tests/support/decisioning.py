"""Builders for decisioning tests: applications and a scorer with a chosen PD per applicant."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from thinfile.decisioning.checks import id_check_character
from thinfile.decisioning.policy import DEFAULT_POLICY_DIR

DECIDED_ON = date(2026, 11, 25)


def id_number(birth: str = "19900307", region: str = "110105", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + id_check_character(first17)


def application(**overrides: object) -> dict[str, object]:
    """A delivery rider asking for 6,000 yuan over 12 months to buy a phone."""
    data: dict[str, object] = {
        "applicant_id": "A0000000001",
        "id_number": id_number(),
        "phone": "13800138000",
        "birth_date": "1990-03-07",
        "segment": "delivery_rider",
        "months_in_city": 24,
        "purpose": "phone_purchase",
        "requested_amount": "6000.00",
        "requested_term_months": 12,
        "consent_credit": True,
        "income_monthly_mean": "8000.00",
        "income_monthly_cv": 0.3,
        "income_months_observed": 12,
        "existing_debt_payment_monthly": "500.00",
        "bureau_history_months": 0,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Reason:
    code: str
    feature: str
    description: str
    contribution: float


@dataclass(frozen=True)
class Score:
    pd: float
    score: int
    reasons: tuple[Reason, ...]


@dataclass
class ChosenPD:
    """A scorer that gives each applicant the PD a test chooses (policy logic under test)."""

    default_pd: float = 0.01
    by_applicant: Mapping[str, float] = field(default_factory=dict)
    version: str = "test-model:1"

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> Score:
        pd = self.by_applicant.get(str(record.get("applicant_id")), self.default_pd)
        return Score(
            pd,
            int(600 - 500 * pd),
            (
                Reason("R_INCOME", "income_monthly_mean", "income", 0.4),
                Reason("R_TENURE", "platform_tenure_months", "tenure", 0.2),
            )[:reasons],
        )


def policy_without(folder: Path, *keys: str) -> Path:
    """The shipped policy without the ``policy.json`` settings ``keys`` (as a policy written
    before they existed), written to ``folder``, which is returned."""
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    settings = json.loads((folder / "policy.json").read_text())
    for key in keys:
        del settings[key]
    (folder / "policy.json").write_text(json.dumps(settings))
    return folder


def table_priced_policy(folder: Path, *, rate: str, fee: str) -> Path:
    """The shipped policy priced the way policies were before the build-up: every grade at
    ``rate`` a year (``fee`` a month for point-of-sale installments), no ``pricing``, no
    programmes. Written to ``folder``, which is returned."""
    policy_without(folder, "pricing", "programmes")
    graph = json.loads((folder / "decision.json").read_text())
    grade = next(n for n in graph["nodes"] if n["id"] == "grade")
    grade["content"]["outputs"] += [
        {"id": "rate", "name": "Annual rate", "field": "grade.annual_rate"},
        {"id": "fee", "name": "POS monthly fee rate", "field": "grade.monthly_fee_rate"},
    ]
    for rule in grade["content"]["rules"]:
        rule["rate"], rule["fee"] = f'"{rate}"', f'"{fee}"'
    (folder / "decision.json").write_text(json.dumps(graph))
    return folder
