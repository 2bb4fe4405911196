"""The demo's banner on a narrow terminal: each address and the password stay on one line,
so they copy whole."""

from __future__ import annotations

import io

from rich.console import Console

from thinfile.cli.demo_summary import banner
from thinfile.services.demo import DEMO_PASSWORD, STAFF


def test_the_password_and_every_address_stay_on_one_line_on_a_narrow_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, width=30, force_terminal=False, color_system=None)
    borrower = "borrower07@demo.thinfile.local"
    gateway, day = "http://127.0.0.1:45123", "2026-05-26"
    base, mailbox = "http://127.0.0.1:8000", "/home/someone/thinfile/var/mailbox"
    url = "sqlite:///var/demo/thinfile.sqlite"
    banner(console, base, url, borrower, gateway, day, mailbox)
    lines = out.getvalue().splitlines()
    shown = (DEMO_PASSWORD, borrower, gateway, f"{base}/console/reconciliations/{day}", mailbox)
    for text in (*shown, *(email for email, _role in STAFF)):
        assert any(text in line for line in lines), f"{text!r} is broken across lines"
    assert any("http://127.0.0.1:8000/console" in line for line in lines)
