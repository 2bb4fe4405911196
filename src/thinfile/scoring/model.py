"""A trained scoring model: scorecard, gradient-boosted trees, or a blend of both.

``logit = slope × (w × scorecard log-odds + (1 − w) × GBM log-odds) + shift`` and
``pd = sigmoid(logit)``; the score is the same log-odds on the points scale. A pure scorecard
has ``w = 1`` and no recalibration, so its attribute points add up to the score.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError
from thinfile.scoring import artifact
from thinfile.scoring.artifact_checks import PARTS, check_model_files, parse_part, read_trees
from thinfile.scoring.binning import FeatureBins
from thinfile.scoring.calibration import PlattCalibrator, ScoreScale, sigmoid
from thinfile.scoring.contract import ColumnRole, InputSchema, is_money
from thinfile.scoring.encoding import RecordEncoder, encode_frame
from thinfile.scoring.gbm import PREDICT_THREADS, GradientBoostedModel
from thinfile.scoring.missing import MissingValues
from thinfile.scoring.reason_table import (
    ReasonMethod,
    Wording,
    point_contributions,
    reason_cells,
)
from thinfile.scoring.reasons import ReasonBook, ReasonCode, describe_value, rank_reasons
from thinfile.scoring.scorecard import Scorecard

__all__ = ["ScoreResult", "ScoringModel", "load_model", "model_from_files"]

EXPLAIN_PART_ROWS = 20_000
"""A frame explained with points reasons is cut into parts of at least this many rows, one
per core: below it, a thread costs more than it saves."""


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One applicant's probability of default, score and reasons."""

    pd: float
    score: int
    reasons: tuple[ReasonCode, ...]


