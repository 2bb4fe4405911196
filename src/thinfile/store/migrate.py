"""Apply Alembic migrations programmatically (no alembic.ini needed).

Each area of thinfile keeps its own migration branch (servicing, identity, decisioning …);
``upgrade`` brings every branch to its head.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

__all__ = ["alembic_config", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Create or update every table to the newest schema."""
    command.upgrade(alembic_config(engine), "heads")
