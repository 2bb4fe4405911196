"""Who did something, as people read it: the staff member's e-mail address, never a user id.

Services record people as user ids (``proposed_by``, ``assignee``, a note's author) or as
audit labels (``role:user_id``, a resolution's ``resolved_by``). A page that prints them asks
:func:`staff_namer` once for every value it shows and gets back ``who(value)`` for its
template; a value naming no staff account (``system``, a removed user) is shown as stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.engine import Engine

from thinfile.services import identity

__all__ = ["Namer", "staff_namer"]

Namer = Callable[[object], str]


def staff_namer(engine: Engine, values: Iterable[object]) -> Namer:
    """``who(value)``: the e-mail of the staff member ``value`` names, "—" for nobody."""
    names = identity.staff_names(engine, (str(v) for v in values if v))

    def who(value: object) -> str:
        if not value:
            return "—"
        return names.get(str(value), str(value))

    return who
