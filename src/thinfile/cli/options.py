"""Parsing command-line values into domain values, with errors that name the option."""

from __future__ import annotations

import enum
import os
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from thinfile.errors import InvalidInputError
from thinfile.money import Money, parse_rate


def path_text(text: str) -> Path:
    """A file or folder named on the command line (``parser=`` of its option): empty text is
    refused, where it would otherwise mean the current folder."""
    if not text.strip():
        raise typer.BadParameter("must name a file or folder, not be empty")
    return Path(text)


def option_money(text: str, option: str) -> Money:
    return Money.of(text, field=option)


def option_rate(text: str, option: str) -> Decimal:
    return parse_rate(text, field=option)


def option_whole(text: str, option: str) -> int:
    """A whole number written in ASCII digits (``int`` would also read ``١٢`` or ``１２``)."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInputError(
            f"{text!r} is not a whole number",
            field=option,
            value=text,
            remedy="write it in the digits 0 to 9",
        )
    return int(digits)


FIRST_YEAR = 1970
"""No date an option takes is before the day numbers' epoch (1970-01-01)."""


def option_date(text: str, option: str) -> date:
    """A date written ``YYYY-MM-DD`` in the digits 0 to 9, from :data:`FIRST_YEAR` on
    (``date.fromisoformat`` also reads ``20240101`` and ``2024-W01-1``)."""
    parts = text.split("-")
    shaped = [len(p) for p in parts] == [4, 2, 2] and all(
        p.isascii() and p.isdigit() for p in parts
    )
    try:
        day = date.fromisoformat(text) if shaped else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInputError(
            f"{text!r} is not a date", field=option, value=text, remedy="write it as YYYY-MM-DD"
        )
    if day.year < FIRST_YEAR:
        raise InvalidInputError(
            f"{text} is before {FIRST_YEAR}",
            field=option,
            value=text,
            remedy=f"give a date from {FIRST_YEAR}-01-01 on",
        )
    return day


def not_after_today(day: date, option: str, zone: str) -> date:
    """``day``, refused when it has not begun yet in the lender's time zone ``zone``: a
    business date is closed, and a gateway's day reconciled, once it has begun."""
    today = datetime.now(ZoneInfo(zone)).date()
    if day > today:
        raise InvalidInputError(
            f"{day} has not begun yet (today is {today} in {zone})",
            field=option,
            value=day.isoformat(),
            remedy=f"give {today} or an earlier date",
        )
    return day


def over_before_today(day: date, option: str, zone: str) -> date:
    """``day``, refused unless it ended before today in the lender's time zone ``zone``: a
    gateway's file of a day is complete only once the day is over, and a date is reconciled
    once."""
    today = datetime.now(ZoneInfo(zone)).date()
    if day >= today:
        raise InvalidInputError(
            f"{day} is not over yet (today is {today} in {zone}): its file is not complete",
            field=option,
            value=day.isoformat(),
            remedy=f"give {today - timedelta(days=1)} or an earlier date",
        )
    return day


E = TypeVar("E", bound=enum.StrEnum)


def option_choice(text: str, option: str, kind: type[E]) -> E:
    try:
        return kind(text)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise InvalidInputError(
            f"{text!r} is not one of: {choices}", field=option, value=text
        ) from None


def read_input_file(path: Path, option: str) -> bytes:
    """The bytes of a file the user named, or an error naming the option."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError(
            f"{path} does not exist", field=option, value=str(path), remedy="check the path"
        ) from None
    except IsADirectoryError:
        raise InvalidInputError(
            f"{path} is a folder", field=option, value=str(path), remedy="name the file"
        ) from None
    except OSError as exc:
        raise InvalidInputError(
            f"{path} cannot be read ({exc.strerror})", field=option, value=str(path)
        ) from None


def output_folder(path: Path, option: str) -> Path:
    """The folder the user named for files to write, checked before anything is done (it is
    made when the files are written): an error naming the option when a file is in the way or
    the place cannot be written."""
    found = path
    while not found.exists() and found != found.parent:
        found = found.parent
    if not found.is_dir():
        raise InvalidInputError(
            f"{found} is a file, not a folder",
            field=option,
            value=str(path),
            remedy="name a folder (it is made if missing)",
        )
    if not os.access(found, os.W_OK | os.X_OK):
        raise InvalidInputError(
            f"{found} cannot be written",
            field=option,
            value=str(path),
            remedy="name a folder you can write to",
        )
    return path


PIPED_WIDTH = 200
"""Columns of a table written to a file or a pipe (a terminal's own width otherwise)."""


def make_console(*, stderr: bool = False) -> Console:
    """The command's console: the terminal's width, or ``PIPED_WIDTH`` (or ``COLUMNS``) when
    the output goes to a file or a pipe, so a table read there is not cut at 80 columns."""
    found = Console(stderr=stderr)
    if found.is_terminal:
        return found
    # the standard library's terminal size: COLUMNS when set, else the fallback for a pipe
    return Console(stderr=stderr, width=shutil.get_terminal_size((PIPED_WIDTH, 24)).columns)
