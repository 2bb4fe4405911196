"""The unit of work: one database transaction per use case, committed once.

``with UnitOfWork(engine) as uow: …; uow.commit()`` — leaving the block without ``commit``
rolls everything back, so a use case that raises writes nothing.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from thinfile.store.servicing_repo import LoanRepository

__all__ = ["UnitOfWork"]


class UnitOfWork:
    """A connection in a transaction, with the servicing repositories bound to it."""

    conn: Connection
    loans: LoanRepository

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        self.conn.begin()
        self.loans = LoanRepository(self.conn)
        return self

    def commit(self) -> None:
        self.conn.commit()
        self._committed = True

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            self.conn.close()

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"
