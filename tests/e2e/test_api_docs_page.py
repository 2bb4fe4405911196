"""The API reference page works offline: every asset it needs is served by thinfile."""

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.e2e.api_harness import TestClient
from tests.e2e.test_web_browser import _free_port, browser
from thinfile.app import create_app
from thinfile.settings import Settings


def test_docs_page_loads_swagger_ui_from_the_app_not_a_cdn(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite'}"))
    with TestClient(app) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources
        for source in sources:
            assert client.get(source).status_code == 200, source
        assert "cdn" not in page.text.lower()


def test_docs_page_sends_a_content_security_policy_of_this_origin_only(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite'}"))
    with TestClient(app) as client:
        policy = client.get("/docs").headers.get("content-security-policy", "")
    directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";") if d.strip())
    assert directives.get("default-src") == "'none'", policy
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_swagger_ui_runs_under_its_policy_in_a_real_browser(
    tmp_path: Path, browser: Any, lang: str
) -> None:
    """Swagger UI starts, fetches the OpenAPI 3.1 spec, lists the operations with their
    summaries and styles itself, and the browser reports no blocked or failed resource."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'd.sqlite'}"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.05)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, locale="zh-CN" if lang == "zh" else "en-GB"
        )
        page = context.new_page()
        violations: list[str] = []
        failed: list[str] = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
        )
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.goto(f"http://127.0.0.1:{port}/docs")
        page.wait_for_selector("#swagger-ui .swagger-ui svg", state="attached", timeout=20_000)
        page.wait_for_load_state("networkidle")
        assert "Failed to load API definition" not in page.content()
        assert "Unable to render this definition" not in page.content()
        apply = page.locator(".opblock-post").filter(
            has=page.locator(
                '.opblock-summary-path[data-path="/v1/applicants/{applicant_id}/applications"]'
            )
        )
        # Swagger UI lays out only the tags near the viewport as the reader scrolls: small
        # steps, each let settle, so the operation is not scrolled past once it is found
        deadline = time.monotonic() + 40
        while apply.count() == 0 and time.monotonic() < deadline:
            page.mouse.wheel(0, 400)
            time.sleep(0.3)
        apply.first.scroll_into_view_if_needed(timeout=20_000)
        apply.first.wait_for(state="visible", timeout=20_000)  # the operations are listed
        assert "Apply for credit" in apply.first.locator(".opblock-summary").inner_text()
        assert failed == []
        styled = page.evaluate("getComputedStyle(document.querySelector('.swagger-ui')).fontFamily")
        assert "sans-serif" in styled  # swagger-ui.css applied
        assert violations == []
    finally:
        server.should_exit = True
        thread.join(timeout=10)


__all__ = ["browser"]  # the Chromium fixture, shared with the page tests
