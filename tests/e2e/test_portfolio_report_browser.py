"""The portfolio report page in Chromium at 360 px: every chart fits, nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.support.environment import in_ci
from tests.unit.portfolio_books import small_book
from thinfile.portfolio import build_report
from thinfile.services.portfolio_report import render_portfolio_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


def test_the_report_reads_on_a_360_px_screen(browser: Any, tmp_path: Path) -> None:
    baseline = pd.DataFrame({"score": [v / 10 for v in range(1, 101)], "city": ["a"] * 100})
    current = baseline.assign(score=baseline["score"] * 1.3, grade="A", pd=0.05, bad=0)
    decisions = pd.DataFrame(
        {"gender": ["F", "M"] * 10, "age_band": ["18-25"] * 20, "approved": [True, False] * 10}
    )
    report = build_report(
        small_book(), scores_baseline=baseline, scores_current=current, decisions=decisions
    )
    path = tmp_path / "report.html"
    path.write_text(render_portfolio_report(report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 360, "height": 740})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    widths = page.evaluate(
        "[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().right)"
    )
    assert len(widths) == 5 and max(widths) <= 360
    assert requests == [path.as_uri()]  # nothing but the page itself
