"""The interactive API reference at ``/docs``: Swagger UI 5, vendored in ``api/static/swagger-ui``.

Nothing is fetched from a CDN: the Swagger UI script and style ship inside thinfile (their
version and licence are in the README beside them) and are served by the app itself under
``/docs-assets``. Swagger UI 5 renders the OpenAPI 3.1 document FastAPI writes. The page
carries no inline script, so its Content-Security-Policy allows scripts, styles, images and
fetches from this origin only (plus ``data:`` images, which Swagger UI's stylesheet uses for its
icons).
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_CSP", "install_docs"]

ASSETS = "/docs-assets"
STARTER = "/docs-start.js"
SWAGGER_UI = Path(__file__).parent / "static" / "swagger-ui"
"""The vendored Swagger UI files (``swagger-ui-dist``, Apache-2.0)."""

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'; object-src 'none'"
)
"""Exactly what Swagger UI needs: its own script, style and icons, and the spec to fetch."""

_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<title>thinfile API</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{STARTER}"></script>
</body>
</html>
"""

_HEADERS = {
    "Content-Security-Policy": DOCS_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _starter(openapi_url: str) -> str:
    """The script that starts Swagger UI on the page (kept out of the page: no inline code)."""
    return (
        "window.ui = SwaggerUIBundle({"
        f"url: {json.dumps(openapi_url)}, dom_id: '#swagger-ui', layout: 'BaseLayout', "
        "deepLinking: true, showExtensions: true, showCommonExtensions: true, "
        "presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]"
        "});\n"
    )


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI) from files installed with thinfile."""
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI), name="docs-assets")
    starter = _starter(app.openapi_url or "/openapi.json")

    @app.get("/docs", include_in_schema=False)
    async def api_reference() -> HTMLResponse:
        return HTMLResponse(_PAGE, headers=_HEADERS)

    @app.get(STARTER, include_in_schema=False)
    async def api_reference_starter() -> Response:
        return Response(starter, media_type="text/javascript", headers=_HEADERS)
