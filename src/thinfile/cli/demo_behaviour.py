"""The demo's behaviour model (行为评分): trained like the application model, on synthetic
performance of the demo's own applicants, and registered so the year's limit reviews use it.

A scorecard on the loans of the first :data:`APPLICANTS` applicants over 12 months (reviews
at months on book 3, 6 and 9, defaults within 6 months after), the application score read
from the demo's application model: a few seconds, small next to the year itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["APPLICANTS", "train_demo_behaviour_model"]

APPLICANTS = 3000


def train_demo_behaviour_model(
    console: Console, folder: Path, applicants: pd.DataFrame, application_dir: Path, seed: int
) -> tuple[str, Path]:
    """Train and save the behaviour model under ``folder/models/behaviour``; its version and
    directory."""
    from thinfile.scoring import load_model
    from thinfile.scoring.behaviour_model import (
        behaviour_table,
        train_behaviour_model,
        with_application_score,
    )
    from thinfile.sim import simulate_performance

    people = applicants.head(APPLICANTS)
    application = load_model(application_dir)
    performance = simulate_performance(people, months=12, seed=seed)
    table = behaviour_table(performance, review_months=(3, 6, 9), horizon=6)
    table = with_application_score(table, people, application)
    model = train_behaviour_model(
        table, application_version=application.version, kind="scorecard", seed=seed
    )
    path = folder / "models" / "behaviour"
    shutil.rmtree(path, ignore_errors=True)
    version = model.save(path)
    c = model.evaluation["behaviour_comparison"]
    assert isinstance(c, dict)
    console.print(
        f"    behaviour model {version[:23]} for the limit reviews: held-out AUC "
        f"{c['behaviour']['auc']:.3f} against {c['application']['auc']:.3f} for the "
        "application score alone"
    )
    return version, path
