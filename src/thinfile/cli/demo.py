"""``thinfile demo``: the whole lender in one command.

Generate a synthetic population, train the default model and the behaviour model the limit
reviews grade lines with (``demo_behaviour``), install the default policy, seed a
demo lender (staff, borrowers who apply and take loans), replay a year of repayments with
close of business every night (card payers' auto-debits through the sandbox payment gateway,
run in this process — ``demo_services`` — and each day reconciled against its file), simulate
a policy change, verify the ledger — then serve the borrower pages, the staff console and the
API, the sandbox gateway beside them. ``--smoke`` runs the same journey — the same
population, model and year — without a server, in a temporary folder, and exits non-zero if
any step fails or the ledger is off.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from thinfile.cli.demo_behaviour import train_demo_behaviour_model
from thinfile.cli.demo_services import Postman, local_mailbox, payments_in_process, payments_log
from thinfile.cli.demo_summary import (
    DemoSummary,
    banner,
    print_summary,
    story_problems,
    summarise,
)
from thinfile.cli.options import make_console, path_text
from thinfile.services.business_date import lender_today

if TYPE_CHECKING:
    import pandas as pd

    from thinfile.http import AppContext
    from thinfile.services.demo import DemoLender


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@contextmanager
def _home(smoke: bool, home: Path | None) -> Iterator[Path]:
    if home is not None:
        try:
            home.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=home).close()  # writable, or refused here
        except OSError as error:
            raise typer.BadParameter(
                f"cannot write in {home}: {error.strerror}", param_hint="--home"
            ) from None
        yield home
    elif smoke:
        with tempfile.TemporaryDirectory(prefix="thinfile-smoke-") as folder:
            yield Path(folder)
    else:
        from thinfile.settings import Settings

        path = Settings.from_environment().home
        path.mkdir(parents=True, exist_ok=True)
        yield path


def _fresh_sqlite(home: Path) -> str:
    """A new, empty SQLite database for the demo (an earlier demo's is replaced)."""
    database = home / "thinfile.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{database}"


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def demo(
    smoke: Annotated[
        bool,
        typer.Option("--smoke", help="Run the journey without a server; exit 1 on any failure."),
    ] = False,
    home: Annotated[
        Path | None, typer.Option(help="Folder for data, model and database.", parser=path_text)
    ] = None,
    population: Annotated[
        int | None, typer.Option(help="Synthetic applicants to train on.")
    ] = None,
    borrowers: Annotated[int, typer.Option(help="Demo borrowers who apply.")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Run the whole lender: population, model, policy, borrowers, a year of loans, server."""
    console = make_console()
    started = time.perf_counter()
    with _home(smoke, home) as folder:
        from thinfile.settings import Settings

        url = (
            Settings.from_environment().database_url if not smoke and home is None else None
        ) or _fresh_sqlite(folder)
        summary = _journey(
            console,
            folder,
            url,
            smoke=smoke,
            seed=seed,
            borrowers=borrowers,
            population=population or 20000,
        )
        print_summary(console, summary, time.perf_counter() - started)
        if not summary.ledger_ok:
            console.print("[red]the ledger does not verify[/red]")
            raise typer.Exit(1)
        if summary.audit_problems:
            console.print("[red]the audit log does not verify[/red]")
            raise typer.Exit(1)
        if summary.promotion_problems or not (
            summary.promotions["programme_loans"] and summary.promotions["coupon_example"]
        ):
            console.print("[red]no programme or coupon loan, or one the ledger does not tie[/red]")
            raise typer.Exit(1)
        story = summary.limits
        if not (story.get("increases_accepted") and story.get("late_payer_stopped")):
            console.print("[red]the credit lines' year did not grow a limit and stop one[/red]")
            raise typer.Exit(1)
        if problems := story_problems(summary):
            console.print(f"[red]{'; '.join(problems)}[/red]")
            raise typer.Exit(1)
        if smoke:
            return
        shown = summary.borrower_to_show, summary.payments.get("break_day")
        _serve(console, url, folder, host, port, *shown)


def _journey(
    console: Console,
    folder: Path,
    url: str,
    *,
    smoke: bool,
    seed: int,
    borrowers: int,
    population: int,
) -> DemoSummary:
    from thinfile.http import build_context
    from thinfile.services.audit import verify_audit_chain
    from thinfile.services.ledger import verify_ledger
    from thinfile.services.promotions import check_promotions
    from thinfile.settings import Settings
    from thinfile.store import upgrade

    frame, model_dir, version, metrics = _train(console, folder, population, seed)
    behaviour = train_demo_behaviour_model(console, folder, frame, model_dir, seed)
    with local_mailbox(folder) as mailbox:
        settings = Settings(
            database_url=url,
            argon2_time_cost=1 if smoke else 2,
            argon2_memory_kib=8192,
            smtp_port=mailbox.port,
        )
        context = build_context(settings)
        upgrade(context.engine)
        start = lender_today() - timedelta(days=365)
        lender = _seed(
            console, context, frame, (version, model_dir), behaviour, borrowers, start, seed
        )
        postman = Postman(context)
        with payments_in_process(context, folder, lender, seed):
            _year(console, context, lender, start, postman)
        messages = postman.summary(mailbox)
    simulation = _simulate_change(console, folder, frame, model_dir, start)
    ledger = verify_ledger(context.engine)
    audit = verify_audit_chain(context.engine)
    promotion_problems = check_promotions(context.engine)
    summary = summarise(context.engine, lender)
    context.engine.dispose()
    return DemoSummary(
        **summary,
        model=metrics,
        simulation=simulation,
        ledger_ok=ledger.ok,
        ledger_problems=list(ledger.problems),
        audit_rows=audit.rows_checked,
        audit_problems=list(audit.problems),
        promotion_problems=promotion_problems,
        messages=messages,
        database=url,
        home=str(folder),
    )


def _train(
    console: Console, folder: Path, n: int, seed: int
) -> tuple[pd.DataFrame, Path, str, dict[str, float]]:
    from thinfile.scoring import train_model
    from thinfile.scoring.evaluation import metrics
    from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants

    console.print(f"[bold]1/6[/bold] generating {n:,} synthetic new-citizen applicants")
    frame = generate_applicants(n, seed=seed)
    (folder / "data").mkdir(exist_ok=True)
    frame.to_parquet(folder / "data" / "applicants.parquet")
    kind = "both"
    console.print(
        f"[bold]2/6[/bold] training the default model ({kind}) on 80%, evaluating on the other 20%"
    )
    cut = int(n * 0.8)
    with _progress(console) as bar:
        task = bar.add_task("training", total=1)
        model = train_model(
            frame.iloc[:cut],
            target="bad_12m",
            kind=kind,
            id_col="applicant_id",
            exclude=list(NOT_MODEL_INPUTS),
            seed=seed,
            segment="segment",  # monitored by occupation, never scored on it
        )
        bar.update(task, advance=1)
    holdout = frame.iloc[cut:]
    scores = model.score_frame(holdout)
    result = metrics(holdout["bad_12m"].to_numpy(), scores["pd"].to_numpy())
    model_dir = folder / "models" / "default"
    shutil.rmtree(model_dir, ignore_errors=True)
    model.save(model_dir)
    console.print(
        f"    holdout AUC {result['auc']:.3f}, KS {result['ks']:.3f}, "
        f"Brier {result['brier']:.4f}; model {model.version[:23]}"
    )
    return frame, model_dir, model.version, {k: float(v) for k, v in result.items()}


def _seed(
    console: Console,
    context: AppContext,
    frame: pd.DataFrame,
    model: tuple[str, Path],
    behaviour: tuple[str, Path],
    borrowers: int,
    start: date,
    seed: int,
) -> DemoLender:
    from thinfile.scoring import load_model
    from thinfile.services.demo import seed_lender

    console.print(
        f"[bold]3/6[/bold] seeding the demo lender: staff, policy, models and "
        f"{borrowers} borrowers with profiles, consent and verified real names"
    )
    return seed_lender(
        context.engine,
        context.cipher,
        context.hasher,
        verifier=context.real_name,
        population=frame,
        model_dir=model[1],
        load_model=load_model,
        model_version=model[0],
        behaviour_model=behaviour,
        borrowers=borrowers,
        start=start,
        days=(lender_today() - start).days,
        seed=seed,
    )


def _year(
    console: Console, context: AppContext, lender: DemoLender, start: date, postman: Postman
) -> None:
    from thinfile.services.demo import run_year

    days = (lender_today() - start).days
    console.print(
        f"[bold]4/6[/bold] a year from {start}: applications, decisions, reviews, "
        f"loans, repayments and nightly close of business ({days} business dates)\n"
        "    the payments log below shows the year's planted breaks (a debit landing on a loan "
        "repaid meanwhile, a notification of no transaction of ours); each day's "
        "reconciliation flags them and the servicing agent resolves them"
    )
    with _progress(console) as bar, payments_log(console):
        task = bar.add_task("business days", total=days)

        def step(day: date) -> None:
            postman.morning_after(day)
            bar.update(task, advance=1)

        run_year(
            context.engine,
            context.cipher,
            lender,
            start=start,
            days=days,
            progress=step,
        )


def _simulate_change(
    console: Console, folder: Path, frame: pd.DataFrame, model_dir: Path, start: date
) -> dict[str, object]:
    from thinfile.decisioning import load_policy, simulate
    from thinfile.decisioning.report import render_simulation_html
    from thinfile.scoring import load_model

    console.print(
        "[bold]5/6[/bold] simulating a policy change: cap the annualized cost at 20% "
        "(the consumer-finance average guidance) against the default 24%"
    )
    baseline = load_policy()
    candidate_dir = folder / "policies" / "cap-20"
    stricter = replace(
        baseline,
        settings=replace(baseline.settings, cap=Decimal("0.20"), name="new-citizen, 20% cap"),
    )
    stricter.save(candidate_dir)
    candidate = load_policy(candidate_dir)
    records: list[dict[str, object]] = frame.head(3000).to_dict(  # type: ignore[assignment]
        "records"
    )
    report = simulate(
        records, policy=candidate, baseline=baseline, model=load_model(model_dir), on=start
    )
    (folder / "reports").mkdir(exist_ok=True)
    (folder / "reports" / "policy-simulation.html").write_text(render_simulation_html(report))
    return report.as_dict()


def _serve(
    console: Console,
    url: str,
    folder: Path,
    host: str,
    port: int,
    borrower: str,
    break_day: str | None = None,
) -> None:
    """Serve the lender, the sandbox gateway beside it on the year's books (a free port),
    notifying the lender's endpoint, so the pages' card payments go through."""
    import uvicorn

    from thinfile.adapters.sandbox_gateway import Delivery, GatewayConfig
    from thinfile.adapters.sandbox_gateway.local import LocalGateway
    from thinfile.app import create_app
    from thinfile.settings import Settings

    os.environ["THINFILE_HOME"] = str(folder)
    settings = Settings(database_url=url)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    delivery = Delivery(notify_url=f"http://{local}:{port}/v1/gateway/notifications")
    key = settings.payment_gateway_key.get_secret_value().encode()
    config = GatewayConfig(
        folder / "gateway.sqlite",
        key,
        delivery,
        tolerance_seconds=settings.payment_notification_tolerance_seconds,
    )
    with LocalGateway(config) as gateway:
        mailbox = str(folder / "mailbox")
        banner(console, f"http://{host}:{port}", url, borrower, gateway.url, break_day, mailbox)
        sys.stdout.flush()
        uvicorn.run(
            create_app(Settings(database_url=url, payment_gateway_url=gateway.url)),
            host=host,
            port=port,
            log_level="warning",
            server_header=False,
        )
