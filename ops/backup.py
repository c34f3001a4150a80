"""Backup and restore of the configured database, as encrypted archives (ops/archive.py).

    python -m ops.cli backup --output-dir /var/backups/parcours --keep 14
    python -m ops.cli restore /var/backups/parcours/parcours-postgresql-20261203T020000Z.pcbk [--force]

- SQLite: a snapshot through SQLite's online backup API, copied in one step, that is in one read
  transaction: consistent while the app writes (the write-ahead log included, which a file copy
  would miss). PostgreSQL: `pg_dump --format=custom` (one repeatable-read snapshot), streamed into the
  encryption without touching the disk in clear.
- The archive is written readable by its owner only from its first byte, under a temporary name,
  then renamed: a directory of backups never holds a half-written archive under a final name.
- A restore decrypts the whole archive once to check it (wrong key, damage) before touching the
  database, refuses a database that holds anything unless forced, and ends with the migrations (an
  older backup has an older schema). The app must be stopped meanwhile: its caches and open sessions
  would otherwise outlive the data they came from.

Nothing here prints or logs a row: messages say paths, sizes, durations and counts.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from alembic.util import CommandError
from sqlalchemy.engine import Engine, make_url

import clock
from ops import archive
from ops.archive import ArchiveError
from services.platform import data_version
from services.platform.config import Settings
from services.platform.crypto import FieldCipher
from services.platform.db import checkpoint_sqlite_wal, make_engine, refresh_planner_statistics, upgrade_to_head

ARCHIVE_NAME = re.compile(r"^parcours-(?:sqlite|postgresql)-(\d{8}T\d{6}Z)\.pcbk$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# Query parameters of a PostgreSQL URL that libpq reads from the environment.
LIBPQ_PARAMETERS = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
TOOL_TIMEOUT_S = 6 * 3600


@dataclass(frozen=True)
class BackupDone:
    path: Path
    size_bytes: int
    seconds: float
    removed: list[Path]


@dataclass(frozen=True)
class RestoreDone:
    engine: str
    seconds: float
    replaced_tables: int  # tables that held rows before (0 unless --force)
    identities_readable: bool | None  # None: no identity to try


def engine_name(database_url: str) -> str:
    backend = make_url(database_url).get_backend_name()
    if backend not in archive.ENGINES:
        raise ArchiveError(f"moteur de base de données non pris en charge par la sauvegarde : {backend}.")
    return backend


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise ArchiveError("une base SQLite en mémoire ne se sauvegarde pas.")
    return Path(database)


def libpq_environment(database_url: str) -> dict[str, str]:
    """The environment that points pg_dump / pg_restore at `database_url`: libpq reads PGHOST, PGUSER,
    PGPASSWORD… there, so no password ever shows on a command line (`ps`)."""
    url = make_url(database_url)
    # The tools need none of the app's secrets (DATABASE_URL holds the password once more).
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PARCOURS_") and name not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    for value, variable in (
        (url.host, "PGHOST"),
        (url.port, "PGPORT"),
        (url.username, "PGUSER"),
        (url.password, "PGPASSWORD"),
        (url.database, "PGDATABASE"),
    ):
        if value is not None:
            env[variable] = str(value)
    for name, value in url.query.items():
        if name not in LIBPQ_PARAMETERS:
            raise ArchiveError(f"paramètre « {name} » de DATABASE_URL non pris en charge par la sauvegarde.")
        env[LIBPQ_PARAMETERS[name]] = value if isinstance(value, str) else value[-1]
    return env


def _run_tool(command: list[str], env: dict[str, str], feed: Callable[[subprocess.Popen], None]) -> None:
    """Run pg_dump or pg_restore, `feed` moving its standard input or output; ArchiveError if it fails."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE if command[0] == "pg_restore" else subprocess.DEVNULL,
                stdout=subprocess.PIPE if command[0] == "pg_dump" else subprocess.DEVNULL,
                stderr=errors,
                env=env,
            )
        except FileNotFoundError as exc:
            raise ArchiveError(
                f"{command[0]} introuvable : installez le client PostgreSQL de la version du serveur "
                "(paquet postgresql-client-15, par exemple)."
            ) from exc
        try:
            feed(process)
        except BrokenPipeError:
            pass  # the tool stopped reading: its exit status and message say why
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            for stream in (process.stdin, process.stdout):
                if stream is not None and not stream.closed:
                    stream.close()
        status = process.wait(timeout=TOOL_TIMEOUT_S)
        if status != 0:
            errors.seek(0)
            lines = [line for line in errors.read().decode(errors="replace").splitlines() if line.strip()]
            raise ArchiveError(f"{command[0]} a échoué ({status}) : {' / '.join(lines[-3:]) or 'sans message'}.")


