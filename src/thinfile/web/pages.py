"""Rendering a page: one Jinja2 environment (autoescaped), the request's language, the CSRF
field, and the security headers every page carries."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match

from thinfile.services.identity_records import Actor
from thinfile.web.config import get_web
from thinfile.web.formatting import FILTERS
from thinfile.web.i18n import LANGUAGES, language, translations
from thinfile.web.menus import console_menu
from thinfile.web.security import CSRF_FIELD, csrf_field_value, new_csrf_cookie
from thinfile.web.statement_text import statement_text

__all__ = [
    "environment",
    "is_page_to_return_to",
    "page_path",
    "redirect",
    "render",
    "same_site_referer",
    "security_headers",
    "submit",
]

TEMPLATES = Path(__file__).parent / "templates"

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


@functools.cache
def environment() -> Environment:
    """The template environment: every value is HTML-escaped unless marked safe."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["statement_text"] = statement_text
    return env


def security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def render(
    request: Request,
    template: str,
    values: Mapping[str, object] | None = None,
    *,
    status: int = 200,
    actor: Actor | None = None,
) -> HTMLResponse:
    """Render ``template`` in the request's language, with a CSRF field for its forms."""
    web = get_web(request)
    lang = language(request)
    catalog = translations(lang.code)
    cookie = request.cookies.get(web.cookies.csrf_name)
    fresh = cookie is None
    cookie = cookie or new_csrf_cookie()
    body = (
        environment()
        .get_template(template)
        .render(
            _=catalog.gettext,
            ngettext=catalog.ngettext,
            lang=lang,
            languages=LANGUAGES,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf_field_value(web.csrf_key, cookie),
            actor=actor,
            console_menu=console_menu(actor),
            path=page_path(request),
            display_zone=web.display_zone,
            **(values or {}),
        )
    )
    response = HTMLResponse(body, status_code=status)
    if fresh:
        web.cookies.set_csrf(response, cookie)
    security_headers(response)
    return response


def page_path(request: Request) -> str:
    """The page a reader is on, to come back to (after switching language): this request's
    path and query when it was a GET; after a POST shown again with its errors, the page the
    form was on (the same-site ``Referer``), never the POST-only address."""
    if request.method in ("GET", "HEAD"):
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    return same_site_referer(request) or "/"


def same_site_referer(request: Request) -> str | None:
    """The path and query of the ``Referer`` when it is a page of this site, else None."""
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path.startswith("/") or referer.netloc != request.url.netloc:
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def is_page_to_return_to(request: Request, target: str) -> bool:
    """Whether ``target`` is a path of this site (never ``//host``, a full URL or a
    backslash trick) that the app serves with GET."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    scope = {**request.scope, "method": "GET", "path": urlsplit(target).path, "query_string": b""}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)


def redirect(url: str) -> RedirectResponse:
    """After a successful form: see other (303), so a reload never re-submits."""
    return RedirectResponse(url, status_code=303)


Refusal = TypeVar("Refusal", bound=Exception)


def submit(
    work: Callable[[], object],
    *,
    done: str,
    refused: Callable[[Refusal], Response],
    catch: tuple[type[Refusal], ...],
) -> Response:
    """A form's post: run its use case, then :func:`redirect` to ``done`` (post, redirect,
    get), or, when the use case refuses with one of ``catch``, the page again from
    ``refused`` with the refusal beside its field; nothing was written then."""
    try:
        work()
    except catch as error:
        return refused(error)
    return redirect(done)
