"""Screenshots of the demo lender's pages for the README.

Run `make demo` (or `thinfile demo --port 8000`) in one terminal, then:
    .venv/bin/python tools/readme_screenshots.py --base http://127.0.0.1:8000 --out docs/screenshots
It drives Debian's Chromium (/usr/bin/chromium) with Playwright: a new borrower signs up,
consents, applies and opens the offer at phone width; a demo borrower's loan; the underwriter's
queue; the admin's portfolio and policy pages at desktop width.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from thinfile.resident_id import id_check_character

PASSWORD = "thinfile-demo-2026"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def id_number(birth: str, seq: int) -> str:
    first17 = f"110105{birth}{seq:03d}"
    return first17 + id_check_character(first17)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")


PROFILES = (("delivery_rider", "6000", "7000", "24"), ("salaried_resident", "5000", "12000", "60"),
            ("factory_worker", "3000", "9000", "48"), ("new_graduate", "3000", "10000", "36"))


def borrower_offer(page: Page, base: str, out: Path) -> None:
    """A new borrower applies; profiles are tried in turn until one gets an offer."""
    for segment, amount, income, months in PROFILES:
        page.context.clear_cookies()
        if _apply(page, base, out, segment, amount, income, months):
            page.click("a[href$='/offers/0']")
            page.screenshot(path=str(out / "offer.png"), full_page=True)
            return
    raise SystemExit("no profile got an offer; look at decision.png")


def _apply(page: Page, base: str, out: Path, segment: str, amount: str, income: str,
           months: str) -> bool:
    serial = random.randint(100, 999)
    page.goto(f"{base}/sign-up")
    page.fill("#f-email", f"newrider{serial}@example.com")
    page.fill("#f-password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#f-name", "王小明")
    page.fill("#f-id_number", id_number("19950612", serial))
    page.fill("#f-phone", f"1390000{serial:04d}")
    page.click("main button[type=submit]")
    page.check("#c-identity\\:kyc")
    page.check("#c-credit_report\\:credit_assessment")
    page.screenshot(path=str(out / "consent.png"), full_page=True)
    page.click("main form[action='/consent'] button[type=submit]")
    page.goto(f"{base}/apply")
    page.select_option("#f-purpose", "phone_purchase")
    page.fill("#f-requested_amount", amount)
    page.select_option("#f-requested_term_months", "12")
    page.select_option("#f-segment", segment)
    page.fill("#f-declared_monthly_income", income)
    page.fill("#f-months_in_city", months)
    page.click("main button[type=submit]")
    page.screenshot(path=str(out / "decision.png"), full_page=True)
    return page.locator("a[href$='/offers/0']").count() > 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--borrower", default="borrower02@demo.thinfile.local")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=ARGS)
        phone = browser.new_page(viewport={"width": 360, "height": 780})
        borrower_offer(phone, args.base, args.out)
        phone.context.clear_cookies()
        sign_in(phone, args.base, args.borrower)
        phone.goto(f"{args.base}/loans")
        phone.screenshot(path=str(args.out / "my-loans.png"), full_page=True)
        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(desk, args.base, "admin@demo.thinfile.local")
        for name, path in (("queue", "/console"), ("portfolio", "/console/portfolio"),
                           ("policies", "/console/policies"), ("loans", "/console/loans")):
            desk.goto(f"{args.base}{path}")
            desk.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
