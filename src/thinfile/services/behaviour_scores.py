"""The behaviour model in the limit review (行为评分): the active behaviour model, and each
line's probability of default and reasons, scored a batch of lines at a time.

A behaviour model is registered like the application model (``policies.register_model(...,
kind="behaviour")``); when one is active, the review scores every line of a batch in one call
of the model on the same inputs it was trained on (``scoring.behaviour_model``: the
behaviour features and the score of the application that opened the line), and the limit
policy grades the line from the PD. With none registered the policy's rules grade it and the
decision records no model version. A model is loaded once per version.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pandas as pd

from thinfile.decisioning.limits import BehaviourScore, LimitInputs
from thinfile.errors import NotFoundError
from thinfile.scoring.behaviour_model import APPLICATION_SCORE, BEHAVIOUR_INPUTS
from thinfile.scoring.model import ScoringModel, load_model
from thinfile.services.uow import UnitOfWork

__all__ = [
    "REASONS",
    "active_behaviour_model_in",
    "behaviour_model_by_version_in",
    "model_reasons_json",
    "score_lines",
]

REASONS = 4
"""Reasons kept with each decision, as for an application."""
_LOADED: dict[str, ScoringModel] = {}
_LOCK = threading.Lock()


def _load(version: str, path: str) -> ScoringModel:
    with _LOCK:
        model = _LOADED.get(version)
        if model is None:
            model = load_model(Path(path))
            _LOADED[version] = model
    return model


def active_behaviour_model_in(uow: UnitOfWork) -> ScoringModel | None:
    """The active behaviour model, or None when none is registered."""
    row = uow.models.active("behaviour")
    return None if row is None else _load(row.version, row.path)


def behaviour_model_by_version_in(uow: UnitOfWork, version: str) -> ScoringModel:
    """A registered behaviour model by version (for replay)."""
    row = uow.models.get(version)
    if row is None or row.kind != "behaviour":
        raise NotFoundError(
            f"behaviour model {version} is not registered", field="model_version", value=version
        )
    return _load(row.version, row.path)


def score_lines(model: ScoringModel, inputs: Sequence[LimitInputs]) -> list[BehaviourScore]:
    """Each line's PD (six decimal places) and top reasons, from one call of the model."""
    if not inputs:
        return []
    columns = [*BEHAVIOUR_INPUTS, APPLICATION_SCORE]
    frame = pd.DataFrame(
        [[i.model_record().get(c) for c in columns] for i in inputs], columns=columns
    ).astype("float64")
    table = model.explain_frame(frame, reasons=REASONS)
    pds = table["pd"].to_numpy()
    codes = [table[f"reason_{k + 1}"].to_numpy() for k in range(REASONS)]
    names = model.feature_names
    by_code = dict(zip(model.book.codes, names, strict=True))
    scores = []
    for n in range(len(inputs)):
        reasons = tuple(
            {"code": str(c[n]), "feature": by_code[str(c[n])]}
            for c in codes
            if isinstance(c[n], str) and c[n] in by_code
        )
        default = Decimal(repr(float(pds[n])))  # not money: a probability of default
        pd_text = str(default.quantize(Decimal("0.000001")))
        scores.append(BehaviourScore(model.version, pd_text, reasons))
    return scores


def model_reasons_json(reasons: Sequence[Mapping[str, object]]) -> str | None:
    """The reasons as stored with a decision (None when there are none)."""
    return json.dumps([dict(r) for r in reasons], separators=(",", ":")) if reasons else None
