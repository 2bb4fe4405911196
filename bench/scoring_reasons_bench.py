"""Whole-book scoring with reasons: exact tree SHAP against the scorecard's points.

    .venv/bin/python bench/scoring_reasons_bench.py [--rows 100000] [--rounds 3]

Trains the demo's kind of model (a scorecard blended with LightGBM) on 20,000 synthetic
applicants, then scores ``--rows`` fresh ones with four reasons each, ``--rounds`` times, and
prints rows per second of: LightGBM's own ``predict`` on the encoded matrix (the reference,
same run), scores without reasons, scores with exact reasons, scores with points reasons; the
same-run ratios; and how often the points method's top reason is the exact method's.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from thinfile.scoring import train_model
from thinfile.scoring.encoding import encode_frame
from thinfile.scoring.reason_table import ReasonMethod
from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants


def timed(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = train_model(
        generate_applicants(20_000, seed=11),
        target="bad_12m",
        kind="both",
        id_col="applicant_id",
        exclude=list(NOT_MODEL_INPUTS),
        seed=11,
    )
    assert model.gbm is not None
    book = generate_applicants(args.rows, seed=29)
    booster, rounds = model.gbm.booster_, model.gbm.rounds_
    print(
        f"model: {model.kind}, blend weight {model.blend_weight:.2f}, {rounds} trees, "
        f"{len(model.feature_names)} inputs; {args.rows:,} rows, 4 reasons"
    )
    model.explain_frame(book.head(2000), method=ReasonMethod.POINTS)  # warm-up
    for n in range(1, args.rounds + 1):
        load = os.getloadavg()[0]
        x = encode_frame(book, model.schema)
        bare = timed(lambda: booster.predict(x, raw_score=True, num_iteration=rounds))
        plain = timed(lambda: model.score_frame(book))
        exact: dict[str, pd.DataFrame] = {}
        points: dict[str, pd.DataFrame] = {}
        t_exact = timed(lambda: exact.setdefault("t", model.explain_frame(book)))
        t_points = timed(
            lambda: points.setdefault("t", model.explain_frame(book, method=ReasonMethod.POINTS))
        )
        e, p = exact["t"], points["t"]
        same = float((e["reason_1"] == p["reason_1"]).mean())
        top3 = float(
            np.mean(
                [
                    r in s
                    for r, s in zip(
                        p["reason_1"],
                        zip(e["reason_1"], e["reason_2"], e["reason_3"], strict=True),
                        strict=True,
                    )
                ]
            )
        )
        rate = {
            k: args.rows / v
            for k, v in {
                "lightgbm predict": bare,
                "scores": plain,
                "exact reasons": t_exact,
                "points reasons": t_points,
            }.items()
        }
        print(
            f"round {n} (load {load:.1f}): "
            + ", ".join(f"{k} {v:,.0f} rows/s" for k, v in rate.items())
        )
        print(
            f"    points / predict {rate['points reasons'] / rate['lightgbm predict']:.2f}x"
            f", points / exact {rate['points reasons'] / rate['exact reasons']:.1f}x; "
            f"top reason the same {same:.1%}, points' top among exact top 3 {top3:.1%}"
        )
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
