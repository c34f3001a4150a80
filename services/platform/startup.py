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


INSTALLED_SUFFIX = ".installed"


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file of `settings`, or None (PostgreSQL, in-memory)."""
    if not settings.is_sqlite:
        return None
    path = settings.database_url.split("///", 1)[-1]
    return None if not path or path == ":memory:" or path.startswith("file:") else Path(path)


def installation_marker(settings: Settings) -> Path | None:
    """The file beside a SQLite database that says it was installed (written by `ops.bootstrap` once the
    database is migrated): from then on a missing database is an accident to repair, never a first run."""
    database = sqlite_file(settings)
    return None if database is None else database.with_name(database.name + INSTALLED_SUFFIX)


def missing_installed_database(settings: Settings) -> Path | None:
    """The database file of an installation whose file has disappeared, or None."""
    marker, database = installation_marker(settings), sqlite_file(settings)
    if marker is not None and database is not None and marker.exists() and not database.exists():
        return database
    return None


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
