"""A credit line one of whose draws the lender has given up on never lends again.

A draw charged off (by close of business at the product's days past due, or by staff) or
written off (alone at the threshold, approved below it, or by a settlement) stops its line:
the line takes the ``charged-off`` status, the stop goes into the line's limit history with
its reason, and the borrower is told — the line can no longer be drawn on, so what they can
use of it is nothing (``limit_changed``, from the limit to 0.00; DOMAIN §12: a decrease or a
freeze is notified). All in the unit of work of the loss.
"""

from __future__ import annotations

from datetime import date

from thinfile.money import Money
from thinfile.services.notifications import notify_limit_changed_in_unit
from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import to_day

__all__ = ["stop_lines_of_lost_draws_in"]


def stop_lines_of_lost_draws_in(
    uow: UnitOfWork, on: date, loan_ids: list[int] | None = None, *, ended_day: int | None = None
) -> int:
    """Stop the lines of the lost draws among ``loan_ids`` (or of those ended on
    ``ended_day``), record each stop on ``on`` and tell each line's borrower; how many."""
    stopped = uow.credit_lines.stop_lines_of_lost_draws(to_day(on), loan_ids, ended_day=ended_day)
    for line in stopped:
        notify_limit_changed_in_unit(
            uow,
            line.line_id,
            Money(line.limit, line.currency),
            Money(0, line.currency),
            f"stopped:{on.isoformat()}",
        )
    return len(stopped)
