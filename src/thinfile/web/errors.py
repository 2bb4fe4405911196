"""Errors on pages: a readable page in the reader's language, never JSON or a stack trace.

The API's handlers stay in charge of everything outside the pages' paths. On a page, a missing
or expired session sends the reader to sign in (and back afterwards); anything else renders
``error.html`` with the typed error's message and remedy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from thinfile.errors import AuthenticationError, NotFoundError, ThinfileError
from thinfile.web.access import optional_actor
from thinfile.web.i18n import language, translations
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render

__all__ = ["install_page_errors"]

Handler = Callable[[Request, Exception], Awaitable[Response]]


def _is_page(request: Request, prefixes: Collection[str]) -> bool:
    path = request.url.path
    return path == "/" or any(path == p or path.startswith(p + "/") for p in prefixes)


def error_page(request: Request, error: ThinfileError) -> Response:
    if isinstance(error, AuthenticationError):
        target = request.url.path if request.method == "GET" else "/"
        return redirect(f"/sign-in?next={quote(target)}")
    gettext = translations(language(request).code).gettext
    response = render(
        request,
        "error.html",
        {"error": error, "message": page_message(error, gettext)},
        status=error.status,
        actor=optional_actor(request, request.app.state.context),  # their menu, not sign-in
    )
    retry = error.extra.get("retry_after_seconds")
    if retry is not None:  # close of business running: the browser may retry, and so may people
        response.headers["Retry-After"] = str(retry)
    return response


async def on_disconnect(request: Request, exc: Exception) -> Response:
    """The reader left before sending the whole form (a double click, a closed tab): nobody
    is there to answer, and nothing was done, so no traceback in the log either."""
    return Response(status_code=400)


def install_page_errors(app: FastAPI, prefixes: Collection[str]) -> None:
    """Route errors on paths under ``prefixes`` to pages; the API's handlers keep the rest."""
    api_typed = cast(Handler, app.exception_handlers[ThinfileError])
    api_http = cast(Handler, app.exception_handlers[HTTPException])

    async def on_typed(request: Request, exc: Exception) -> Response:
        if not _is_page(request, prefixes):
            return await api_typed(request, exc)
        return error_page(request, cast(ThinfileError, exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        if not _is_page(request, prefixes) or cast(HTTPException, exc).status_code != 404:
            return await api_http(request, exc)
        return error_page(request, NotFoundError("there is no such page"))

    app.add_exception_handler(ThinfileError, on_typed)
    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(HTTPException, on_http)
