"""Local engine against Spark ``local[2]``: batch scoring and policy simulation, by rows.

Run: .venv/bin/python bench/bench_spark.py [--score 100000,300000,1000000]
     [--simulate 5000,10000,20000] [--folder /tmp/thinfile-bench-spark]

Each measurement runs in a process of its own (``--one ENGINE JOB ROWS``); the parent samples
the resident memory of that process and all its descendants (the JVM and Spark's Python
workers) every 0.1 s and prints wall time and peak memory per engine and size, and the cost
per 1,000 rows, so growth with rows reads off the table (linear: a flat column). Spark's wall
time includes starting its session, printed apart as well. Scoring writes id, pd, score and
four reasons per row to Parquet; simulation decides with the shipped policy (workers=2 for
the local engine, as Spark has two cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ON = date(2026, 1, 1)
PAGE = os.sysconf("SC_PAGE_SIZE")


def prepare(folder: Path, rows: int) -> None:
    """Applicants (the largest size asked for) and a model trained on 8,000 of them."""
    from thinfile.scoring import train_model
    from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants

    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f"ready-{rows}"
    if marker.exists():
        return
    frame = generate_applicants(rows, seed=7)
    frame.to_parquet(folder / "all.parquet")
    model = train_model(
        frame.iloc[:8_000],
        target="bad_12m",
        kind="both",
        id_col="applicant_id",
        exclude=list(NOT_MODEL_INPUTS),
        seed=7,
        segment="segment",
    )
    model.save(folder / "model")
    marker.touch()


def slice_of(folder: Path, rows: int) -> Path:
    import pandas as pd

    path = folder / f"rows-{rows}.parquet"
    if not path.exists():
        pd.read_parquet(folder / "all.parquet").head(rows).to_parquet(path)
    return path


def one(engine: str, job: str, rows: int, folder: Path) -> dict[str, float]:
    """Run one job; returns its timings (seconds)."""
    data = slice_of(folder, rows)
    out = folder / f"out-{engine}-{job}-{rows}"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    session_start = 0.0
    if engine == "spark":
        from thinfile.spark import SparkSettings, spark_session

        session = spark_session(SparkSettings(master="local[2]", shuffle_partitions=2))
        session_start = time.perf_counter() - started
    if job == "score":
        if engine == "spark":
            from thinfile.spark.scoring import score_parquet

            score_parquet(session, folder / "model", str(data), str(out), reasons=4)
        else:
            from thinfile.scoring import load_model
            from thinfile.scoring.batch import score_file

            score_file(load_model(folder / "model"), data, f"{out}.parquet", reasons=4)
    else:
        from thinfile.decisioning import load_policy, simulate

        if engine == "spark":
            from thinfile.spark.simulate import simulate_parquet

            simulate_parquet(
                session, str(data), policy=load_policy(), model_dir=folder / "model", on=ON
            )
        else:
            import pandas as pd

            from thinfile.scoring import load_model

            simulate(
                pd.read_parquet(data).to_dict("records"),  # type: ignore[arg-type]
                policy=load_policy(),
                model=load_model(folder / "model"),
                on=ON,
                workers=2,
            )
    total = time.perf_counter() - started
    if engine == "spark":
        session.stop()
    return {"wall": total, "session": session_start}


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    tree, total, todo = _children(), 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE
        except OSError:
            pass
        todo.extend(tree.get(current, []))
    return total


def measure(engine: str, job: str, rows: int, folder: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--one", engine, job, str(rows), "--folder", str(folder)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(child.pid))
        time.sleep(0.1)
    output = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"{engine} {job} {rows} failed (exit {child.returncode})")
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    result["peak_mib"] = peak / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--score", default="100000,300000,1000000")
    parser.add_argument("--simulate", default="5000,10000,20000")
    parser.add_argument("--folder", default="/tmp/thinfile-bench-spark")
    parser.add_argument("--one", nargs=3, metavar=("ENGINE", "JOB", "ROWS"))
    args = parser.parse_args()
    folder = Path(args.folder)
    if args.one:
        engine, job, rows = args.one
        print(json.dumps(one(engine, job, int(rows), folder)))
        return
    sizes = {
        "score": [int(n) for n in args.score.split(",") if n],
        "simulate": [int(n) for n in args.simulate.split(",") if n],
    }
    prepare(folder, max(n for ns in sizes.values() for n in ns))
    print(
        f"python {sys.version.split()[0]} on {platform.machine()}, {os.cpu_count()} CPUs; "
        "Spark master local[2]; local simulation with 2 worker processes"
    )
    print(
        "| job | rows | engine | wall s | of which session start s | s per 1,000 rows "
        "| peak RSS MiB (process tree) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    for job, counts in sizes.items():
        for rows in counts:
            for engine in ("local", "spark"):
                r = measure(engine, job, rows, folder)
                print(
                    f"| {job} | {rows:,} | {engine} | {r['wall']:.1f} | "
                    f"{r['session']:.1f} | {r['wall'] / rows * 1000:.3f} | "
                    f"{r['peak_mib']:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
