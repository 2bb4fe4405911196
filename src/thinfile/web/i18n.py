"""Languages of the pages: Simplified Chinese (``zh``) and English (``en``).

English is the source language of every message; ``locale/zh/LC_MESSAGES/messages.po`` holds the
Chinese. The ``.po`` files are the committed source: they are compiled in memory when the app
starts, so a fresh ``pip install -e .`` needs no build step. The language of a request is the
``lang`` cookie if set, else the best match of ``Accept-Language``, else Chinese.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANG_COOKIE",
    "Language",
    "choose_language",
    "language",
    "translations",
]

LOCALE_DIR = Path(__file__).parent / "locale"
LANG_COOKIE = "thinfile_lang"
DEFAULT_LANGUAGE = "zh"


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    html_lang: str
    label: str


LANGUAGES = {
    "zh": Language("zh", "zh-Hans", "简体中文"),
    "en": Language("en", "en", "English"),
}


@functools.cache
def translations(code: str) -> NullTranslations:
    """The compiled catalog of ``code`` (English needs none: it is the source language)."""
    po = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == "en" or not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def _from_header(header: str) -> str | None:
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The language code for a request."""
    if cookie in LANGUAGES:
        return str(cookie)
    return _from_header(accept_language or "") or DEFAULT_LANGUAGE


def language(connection: HTTPConnection) -> Language:
    """The :class:`Language` of this request."""
    code = choose_language(
        connection.cookies.get(LANG_COOKIE), connection.headers.get("accept-language")
    )
    return LANGUAGES[code]
