"""The console's portfolio monitoring pages: the live book's charts as inline SVG, in Chinese
and English, filters, the loan-month table to download, alerts on the console's home page,
and the inclusion section against the active model's bureau-only baseline (or a note asking
to retrain a model that has none); in a test client and in Chromium at 360 px."""

from __future__ import annotations

import dataclasses
import html
import io
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.e2e.test_web_browser import SHOTS, browser, server  # noqa: F401 - fixtures
from tests.e2e.test_web_pages import PASSWORD, MonthsInCityScorer, build_app, post, seed
from tests.integration.servicing_helpers import terms
from tests.integration.test_portfolio_monitor_inclusion import BASELINE, decide_applications
from thinfile.services import portfolio_monitor
from thinfile.services.cob import run_cob
from thinfile.services.identity_records import SYSTEM
from thinfile.services.loans import open_and_disburse
from thinfile.services.policies import activate_model, register_model
from thinfile.store import make_engine, upgrade

MONTH_ENDS = 3


@pytest.fixture(scope="module")
def book_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with three loans of January 2025 that never pay and one of February,
    closed to 31 March: built once, copied for each test that needs a book."""
    path = tmp_path_factory.mktemp("book") / "web.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    for day in (10, 11, 12):
        open_and_disburse(engine, terms("3000", 6, "0.18", start=date(2025, 1, day)))
    open_and_disburse(engine, terms("1200", 3, "0.18", start=date(2025, 2, 5)))
    run_cob(engine, date(2025, 3, 31))
    engine.dispose()
    return path


@pytest.fixture
def with_book(book_file: Path, tmp_path: Path) -> None:
    shutil.copy(book_file, tmp_path / "web.sqlite")


@pytest.fixture
def app(with_book: None, tmp_path: Path) -> FastAPI:
    """The browser tests' app (see ``test_web_browser``), on a copy of the book."""
    return build_app(tmp_path)


@pytest.fixture
def staff(tmp_path: Path) -> Any:
    built = build_app(tmp_path)
    with TestClient(built, base_url="http://127.0.0.1") as client:
        seed(built, tmp_path)
        reply = post(client, "/sign-in", {"email": "uw@lender.example", "password": PASSWORD})
        assert reply.status_code == 303
        yield built, client


def _english(client: TestClient) -> None:
    client.cookies.set("thinfile_lang", "en")


@dataclasses.dataclass
class RetrainedScorer(MonthsInCityScorer):
    """The page tests' model, retrained: its evaluation carries a bureau-only baseline."""

    version: str = "web-test-model:2"
    evaluation: dict[str, object] = dataclasses.field(
        default_factory=lambda: {"bureau_baseline": BASELINE}
    )


def applications_and_retrained_model(app: FastAPI, tmp_path: Path) -> None:
    """The applications of the inclusion test decided on the app's book, and a retrained
    model (one with a bureau-only baseline) made the active one."""
    engine = app.state.context.engine
    decide_applications(engine)
    retrained = tmp_path / "retrained"
    app.state.web = dataclasses.replace(
        app.state.web,
        load_model=lambda path: RetrainedScorer() if path == retrained else MonthsInCityScorer(),
    )
    register_model(engine, "web-test-model:2", retrained, actor=SYSTEM)
    activate_model(engine, "web-test-model:2", actor=SYSTEM)


def _inclusion_section(page: str) -> str:
    return html.unescape(page.split('<section id="inclusion"', 1)[1].split("</section>", 1)[0])


def test_an_empty_book_shows_every_section_with_nothing_to_draw(staff: Any) -> None:
    _, client = staff
    page = client.get("/console/portfolio/monitoring").text
    for heading in ("预警", "账龄曲线", "迁徙率", "群体稳定性（PSI）", "公平性", "普惠"):
        assert heading in page
    assert "暂无贷款。" in page and "没有指标超过阈值。" in page


def test_the_live_book_draws_vintages_and_roll_rates_as_inline_svg(
    with_book: None, staff: Any
) -> None:
    _, client = staff
    _english(client)
    page = client.get("/console/portfolio/monitoring").text
    assert page.count("<svg") >= 3  # two vintage charts and the roll-rate heat-map
    assert "2025-01" in page and "2025-02" in page
    assert "<script" not in page.split("</head>", 1)[1]  # charts need no script
    assert "Inclusion against a bureau-only policy" in page
    only_feb = client.get("/console/portfolio/monitoring?start=2025-02").text
    assert "2025-02" in only_feb and ">2025-01<" not in only_feb


def test_the_loan_month_table_downloads_as_csv_and_parquet_with_the_filters(
    with_book: None, staff: Any
) -> None:
    _, client = staff
    csv = client.get("/console/portfolio/loan-months.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(csv.text))
    # three January loans × three month-ends, one February loan × two
    assert len(table) == 3 * MONTH_ENDS + 2
    parquet = client.get("/console/portfolio/loan-months.parquet?end=2025-01")
    filtered = pd.read_parquet(io.BytesIO(parquet.content))
    assert set(filtered["vintage"]) == {"2025-01"} and len(filtered) == 3 * MONTH_ENDS


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("bureau only", "alternative-data model", "3 thin-file applicants approved by "
                "the model would be declined by the bureau-only policy (bureau score at least "
                "968, chosen at the model's expected loss)")),
        ("zh", ("仅用征信", "替代数据模型", "模型批准的 3 名薄征信申请人会被仅用征信的策略拒绝"
                "（征信评分不低于 968，按模型的预期损失选定）")),
    ],
)  # fmt: skip
def test_the_inclusion_section_compares_the_model_with_a_bureau_only_policy(
    staff: Any, tmp_path: Path, lang: str, words: tuple[str, ...]
) -> None:
    built, client = staff
    applications_and_retrained_model(built, tmp_path)
    client.cookies.set("thinfile_lang", lang)
    section = _inclusion_section(client.get("/console/portfolio/monitoring").text)
    for word in words:
        assert word in section, word
    # the table of both policies, each by thin file, thick file and all
    assert section.count("<tr>") == 1 + 6 and 'class="note"' not in section


