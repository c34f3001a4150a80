"""`make reset-demo`: the demo database deleted, so that the next start-up (`ops.bootstrap`, which the make
target runs next) builds and seeds it again, as on the first `make run`.

Refused unless the app is in demo mode and its database is a SQLite file that holds the demo data (the seed's
marker) or nothing at all: a production database, or a database someone has started to fill with real work,
is never deleted. The demo's keys (`data/secrets.json`) are kept: the browsers signed in stay signed in.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from sqlmodel import Session

from services.platform import oplog
from services.platform.config import ConfigurationError, load_settings
from services.platform.db import make_engine
from services.platform.organisation import holds_any_data, holds_demo_data
from services.platform.startup import installation_marker, sqlite_file

REFUSED_EXIT = 2


def _holds_only_demo_data(database_url: str, keys: list[str]) -> bool:
    engine = make_engine(database_url, encryption_keys=keys, create=False)
    try:
        if not sa.inspect(engine).has_table("association"):
            return not sa.inspect(engine).get_table_names()  # an empty file, or tables of something else
        with Session(engine) as session:
            return holds_demo_data(session) or not holds_any_data(session)
    finally:
        engine.dispose()


def main() -> int:
    oplog.configure()
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"Configuration refusée : {exc}", file=sys.stderr)
        return REFUSED_EXIT
    database = sqlite_file(settings)
    if not settings.is_demo:
        print(
            "Refusé : PARCOURS_MODE n'est pas « demo » ; une base de production n'est jamais effacée.", file=sys.stderr
        )
        return REFUSED_EXIT
    if database is None:
        print(
            "Refusé : la base n'est pas un fichier SQLite ; pour une base PostgreSQL de démonstration, supprimez-la "
            "et recréez-la vide, puis lancez make run.",
            file=sys.stderr,
        )
        return REFUSED_EXIT
    if database.exists() and not _holds_only_demo_data(settings.database_url, settings.encryption_keys()):
        print(
            f"Refusé : {database} contient des données qui ne sont pas celles de la démonstration ; rien n'est effacé.",
            file=sys.stderr,
        )
        return REFUSED_EXIT
    marker = installation_marker(settings)
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        path.unlink(missing_ok=True)
    if marker is not None:
        marker.unlink(missing_ok=True)
    print(f"Base de démonstration effacée : {database}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
