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
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ON = date(2026, 1, 1)
PAGE = os.sysconf("SC_PAGE_SIZE")


def prepare(folder: Path, rows: int) -> None:
    """Applicants (the largest size asked for), written a block of 100,000 at a time (one
    Parquet row group each, so Spark can split the file), and a model trained on 8,000."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from thinfile.scoring import train_model
    from thinfile.sim import NOT_MODEL_INPUTS
    from thinfile.sim.population import BLOCK_ROWS, block_count, generate_block

    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f"ready-{rows}"
    if marker.exists():
        return
    writer = None
    for k in range(block_count(rows, BLOCK_ROWS)):
        table = pa.Table.from_pandas(generate_block(rows, k, seed=7), preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(folder / "all.parquet", table.schema)
            first = table.slice(0, 8_000).to_pandas()
        writer.write_table(table, row_group_size=BLOCK_ROWS)
    assert writer is not None
    writer.close()
    model = train_model(
        first,
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
    """The first ``rows`` applicants, in row groups of 100,000."""
    import pyarrow.parquet as pq

    path = folder / f"rows-{rows}.parquet"
    if path.exists():
        return path
    source = pq.ParquetFile(folder / "all.parquet")
    if source.metadata.num_rows == rows:
        return folder / "all.parquet"
    with pq.ParquetWriter(path, source.schema_arrow) as writer:
        left = rows
        for batch in source.iter_batches(batch_size=100_000):
            if left <= 0:
                break
            writer.write_batch(batch.slice(0, left))
            left -= batch.num_rows
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
            from thinfile.cli.decisions import stream_records
            from thinfile.scoring import load_model

            simulate(
                stream_records(data),  # a batch at a time, as the command reads it
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


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU-seconds (user + system) so far of ``pid`` and each of its descendants, by pid:
    sampled, so processes that end between samples count up to their last sample."""
    tree, seen, todo = _children(), {}, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            seen[current] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(tree.get(current, []))
    return seen


def measure(engine: str, job: str, rows: int, folder: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--one", engine, job, str(rows), "--folder", str(folder)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak, cpu = 0, {}
    while child.poll() is None:
        peak = max(peak, tree_rss(child.pid))
        cpu.update(tree_cpu(child.pid))
        time.sleep(0.1)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"{engine} {job} {rows} failed (exit {child.returncode})")
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    result["peak_mib"] = peak / 2**20
    waited = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    result["cpu"] = max(waited, sum(cpu.values()))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--score", default="100000,300000,1000000")
    parser.add_argument("--simulate", default="5000,10000,20000")
    parser.add_argument("--folder", default="/tmp/thinfile-bench-spark")
    parser.add_argument("--one", nargs=3, metavar=("ENGINE", "JOB", "ROWS"))
    parser.add_argument("--engines", default="local,spark")
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
        "| CPU s | CPU s per 1,000 | peak RSS MiB (process tree) | load before → after |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for job, counts in sizes.items():
        for rows in counts:
            for engine in args.engines.split(","):
                load = os.getloadavg()[0]
                r = measure(engine, job, rows, folder)
                print(
                    f"| {job} | {rows:,} | {engine} | {r['wall']:.1f} | "
                    f"{r['session']:.1f} | {r['wall'] / rows * 1000:.3f} | "
                    f"{r['cpu']:.1f} | {r['cpu'] / rows * 1000:.3f} | "
                    f"{r['peak_mib']:.0f} | {load:.1f} → {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
