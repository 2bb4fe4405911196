"""Decision speed: one full decision in-process, and a 100,000-application simulation.

Run: .venv/bin/python bench/decision_bench.py [--model DIR] [--n 2000] [--simulate 100000]
Prints the median and p99 of a full decision (features, model, policy graph, up to three
priced offers with schedules, annualized rates and cost statements), the share spent in the
policy graph beside a bare zen-engine evaluation of the same graph in the same run, and the
simulation's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from datetime import date
from pathlib import Path

import zen

from thinfile.decisioning import application_from_record, decide, load_policy, simulate
from thinfile.decisioning.checks import NO_HISTORY
from thinfile.decisioning.engine import _checks, _context, model_record
from thinfile.scoring import load_model, train_model
from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants

ON = date(2026, 11, 25)


def _cpu_seconds() -> float:
    """User and system CPU time of this process and of its finished children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def get_model(path: Path | None):  # type: ignore[no-untyped-def]
    if path and path.exists():
        return load_model(path)
    frame = generate_applicants(20000, seed=11)
    return train_model(
        frame, target="bad_12m", kind="gbm", id_col="applicant_id", exclude=list(NOT_MODEL_INPUTS)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=Path("var/models/default"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--simulate", type=int, default=100000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    model, policy = get_model(args.model), load_policy()
    frame = generate_applicants(max(args.n, args.simulate), seed=23)
    records = frame.to_dict("records")
    apps = [application_from_record(r) for r in records[: args.n]]
    for app in apps[:50]:
        decide(app, policy=policy, model=model, on=ON)  # warm-up
    full, graph, bare, per_call = [], [], [], []
    bare_engine = zen.ZenEngine(  # the reference: the same static loader thinfile uses
        {"loader": {"type": "static", "content": {"graph": json.loads(policy.graph_json)}}}
    )
    bare_decision = zen.ZenEngine().create_decision(policy.graph_json)  # a runtime per call
    for app in apps:
        t0 = time.perf_counter()
        decide(app, policy=policy, model=model, on=ON)
        t1 = time.perf_counter()
        scored = model.score_one(model_record(app, ON), reasons=4)
        context = _context(app, _checks(app, NO_HISTORY), scored.pd, scored.score, ON, policy.money)
        if len(full) % 2:  # which of the two runs first alternates: neither is always warm
            t3 = time.perf_counter()
            bare_engine.evaluate("graph", context)
            t4 = time.perf_counter()
            t2 = time.perf_counter()
            policy.evaluate(context)
            took = time.perf_counter() - t2
        else:
            t2 = time.perf_counter()
            policy.evaluate(context)
            took = time.perf_counter() - t2
            t3 = time.perf_counter()
            bare_engine.evaluate("graph", context)
            t4 = time.perf_counter()
        bare_decision.evaluate(context)
        t5 = time.perf_counter()
        full.append(t1 - t0)
        graph.append(took)
        bare.append(t4 - t3)
        per_call.append(t5 - t4)
    ms = 1000.0
    print(
        f"full decision: median {statistics.median(full) * ms:.3f} ms, "
        f"p99 {quantile(full, 0.99) * ms:.3f} ms over {len(full)} applications "
        "(target: median < 2 ms, p99 < 5 ms)"
    )
    print(
        f"policy graph via thinfile: median {statistics.median(graph) * ms:.3f} ms "
        f"({statistics.median(graph) / statistics.median(full):.0%} of a decision); "
        f"bare zen-engine, same static loader: median {statistics.median(bare) * ms:.3f} ms "
        f"(thinfile / bare {statistics.median(graph) / statistics.median(bare):.2f}×, "
        "target ≤ 1.1×); "
        f"ZenDecision.evaluate (a runtime per call): {statistics.median(per_call) * ms:.3f} ms "
        f"(load {' '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )
    if args.simulate:
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        report = simulate(
            records[: args.simulate], policy=policy, model=model, on=ON, workers=args.workers
        )
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        overall = report.candidate.overall.as_dict()
        print(
            f"simulation of {args.simulate} applications with {args.workers} workers: "
            f"{elapsed:.1f} s "
            f"(target < 60 s); approval rate {overall['approval_rate']}, "
            f"expected bad {overall['expected_bad_rate']}, "
            f"realised bad {overall['realised_bad_rate']}; "
            f"{cpu:.1f} CPU-seconds ({cpu / args.simulate * 1000:.3f} per 1,000 applications, "
            f"this process and its workers); load {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )


if __name__ == "__main__":
    main()
