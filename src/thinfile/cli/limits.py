"""``thinfile limits review --on DATE``, ``thinfile limits replay DECISION``,
``thinfile limits simulate`` and ``thinfile limits policy register DIR [--activate |
--challenger SHARE]`` / ``thinfile limits policy list``."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thinfile.cli.options import make_console, option_date, path_text
from thinfile.decisioning.limit_policy import load_limit_policy
from thinfile.errors import InvalidInputError
from thinfile.services.identity_records import SYSTEM
from thinfile.services.limit_replay import replay_limit_decision
from thinfile.services.limit_reviews import review_limits
from thinfile.store import make_engine, upgrade

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from thinfile.services.limit_policies import LimitPolicyVersion

limits_app = typer.Typer(
    help="Credit limits (额度): reviews, their decisions and policy simulations.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(limits_app, name="limits")


@limits_app.command("review")
def review(
    on_text: Annotated[
        str,
        typer.Option(
            "--on",
            help="The review date (YYYY-MM-DD): from the last closed day to the business date.",
        ),
    ],
    batch: Annotated[int, typer.Option("--batch", min=1, help="Lines per transaction.")] = 20_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, help="Processes deciding batches at once (PostgreSQL)."),
    ] = 2,
) -> None:
    """Review every open credit line on --on: offers for increases, decreases and freezes
    with a notice, nothing automatic for the control group. Running a date twice changes
    nothing the second time."""
    on = option_date(on_text, "--on")
    engine = make_engine()
    upgrade(engine)
    console = make_console(stderr=as_json)
    try:
        report = review_limits(
            engine,
            on,
            actor=SYSTEM.label,
            batch_lines=batch,
            workers=workers,
            after_batch=lambda last, done: console.print(f"lines to {last}: {done} decided"),
        )
    except InvalidInputError as refused:
        if refused.field != "on":
            raise
        raise InvalidInputError(
            refused.message, field="--on", value=on_text, remedy=refused.remedy
        ) from None
    finally:
        engine.dispose()
    if as_json:
        data = {"on": on.isoformat(), "decided": report.decided, "counts": dict(report.counts)}
        typer.echo(json.dumps(data, sort_keys=True))
        return
    for key, count in sorted(report.counts.items()):
        console.print(f"{key:<24} {count:>10}")
    console.print(f"reviewed {report.decided} line(s) on {on} in {report.seconds:.1f} s")


@limits_app.command("replay")
def replay(
    decision_id: Annotated[int, typer.Argument(min=1, help="A limit decision's number.")],
) -> None:
    """Decide a stored limit decision again from its inputs, policy version and behaviour
    model version (null when the policy's rules graded the line)."""
    engine = make_engine()
    upgrade(engine)
    try:
        result = replay_limit_decision(engine, decision_id)
    finally:
        engine.dispose()
    d = result.replayed
    typer.echo(
        json.dumps(
            {
                "decision": decision_id,
                "stored": {"action": result.stored_action, "new_limit": result.stored_new_limit},
                "replayed": {"action": d.action.value, "new_limit": d.new_limit},
                "reason_codes": list(d.reason_codes),
                "policy_version": d.policy_version,
                "model_version": d.model_version,
                "pd": d.pd,
                "same": result.same,
            },
            sort_keys=True,
        )
    )
    if not result.same:
        raise typer.Exit(1)


def _take_up(text: str) -> Decimal:
    try:
        share = Decimal(text.strip())
    except InvalidOperation:
        share = Decimal("NaN")
    if not share.is_finite() or not 0 <= share <= 1:
        raise InvalidInputError(
            "must be a share from 0 to 1", field="--take-up", value=text, remedy="e.g. 0.8"
        )
    return share


@limits_app.command("simulate")
def simulate(
    applicants: Annotated[
        Path, typer.Option(help="Applicants (thinfile synth applicants).", parser=path_text)
    ],
    performance: Annotated[
        Path,
        typer.Option(
            help="Their loans month by month (thinfile synth performance).", parser=path_text
        ),
    ],
    policy: Annotated[Path, typer.Option(help="Candidate limit policy folder.", parser=path_text)],
    out: Annotated[Path, typer.Option(help="HTML report to write.", parser=path_text)],
    baseline_policy: Annotated[
        Path | None, typer.Option(help="Baseline limit policy folder.", parser=path_text)
    ] = None,
    months: Annotated[int, typer.Option(min=1, max=60, help="Months on book.")] = 18,
    take_up: Annotated[str, typer.Option(help="Share of offers borrowers accept.")] = "0.8",
    as_json: Annotated[bool, typer.Option("--json", help="Also print the report as JSON.")] = False,
) -> None:
    """Run a limit policy (and a baseline) over months 1-18 of a synthetic book: limit bands
    and the ceiling by month and segment, utilization, loss of raised against control lines."""
    from thinfile.services.limit_simulation import simulate_limits
    from thinfile.services.limit_simulation_report import render_limit_simulation_html
    from thinfile.sim import read_table

    share = _take_up(take_up)
    candidate = load_limit_policy(policy)
    baseline = load_limit_policy(baseline_policy) if baseline_policy else None
    report = simulate_limits(
        read_table(applicants, field="--applicants"),
        read_table(performance, field="--performance"),
        policy=candidate,
        baseline=baseline,
        months=months,
        take_up=share,
    )
    out.write_text(render_limit_simulation_html(report), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, sort_keys=True))
        return
    console = make_console()
    last = report.candidate.by_month[-1]
    loss = report.candidate.loss
    console.print(
        f"{report.lines} lines; month {last['month']}: {last['lines']} on the book, "
        f"{last['at_ceiling_share']} at the ceiling; loss rate raised "
        f"{loss['increased']['loss_rate']}, control {loss['control']['loss_rate']}; "
        f"report written to {out}"
    )


