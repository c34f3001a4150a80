"""`backup` and `restore` of the operators' command line, on the demo data set.

The main test backs up while a worker keeps logging outreach rounds, restores into a new database and
compares every table with the source, row by row (read here by plain SQL, ordered by primary key).
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import stat
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

import clock
import models  # noqa: F401  (registers every table in SQLModel.metadata)
from models.organisation import Site, User
from models.outreach import OutreachArea, OutreachMode
from ops import cli
from seed.generator import seed_database
from services.accounts.auth import principal_of
from services.accounts.passwords import hash_password
from services.activities import outreach
from services.platform import config
from services.platform.crypto import FieldCipher
from services.platform.db import alembic_config, downgrade_to, make_engine, unit_of_work, upgrade_to_head
from tests import factories
from tests.conftest import (
    TEST_ENCRYPTION_KEY,
    _private_postgres_database,
    _sqlite_real_transactions,
    backends,
    postgres_url,
)

BACKUP_KEY = "q1Jv7c0Yd2m3XkP9sT4wLr8eHnB6aZ5uFgVyCiOxM0E="
OTHER_BACKUP_KEY = "Wm4pQ8rT2vX6zB0dF3hJ7kL1nP5sU9wY2aC4eG6iK8o="
ARCHIVE_NAME = re.compile(r"^parcours-(sqlite|postgresql)-\d{8}T\d{6}Z\.pcbk$")
# Tables one logged round writes, in one transaction.
WRITTEN_TABLES = ("outreach_round", "outreach_round_staff", "audit_event")


@contextmanager
def demo_database(backend: str, directory: Path, name: str) -> Iterator[str]:
    """The URL of a database of `backend` holding the demo data set; dropped afterwards."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{directory / f'{name}.db'}"
        else:
            url = stack.enter_context(_private_postgres_database(f"h_backup_{name}_{os.getpid()}"))
        engine = make_engine(url, encryption_keys=[TEST_ENCRYPTION_KEY])
        upgrade_to_head(engine)
        seed_database(
            engine,
            size="demo",
            cipher=FieldCipher([TEST_ENCRYPTION_KEY]),
            demo_password_hash=hash_password("x", rounds=4),
        )
        engine.dispose()
        yield url


@contextmanager
def new_database(backend: str, directory: Path, name: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{name}.db'}"
        return
    with _private_postgres_database(f"h_backup_{name}_{os.getpid()}") as url:
        yield url


def configure(monkeypatch, database_url: str, *, backup_key: str | None = BACKUP_KEY, **others: str) -> None:
    monkeypatch.setenv("PARCOURS_DATABASE_URL", database_url)
    monkeypatch.delenv("PARCOURS_BACKUP_KEY_FILE", raising=False)
    if backup_key is None:
        monkeypatch.delenv("PARCOURS_BACKUP_KEY", raising=False)
    else:
        monkeypatch.setenv("PARCOURS_BACKUP_KEY", backup_key)
    for name, value in others.items():
        monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()


def rows_by_table(database_url: str) -> dict[str, list[tuple]]:
    """Every row of every table of the models, ordered by primary key, read in one transaction (one
    snapshot, while the rounds go on)."""
    engine = make_engine(database_url, encryption_keys=[TEST_ENCRYPTION_KEY])
    _sqlite_real_transactions(engine)  # on SQLite: a BEGIN, else each SELECT reads its own moment
    try:
        snapshot = "SERIALIZABLE" if engine.dialect.name == "sqlite" else "REPEATABLE READ"
        with engine.connect().execution_options(isolation_level=snapshot) as connection, connection.begin():
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        sa.text(
                            f'SELECT * FROM "{table.name}" ORDER BY '
                            + ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
                        )
                    )
                ]
                for table in SQLModel.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    engine = make_engine(database_url, encryption_keys=[TEST_ENCRYPTION_KEY])
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def schema_version(database_url: str) -> str:
    engine = make_engine(database_url, encryption_keys=[TEST_ENCRYPTION_KEY])
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


