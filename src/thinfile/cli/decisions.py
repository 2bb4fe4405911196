"""``thinfile decide`` and ``thinfile policy simulate``."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from thinfile.cli.engines import (
    Engine,
    EngineOption,
    MasterOption,
    choose_engine,
    local_path,
    spark,
)
from thinfile.cli.options import make_console, option_date, option_rate, path_text
from thinfile.decisioning import (
    Decision,
    SimulationReport,
    load_policy,
    parse_application,
    simulate,
)
from thinfile.decisioning.report import percent, render_simulation_html
from thinfile.errors import InvalidInputError
from thinfile.money import Money
from thinfile.scoring import ScoringModel, load_model, read_table
from thinfile.scoring.tables import iter_table
from thinfile.services.business_date import lender_today
from thinfile.settings import Settings
from thinfile.spark.session import DEFAULT_MASTER

policy_app = typer.Typer(help="Decision policies: simulate before you ship.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("decide")(decide_command)
    app.add_typer(policy_app, name="policy")


def default_model_dir() -> Path:
    home = Settings.from_environment().home
    return home / "models" / "default"


def _model_dir(path: Path | None) -> Path:
    folder = path or default_model_dir()
    if not folder.exists():
        raise InvalidInputError(
            f"no model at {folder}",
            field="--model",
            remedy="train one with 'thinfile model train' or run 'make demo' first",
        )
    return folder


def _load_model(path: Path | None) -> ScoringModel:
    return load_model(_model_dir(path))


def _read_json(path: Path, option: str) -> object:
    """The JSON file at ``path``: UTF-8, with or without the byte-order mark Windows editors
    write (RFC 8259 allows a parser to ignore it)."""
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise InvalidInputError(f"{path} does not exist", field=option) from None
    except IsADirectoryError:
        raise InvalidInputError(
            f"{path} is a folder", field=option, remedy="give the JSON file itself"
        ) from None
    except UnicodeDecodeError:
        raise InvalidInputError(
            f"{path} is not UTF-8 text", field=option, remedy="save the file as UTF-8"
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})", field=option
        ) from None


def stream_records(path: Path) -> Iterable[dict[str, object]]:
    """Rows of a CSV or Parquet file as plain dictionaries; a Parquet file is read a batch at
    a time as the rows are used, so a simulation holds a few batches, not the file."""
    if not path.name.endswith((".parquet", ".pq")):
        return read_records(path)
    batches = iter_table(path)
    try:
        first = next(batches, None)
    except InvalidInputError as exc:
        raise InvalidInputError(
            exc.message, field="--data", value=str(path), remedy=exc.remedy
        ) from None
    if first is None:
        return []
    frames = itertools.chain([first], batches)
    return itertools.chain.from_iterable(
        frame.to_dict("records")  # type: ignore[misc]
        for frame in frames
    )


def read_records(path: Path) -> list[dict[str, object]]:
    """Rows of a CSV or Parquet file as plain dictionaries."""
    try:
        frame = read_table(path)
    except InvalidInputError as exc:
        raise InvalidInputError(
            exc.message, field="--data", value=str(path), remedy=exc.remedy
        ) from None
    return frame.to_dict("records")  # type: ignore[return-value]


def print_decision(decision: Decision, console: Console) -> None:
    console.print(
        f"[bold]{decision.outcome.value.upper()}[/bold]  grade {decision.grade}  "
        f"PD {decision.pd:.2%}  score {decision.score}"
    )
    for reason in decision.borrower_reasons():
        console.print(f"  • {reason['text']} {reason['advice']}".rstrip())
    if decision.offers:
        table = Table(title="Offers, cheapest suitable first")
        for col in ("product", "amount", "months", "installment", "年化利率 APR", "total cost"):
            table.add_column(col, justify="right")
        for o in decision.offers:
            table.add_row(
                o.product,
                str(Money(o.amount)),
                str(o.schedule.terms.periods),
                str(Money(o.schedule.installments[0].total)),
                f"{o.annualized.nominal:.2%}",
                str(Money(o.total_cost)),
            )
        console.print(table)
    console.print(f"model {decision.model_version}  policy {decision.policy_version}")


def decide_command(
    application: Annotated[Path, typer.Argument(help="Application JSON file.", parser=path_text)],
    policy: Annotated[Path | None, typer.Option(help="Policy folder.", parser=path_text)] = None,
    model: Annotated[Path | None, typer.Option(help="Model folder.", parser=path_text)] = None,
    on: Annotated[str | None, typer.Option(help="Decision date (default today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Decide one application: knockouts, score, affordability, limit, price, products."""
    from thinfile.decisioning import decide

    app = parse_application(_read_json(application, "APPLICATION"))
    day = option_date(on, "--on") if on else lender_today()
    decision = decide(app, policy=load_policy(policy), model=_load_model(model), on=day)
    if as_json:
        typer.echo(json.dumps(decision.as_dict(), ensure_ascii=False))
    else:
        print_decision(decision, make_console())