def _dump_sqlite(path: Path, target: BinaryIO, key: bytes) -> None:
    if not path.is_file():
        raise ArchiveError(f"base SQLite introuvable : {path}.")
    with tempfile.TemporaryDirectory(prefix="parcours-backup-") as private:  # mode 0700
        snapshot = Path(private) / "snapshot.db"
        archive.create_private(snapshot).close()
        source = sqlite3.connect(path, timeout=30)
        copy = sqlite3.connect(snapshot)
        try:
            source.backup(copy)  # pages=-1: every page in one step, one read transaction
        finally:
            copy.close()
            source.close()
        with snapshot.open("rb") as plain:
            archive.encrypt(plain, target, key=key, engine="sqlite")


def _dump_postgresql(database_url: str, target: BinaryIO, key: bytes) -> None:
    def encrypt_output(process: subprocess.Popen) -> None:
        archive.encrypt(process.stdout, target, key=key, engine="postgresql")

    _run_tool(["pg_dump", "--format=custom", "--no-password"], libpq_environment(database_url), encrypt_output)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest archives of `directory` beyond the `keep` newest (by the time in their name);
    other files are left alone. The deleted paths, oldest first."""
    archives = sorted(
        (match.group(1), path)
        for path in directory.iterdir()
        if (match := ARCHIVE_NAME.match(path.name)) and path.is_file()
    )
    doomed = [path for _stamp, path in archives[: max(len(archives) - keep, 0)]]
    for path in doomed:
        path.unlink()
    return doomed


def backup(settings: Settings, output_dir: Path, *, keep: int | None = None) -> BackupDone:
    """Write an encrypted archive of the configured database into `output_dir`, then keep its `keep`
    newest archives. Refused without a proper backup key (before any work)."""
    key = archive.backup_key(settings)
    engine = engine_name(settings.database_url)
    output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = output_dir / f"parcours-{engine}-{clock.now().strftime(STAMP_FORMAT)}.pcbk"
    if final.exists():
        raise ArchiveError(f"{final} existe déjà : une sauvegarde par seconde au plus.")
    partial = output_dir / f".{final.name}.partial"
    started = time.perf_counter()
    try:
        with archive.create_private(partial) as target:
            if engine == "sqlite":
                _dump_sqlite(_sqlite_path(settings.database_url), target, key)
            else:
                _dump_postgresql(settings.database_url, target, key)
            target.flush()
            os.fsync(target.fileno())
        os.replace(partial, final)
        _fsync_directory(output_dir)
    finally:
        partial.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    removed = prune(output_dir, keep) if keep is not None else []
    return BackupDone(path=final, size_bytes=final.stat().st_size, seconds=seconds, removed=removed)


def tables_with_rows(engine: Engine) -> list[str]:
    """Tables of the database that hold at least one row (the migrations' version table included)."""
    names = sa.inspect(engine).get_table_names()
    preparer = engine.dialect.identifier_preparer
    with engine.connect() as connection:
        return [
            name
            for name in names
            if connection.execute(sa.text(f"SELECT 1 FROM {preparer.quote(name)} LIMIT 1")).first() is not None
        ]


def _decrypt_into(archive_path: Path, target: BinaryIO, key: bytes) -> None:
    with archive_path.open("rb") as source:
        for chunk in archive.decrypt(source, key=key):
            target.write(chunk)


def _restore_sqlite(path: Path, archive_path: Path, key: bytes) -> None:
    """Copy the archived database into `path` through the backup API: one write transaction on the
    target, through its own write-ahead log (a file renamed over it could meet a leftover log of the
    old database, which SQLite would replay onto the new one)."""
    with tempfile.TemporaryDirectory(prefix="parcours-restore-") as private:
        restored = Path(private) / "restored.db"
        with archive.create_private(restored) as plain:
            _decrypt_into(archive_path, plain, key)
        source = sqlite3.connect(restored)
        try:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ArchiveError("l'archive déchiffrée n'est pas une base SQLite intacte.")
            target = sqlite3.connect(path, timeout=30)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()


def _restore_postgresql(database_url: str, archive_path: Path, key: bytes) -> None:
    def decrypt_input(process: subprocess.Popen) -> None:
        _decrypt_into(archive_path, process.stdin, key)

    env = libpq_environment(database_url)
    if not env.get("PGDATABASE"):
        raise ArchiveError("DATABASE_URL ne nomme pas de base de données.")
    command = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-acl",
        "--single-transaction",  # all or nothing
        "--exit-on-error",
        "--no-password",
        f"--dbname={env['PGDATABASE']}",
    ]
    _run_tool(command, env, decrypt_input)


