"""Start-up: migrate, refuse unsafe production configurations, seed an empty demo database.

Only the first run creates the SQLite database; it then leaves an installation marker beside it
(`parcours.db.installed`). If the marker is there and the database is not, it refuses to start (exit
3) with a message for the operator instead of building an empty demo database in its place.

`make run` calls `python -m ops.bootstrap` before starting Streamlit; the app itself calls
services.platform.startup.prepare() (without seeding) when its process starts: only ops/ may load
the demo seed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from services.platform import oplog
from services.platform.config import ConfigurationError, load_settings
from services.platform.db import make_engine
from services.platform.errors import DatabaseUnavailable
from services.platform.startup import installation_marker, missing_installed_database, prepare, sqlite_file

MISSING_DATABASE_EXIT = 3


def _missing_database_message(database: Path, marker: Path) -> str:
    return (
        f"Base de données introuvable : {database}\n"
        "Parcours a déjà été installé ici, mais le fichier de sa base a disparu. Aucune base neuve n'est créée "
        "à sa place : elle remplacerait vos données par une base vide. Remettez le fichier en place (depuis "
        "votre dernière sauvegarde), puis relancez. Pour repartir volontairement de zéro, supprimez "
        f"{marker}.\n"
        f"Database not found: {database}\n"
        "Parcours was installed here, but its database file is gone. No new database is created in its place: "
        "it would replace your data with an empty one. Restore the file (from your latest backup), then start "
        f"again. To start from scratch on purpose, delete {marker}."
    )


def main() -> int:
    oplog.configure()
    try:
        settings = load_settings()
        missing = missing_installed_database(settings)
        marker = installation_marker(settings)
        if missing is not None and marker is not None:
            print(_missing_database_message(missing, marker), file=sys.stderr)
            return MISSING_DATABASE_EXIT
        database = sqlite_file(settings)
        # The first run only (no database yet, no installation marker) may create the SQLite file.
        first_run = database is not None and not database.exists()
        engine = make_engine(settings.database_url, encryption_keys=settings.encryption_keys(), create=first_run)
        prepare(settings, engine)
    except ConfigurationError as exc:
        print(f"Configuration refusée : {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"Base de données indisponible / database unavailable: {exc.__cause__ or exc}", file=sys.stderr)
        return MISSING_DATABASE_EXIT
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
    if marker is not None:
        marker.touch(mode=0o600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
