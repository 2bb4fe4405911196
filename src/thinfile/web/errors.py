"""Errors on pages: a readable page in the reader's language, never JSON or a stack trace.

The API's handlers stay in charge of everything outside the pages' paths. On a page, a missing
or expired session sends the reader to sign in (and back afterwards); anything else renders
``error.html`` with the typed error's message and remedy — a typed error (403, 404, 409, …),
an address no route serves, a method the address does not take (405, its ``Allow`` kept) and a
malformed id in the path (as "not found"). A browser that asks for HTML at an address that is
no page and no API (``/v1``, the docs) gets the page too; any other client gets the API's JSON.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Collection
from decimal import Decimal, InvalidOperation
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from thinfile.errors import AuthenticationError, InvalidInputError, NotFoundError, ThinfileError
from thinfile.web.access import optional_actor
from thinfile.web.i18n import language, translations
from thinfile.web.messages import page_message
from thinfile.web.pages import redirect, render

__all__ = ["install_page_errors"]

Handler = Callable[[Request, Exception], Awaitable[Response]]
API_PREFIXES = ("/v1", "/docs", "/openapi.json", "/static")
"""Addresses whose errors stay the API's (JSON), whatever the client accepts."""


def _is_page(request: Request, prefixes: Collection[str]) -> bool:
    path = request.url.path
    return path == "/" or any(path == p or path.startswith(p + "/") for p in prefixes)


def _browser_astray(request: Request) -> bool:
    """A browser (it asks for HTML) at an address that is neither a page nor the API's."""
    path = request.url.path
    if any(path == p or path.startswith(p + "/") for p in API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


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
        response.headers["Retry-After"] = _whole_seconds(retry)
    return response


def _whole_seconds(seconds: object) -> str:
    """``Retry-After`` in whole seconds (HTTP allows no fraction), rounded up, at least 1."""
    try:
        return str(max(1, math.ceil(Decimal(str(seconds)))))
    except (InvalidOperation, OverflowError, ValueError):
        return "60"


async def on_disconnect(request: Request, exc: Exception) -> Response:
    """The reader left before sending the whole form (a double click, a closed tab): nobody
    is there to answer, and nothing was done, so no traceback in the log either."""
    return Response(status_code=400)


def install_page_errors(app: FastAPI, prefixes: Collection[str]) -> None:
    """Route errors on paths under ``prefixes`` to pages; the API's handlers keep the rest."""
    api_typed = cast(Handler, app.exception_handlers[ThinfileError])
    api_http = cast(Handler, app.exception_handlers[HTTPException])
    api_invalid = cast(Handler, app.exception_handlers[RequestValidationError])

    async def on_typed(request: Request, exc: Exception) -> Response:
        if not _is_page(request, prefixes):
            return await api_typed(request, exc)
        return error_page(request, cast(ThinfileError, exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        status = cast(HTTPException, exc).status_code
        page = _is_page(request, prefixes) or (status == 404 and _browser_astray(request))
        if not page or status not in (404, 405):
            return await api_http(request, exc)
        response = error_page(request, NotFoundError("there is no such page"))
        if status == 405:  # a form's address opened as a page: said in words, Allow kept
            allow = (await api_http(request, exc)).headers.get("allow")
            response.status_code = 405
            if allow:
                response.headers["Allow"] = allow
        return response

    async def on_invalid(request: Request, exc: Exception) -> Response:
        if not _is_page(request, prefixes):
            return await api_invalid(request, exc)
        errors = cast(RequestValidationError, exc).errors()
        if any(e.get("loc", ("",))[0] == "path" for e in errors):  # an id that names nothing
            return error_page(request, NotFoundError("there is no such page"))
        return error_page(request, InvalidInputError("the request is not valid"))

    app.add_exception_handler(ThinfileError, on_typed)
    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
