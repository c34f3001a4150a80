"""Start-up: migrate, refuse unsafe production configurations, seed an empty demo database.

`make run` calls `python -m ops.bootstrap` before starting Streamlit; the app itself calls
services.platform.startup.prepare() (without seeding) when its process starts: only ops/ may load
the demo seed.
"""

from __future__ import annotations

import sys
import time

from services.platform.config import ConfigurationError, load_settings
from services.platform.db import make_engine
from services.platform.startup import prepare


def main() -> int:
    try:
        settings = load_settings()
        engine = make_engine(settings.database_url, encryption_keys=settings.encryption_keys())
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
