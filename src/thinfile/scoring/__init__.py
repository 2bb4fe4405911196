"""Credit scoring (信用评分): train, evaluate, explain and score thin-file applicants.

Data flow::

    CSV/Parquet ─read_table─► DataFrame ─train_model─► ScoringModel ─save─► model directory
    model directory ─load_model─► ScoringModel ─score_frame / score_one─► PD, score, reasons
                                                ─evaluate─► metrics ─render_report─► HTML

See ``docs.md`` beside this file.
"""

from thinfile.scoring.calibration import ScoreScale
from thinfile.scoring.contract import ColumnRole, ColumnSpec, InputSchema
from thinfile.scoring.model import ScoreResult, ScoringModel, load_model
from thinfile.scoring.reasons import ReasonCode
from thinfile.scoring.tables import read_table
from thinfile.scoring.training import KINDS, train_model

__all__ = [
    "KINDS",
    "ColumnRole",
    "ColumnSpec",
    "InputSchema",
    "ReasonCode",
    "ScoreResult",
    "ScoreScale",
    "ScoringModel",
    "load_model",
    "read_table",
    "train_model",
]
