"""The gradient-boosted model: LightGBM with declared monotone constraints and light tuning.

Tuning uses only the rows it is given: each candidate tree size (7, 15, 31 leaves) is trained
with early stopping (on log-loss) on a validation part, or — on small tables, where a 20 %
validation part is a hundred rows of noise — on the folds of a cross-validation, averaged.
Of the sizes whose validation AUC is within ``tolerance`` standard errors (DeLong, of the
difference on the same rows) of the best, the smallest trees win — the one-standard-error
rule of CART: fewest leaves, lowest-order interactions, the conservative choice when the data
cannot tell the sizes apart. Every candidate is
capped at ``budget`` leaves in total (rounds × leaves, after the refit's extra rounds), which
bounds the cost of tree SHAP reasons for one applicant; when the best candidate runs into that
cap while still improving, it is retrained at twice the learning rate. ``refit_all`` then
trains the chosen size on all rows with the rounds scaled up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from thinfile.scoring.contract import ColumnRole, ColumnSpec
from thinfile.scoring.evaluation import auc, auc_difference_se

if TYPE_CHECKING:
    import lightgbm as lgb

__all__ = ["GradientBoostedModel"]

LEAVES = (7, 15, 31)
SMALL_ROWS = 100_000  # below this, one thread: OpenMP costs more than it saves, and stalls
#                        on a busy machine
REFIT_GROWTH = 1.15  # more rows, more rounds: the refit on all rows trains this many times more
PREDICT_THREADS = max(1, min(4, os.cpu_count() or 1))
PARALLEL_ROWS = 10_000  # from here, single-threaded tree sizes are tuned side by side
LEAF_BUDGET = 4_000  # rounds × leaves of the final model: keeps one applicant's SHAP < 0.5 ms


@dataclass(frozen=True)
class _Candidate:
    auc: float
    leaves: int
    learning_rate: float
    rounds: int
    capped: bool
    booster: lgb.Booster | lgb.CVBooster
    scores: np.ndarray  # log-odds on the validation rows (all folds' held-out rows, in order)

    @property
    def size(self) -> int:
        return self.leaves * self.rounds


class GradientBoostedModel:
    """A scikit-learn style estimator over the encoded feature matrix."""

    def __init__(
        self,
        specs: Sequence[ColumnSpec] = (),
        *,
        seed: int = 42,
        learning_rate: float = 0.1,
        leaves: Sequence[int] = LEAVES,
        max_rounds: int = 1000,
        patience: int = 50,
        budget: int = LEAF_BUDGET,
        tolerance: float = 1.0,
        threads: int = 0,
    ) -> None:
        self.specs = specs
        self.seed = seed
        self.learning_rate = learning_rate
        self.leaves = leaves
        self.max_rounds = max_rounds
        self.patience = patience
        self.budget = budget
        self.tolerance = tolerance
        self.threads = threads

    def _use_threads(self, rows: int) -> None:
        """One thread on small tables, where threads cost more than they save."""
        self._threads = self.threads or (1 if rows < SMALL_ROWS else 0)

    def _params(self, leaves: int, learning_rate: float) -> dict[str, object]:
        monotone = [s.monotone for s in self.specs]
        params: dict[str, object] = {
            "objective": "binary",
            "learning_rate": learning_rate,
            "num_leaves": leaves,
            "min_child_samples": 20,
            "feature_fraction": 0.9,
            "lambda_l2": 1.0,
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
            "num_threads": self._threads,
            "metric": "binary_logloss",
        }
        if any(monotone):
            params["monotone_constraints"] = monotone
        return params

    def _cap(self, leaves: int) -> int:
        """Most rounds a tree size may use so the refitted model stays within the budget."""
        return max(1, min(self.max_rounds, int(self.budget / (leaves * REFIT_GROWTH))))

    def fit(
        self, x: np.ndarray, y: np.ndarray, *, valid: tuple[np.ndarray, np.ndarray] | None = None
    ) -> GradientBoostedModel:
        """Tune on ``valid`` (or an internal 20 % split of ``x``) and keep the chosen booster."""
        import lightgbm as lgb

        if valid is None:
            from sklearn.model_selection import train_test_split

            x, xv, y, yv = train_test_split(x, y, test_size=0.2, stratify=y, random_state=self.seed)
        else:
            xv, yv = valid
        self._use_threads(len(y))
        self._cats = [j for j, s in enumerate(self.specs) if s.role is ColumnRole.CATEGORICAL]
        tried = self._each_size(
            lambda leaves: self._candidate(x, y, xv, yv, leaves, self.learning_rate), len(y)
        )
        chosen = self._simplest_good(tried, yv)
        if chosen.capped:  # still improving at the size cap: learn faster instead
            faster = self._candidate(x, y, xv, yv, chosen.leaves, 2 * chosen.learning_rate)
            chosen = max(chosen, faster, key=lambda c: c.auc)
        self._keep(chosen)
        booster = chosen.booster
        assert isinstance(booster, lgb.Booster)
        self.booster_ = booster
        return self

    def _keep(self, chosen: _Candidate) -> None:
        self.valid_auc_, self.num_leaves_ = chosen.auc, chosen.leaves
        self.learning_rate_, self.rounds_ = chosen.learning_rate, chosen.rounds

    def cross_validate(
        self, x: np.ndarray, y: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]]
    ) -> list[np.ndarray]:
        """Tune size and rounds on the mean of ``folds``; each fold's held-out log-odds.

        For small tables. Sets the tuned settings (``num_leaves_``, ``rounds_``,
        ``learning_rate_``, ``valid_auc_``: the mean fold AUC) but keeps no booster: train
        the final model with :meth:`refit_all`.
        """

        self._use_threads(len(y))
        self._cats = [j for j, s in enumerate(self.specs) if s.role is ColumnRole.CATEGORICAL]
        tried = self._each_size(
            lambda leaves: self._fold_candidate(x, y, folds, leaves, self.learning_rate), len(y)
        )
        chosen = self._simplest_good(tried, np.concatenate([y[val] for _, val in folds]))
        if chosen.capped:
            faster = self._fold_candidate(x, y, folds, chosen.leaves, 2 * chosen.learning_rate)
            chosen = max(chosen, faster, key=lambda c: c.auc)
        self._keep(chosen)
        return np.split(chosen.scores, np.cumsum([len(val) for _, val in folds])[:-1])

    def _each_size(self, train_one: Callable[[int], _Candidate], rows: int) -> list[_Candidate]:
        """A candidate per tree size; single-threaded ones side by side on larger tables.

        LightGBM releases the interpreter lock while it grows trees, so single-threaded
        candidates in Python threads use the free cores (beside the scorecard, whatever it
        leaves). Below ``PARALLEL_ROWS`` a round is mostly Python bookkeeping under the lock,
        so side by side they would only take turns with each other and with the scorecard.
        Each candidate is deterministic on its own thread: the schedule changes no result.
        """
        sizes = list(self.leaves or LEAVES)
        if self._threads != 1 or len(sizes) == 1 or rows < PARALLEL_ROWS:
            return [train_one(leaves) for leaves in sizes]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(len(sizes), os.cpu_count() or 1)) as pool:
            return list(pool.map(train_one, sizes))

    def _dataset(self, x: np.ndarray, y: np.ndarray) -> lgb.Dataset:
        import lightgbm as lgb

        return lgb.Dataset(
            x,
            label=y,
            categorical_feature=self._cats or "auto",
            free_raw_data=False,
            params={"verbosity": -1},
        )

    def _fold_candidate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        folds: Sequence[tuple[np.ndarray, np.ndarray]],
        leaves: int,
        learning_rate: float,
    ) -> _Candidate:
        import lightgbm as lgb

        cap = self._cap(leaves)
        params = {
            **self._params(leaves, learning_rate),
            "metric": ["binary_logloss", "auc"],
            "first_metric_only": True,
        }
        found = lgb.cv(
            params,
            self._dataset(x, y),
            cap,
            folds=list(folds),
            return_cvbooster=True,
            callbacks=[lgb.early_stopping(self.patience, verbose=False)],
        )
        areas, booster = found["valid auc-mean"], found["cvbooster"]
        assert isinstance(areas, list) and isinstance(booster, lgb.CVBooster)
        rounds = len(areas)  # the history ends at the best round
        held = [
            np.asarray(b.predict(x[val], raw_score=True, num_iteration=rounds))
            for b, (_, val) in zip(booster.boosters, folds, strict=True)
        ]
        return _Candidate(
            float(areas[-1]),
            leaves,
            learning_rate,
            rounds,
            capped=rounds > cap - self.patience,
            booster=booster,
            scores=np.concatenate(held),
        )

    def _candidate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        xv: np.ndarray,
        yv: np.ndarray,
        leaves: int,
        learning_rate: float,
    ) -> _Candidate:
        import lightgbm as lgb

        cap = self._cap(leaves)
        train = self._dataset(x, y)  # its own data: datasets are not shared between threads
        val = lgb.Dataset(xv, label=yv, reference=train)
        booster = lgb.train(
            self._params(leaves, learning_rate),
            train,
            cap,
            valid_sets=[val],
            callbacks=[lgb.early_stopping(self.patience, verbose=False)],
        )
        rounds = int(booster.best_iteration or cap)
        scores = np.asarray(booster.predict(xv, raw_score=True, num_iteration=rounds))
        return _Candidate(
            auc(yv, scores),
            leaves,
            learning_rate,
            rounds,
            capped=rounds > cap - self.patience,
            booster=booster,
            scores=scores,
        )

    def _simplest_good(self, tried: Sequence[_Candidate], y: np.ndarray) -> _Candidate:
        """The fewest leaves among the sizes within ``tolerance`` standard errors of the best."""
        best = max(tried, key=lambda c: c.auc)
        good = [
            c
            for c in tried
            if c is best
            or best.auc - c.auc <= self.tolerance * auc_difference_se(y, best.scores, c.scores)
        ]
        return min(good, key=lambda c: (c.leaves, c.size, -c.auc))

    def refit_all(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        leaves: int,
        rounds: int,
        learning_rate: float | None = None,
        grow: bool = True,
    ) -> GradientBoostedModel:
        """Train the tuned size on all training rows, with rounds scaled up to the sample.

        ``grow=False`` keeps the rounds as tuned (a sample as large as the tuning one).
        """
        import lightgbm as lgb

        self._use_threads(len(y))
        self._cats = [j for j, s in enumerate(self.specs) if s.role is ColumnRole.CATEGORICAL]
        self.num_leaves_ = leaves
        self.learning_rate_ = learning_rate or self.learning_rate
        grown = max(1, round(rounds * REFIT_GROWTH)) if grow else rounds
        self.rounds_ = min(grown, max(rounds, self.budget // leaves))
        data = lgb.Dataset(
            x, label=y, categorical_feature=self._cats or "auto", params={"verbosity": -1}
        )
        self.booster_ = lgb.train(self._params(leaves, self.learning_rate_), data, self.rounds_)
        return self

    def reloaded(self) -> GradientBoostedModel:
        """The same model read back from its text form, as a loaded artifact would be."""
        return GradientBoostedModel.from_text(self.model_text(), self.as_dict())

    def logit(self, x: np.ndarray) -> np.ndarray:
        """Raw log-odds; large batches in one part per core, each a single-threaded call.

        LightGBM releases the interpreter lock, so Python threads score the parts in parallel;
        unlike OpenMP's threads they do not wait for each other on a busy machine.
        """
        parts = min(PREDICT_THREADS, max(1, len(x) // 20_000))
        if parts == 1:
            return self._logit_part(x)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(parts) as pool:
            return np.concatenate(list(pool.map(self._logit_part, np.array_split(x, parts))))

    def _logit_part(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(
            self.booster_.predict(x, raw_score=True, num_iteration=self.rounds_, num_threads=1)
        )

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Tree SHAP log-odds contributions (rows × features), relative to the average."""
        if len(x) == 0:  # LightGBM cannot size an empty contribution matrix
            return np.zeros((0, x.shape[1]))
        threads = 1 if len(x) < 200 else 0
        out = self.booster_.predict(
            x, pred_contrib=True, num_iteration=self.rounds_, num_threads=threads
        )
        return np.asarray(out)[:, :-1]

    def explain_one(self, row: Sequence[float]) -> tuple[float, list[float]]:
        """Log-odds and per-feature contributions of one encoded row (one LightGBM call)."""
        matrix = np.asarray([row], dtype=np.float64)
        out = self.booster_.predict(
            matrix, pred_contrib=True, num_iteration=self.rounds_, num_threads=1
        )[0]
        return float(out.sum()), out[:-1].tolist()

    def logit_one(self, row: Sequence[float]) -> float:
        matrix = np.asarray([row], dtype=np.float64)
        raw = self.booster_.predict(
            matrix, raw_score=True, num_iteration=self.rounds_, num_threads=1
        )
        return float(raw[0])

    def model_text(self) -> str:
        return str(self.booster_.model_to_string(num_iteration=self.rounds_))

    def as_dict(self) -> dict[str, object]:
        return {
            "num_leaves": self.num_leaves_,
            "rounds": self.rounds_,
            "learning_rate": self.learning_rate_,
            "seed": self.seed,
            "categorical": self._cats,
        }

    @classmethod
    def from_text(cls, text: str, d: Mapping[str, object]) -> GradientBoostedModel:
        import lightgbm as lgb

        rate = float(str(d["learning_rate"]))
        model = cls(seed=int(str(d["seed"])), learning_rate=rate)
        model.booster_ = lgb.Booster(model_str=text)
        model.num_leaves_ = int(str(d["num_leaves"]))
        model.rounds_ = int(str(d["rounds"]))
        model.learning_rate_ = rate
        cats = d.get("categorical")
        model._cats = [int(str(c)) for c in cats] if isinstance(cats, list) else []
        return model
