"""Persistence: SQLAlchemy tables, repositories (bound to the services' unit of work) and Alembic
migrations.

SQLite is the embedded default; PostgreSQL (``THINFILE_DATABASE_URL=postgresql+psycopg://…``)
is the production store. The same code and the same tests run on both.
"""

from thinfile.store.db import database_url, make_engine, metadata
from thinfile.store.migrate import upgrade

__all__ = ["database_url", "make_engine", "metadata", "upgrade"]