class ScoringModel:
    """Scores tables and single applicants; saves to and loads from a model directory."""

    def __init__(
        self,
        *,
        schema: InputSchema,
        kind: str,
        scorecard: Scorecard | None,
        gbm: GradientBoostedModel | None,
        blend_weight: float,
        calibrator: PlattCalibrator,
        scale: ScoreScale,
        book: ReasonBook,
        evaluation: Mapping[str, object] | None = None,
        training: Mapping[str, object] | None = None,
    ) -> None:
        self.schema = schema
        self.kind = kind
        self.scorecard = scorecard
        self.gbm = gbm
        self.blend_weight = blend_weight
        self.calibrator = calibrator
        self.scale = scale
        self.book = book
        self.evaluation = dict(evaluation or {})
        self.training = dict(training or {})
        self._encoder = RecordEncoder(schema)
        self._missing = MissingValues.of(schema)
        self._categories = [s.categories for s in schema.features]
        self._money = tuple(is_money(s.name) for s in schema.features)
        self._version: str | None = None

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.schema.feature_names

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = artifact.content_version(self.to_files())
        return self._version

    # ---- batch ---------------------------------------------------------------------------

    def raw_logit(self, x: np.ndarray, *, card_logit: np.ndarray | None = None) -> np.ndarray:
        """Uncalibrated blended log-odds of the encoded matrix (``card_logit``: the scorecard's
        log-odds of ``x`` when already known). Missing entries of inputs never missing in
        training are scored as their ``missing_as`` value."""
        x = self._missing.fill(x)
        w = self.blend_weight
        out = np.zeros(len(x))
        if self.scorecard is not None and w > 0:
            out += w * (self.scorecard.logit(x) if card_logit is None else card_logit)
        if self.gbm is not None and w < 1:
            out += (1 - w) * self.gbm.logit(x)
        return out

    def score_matrix(
        self, x: np.ndarray, *, card_logit: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """PD and integer score of each row of the encoded matrix."""
        logit = self.calibrator.logit(self.raw_logit(x, card_logit=card_logit))
        return sigmoid(logit), self.scale.score(logit)

    def score_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A frame with columns ``pd`` and ``score``, on ``frame``'s index."""
        pd_, score = self.score_matrix(encode_frame(frame, self.schema))
        return pd.DataFrame({"pd": pd_, "score": score}, index=frame.index)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Calibrated log-odds contributions (rows × features) relative to the average."""
        x = self._missing.fill(x)
        w, out = self.blend_weight, np.zeros(x.shape)
        if self.scorecard is not None and w > 0:
            cols = [b.index for b in self.scorecard.bins_]
            out[:, cols] += w * self.scorecard.contributions(x)
        if self.gbm is not None and w < 1:
            out += (1 - w) * self.gbm.contributions(x)
        return out * self.calibrator.slope_

    def explain_frame(
        self, frame: pd.DataFrame, *, reasons: int = 4, method: ReasonMethod = ReasonMethod.EXACT
    ) -> pd.DataFrame:
        """``pd``, ``score`` and ``reason_1..k`` (code), ``reason_k_text`` for every row.

        ``method`` chooses the contributions reasons are ranked by (see
        :mod:`thinfile.scoring.reason_table`); the scores do not depend on it. With the points
        method a large frame is cut into one part per core, each explained whole (encoding,
        bins, trees, reasons) on its own thread: a row's answer depends on that row alone,
        NumPy and LightGBM release the interpreter lock, and on a busy machine threads that
        each carry a whole part get more of the processors than one thread waiting on the
        trees' threads.
        """
        parts = min(PREDICT_THREADS, len(frame) // EXPLAIN_PART_ROWS)
        if ReasonMethod(method) is ReasonMethod.POINTS and reasons > 0 and parts > 1:
            from concurrent.futures import ThreadPoolExecutor

            cuts = np.linspace(0, len(frame), parts + 1).astype(int)
            pieces = [frame.iloc[a:b] for a, b in itertools.pairwise(cuts)]
            with ThreadPoolExecutor(parts) as pool:
                done = pool.map(lambda piece: self._explain(piece, reasons, method), pieces)
                return pd.concat(list(done))
        return self._explain(frame, reasons, method)

    def _explain(self, frame: pd.DataFrame, reasons: int, method: ReasonMethod) -> pd.DataFrame:
        given = encode_frame(frame, self.schema)
        x = self._missing.fill(given)
        card = self.scorecard
        slots = card.slots(x) if card is not None else None
        card_logit = card.logit_of_slots(slots) if card is not None and slots is not None else None
        pd_, score = self.score_matrix(x, card_logit=card_logit)
        if reasons <= 0:
            return pd.DataFrame({"pd": pd_, "score": score}, index=frame.index)
        if ReasonMethod(method) is ReasonMethod.POINTS:
            parts = point_contributions(card, slots, x.shape)
        else:
            parts = self.contributions(x)
        cells = reason_cells(
            parts, given, reasons, self._wording(), self._worded_slots(slots, given)
        )
        columns: dict[str, pd.Series] = {}
        for k in range(reasons):
            columns[f"reason_{k + 1}"] = cells.code_column(k)
            columns[f"reason_{k + 1}_text"] = cells.text_column(k)
        table = pd.DataFrame({"pd": pd_, "score": score, **columns})
        table.index = frame.index
        return table

    def _worded_slots(self, slots: np.ndarray | None, given: np.ndarray) -> np.ndarray | None:
        """The scorecard bins reasons are worded by: none (-1, worded from the value, "missing")
        where a missing entry was scored as its ``missing_as`` value."""
        card, filled = self.scorecard, set(self._missing.columns)
        if card is None or slots is None or not filled:
            return slots
        out = slots.copy()
        for k, b in enumerate(card.bins_):
            if b.index in filled:
                out[np.isnan(given[:, b.index]), k] = -1
        return out

    # ---- one applicant -------------------------------------------------------------------

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> ScoreResult:
        """Score one applicant's record: the online path (no pandas)."""
        given = self._encoder.encode(record)
        row = self._missing.fill_row(given)
        w = self.blend_weight
        raw, parts = 0.0, [0.0] * len(row)
        slots: dict[int, int] = {}
        if self.scorecard is not None and w > 0:
            z, sc_parts, sc_slots = self.scorecard.explain_one(row)
            raw += w * z
            for b, part, slot in zip(self.scorecard.bins_, sc_parts, sc_slots, strict=True):
                parts[b.index] += w * part
                slots[b.index] = slot
        if self.gbm is not None and w < 1:
            if reasons > 0:
                z, gbm_parts = self.gbm.explain_one(row)
                parts = [p + (1 - w) * g for p, g in zip(parts, gbm_parts, strict=True)]
            else:
                z = self.gbm.logit_one(row)
            raw += (1 - w) * z
        logit = self.calibrator.logit_one(raw)
        pd_ = 1.0 / (1.0 + math.exp(-max(min(logit, 35.0), -35.0)))
        slope = self.calibrator.slope_
        found: tuple[ReasonCode, ...] = ()
        if reasons > 0:
            for j in self._missing.filled(given):  # worded from the entry given: "missing"
                slots.pop(j, None)
            found = self._reasons([p * slope for p in parts], given, slots, reasons)
        return ScoreResult(pd=pd_, score=self.scale.score_one(logit), reasons=found)

    def _reasons(
        self, parts: list[float], row: list[float], slots: Mapping[int, int] | None, limit: int
    ) -> tuple[ReasonCode, ...]:
        if limit <= 0:
            return ()
        values = [""] * len(parts)
        labels = self._bin_labels()
        for j in rank_reasons(parts, limit):
            slot = slots.get(j) if slots is not None else self._slot(j, row[j])
            label = labels[j][slot] if j in labels and slot is not None and slot >= 0 else None
            values[j] = describe_value(
                row[j], self._categories[j], label=label, money=self._money[j]
            )
        return self.book.top(parts, values, limit=limit)

    def _slot(self, j: int, value: float) -> int | None:
        bins = self._bins_by_index().get(j)
        return bins.bin_of(value) if bins is not None else None

    def _wording(self) -> Wording:
        cached: Wording | None = getattr(self, "_words", None)
        if cached is None:
            width, card = len(self.feature_names), self.scorecard
            column = np.full(width, -1, dtype=np.intp)
            labels: list[tuple[str, ...]] = [()] * width
            if card is not None:
                for k, b in enumerate(card.bins_):
                    column[b.index] = k
                    labels[b.index] = self._bin_labels()[b.index]
            cached = Wording(
                self.book,
                column,
                tuple(labels),
                tuple(tuple(c) for c in self._categories),
                self._money,
            )
            self._words = cached
        return cached

    def _bins_by_index(self) -> dict[int, FeatureBins]:
        card = self.scorecard
        return {b.index: b for b in card.bins_} if card is not None else {}

    def _bin_labels(self) -> dict[int, tuple[str, ...]]:
        cached: dict[int, tuple[str, ...]] | None = getattr(self, "_labels", None)
        if cached is None:
            card = self.scorecard
            cached = (
                {}
                if card is None
                else {b.index: b.labels(self._categories[b.index]) for b in card.bins_}
            )
            self._labels = cached
        return cached

    # ---- persistence ---------------------------------------------------------------------

    def to_files(self) -> dict[str, bytes]:
        body: dict[str, object] = {
            "format": artifact.FORMAT,
            "kind": self.kind,
            "blend_weight": self.blend_weight,
            "calibration": self.calibrator.as_dict(),
            "scale": self.scale.as_dict(),
            "reasons": self.book.as_dict(),
            "training": self.training,
            "scorecard": self.scorecard.as_dict() if self.scorecard is not None else None,
            "gbm": self.gbm.as_dict() if self.gbm is not None else None,
        }
        files = {
            "model.json": artifact.dumps(body),
            "schema.json": artifact.dumps(self.schema.as_dict()),
            "evaluation.json": artifact.dumps(self.evaluation),
        }
        if self.gbm is not None:
            files["gbm.txt"] = self.gbm.model_text().encode("utf-8")
        return files

    def save(self, path: str | Path) -> str:
        """Write the model directory; returns the version (``sha256:…``)."""
        self._version = artifact.write_artifact(path, self.to_files())
        return self._version

    def points_table(self) -> list[dict[str, object]]:
        if self.scorecard is None:
            return []
        cats = {
            s.name: s.categories for s in self.schema.features if s.role is ColumnRole.CATEGORICAL
        }
        return self.scorecard.points_table(self.scale, cats)


def load_model(path: str | Path) -> ScoringModel:
    """Load a model directory written by :meth:`ScoringModel.save`, checking its hashes."""
    version, files = artifact.read_artifact(path)
    return model_from_files(files, version=version, source=str(path))


def model_from_files(
    files: Mapping[str, bytes], *, version: str, source: str = "MODEL"
) -> ScoringModel:
    """The model of a directory's files (as :func:`load_model` read them), checked against
    ``version``: how a model travels as its JSON and text artifact, e.g. to Spark executors.

    The JSON is checked before any of it is used (:mod:`thinfile.scoring.artifact_checks`):
    a model that could not score as it was trained, or reads a protected attribute, is
    refused with a :class:`~thinfile.errors.DataContractError` naming the file and key.
    """
    if artifact.content_version(files) != version:
        raise DataContractError(
            "model version does not match its files", field="MODEL", value=version
        )
    body, schema_data, evaluation = (parse_part(files, name, source=source) for name in PARTS)
    check_model_files(body, schema_data, evaluation, source=source)
    schema = InputSchema.from_dict(schema_data)
    width = len(schema.features)
    settings = body["gbm"]
    model = ScoringModel(
        schema=schema,
        kind=body["kind"],
        scorecard=Scorecard.from_dict(body["scorecard"]) if body["scorecard"] else None,
        gbm=read_trees(files, settings, width, source=source) if settings else None,
        blend_weight=float(body["blend_weight"]),
        calibrator=PlattCalibrator.from_dict(body["calibration"]),
        scale=ScoreScale.from_dict(body["scale"]),
        book=_book(body["reasons"]),
        evaluation=evaluation,
        training=body["training"],
    )
    model._version = version
    return model


def _book(reasons: Mapping[str, list[str]]) -> ReasonBook:
    features = reasons["features"]
    return ReasonBook(features, descriptions=dict(zip(features, reasons["names"], strict=True)))
