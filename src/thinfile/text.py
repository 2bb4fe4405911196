"""Text people type: the one normaliser for identifiers and names (no I/O).

Every identifier typed into thinfile — an ID number, a mobile number — from the API, the pages
or the command line goes through :func:`ascii_text` before it is validated, stored or hashed
for a lookup: Unicode NFKC first, then ASCII only. NFKC folds the forms a Chinese keyboard
produces (full-width ``１１０１０５…`` and ``Ｘ``, ideographic spaces) to the ASCII a person
meant, so a number typed either way is the same number and finds the same profile and the same
deny-list entry. What NFKC leaves non-ASCII (Arabic-Indic ``١٠٠``, Devanagari digits, Cyrillic
look-alike letters) is refused with :class:`~thinfile.errors.NonAsciiTextError`, never read as
a number: ``int()`` and ``re``'s ``\\d`` would read it, and a second spelling of one number is a
second identity.

Names go through :func:`person_name`: NFKC, then refused when empty, without a letter, or holding
control or invisible formatting characters (a zero-width space, NUL, BEL, a right-to-left
override), which make one name look like another or like none.

Amounts of money are not read here: :mod:`thinfile.money` refuses every non-ASCII digit
outright, because an amount has no check digit to confirm what a folded character meant (NFKC
turns ``10²`` into ``102``).
"""

from __future__ import annotations

import unicodedata

from thinfile.errors import InvalidNameError, NonAsciiTextError

__all__ = [
    "NAME_MAX_LENGTH",
    "ascii_text",
    "has_hidden",
    "normalize",
    "person_name",
    "whole_number",
]

NAME_MAX_LENGTH = 50
"""The longest name accepted, in characters (after normalising)."""

_REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Unicode categories a name may not hold: control (NUL, BEL, …), format (zero-width space and
joiners, bidirectional overrides, soft hyphen), lone surrogates, line and paragraph separators.
Private-use (Co) and unassigned (Cn) code points are kept: rare characters in names (生僻字) are
still often typed in a private-use area, or come from a newer Unicode than this Python's."""
_NAME_DOTS = str.maketrans(dict.fromkeys("•‧∙⋅・", "·"))
"""Dots people type for the separator of a transliterated name (``买买提·艾力``); the ID card
uses the middle dot U+00B7."""


def has_hidden(text: str, *, keep: str = "") -> bool:
    """Whether ``text`` holds a character of Unicode category C other than those in ``keep``:
    control (NUL, BEL, …), format (zero-width, bidirectional overrides), surrogate, private-use
    or unassigned — characters that hide or reorder what a reader sees."""
    return any(unicodedata.category(c)[0] == "C" and c not in keep for c in text)


def normalize(text: str) -> str:
    """``text`` in Unicode NFKC with surrounding whitespace removed: the one normal form."""
    return unicodedata.normalize("NFKC", text).strip()


def ascii_text(text: str, *, field: str, message: str, remedy: str) -> str:
    """``text`` normalised (:func:`normalize`), refused unless it is then plain ASCII.

    >>> ascii_text("１３８ ００１３ ８０００", field="phone", message="", remedy="")
    '138 0013 8000'
    """
    value = normalize(text)
    if not value.isascii():
        raise NonAsciiTextError(message, field=field, remedy=remedy)
    return value


_LOOK_ALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
"""Scripts whose letters look alike (``а`` and ``a``): a name written in more than one of them
is a name spelled to pass for another."""


def _scripts(name: str) -> set[str]:
    found = set()
    for c in name:
        if unicodedata.category(c).startswith("L"):
            word = unicodedata.name(c, "").split(" ", 1)[0]
            if word in _LOOK_ALIKE_SCRIPTS:
                found.add(word)
    return found


def person_name(text: str, *, field: str = "name") -> str:
    """A person's name, normalised; refused when empty, without any letter, longer than
    :data:`NAME_MAX_LENGTH`, holding a character of :data:`_REFUSED_IN_NAMES`, starting or
    ending with the separator dot, or mixing look-alike scripts."""
    name = normalize(text).translate(_NAME_DOTS)
    remedy = "enter the name as it is written on the ID card"
    if any(unicodedata.category(c) in _REFUSED_IN_NAMES for c in name):
        raise InvalidNameError(
            "a name cannot contain control or invisible formatting characters",
            field=field,
            remedy=remedy,
        )
    if not name:
        raise InvalidNameError("a name cannot be empty", field=field, remedy=remedy)
    if not any(unicodedata.category(c).startswith("L") for c in name):
        raise InvalidNameError(
            "a name must contain letters or Chinese characters", field=field, remedy=remedy
        )
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidNameError(
            f"a name has at most {NAME_MAX_LENGTH} characters", field=field, remedy=remedy
        )
    if name[0] == "·" or name[-1] == "·" or "··" in name:
        raise InvalidNameError(
            "the dot · only separates the parts of a name", field=field, remedy=remedy
        )
    if len(_scripts(name)) > 1:
        raise InvalidNameError(
            "a name cannot mix Latin, Cyrillic and Greek letters (look-alike letters)",
            field=field,
            remedy=remedy,
        )
    return name


def whole_number(text: str, *, max_digits: int = 18) -> int | None:
    """``text`` as a whole number when it is the digits 0-9 alone, at most ``max_digits`` of
    them (18: within a 64-bit column), else None. ``str.isdigit`` alone is not the test: it
    passes ``²`` (which ``int`` then refuses with a ``ValueError``) and ``１２`` or ``١٢``
    (which ``int`` reads): a count or an id typed in a form or a path is plain ASCII digits,
    as the API's JSON integers are."""
    if len(text) > max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)