def _identities_readable(engine: Engine, keys: list[str]) -> bool | None:
    """Whether the configured field key opens the restored identities (a backup restored without the
    field key of its day holds unreadable aliases); None when there is no identity to try."""
    with engine.connect() as connection:
        token = connection.execute(
            sa.text("SELECT alias_encrypted FROM person WHERE alias_encrypted IS NOT NULL LIMIT 1")
        ).scalar()
    if token is None:
        return None
    try:
        FieldCipher(keys).decrypt(token)
    except ValueError:
        return False
    return True


def restore(settings: Settings, archive_path: Path, *, force: bool = False) -> RestoreDone:
    """Replace the configured database by the archive's content, then migrate it to the current schema.

    Refused, before anything is written: without the backup key, with another key or a damaged
    archive, with an archive of the other engine, and onto a database holding rows unless `force`."""
    key = archive.backup_key(settings)
    engine = engine_name(settings.database_url)
    if not archive_path.is_file():
        raise ArchiveError(f"archive introuvable : {archive_path}.")
    with archive_path.open("rb") as source:
        archived, _header = archive.read_engine(source)
    if archived != engine:
        raise ArchiveError(
            f"cette archive est celle d'une base {archived} ; la base configurée (DATABASE_URL) est {engine}."
        )
    started = time.perf_counter()
    archive.verify(archive_path, key=key)
    if engine == "sqlite":
        path = _sqlite_path(settings.database_url)
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            archive.create_private(path).close()  # an empty file is an empty SQLite database
    database = make_engine(settings.database_url, encryption_keys=settings.encryption_keys())
    try:
        filled = tables_with_rows(database)
        if filled and not force:
            raise ArchiveError(
                f"la base configurée n'est pas vide ({len(filled)} table(s) avec des lignes) : restauration "
                "refusée. Restaurez dans une base neuve, ou ajoutez --force pour remplacer son contenu."
            )
        database.dispose()
        if engine == "sqlite":
            _restore_sqlite(path, archive_path, key)
        else:
            _restore_postgresql(settings.database_url, archive_path, key)
        try:
            upgrade_to_head(database)
            with database.begin() as connection:
                data_version.start_new_history(connection)  # the processes' caches belong to another history
        except CommandError as exc:
            raise ArchiveError(
                "données restaurées, mais leur schéma est inconnu de cette version de Parcours (archive "
                "d'une version plus récente ?) : installez la version de la sauvegarde, puis relancez."
            ) from exc
        checkpoint_sqlite_wal(database)
        refresh_planner_statistics(database)
        readable = _identities_readable(database, settings.encryption_keys())
    finally:
        database.dispose()
    return RestoreDone(
        engine=engine,
        seconds=time.perf_counter() - started,
        replaced_tables=len(filled),
        identities_readable=readable,
    )
