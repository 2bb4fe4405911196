"""``thinfile model``: train, evaluate, score and report credit-scoring models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from thinfile.cli.engines import (
    Engine,
    EngineOption,
    MasterOption,
    choose_engine,
    local_path,
    spark,
)
from thinfile.cli.evaluation import evaluation_figures, evaluation_lines
from thinfile.cli.options import make_console, path_text
from thinfile.errors import InvalidInputError
from thinfile.scoring import KINDS, load_model, read_table, train_model
from thinfile.scoring.batch import score_file
from thinfile.scoring.reason_table import ReasonMethod
from thinfile.scoring.report import evaluate_frame, render_report
from thinfile.spark.session import DEFAULT_MASTER

sub = typer.Typer(help="Train, evaluate, explain and score credit models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sub, name="model")


def _names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def _pairs(text: str | None, option: str) -> dict[str, str]:
    out = {}
    for item in _names(text):
        name, sep, value = item.rpartition(":")
        if not sep or not name:
            raise InvalidInputError("write it as column:value", field=option, value=item)
        out[name] = value
    return out


def _monotone(text: str | None) -> dict[str, int]:
    out = {}
    for name, value in _pairs(text, "--monotone").items():
        if value not in {"+1", "1", "-1"}:
            raise InvalidInputError(
                "direction must be +1 or -1", field="--monotone", value=f"{name}:{value}"
            )
        out[name] = int(value)
    return out


def _codes(text: str | None) -> list[float]:
    try:
        return [float(v) for v in _names(text)]
    except ValueError:
        raise InvalidInputError(
            "special codes must be numbers", field="--special-codes", value=text
        ) from None


@contextmanager
def _progress(description: str) -> Iterator[Progress]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=make_console(stderr=True), transient=True) as bar:
        yield bar


@sub.command("train")
def train(
    data: Annotated[
        Path, typer.Argument(help="CSV or Parquet of past applications.", parser=path_text)
    ],
    target: Annotated[str, typer.Option(help="Outcome column, 1 = bad.")],
    out: Annotated[Path, typer.Option(help="Model directory to write.", parser=path_text)],
    id_col: Annotated[str | None, typer.Option(help="Identifier column.")] = None,
    exclude: Annotated[str | None, typer.Option(help="Columns to leave out: C1,C2.")] = None,
    keep: Annotated[
        str | None, typer.Option(help="Columns to use although they look like leakage: C1,C2.")
    ] = None,
    kind: Annotated[str, typer.Option(help="scorecard|gbm|both")] = "both",
    seed: Annotated[int, typer.Option(help="Seed of splits and trees.")] = 42,
    monotone: Annotated[str | None, typer.Option(help="Risk direction: col:+1,col2:-1.")] = None,
    role: Annotated[str | None, typer.Option(help="Role overrides: col:categorical.")] = None,
    special_codes: Annotated[
        str | None, typer.Option(help="Numeric codes with a meaning of their own, e.g. -9,-8,-7.")
    ] = None,
    bad_value: Annotated[str | None, typer.Option(help="Target value meaning bad.")] = None,
    segment: Annotated[str | None, typer.Option(help="Column to report metrics by.")] = None,
    protected: Annotated[
        str | None, typer.Option(help="Protected attribute: reported on, never used as a feature.")
    ] = None,
    missing_as_riskiest: Annotated[
        bool,
        typer.Option(
            "--missing-as-riskiest",
            help="Score a missing entry of a field never missing in training as its riskiest "
            "value (for records that always hold the field).",
        ),
    ] = False,
) -> None:
    """Train a model from a labelled table and write its directory."""
    if kind not in KINDS:
        raise InvalidInputError(f"use one of: {', '.join(KINDS)}", field="--kind", value=kind)
    with _progress("reading") as bar:
        task = bar.add_task("reading data", total=6)
        frame = read_table(data)
        codes = _codes(special_codes)
        specials = (
            {c: codes for c in frame.columns if c != target and frame[c].dtype.kind in "if"}
            if codes
            else None
        )

        def step(text: str) -> None:
            bar.update(task, advance=1, description=text)

        model = train_model(
            frame,
            target=target,
            kind=kind,
            id_col=id_col,
            exclude=_names(exclude),
            keep=_names(keep),
            seed=seed,
            monotone=_monotone(monotone),
            roles=_pairs(role, "--role"),
            special_codes=specials,
            bad_value=bad_value,
            segment=segment,
            protected=protected,
            progress=step,
            missing_as_riskiest=missing_as_riskiest,
        )
        step("saving")
        version = model.save(out)
    left_out = model.training.get("protected_left_out")
    if isinstance(left_out, list) and left_out:
        typer.echo(f"protected attributes left out of the model: {', '.join(map(str, left_out))}")
    m = model.evaluation.get("metrics", {})
    auc = m.get("auc") if isinstance(m, dict) else None
    typer.echo(
        f"model {version} ({model.kind}, {len(model.feature_names)} features) "
        f"written to {out}; held-out AUC {auc:.4f}"
        if isinstance(auc, float)
        else f"model {version} written to {out}"
    )


def _months(text: str) -> list[int]:
    try:
        return [int(v) for v in _names(text)]
    except ValueError:
        raise InvalidInputError(
            "review months are whole months on book", field="--review-months", value=text
        ) from None


@sub.command("train-behaviour")
def train_behaviour(
    performance: Annotated[
        Path,
        typer.Argument(help="Performance table (thinfile synth performance).", parser=path_text),
    ],
    applicants: Annotated[
        Path, typer.Option(help="The applicants the loans were made to.", parser=path_text)
    ],
    application_model: Annotated[
        Path,
        typer.Option(
            help="The application model's directory (the score at origination).", parser=path_text
        ),
    ],
    out: Annotated[Path, typer.Option(help="Model directory to write.", parser=path_text)],
    horizon: Annotated[int, typer.Option(help="Months after a review a default counts.")] = 6,
    review_months: Annotated[
        str, typer.Option(help="Months on book reviewed: 3,6,9,12.")
    ] = "3,6,9,12",
    kind: Annotated[str, typer.Option(help="scorecard|gbm|both")] = "both",
    seed: Annotated[int, typer.Option(help="Seed of the borrower split and trees.")] = 42,
    held_out: Annotated[
        float, typer.Option(help="Share of borrowers held out for the comparison.")
    ] = 0.3,
) -> None:
    """Train a behaviour model on a performance table's line months (the features the limit
    review reads) and compare it with the application score alone on held-out borrowers."""
    from thinfile.scoring.behaviour_model import (
        behaviour_table,
        train_behaviour_model,
        with_application_score,
    )

    if kind not in KINDS:
        raise InvalidInputError(f"use one of: {', '.join(KINDS)}", field="--kind", value=kind)
    application = load_model(application_model)
    with _progress("reading") as bar:
        task = bar.add_task("behaviour features at each review", total=None)
        table = behaviour_table(
            read_table(performance), review_months=_months(review_months), horizon=horizon
        )
        table = with_application_score(table, read_table(applicants), application)

        def step(text: str) -> None:
            bar.update(task, description=text)

        model = train_behaviour_model(
            table,
            application_version=application.version,
            kind=kind,
            seed=seed,
            test_share=held_out,
            horizon=horizon,
            progress=step,
        )
        version = model.save(out)
    c = model.evaluation["behaviour_comparison"]
    assert isinstance(c, dict)
    typer.echo(
        f"behaviour model {version} written to {out}; on {c['rows']} held-out reviews AUC "
        f"{c['behaviour']['auc']:.4f} against {c['application']['auc']:.4f} for the "
        f"application score alone ({c['auc_gain']:+.4f} ± {c['auc_gain_se']:.4f})"
    )


@sub.command("evaluate")
def evaluate(
    model_dir: Annotated[
        Path, typer.Argument(metavar="DIR", help="Model directory.", parser=path_text)
    ],
    data: Annotated[Path, typer.Argument(help="Labelled CSV or Parquet.", parser=path_text)],
    target: Annotated[str, typer.Option(help="Outcome column, 1 = bad.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the same figures as one JSON object.")
    ] = False,
    segment: Annotated[
        str | None,
        typer.Option(help="Column to report rows, bad rate, AUC and approval rate by."),
    ] = None,
    protected: Annotated[
        str | None,
        typer.Option(
            help="Protected attribute to report rows, bad rate, AUC and approval rate by, "
            "with the lowest/highest approval-rate ratio."
        ),
    ] = None,
    bad_value: Annotated[str | None, typer.Option(help="Target value meaning bad.")] = None,
) -> None:
    """AUC, KS, Gini, Brier, calibration, PSI and group metrics on labelled data."""
    model = load_model(model_dir)
    report = evaluate_frame(
        model,
        read_table(data),
        target=target,
        segment=segment,
        protected=protected,
        bad_value=bad_value,
    )
    figures = evaluation_figures(report)
    if as_json:
        typer.echo(json.dumps(figures, allow_nan=False))
        return
    for line in evaluation_lines(figures):
        typer.echo(line)


@sub.command("score")
def score(
    model_dir: Annotated[
        Path, typer.Argument(metavar="DIR", help="Model directory.", parser=path_text)
    ],
    data: Annotated[
        str, typer.Argument(help="CSV or Parquet to score (Parquet path or URI with Spark).")
    ],
    out: Annotated[
        str,
        typer.Option(
            help="CSV (or .parquet) of id, pd, score and reasons; a Parquet folder or URI with "
            "--engine spark."
        ),
    ],
    reasons: Annotated[int, typer.Option(help="Reason codes per row.")] = 4,
    reasons_method: Annotated[
        ReasonMethod,
        typer.Option(
            "--reasons-method",
            help="exact: the model's own contributions (tree SHAP for trees); points: the "
            "scorecard's points by bin, many times faster, for whole-book runs.",
        ),
    ] = ReasonMethod.EXACT,
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk.")] = 100_000,
    engine: EngineOption = "local",
    spark_master: MasterOption = DEFAULT_MASTER,
) -> None:
    """Score a file in chunks, with reason codes."""
    if reasons < 0:
        raise InvalidInputError("must not be negative", field="--reasons", value=reasons)
    if chunk_rows < 1:
        raise InvalidInputError("must be at least 1", field="--chunk-rows", value=chunk_rows)
    if choose_engine(engine) is Engine.SPARK:
        from thinfile.spark.scoring import score_parquet

        with spark(spark_master) as session:
            rows = score_parquet(
                session, model_dir, data, out, reasons=reasons, method=reasons_method
            )
        typer.echo(f"{rows} rows scored on Spark into {out}")
        return
    source, target = local_path(data, "DATA"), local_path(out, "--out")
    model = load_model(model_dir)
    with _progress("scoring") as bar:
        task = bar.add_task("scoring", total=None)
        rows = score_file(
            model,
            source,
            target,
            reasons=reasons,
            chunk_rows=chunk_rows,
            progress=lambda n: bar.update(task, advance=n),
            method=reasons_method,
        )
    typer.echo(f"{rows} rows scored with model {model.version} into {out}")


@sub.command("report")
def report(
    model_dir: Annotated[
        Path, typer.Argument(metavar="DIR", help="Model directory.", parser=path_text)
    ],
    out: Annotated[Path, typer.Option(help="HTML file to write.", parser=path_text)],
) -> None:
    """Write a self-contained HTML report of the model and its held-out figures."""
    model = load_model(model_dir)
    out.write_text(render_report(model), encoding="utf-8")
    typer.echo(f"report of model {model.version} written to {out}")
