"""Start-up: migrate, refuse unsafe production configurations, seed an empty demo database.

`make run` calls `python -m ops.bootstrap` before starting Streamlit; the app
itself calls `prepare()` (without seeding) when its process starts.
"""

from __future__ import annotations

import sys
import time

from sqlalchemy.engine import Engine

from services.accounts.users import demo_accounts_present
from services.platform.config import ConfigurationError, Settings, load_settings
from services.platform.db import make_engine, unit_of_work, upgrade_to_head


def prepare(settings: Settings, engine: Engine) -> None:
    """Run migrations; in production, refuse to serve while demo accounts exist."""
    upgrade_to_head(engine)
    if not settings.is_demo:
        with unit_of_work(engine) as session:
            if demo_accounts_present(session):
                raise ConfigurationError(
                    "Mode production : des comptes de démonstration existent dans la base. "
                    "Utilisez une base neuve, ou supprimez-les avant de démarrer."
                )


def main() -> int:
    try:
        settings = load_settings()
        engine = make_engine(settings.database_url)
        prepare(settings, engine)
    except ConfigurationError as exc:
        print(f"Configuration refusée : {exc}", file=sys.stderr)
        return 2
    if settings.is_demo:
        from seed.generator import database_is_empty, seed_database
        from services.accounts import passwords
        from services.platform.crypto import FieldCipher

        if database_is_empty(engine):
            started = time.perf_counter()
            print("Base vide : chargement des données fictives de démonstration…", flush=True)
            seed_database(
                engine,
                size="demo",
                cipher=FieldCipher(settings.encryption_keys()),
                demo_password_hash=passwords.hash_password(settings.demo_password, rounds=settings.bcrypt_rounds),
            )
            print(f"Données de démonstration chargées en {time.perf_counter() - started:.1f} s.", flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
