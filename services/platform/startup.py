"""What every process does before serving: migrate, and refuse a database that does not fit the mode.

The app calls `prepare` once per process (ui.platform.runtime); `python -m ops.bootstrap` calls it
too, then seeds an empty demo database.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.organisation import User
from services.platform import organisation
from services.platform.config import OWNER_ONLY, ConfigurationError, Settings
from services.platform.db import unit_of_work, upgrade_to_head


def restrict_files(engine: Engine) -> None:
    """Every file this process creates is readable by its owner only (the SQLite database, its WAL and
    journal, generated exports), and an existing SQLite database and its journals are made so: they hold
    the encrypted identities and everything else in clear."""
    os.umask(0o077)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = Path(f"{engine.url.database}{suffix}")
            if path.exists():
                os.chmod(path, OWNER_ONLY)


def prepare(settings: Settings, engine: Engine) -> None:
    """Restrict the files, run migrations; refuse a mode that does not fit the data (demo mode on a database
    of real data, production on a demo database) and, in production, any demo account."""
    restrict_files(engine)
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        organisation.check_mode_fits_data(settings, session)
    if not settings.is_demo:
        with unit_of_work(engine) as session:
            demo_accounts = select(sa.func.count()).select_from(User).where(User.is_demo == sa.true())
            if session.exec(demo_accounts).one():
                raise ConfigurationError(
                    "Mode production : des comptes de démonstration existent dans la base. "
                    "Utilisez une base neuve, ou supprimez-les avant de démarrer."
                )
