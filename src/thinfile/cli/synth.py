"""``thinfile synth``: write synthetic applicants and their repayment behaviour to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from thinfile.cli.engines import Engine, EngineOption, MasterOption, choose_engine, spark
from thinfile.cli.options import make_console, option_date
from thinfile.errors import InvalidInputError
from thinfile.sim import (
    DEFAULT_FIRST_VINTAGE,
    GENERATION_STEPS,
    MAX_APPLICANTS,
    MAX_MONTHS,
    generate_applicants,
    read_table,
    simulate_performance,
    write_table,
)
from thinfile.sim.population import BLOCK_ROWS, generate_blocked
from thinfile.sim.sales import MAX_DAYS, simulate_sales
from thinfile.sim.tables import table_format
from thinfile.spark.session import DEFAULT_MASTER


def register(app: typer.Typer) -> None:
    synth = typer.Typer(
        help="Synthetic new-citizen applicants and loan performance.", no_args_is_help=True
    )
    synth.command("applicants")(applicants)
    synth.command("performance")(performance)
    synth.command("sales")(sales)
    app.add_typer(synth, name="synth")


def _whole(text: str, option: str, low: int, high: int) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise InvalidInputError(
            f"{text!r} is not a whole number", field=option, value=text
        ) from None
    if not low <= value <= high:
        raise InvalidInputError(f"must be from {low} to {high}", field=option, value=text)
    return value


def _output(text: str, option: str = "--out") -> Path:
    path = Path(text)
    table_format(path, field=option)
    if not path.parent.is_dir():
        raise InvalidInputError(
            f"the folder {str(path.parent)!r} does not exist", field=option, value=text
        )
    return path


def _progress() -> Progress:
    console = make_console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def applicants(
    n: Annotated[str, typer.Option("--n", help="How many applicants.")] = "100000",
    seed: Annotated[str, typer.Option(help="Random seed: the same seed gives the same rows.")] = (
        "7"
    ),
    out: Annotated[
        str,
        typer.Option(help="Output file, .parquet or .csv; a Parquet folder or URI with Spark."),
    ] = "applicants.parquet",
    block_rows: Annotated[
        str | None,
        typer.Option(
            "--block-rows",
            help="Generate in blocks of this many rows, each from its own seed (the rule Spark "
            f"uses, default {BLOCK_ROWS} there): the same rows on either engine.",
        ),
    ] = None,
    partitions: Annotated[
        str | None,
        typer.Option(help="Spark partitions (default one per block); never changes the rows."),
    ] = None,
    engine: EngineOption = "local",
    spark_master: MasterOption = DEFAULT_MASTER,
) -> None:
    """Generate synthetic new-citizen applicants with alternative data and a known outcome."""
    count = _whole(n, "--n", 1, MAX_APPLICANTS)
    chosen_seed = _whole(seed, "--seed", 0, 2**63 - 1)
    block = None if block_rows is None else _whole(block_rows, "--block-rows", 1, MAX_APPLICANTS)
    if choose_engine(engine) is Engine.SPARK:
        from thinfile.spark.synth import write_applicants

        slices = None if partitions is None else _whole(partitions, "--partitions", 1, 100_000)
        with spark(spark_master) as session:
            write_applicants(
                session,
                count,
                out,
                seed=chosen_seed,
                block_rows=block or BLOCK_ROWS,
                partitions=slices,
            )
        typer.echo(f"wrote {count} applicants on Spark to {out}")
        return
    path = _output(out)
    with _progress() as progress:
        task = progress.add_task("applicants", total=len(GENERATION_STEPS) + 1)
        frame = (
            generate_applicants(
                count,
                seed=chosen_seed,
                on_step=lambda step: progress.update(task, advance=1, description=step),
            )
            if block is None
            else generate_blocked(count, seed=chosen_seed, block_rows=block)
        )
        progress.update(task, description="writing")
        write_table(frame, path)
        progress.update(task, advance=1)
    typer.echo(
        f"wrote {len(frame)} applicants to {path} (12-month bad rate {frame['bad_12m'].mean():.2%})"
    )


def performance(
    applicants_file: Annotated[
        str, typer.Option("--applicants", help="Applicants file written by 'synth applicants'.")
    ],
    months: Annotated[str, typer.Option(help="Months on book to simulate.")] = "18",
    seed: Annotated[str, typer.Option(help="Random seed for the behaviour.")] = "7",
    originations_over: Annotated[
        str,
        typer.Option(
            "--originations-over",
            help="Months over which the loans are originated (one vintage each).",
        ),
    ] = "1",
    first_vintage: Annotated[
        str, typer.Option("--first-vintage", help="Origination month of the first vintage.")
    ] = DEFAULT_FIRST_VINTAGE,
    out: Annotated[str, typer.Option(help="Output file, .parquet or .csv.")] = (
        "performance.parquet"
    ),
) -> None:
    """Simulate month-by-month repayment of one loan per applicant."""
    horizon = _whole(months, "--months", 1, MAX_MONTHS)
    spread = _whole(originations_over, "--originations-over", 1, horizon)
    chosen_seed = _whole(seed, "--seed", 0, 2**63 - 1)
    path = _output(out)
    frame = read_table(Path(applicants_file), field="--applicants")
    with _progress() as progress:
        task = progress.add_task("months", total=horizon + 1)
        rows = simulate_performance(
            frame,
            months=horizon,
            seed=chosen_seed,
            on_month=lambda _m: progress.update(task, advance=1),
            originations_over=spread,
            first_vintage=first_vintage,
        )
        progress.update(task, description="writing")
        write_table(rows, path)
        progress.update(task, advance=1)
    defaults = rows.loc[rows["status"] == "default", "loan_id"].nunique()
    typer.echo(
        f"wrote {len(rows)} monthly rows for {len(frame)} loans in "
        f"{rows['vintage'].nunique()} vintages to {path} "
        f"({defaults / len(frame):.2%} defaulted within {horizon} months)"
    )


def sales(
    applicants_file: Annotated[
        str, typer.Option("--applicants", help="Applicants file written by 'synth applicants'.")
    ],
    days: Annotated[str, typer.Option(help="Days of sales before --as-of.")] = "365",
    seed: Annotated[str, typer.Option(help="Random seed for the sales.")] = "7",
    as_of: Annotated[str, typer.Option("--as-of", help="The day after the last sales day.")] = (
        "2026-01-01"
    ),
    out: Annotated[str, typer.Option(help="Output file, .parquet or .csv.")] = "sales.parquet",
) -> None:
    """Simulate daily sales of shop owners and platform earnings of riders and drivers
    (amounts in fen), consistent with each applicant's risk."""
    span = _whole(days, "--days", 1, MAX_DAYS)
    chosen_seed = _whole(seed, "--seed", 0, 2**63 - 1)
    day = option_date(as_of, "--as-of")
    path = _output(out)
    frame = read_table(Path(applicants_file), field="--applicants")
    rows = simulate_sales(frame, days=span, seed=chosen_seed, as_of=day)
    write_table(rows, path)
    typer.echo(
        f"wrote {len(rows)} daily rows for {rows['applicant_id'].nunique()} businesses to {path}"
    )
