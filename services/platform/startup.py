"""What every process does before serving: migrate, and refuse an unsafe production database.

The app calls `prepare` once per process (ui.platform.runtime); `python -m ops.bootstrap` calls it
too, then seeds an empty demo database.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.organisation import User
from services.platform.config import ConfigurationError, Settings
from services.platform.db import unit_of_work, upgrade_to_head


def prepare(settings: Settings, engine: Engine) -> None:
    """Run migrations; in production, refuse to serve while demo accounts exist."""
    upgrade_to_head(engine)
    if not settings.is_demo:
        with unit_of_work(engine) as session:
            demo_accounts = select(sa.func.count()).select_from(User).where(User.is_demo == sa.true())
            if session.exec(demo_accounts).one():
                raise ConfigurationError(
                    "Mode production : des comptes de démonstration existent dans la base. "
                    "Utilisez une base neuve, ou supprimez-les avant de démarrer."
                )
