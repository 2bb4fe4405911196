"""thinfile scoring against today's tools on real credit data, with the BASELINES.md protocol.

    .venv/bin/python bench/scoring_real.py [--datasets taiwan_default,heloc] [--predict-rows N]
        [--speed-repeats K]

For every dataset: thinfile (both, scorecard, gbm) and, in the same process, the references
(optbinning scorecard, LightGBM defaults, tuned LightGBM). Prints test AUC, KS, Brier, fit
seconds and predict rows/s; then the single-applicant latency and the thin-file view. With
``--speed-repeats K`` the GBM's batch throughput and the tuned LightGBM's are measured K more
times, alternating, and the best and median of each are printed (a busy machine swings 2x).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench import scoring_references as refs
from bench.scoring_datasets import LOADERS, Dataset, load, split

from thinfile.scoring import ScoringModel, train_model
from thinfile.scoring.evaluation import auc, ks

TARGET = "_bad"


def thinfile_fit(
    ds: Dataset, kind: str, xtr: pd.DataFrame, ytr: np.ndarray, columns: list[str] | None = None
) -> ScoringModel:
    frame = (xtr if columns is None else xtr[columns]).assign(**{TARGET: ytr})
    specials = (
        {c: ds.special_codes for c in frame.columns if c != TARGET} if ds.special_codes else None
    )
    return train_model(frame, target=TARGET, kind=kind, special_codes=specials)


def throughput(
    predict: Callable[[pd.DataFrame], np.ndarray], xte: pd.DataFrame, rows: int
) -> float:
    reps = max(1, rows // len(xte))
    big = pd.concat([xte] * reps, ignore_index=True)
    predict(big.head(1000))
    start = time.perf_counter()
    predict(big)
    return len(big) / (time.perf_counter() - start)


def run_dataset(ds: Dataset, rows: int) -> tuple[list[dict[str, object]], dict[str, object]]:
    xtr, xte, ytr, yte = split(ds)
    results: list[dict[str, object]] = []
    models: dict[str, object] = {}
    for kind in ("both", "scorecard", "gbm"):
        start = time.perf_counter()
        model = thinfile_fit(ds, kind, xtr, ytr)
        fit_s = time.perf_counter() - start
        models[kind] = model
        pd_ = model.score_frame(xte)["pd"].to_numpy()
        speed = throughput(lambda f, m=model: m.score_frame(f)["pd"].to_numpy(), xte, rows)
        results.append(row(ds.name, f"thinfile_{kind}", yte, pd_, fit_s, speed))
    for name, fitter in refs.REFERENCES.items():
        start = time.perf_counter()
        predict = fitter(ds, xtr, ytr)
        fit_s = time.perf_counter() - start
        results.append(row(ds.name, name, yte, predict(xte), fit_s, throughput(predict, xte, rows)))
    return results, {"models": models, "split": (xtr, xte, ytr, yte)}


def row(
    dataset: str, method: str, y: np.ndarray, pd_: np.ndarray, fit_s: float, speed: float
) -> dict[str, object]:
    return {
        "dataset": dataset,
        "method": method,
        "auc": auc(y, pd_),
        "ks": ks(y, pd_),
        "brier": float(np.mean((pd_ - y) ** 2)),
        "fit_s": fit_s,
        "rows_s": speed,
    }


def print_table(results: list[dict[str, object]]) -> None:
    print("| dataset | method | AUC | KS | Brier | fit s | predict rows/s |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['dataset']} | {r['method']} | {r['auc']:.4f} | {r['ks']:.4f} | "
            f"{r['brier']:.4f} | {r['fit_s']:.2f} | {r['rows_s']:,.0f} |",
            flush=True,
        )


def print_ratios(results: list[dict[str, object]]) -> None:
    """Same-run ratios: thinfile's fit time and GBM throughput against the references."""
    by = {(str(r["dataset"]), str(r["method"])): r for r in results}
    for (dataset, method), r in by.items():
        if method != "thinfile_both":
            continue
        tuned = by[(dataset, "lightgbm_tuned")]
        gbm = by[(dataset, "thinfile_gbm")]
        fit = float(str(r["fit_s"])) / float(str(tuned["fit_s"]))
        speed = float(str(gbm["rows_s"])) / float(str(tuned["rows_s"]))
        plain = by[(dataset, "lightgbm_default")]
        default = float(str(gbm["rows_s"])) / float(str(plain["rows_s"]))
        print(
            f"{dataset}: fit both / tuned LightGBM {fit:.2f}x; rows/s thinfile_gbm / tuned "
            f"{speed:.2f}x, / default {default:.2f}x",
            flush=True,
        )