class RoundLogger(threading.Thread):
    """The social worker of Lyon logging street rounds one after the other, as the app would."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(database_url, encryption_keys=[TEST_ENCRYPTION_KEY])
        self.stop = threading.Event()
        self.warmed_up = threading.Event()
        self.logged = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with unit_of_work(self.engine) as session:
                worker = session.exec(select(User).where(User.username == "ts.lyon")).one()
                principal = principal_of(session, worker)
                lyon = session.exec(select(Site).where(Site.code == "LYO")).one()
                data = {
                    "site_id": lyon.id,
                    "round_on": clock.today(),
                    "start_time": time(21, 0),
                    "duration_minutes": 120,
                    "mode": OutreachMode.STREET,
                    "area": OutreachArea.ROADSIDE_VANS,
                    "staff_ids": [worker.id],
                    "persons_met": 4,
                }
            while not self.stop.is_set():
                with unit_of_work(self.engine) as session:
                    outreach.log_round(session, principal, data=data)
                self.logged += 1
                if self.logged == 5:
                    self.warmed_up.set()
                self.stop.wait(0.005)
        except BaseException as exc:
            self.error = exc
        finally:
            self.warmed_up.set()
            self.engine.dispose()


def only_archive(directory: Path) -> Path:
    (archive,) = [path for path in directory.iterdir() if ARCHIVE_NAME.match(path.name)]
    return archive


@pytest.mark.parametrize("backend", backends())
def test_a_backup_taken_while_rounds_are_logged_restores_a_consistent_snapshot(backend, tmp_path, monkeypatch, capsys):
    with demo_database(backend, tmp_path, "source") as source, new_database(backend, tmp_path, "restored") as target:
        logger = RoundLogger(source)
        logger.start()
        try:
            assert logger.warmed_up.wait(120)
            before = rows_by_table(source)
            configure(monkeypatch, source)
            assert cli.main(["backup", "--output-dir", str(tmp_path / "backups")]) == 0
            after = rows_by_table(source)
        finally:
            logger.stop.set()
            logger.join(60)
        assert logger.error is None
        archive = only_archive(tmp_path / "backups")
        assert archive.name.startswith(f"parcours-{backend}-")

        configure(monkeypatch, target)
        assert cli.main(["restore", str(archive)]) == 0
        assert "Restauration terminée" in capsys.readouterr().out
        restored = rows_by_table(target)
        engine = make_engine(target, encryption_keys=[TEST_ENCRYPTION_KEY])
        with engine.connect() as connection:
            if backend == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            else:  # analyzed: the first pages after a restore are planned on the restored data's sizes
                analyzed = connection.exec_driver_sql(
                    "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'public' "
                    "AND tablename IN ('person', 'course_attendance', 'outreach_round')"
                ).scalars()
                assert sorted(analyzed) == ["course_attendance", "outreach_round", "person"]
        engine.dispose()

    assert len(after["outreach_round"]) > len(before["outreach_round"])  # the rounds went on meanwhile
    # The data versions of the written tables are those of the snapshot; the restore starts a new history
    # (another epoch), so no process serves an aggregate cached before it.
    versions = {
        "before": dict(before["data_version"]),
        "after": dict(after["data_version"]),
        "restored": dict(restored["data_version"]),
    }
    assert versions["restored"]["#epoch"] != versions["before"]["#epoch"]
    for table in ("outreach_round", "outreach_round_staff"):  # the audit log moves no version
        assert versions["before"][table] <= versions["restored"][table] <= versions["after"][table], table
    for table, rows in restored.items():
        if table == "data_version":
            continue
        if table in WRITTEN_TABLES:
            # A snapshot: every row there before, then the rows committed since, in order, up to a point.
            assert rows[: len(before[table])] == before[table], table
            assert rows == after[table][: len(rows)], table
        else:
            assert rows == before[table] == after[table], table
    # Each round was written with its staff row and its audit event: a snapshot holds all three or none.
    new_rounds = len(restored["outreach_round"]) - len(before["outreach_round"])
    assert len(restored["outreach_round_staff"]) - len(before["outreach_round_staff"]) == new_rounds
    assert len(restored["audit_event"]) - len(before["audit_event"]) == new_rounds
    assert sum(len(rows) for rows in restored.values()) > 10_000  # the demo data set, not an empty schema


@pytest.fixture(scope="module")
def source_and_archive(tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    """A SQLite file of the demo data set and an archive of it, made by the command line."""
    directory = tmp_path_factory.mktemp("backup")
    with demo_database("sqlite", directory, "source") as url, pytest.MonkeyPatch.context() as monkeypatch:
        configure(monkeypatch, url)
        assert cli.main(["backup", "--output-dir", str(directory / "backups")]) == 0
        yield directory / "source.db", only_archive(directory / "backups")
    config.get_settings.cache_clear()


def test_the_archive_is_private_and_reported_in_one_line(tmp_path, monkeypatch, capsys, source_and_archive):
    source, _archive = source_and_archive
    configure(monkeypatch, f"sqlite:///{source}")
    umask = os.umask(0o022)  # a permissive umask: the archive must not depend on it
    try:
        assert cli.main(["backup", "--output-dir", str(tmp_path / "out")]) == 0
    finally:
        os.umask(umask)
    archive = only_archive(tmp_path / "out")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [archive.name]  # no temporary left
    printed = [line for line in capsys.readouterr().out.splitlines() if " parcours.jobs " not in line]  # job log
    assert len(printed) == 1
    assert str(archive) in printed[0] and " Mo, " in printed[0] and printed[0].endswith(" s.")


def test_the_archive_shows_nothing_of_the_database(source_and_archive):
    source, archive = source_and_archive
    clear, sealed = source.read_bytes(), archive.read_bytes()
    known = [b"SQLite format 3", b"ts.lyon", b"Julien Ferrand", b"outreach_round"]
    assert all(text in clear for text in known)  # what a copy of the database file would give away
    assert not any(text in sealed for text in known)
    assert TEST_ENCRYPTION_KEY.encode() not in sealed and BACKUP_KEY.encode() not in sealed


def test_a_restore_onto_a_database_with_rows_is_refused_unless_forced(
    tmp_path, monkeypatch, capsys, source_and_archive
):
    _source, archive = source_and_archive
    target = f"sqlite:///{tmp_path / 'target.db'}"
    configure(monkeypatch, target)
    assert cli.main(["restore", str(archive)]) == 0
    engine = make_engine(target, encryption_keys=[TEST_ENCRYPTION_KEY])
    with Session(engine) as session:
        factories.a_site(session, "NEW")
        session.commit()
    capsys.readouterr()

    assert cli.main(["restore", str(archive)]) == 1
    assert "n'est pas vide" in capsys.readouterr().err
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM site WHERE code = 'NEW'")).scalar_one() == 1

    assert cli.main(["restore", str(archive), "--force"]) == 0
    assert "table(s) remplacée(s)" in capsys.readouterr().out
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM site WHERE code = 'NEW'")).scalar_one() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM site")).scalar_one() == 4
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    engine.dispose()


def test_a_wrong_key_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys, source_and_archive):
    _source, archive = source_and_archive
    configure(monkeypatch, f"sqlite:///{tmp_path / 'target.db'}", backup_key=OTHER_BACKUP_KEY)
    assert cli.main(["restore", str(archive)]) == 1
    assert "clé de sauvegarde incorrecte" in capsys.readouterr().err
    assert not (tmp_path / "target.db").exists()


def test_a_damaged_or_cut_archive_is_refused(tmp_path, monkeypatch, capsys, source_and_archive):
    _source, archive = source_and_archive
    sealed = archive.read_bytes()
    assert len(sealed) > 3 * (1024 * 1024 + 16)  # several chunks: a cut between two is possible
    damaged = tmp_path / "damaged.pcbk"
    damaged.write_bytes(
        sealed[: len(sealed) // 2] + bytes([sealed[len(sealed) // 2] ^ 1]) + sealed[len(sealed) // 2 + 1 :]
    )
    cut = tmp_path / "cut.pcbk"
    header, chunk = 4 + 1 + 1 + 32 + 16, 1024 * 1024 + 16  # magic, version, engine, salt, key check; 1 MiB + tag
    cut.write_bytes(sealed[: header + 2 * chunk])  # the first two chunks, whole
    configure(monkeypatch, f"sqlite:///{tmp_path / 'target.db'}")
    for bad in (damaged, cut):
        assert cli.main(["restore", str(bad)]) == 1
        assert "archive endommagée ou tronquée" in capsys.readouterr().err
    assert cli.main(["restore", str(tmp_path / "missing.pcbk")]) == 1
    assert "archive introuvable" in capsys.readouterr().err
    assert not (tmp_path / "target.db").exists()


def test_an_archive_of_the_other_engine_is_refused(monkeypatch, capsys, source_and_archive):
    _source, archive = source_and_archive
    configure(monkeypatch, "postgresql://parcours@127.0.0.1:1/parcours")  # never reached
    assert cli.main(["restore", str(archive)]) == 1
    assert "archive est celle d'une base sqlite ; la base configurée (DATABASE_URL) est postgresql" in (
        capsys.readouterr().err
    )


def test_restored_identities_the_field_key_cannot_open_are_reported(tmp_path, monkeypatch, capsys, source_and_archive):
    _source, archive = source_and_archive
    other_field_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    configure(monkeypatch, f"sqlite:///{tmp_path / 'target.db'}", PARCOURS_ENCRYPTION_KEY=other_field_key)
    assert cli.main(["restore", str(archive)]) == 1
    assert "ne se déchiffrent pas avec PARCOURS_ENCRYPTION_KEY" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "clé de sauvegarde manquante"),
        ("pas-une-clé", "clé de sauvegarde invalide"),
        (base64.urlsafe_b64encode(bytes(32)).decode(), "trop prévisible"),
        (TEST_ENCRYPTION_KEY, "doit en être distincte"),
    ],
    ids=["missing", "malformed", "all-zero", "the-field-key"],  # the field key is drawn per process (xdist)
)
def test_backup_refuses_a_missing_malformed_weak_or_reused_key(key, message, tmp_path, monkeypatch, capsys):
    configure(monkeypatch, f"sqlite:///{tmp_path / 'app.db'}", backup_key=key)
    assert cli.main(["backup", "--output-dir", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert message in error and "generate-backup-key" in error
    assert not (tmp_path / "out").exists()


def test_generated_keys_are_accepted_and_new_each_time(monkeypatch, capsys, tmp_path, source_and_archive):
    source, _archive = source_and_archive
    assert cli.main(["generate-backup-key"]) == 0
    assert cli.main(["generate-backup-key"]) == 0
    first, second = capsys.readouterr().out.split()
    assert first != second
    configure(monkeypatch, f"sqlite:///{source}", backup_key=first)
    assert cli.main(["backup", "--output-dir", str(tmp_path / "out")]) == 0


def test_the_key_may_come_from_a_file_its_owner_alone_can_read(tmp_path, monkeypatch, capsys, source_and_archive):
    source, _archive = source_and_archive
    key_file = tmp_path / "backup.key"
    key_file.write_text(BACKUP_KEY + "\n")
    key_file.chmod(0o640)
    configure(monkeypatch, f"sqlite:///{source}", backup_key=None, PARCOURS_BACKUP_KEY_FILE=str(key_file))
    assert cli.main(["backup", "--output-dir", str(tmp_path / "out")]) == 1
    assert "chmod 600" in capsys.readouterr().err
    key_file.chmod(0o600)
    assert cli.main(["backup", "--output-dir", str(tmp_path / "out")]) == 0


def test_keep_deletes_the_oldest_archives_beyond_n(tmp_path, monkeypatch, capsys, source_and_archive):
    source, _archive = source_and_archive
    out = tmp_path / "out"
    out.mkdir()
    older = [
        "parcours-sqlite-20240101T020000Z.pcbk",
        "parcours-postgresql-20250101T020000Z.pcbk",
        "parcours-sqlite-20260101T020000Z.pcbk",
    ]
    for name in [*older, "notes.txt", "parcours-sqlite-copie.pcbk"]:
        (out / name).write_bytes(b"x")
    configure(monkeypatch, f"sqlite:///{source}")
    assert cli.main(["backup", "--output-dir", str(out), "--keep", "2"]) == 0
    assert "2 ancienne(s) supprimée(s)" in capsys.readouterr().out
    newest = only_archive_named_now(out, older)
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["notes.txt", "parcours-sqlite-copie.pcbk", "parcours-sqlite-20260101T020000Z.pcbk", newest]
    )
    with pytest.raises(SystemExit):
        cli.main(["backup", "--output-dir", str(out), "--keep", "0"])


def only_archive_named_now(directory: Path, older: list[str]) -> str:
    (name,) = [path.name for path in directory.iterdir() if ARCHIVE_NAME.match(path.name) and path.name not in older]
    return name


def test_an_older_backup_is_brought_to_the_current_schema(tmp_path, monkeypatch, migrated_file):
    old = tmp_path / "old.db"
    shutil.copy(migrated_file, old)
    engine = make_engine(f"sqlite:///{old}", encryption_keys=[TEST_ENCRYPTION_KEY])
    downgrade_to(engine, "0010")
    engine.dispose()
    configure(monkeypatch, f"sqlite:///{old}")
    assert cli.main(["backup", "--output-dir", str(tmp_path / "out")]) == 0

    target = f"sqlite:///{tmp_path / 'target.db'}"
    configure(monkeypatch, target)
    assert cli.main(["restore", str(only_archive(tmp_path / "out"))]) == 0
    assert schema_version(target) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {table.name for table in SQLModel.metadata.sorted_tables} <= table_names(target)


def test_the_readme_backup_commands_are_ones_the_command_line_accepts():
    readme = (config.PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Backup\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    commands = [
        shlex.split(line.split(">")[0])[3:]
        for block in blocks
        for line in block.splitlines()
        if line.startswith(".venv/bin/python -m ops.cli ")
    ]
    assert [command[0] for command in commands] == ["generate-backup-key", "backup", "restore"]
    for command in commands:
        cli._parser().parse_args(command)  # exits on an unknown command or option


@pytest.mark.postgres
def test_a_failed_dump_leaves_no_archive_and_says_why(tmp_path, monkeypatch, capsys):
    missing = make_url(postgres_url()).set(database=f"h_backup_missing_{os.getpid()}")
    configure(monkeypatch, missing.render_as_string(hide_password=False))
    assert cli.main(["backup", "--output-dir", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert "pg_dump a échoué" in error and f"h_backup_missing_{os.getpid()}" in error
    assert list((tmp_path / "out").iterdir()) == []