@pytest.mark.parametrize(
    ("lang", "note"),
    [
        ("en", "Retrain the model to compare its approvals with a bureau-only policy."),
        ("zh", "请重新训练模型，以便将其批准结果与仅用征信的策略对比。"),
    ],
)
def test_a_model_without_a_bureau_baseline_is_asked_to_be_retrained(
    staff: Any, lang: str, note: str
) -> None:
    built, client = staff
    decide_applications(built.state.context.engine)  # decided by a model trained before
    client.cookies.set("thinfile_lang", lang)
    section = _inclusion_section(client.get("/console/portfolio/monitoring").text)
    assert note in section
    assert ("bureau only" if lang == "en" else "仅用征信") not in section.split("</p>", 1)[1]
    assert ("thin file" if lang == "en" else "薄征信") in section  # the approvals by file


@pytest.mark.parametrize("query", ["start=2025-13", "end=25-01"])
def test_a_vintage_not_written_as_a_month_is_refused(staff: Any, query: str) -> None:
    _, client = staff
    _english(client)
    reply = client.get(f"/console/portfolio/monitoring?{query}")
    assert reply.status_code == 422
    assert "YYYY-MM" in reply.text


def test_a_borrower_cannot_open_the_monitoring_pages(tmp_path: Path) -> None:
    built = build_app(tmp_path)
    with TestClient(built, base_url="http://127.0.0.1") as client:
        reply = client.get("/console/portfolio/monitoring", follow_redirects=False)
        assert reply.status_code in {303, 401, 403}
        reply = client.get("/console/portfolio/loan-months.csv", follow_redirects=False)
        assert reply.status_code in {303, 401, 403}


def test_the_console_home_page_shows_red_alerts(
    staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, client = staff
    red = {"level": "red", "measure": "psi", "subject": "score", "value": "0.4", "limit": "0.25"}
    monkeypatch.setattr(
        portfolio_monitor, "live_report", lambda *a, **k: {"alerts": [red]}, raising=True
    )
    portfolio_monitor._recent.clear()
    _english(client)
    page = client.get("/console").text
    assert "Portfolio alerts" in page and "1 red and 0 amber alerts" in page
    assert 'href="/console/portfolio/monitoring#alerts"' in page


def test_the_alerts_of_the_home_page_are_computed_once_per_interval(
    staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built, _ = staff
    engine = built.state.context.engine
    portfolio_monitor._recent.clear()
    calls: list[int] = []
    real = portfolio_monitor.live_report

    def counted(*args: Any, **kwargs: Any) -> dict[str, object]:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(portfolio_monitor, "live_report", counted)
    clock = iter([0.0, 10.0, 400.0])
    for _ in range(3):
        portfolio_monitor.recent_alerts(engine, clock=lambda: next(clock))
    assert len(calls) == 2  # at 0 s and again after 300 s, not at 10 s


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_monitoring_page_reads_on_a_360_px_screen(
    app: FastAPI,
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    lang: str,
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server) else outside.append(r.url))
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", "uw@lender.example")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    page.goto(f"{server}/console/portfolio/monitoring")
    heading = "资产组合监控" if lang == "zh" else "Portfolio monitoring"
    assert page.locator("h1").inner_text() == heading
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    rights = page.evaluate(
        "[...document.querySelectorAll('main svg')].map(s => s.getBoundingClientRect().right)"
    )
    assert len(rights) >= 3 and max(rights) <= 360
    page.click("a[href='#roll-rates']")
    assert page.locator("#roll-rates svg rect").count() == 36  # six buckets by six
    page.fill("#f-start", "2025-02")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**start=2025-02**")
    assert page.locator("#vintages").inner_text().count("2025-01") == 0
    assert outside == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{lang}-monitoring.png"), full_page=True)
    context.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_inclusion_table_shows_the_bureau_only_policy_on_a_360_px_screen(
    app: FastAPI,
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    tmp_path: Path,
    lang: str,
) -> None:
    applications_and_retrained_model(app, tmp_path)
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
    )
    page = context.new_page()
    page.goto(f"{server}/sign-in")
    page.fill("#f-email", "uw@lender.example")
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    page.goto(f"{server}/console/portfolio/monitoring")
    page.click("a[href='#inclusion']")
    rows = page.locator("#inclusion table tbody tr")
    assert rows.count() == 6
    bureau_only = "仅用征信" if lang == "zh" else "bureau only"
    cells = [rows.nth(k).locator("td").first.inner_text() for k in range(6)]
    assert cells.count(bureau_only) == 3  # thin file, thick file, all
    assert page.locator("#inclusion p.inclusion").inner_text().count("968") == 1
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{lang}-monitoring-inclusion.png"), full_page=True)
    context.close()
