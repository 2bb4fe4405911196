"""Decisioning: instant, explainable, versioned credit decisions and fairly priced offers.

Data flow::

    raw JSON ─parse_application─► Application ─┐
    lender history ─► History ─────────────────┼─ decide(policy, model, on) ─► Decision
    Policy (GoRules JDM graph via zen-engine) ─┤      knockouts → score → grade → affordability
    Scorer (thinfile.scoring model) ───────────┘      → limit → price build-up under the
                                                         cap → programme → offers

``PolicyBook`` adds a challenger arm; ``replay`` re-runs a stored decision; ``simulate``
runs a candidate policy over past applications.
"""

from thinfile.decisioning.application import Application, parse_application
from thinfile.decisioning.challenger import (
    Arm,
    ChallengerDecision,
    ModelStatus,
    PolicyBook,
    PolicyStatus,
    assign_arm,
)
from thinfile.decisioning.checks import History, is_valid_id_number, is_valid_phone
from thinfile.decisioning.engine import Decision, Finding, Outcome, Scorer, decide
from thinfile.decisioning.policy import DEFAULT_POLICY_DIR, Policy, PolicySettings, load_policy
from thinfile.decisioning.pricing import Affordability, Offer
from thinfile.decisioning.replay import replay, same_as_stored
from thinfile.decisioning.simulate import SimulationReport, application_from_record, simulate

__all__ = [
    "DEFAULT_POLICY_DIR",
    "Affordability",
    "Application",
    "Arm",
    "ChallengerDecision",
    "Decision",
    "Finding",
    "History",
    "ModelStatus",
    "Offer",
    "Outcome",
    "Policy",
    "PolicyBook",
    "PolicySettings",
    "PolicyStatus",
    "Scorer",
    "SimulationReport",
    "application_from_record",
    "assign_arm",
    "decide",
    "is_valid_id_number",
    "is_valid_phone",
    "load_policy",
    "parse_application",
    "replay",
    "same_as_stored",
    "simulate",
]
