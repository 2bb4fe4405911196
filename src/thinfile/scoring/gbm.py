"""The gradient-boosted model: LightGBM with declared monotone constraints and light tuning.

Tuning uses only the rows it is given: each candidate tree size is trained with early stopping
on a validation part, the best (by AUC) is kept, and — unless ``refit=False`` — retrained on all
rows with the number of rounds scaled up to the larger sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from thinfile.scoring.contract import ColumnRole, ColumnSpec
from thinfile.scoring.evaluation import auc

__all__ = ["GradientBoostedModel"]

LEAVES = (7, 15, 31)
SMALL_ROWS = 20_000


class GradientBoostedModel:
    """A scikit-learn style estimator over the encoded feature matrix."""

    def __init__(self, specs: Sequence[ColumnSpec] = (), *, seed: int = 42,
                 learning_rate: float = 0.05, leaves: Sequence[int] = LEAVES,
                 max_rounds: int = 1000, patience: int = 50, refit: bool = True,
                 threads: int = 0) -> None:
        self.specs = specs
        self.seed = seed
        self.learning_rate = learning_rate
        self.leaves = leaves
        self.max_rounds = max_rounds
        self.patience = patience
        self.refit = refit
        self.threads = threads

    def _use_threads(self, rows: int) -> None:
        """One thread on small tables, where threads cost more than they save."""
        self._threads = self.threads or (1 if rows < SMALL_ROWS else 0)

    def _params(self, leaves: int) -> dict[str, object]:
        monotone = [s.monotone for s in self.specs]
        params: dict[str, object] = {
            "objective": "binary", "learning_rate": self.learning_rate, "num_leaves": leaves,
            "min_child_samples": 20, "feature_fraction": 0.9, "lambda_l2": 1.0,
            "seed": self.seed, "deterministic": True, "force_col_wise": True,
            "verbosity": -1, "num_threads": self._threads, "metric": "binary_logloss",
        }
        if any(monotone):
            params["monotone_constraints"] = monotone
        return params

    def fit(self, x: np.ndarray, y: np.ndarray, *,
            valid: tuple[np.ndarray, np.ndarray] | None = None) -> GradientBoostedModel:
        """Tune on ``valid`` (or an internal 20 % split of ``x``) and keep the best booster."""
        import lightgbm as lgb

        if valid is None:
            from sklearn.model_selection import train_test_split

            x, xv, y, yv = train_test_split(x, y, test_size=0.2, stratify=y,
                                            random_state=self.seed)
        else:
            xv, yv = valid
        self._use_threads(len(y))
        cats = [j for j, s in enumerate(self.specs) if s.role is ColumnRole.CATEGORICAL]
        train = lgb.Dataset(x, label=y, categorical_feature=cats or "auto",
                            free_raw_data=False, params={"verbosity": -1})
        val = lgb.Dataset(xv, label=yv, reference=train)
        best: tuple[float, int, lgb.Booster] | None = None
        for leaves in self.leaves if self.leaves else LEAVES:
            booster = lgb.train(self._params(leaves), train, self.max_rounds, valid_sets=[val],
                                callbacks=[lgb.early_stopping(self.patience, verbose=False)])
            score = auc(yv, np.asarray(booster.predict(xv, raw_score=True)))
            if best is None or score > best[0]:
                best = (score, leaves, booster)
        assert best is not None
        self.valid_auc_, self.num_leaves_, booster = best
        self.rounds_ = int(booster.best_iteration or self.max_rounds)
        self.booster_ = booster
        self._cats = cats
        return self

    def refit_all(self, x: np.ndarray, y: np.ndarray, *, leaves: int,
                  rounds: int) -> GradientBoostedModel:
        """Train the tuned size on all training rows, with rounds scaled up to the sample."""
        import lightgbm as lgb

        self._use_threads(len(y))
        self._cats = [j for j, s in enumerate(self.specs) if s.role is ColumnRole.CATEGORICAL]
        self.num_leaves_ = leaves
        self.rounds_ = max(1, round(rounds * 1.15))
        data = lgb.Dataset(x, label=y, categorical_feature=self._cats or "auto",
                           params={"verbosity": -1})
        self.booster_ = lgb.train(self._params(leaves), data, self.rounds_)
        return self

    def reloaded(self) -> GradientBoostedModel:
        """The same model read back from its text form, as a loaded artifact would be."""
        return GradientBoostedModel.from_text(self.model_text(), self.as_dict())

    def logit(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster_.predict(x, raw_score=True, num_iteration=self.rounds_))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Tree SHAP log-odds contributions (rows × features), relative to the average."""
        out = self.booster_.predict(x, pred_contrib=True, num_iteration=self.rounds_)
        return np.asarray(out)[:, :-1]

    def explain_one(self, row: Sequence[float]) -> tuple[float, list[float]]:
        """Log-odds and per-feature contributions of one encoded row (one LightGBM call)."""
        matrix = np.asarray([row], dtype=np.float64)
        out = self.booster_.predict(matrix, pred_contrib=True, num_iteration=self.rounds_,
                                    num_threads=1)[0]
        return float(out.sum()), out[:-1].tolist()

    def logit_one(self, row: Sequence[float]) -> float:
        matrix = np.asarray([row], dtype=np.float64)
        raw = self.booster_.predict(matrix, raw_score=True, num_iteration=self.rounds_,
                                    num_threads=1)
        return float(raw[0])

    def model_text(self) -> str:
        return str(self.booster_.model_to_string(num_iteration=self.rounds_))

    def as_dict(self) -> dict[str, object]:
        return {"num_leaves": self.num_leaves_, "rounds": self.rounds_,
                "learning_rate": self.learning_rate, "seed": self.seed,
                "categorical": self._cats}

    @classmethod
    def from_text(cls, text: str, d: Mapping[str, object]) -> GradientBoostedModel:
        import lightgbm as lgb

        model = cls(seed=int(str(d["seed"])), learning_rate=float(str(d["learning_rate"])))
        model.booster_ = lgb.Booster(model_str=text)
        model.num_leaves_ = int(str(d["num_leaves"]))
        model.rounds_ = int(str(d["rounds"]))
        cats = d.get("categorical")
        model._cats = [int(str(c)) for c in cats] if isinstance(cats, list) else []
        return model