limit_policy_app = typer.Typer(
    help="Limit policies: register a version, activate it or make it the challenger.",
    no_args_is_help=True,
)
limits_app.add_typer(limit_policy_app, name="policy")


@limit_policy_app.command("register")
def register_policy(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Limit policy folder.", parser=path_text)
    ],
    activate: Annotated[bool, typer.Option(help="Make it the active (champion) policy.")] = False,
    challenger: Annotated[
        str | None,
        typer.Option(
            metavar="SHARE", help="Route this share (0 to 0.5) of the lines to it as challenger."
        ),
    ] = None,
) -> None:
    """Register a limit policy version (its content is its version), then optionally
    activate it or make it the challenger; every change is audited."""
    from thinfile.money import parse_rate
    from thinfile.services.limit_policies import (
        activate_limit_policy,
        register_limit_policy,
        set_limit_challenger,
    )

    if activate and challenger is not None:
        raise InvalidInputError(
            "a policy is either activated or made the challenger",
            field="--challenger",
            remedy="give --activate or --challenger, not both",
        )
    share = None if challenger is None else parse_rate(challenger, field="--challenger")
    engine = make_engine()
    upgrade(engine)
    try:
        version = register_limit_policy(engine, folder, actor=SYSTEM)
        if activate:
            activate_limit_policy(engine, version, actor=SYSTEM)
        elif share is not None:
            set_limit_challenger(engine, version, share, actor=SYSTEM)
        status = next(v.status for v in _versions(engine) if v.version == version)
    finally:
        engine.dispose()
    typer.echo(f"limit policy {version}: {status}")


def _versions(engine: Engine) -> list[LimitPolicyVersion]:
    from thinfile.services.limit_policies import limit_policy_versions

    return limit_policy_versions(engine)


@limit_policy_app.command("list")
def list_policies(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every registered limit policy, newest first, with its status and challenger share."""
    engine = make_engine()
    upgrade(engine)
    try:
        versions = _versions(engine)
    finally:
        engine.dispose()
    rows = [
        {
            "version": v.version,
            "name": v.name,
            "status": v.status.value,
            "share": str(v.share),
            "ceiling_fen": v.ceiling_fen,
            "control_share": str(v.control_share),
            "registered_at": v.registered_at.isoformat(),
        }
        for v in versions
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, sort_keys=True))
        return
    for r in rows:
        share = f" {r['share']}" if r["status"] == "challenger" else ""
        typer.echo(f"{r['version']}  {r['status']}{share}  {r['name']}")