@policy_app.command("simulate")
def simulate_command(
    policy: Annotated[Path, typer.Option(help="Candidate policy folder.", parser=path_text)],
    data: Annotated[
        str,
        typer.Option(help="Past applications (CSV or Parquet; a Parquet path or URI with Spark)."),
    ],
    out: Annotated[Path, typer.Option(help="HTML report to write.", parser=path_text)],
    model: Annotated[Path | None, typer.Option(help="Model folder.", parser=path_text)] = None,
    baseline_policy: Annotated[
        Path | None, typer.Option(help="Baseline policy folder.", parser=path_text)
    ] = None,
    on: Annotated[str, typer.Option(help="Decision date for every application.")] = "2026-01-01",
    workers: Annotated[int, typer.Option(help="Worker processes for the decisions.")] = 2,
    outcome: Annotated[
        str,
        typer.Option(help="Column with the known outcome (1 = bad), for the realised bad rate."),
    ] = "bad_12m",
    as_json: Annotated[bool, typer.Option("--json", help="Also print the report as JSON.")] = False,
    min_segment_share: Annotated[
        str | None,
        typer.Option(
            help="Flag an occupation approved at less than this share (0–1) of the overall "
            "approval rate (default: the policy's, else 0.8)."
        ),
    ] = None,
    engine: EngineOption = "local",
    spark_master: MasterOption = DEFAULT_MASTER,
) -> None:
    """Run a candidate policy over past applications and report what it would do, overall
    and by occupation (with the occupations below the minimum share flagged)."""
    share = _share(min_segment_share, "--min-segment-share")
    day = option_date(on, "--on")
    baseline = load_policy(baseline_policy) if baseline_policy else None
    if choose_engine(engine) is Engine.SPARK:
        from thinfile.spark.simulate import simulate_parquet

        with spark(spark_master) as session:
            report = simulate_parquet(
                session,
                data,
                policy=load_policy(policy),
                model_dir=_model_dir(model),
                on=day,
                baseline=baseline,
                outcome=outcome,
                min_segment_share=share,
            )
    else:
        report = simulate(
            stream_records(local_path(data, "--data")),
            policy=load_policy(policy),
            model=_load_model(model),
            on=day,
            workers=workers,
            outcome=outcome,
            baseline=baseline,
            min_segment_share=share,
        )
    out.write_text(render_simulation_html(report), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print_segments(report, make_console())
        overall = report.candidate.overall
        make_console().print(
            f"approval rate {percent(overall.approval_rate)} over "
            f"{overall.applications} applications; report written to {out}"
        )


def _share(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        share = Decimal(text.strip())
    except ArithmeticError:
        share = Decimal("NaN")
    if not share.is_finite() or not 0 <= share <= 1:
        raise InvalidInputError(
            "must be a share from 0 to 1", field=option, value=text, remedy="for example 0.8"
        )
    return share


def print_segments(report: SimulationReport, console: Console) -> None:
    """The candidate's approval and bad rates by occupation, with the flags."""
    candidate = report.as_dict()["candidate"]
    assert isinstance(candidate, dict)
    target = report.target_bad_rate
    table = Table(
        title=f"By occupation. FLAG LOW: approval rate below {report.min_segment_share:.0%} "
        "of the overall approval rate"
        + (f"; FLAG BAD: bad rate of approvals above {target:.2%}" if target is not None else "")
        + "; FLAG CAP: most approvals at the cap; FLAG LOSS: expected margin below zero outside "
        "a programme"
    )
    table.add_column("occupation", no_wrap=True)
    for col in ("n", "approved", "vs all", "bad rate", "mean APR", "at cap", "margin (yuan)"):
        table.add_column(col, justify="right")
    table.add_column("flag", no_wrap=True)
    for name, row in candidate["by_segment"].items():
        bad = row["realised_bad_rate"]
        table.add_row(
            name,
            str(row["applications"]),
            _percent(row["approval_rate"]),
            _percent(row["approval_share_of_average"]),
            _percent(row["expected_bad_rate"] if bad is None else bad),
            _percent(row["average_annualized_rate"]),
            _percent(row["share_at_cap"]),
            str(row["expected_margin"] or "—"),
            _flags(row),
        )
    console.print(table)


def _percent(value: object) -> str:
    return "—" if value is None else f"{Decimal(str(value)):.1%}"


def _flags(row: dict[str, object]) -> str:
    kinds = [
        word
        for key, word in (
            ("below_min_share", "LOW"),
            ("above_target_bad_rate", "BAD"),
            ("mostly_at_cap", "CAP"),
            ("negative_margin", "LOSS"),
        )
        if row.get(key)
    ]
    return "FLAG " + "+".join(kinds) if kinds else ""


@policy_app.command("register")
def register_command(
    policy: Annotated[Path, typer.Argument(help="Policy folder to register.", parser=path_text)],
    activate: Annotated[bool, typer.Option(help="Make it the active policy.")] = False,
    challenger: Annotated[
        str | None,
        typer.Option(help="Route this share (0–1) of applicants to it as the challenger."),
    ] = None,
) -> None:
    """Register a policy version in the database (THINFILE_DATABASE_URL), then optionally
    activate it or make it the challenger; every change is audited."""
    from thinfile.cli.service_settings import load_settings, open_database
    from thinfile.services.identity_records import SYSTEM
    from thinfile.services.policies import activate_policy, register_policy, set_challenger

    if challenger is not None:
        option_rate(challenger, "--challenger")  # refused here, before anything is registered
    loaded = load_policy(policy)
    with open_database(load_settings()) as engine:
        version = register_policy(engine, loaded, actor=SYSTEM)
        if activate:
            activate_policy(engine, loaded.version, actor=SYSTEM)
        elif challenger is not None:
            set_challenger(engine, loaded.version, challenger, actor=SYSTEM)
    state = (
        "active" if activate else (f"challenger at {challenger}" if challenger else version.status)
    )
    typer.echo(f"policy {loaded.version} ({loaded.name}): {state}")