def single_latency(model: ScoringModel, xte: pd.DataFrame, *, n: int = 2000) -> float:
    records = xte.head(n).to_dict("records")
    for r in records[:50]:
        model.score_one(r, reasons=4)
    times = []
    for r in records:
        start = time.perf_counter()
        model.score_one(r, reasons=4)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def thin_file_view(ds: Dataset, extra: dict[str, object], rng_seed: int = 42) -> None:
    xtr, xte, ytr, yte = extra["split"]  # type: ignore[misc]
    assert ds.thin is not None
    thin = ds.thin(xte)
    print(
        f"\nThin-file view, {ds.name}: {thin.sum()} thin test rows "
        f"({thin.mean():.1%}), bad rate {yte[thin].mean():.2%}"
    )
    print(
        "| model | AUC all | AUC thin | bureau-only bad rate @60% | full approval @ same "
        "bad rate | lift pp [95% CI] |"
    )
    print("|---|---|---|---|---|---|")
    for kind in ("both", "scorecard", "gbm"):
        full = extra["models"][kind].score_frame(xte)["pd"].to_numpy()  # type: ignore[index]
        line = f"| thinfile_{kind} | {auc(yte, full):.4f} | {auc(yte[thin], full[thin]):.4f} |"
        if ds.bureau:
            bureau = thinfile_fit(ds, kind, xtr, ytr, list(ds.bureau))
            bpd = bureau.score_frame(xte[list(ds.bureau)])["pd"].to_numpy()
            b, a_star, lo, hi = refs.inclusion_lift(yte, bpd, full, seed=rng_seed)
            line += (
                f" {b:.2%} | {a_star:.1%} | {100 * (a_star - 0.6):+.1f} [{lo:+.1f}, {hi:+.1f}] |"
            )
        else:
            line += " n/a | n/a | n/a |"
        print(line, flush=True)


def speed_repeats(ds: Dataset, extra: dict[str, object], rows: int, k: int) -> None:
    """Batch rows/s of thinfile_gbm and the tuned reference, alternating, ``k`` times each."""
    Split = tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]
    parts: Split = extra["split"]  # type: ignore[assignment]
    model: ScoringModel = extra["models"]["gbm"]  # type: ignore[index]
    tuned = refs.lightgbm_tuned(ds, parts[0], parts[2])
    ours, theirs = [], []
    for _ in range(k):
        ours.append(throughput(lambda f: model.score_frame(f)["pd"].to_numpy(), parts[1], rows))
        theirs.append(throughput(tuned, parts[1], rows))
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    print(
        f"{ds.name} batch rows/s over {k} alternating runs: thinfile_gbm best "
        f"{max(ours):,.0f} median {np.median(ours):,.0f}; lightgbm_tuned best "
        f"{max(theirs):,.0f} median {np.median(theirs):,.0f}; ratio median "
        f"{np.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})",
        flush=True,
    )


def warm_up() -> None:
    """Import and exercise every method once, so no timing includes first-use costs."""
    ds = load("german_credit")
    xtr, _, ytr, _ = split(ds)
    for kind in ("both", "scorecard", "gbm"):
        thinfile_fit(ds, kind, xtr, ytr)
    for fitter in refs.REFERENCES.values():
        fitter(ds, xtr, ytr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=",".join(LOADERS))
    parser.add_argument("--predict-rows", type=int, default=1_000_000)
    parser.add_argument("--speed-repeats", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    warm_up()
    all_results = []
    for name in args.datasets.split(","):
        ds = load(name)
        results, extra = run_dataset(ds, args.predict_rows)
        print_table(results)
        print_ratios(results)
        all_results.extend(results)
        xte = extra["split"][1]  # type: ignore[index]
        for kind in ("both", "gbm", "scorecard"):
            ms = single_latency(extra["models"][kind], xte)  # type: ignore[index]
            print(f"{name} thinfile_{kind}: score_one with 4 reasons, median {ms:.3f} ms")
        if args.speed_repeats:
            speed_repeats(ds, extra, args.predict_rows, args.speed_repeats)
        if ds.thin is not None:
            thin_file_view(ds, extra)
        print()
    print("\nAll datasets:")
    print_table(all_results)
    print_ratios(all_results)


if __name__ == "__main__":
    main()
