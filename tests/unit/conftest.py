"""Fixtures shared by the service tests: the hand-built worlds, one per domain (see each *_world
module), and the scratch database of the operators' command line."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.platform import config
from services.platform.db import make_engine, upgrade_to_head
from tests.unit.course_world import CourseWorld, make_course_world
from tests.unit.person_world import PersonWorld
from tests.unit.person_world import make_world as make_person_world
from tests.unit.workshop_world import WorkshopWorld
from tests.unit.workshop_world import make_world as make_workshop_world


@pytest.fixture
def person_world(session: Session) -> PersonWorld:
    return make_person_world(session)


@pytest.fixture
def course_world(session: Session) -> CourseWorld:
    return make_course_world(session)


@pytest.fixture
def workshop_world(session: Session) -> WorkshopWorld:
    return make_workshop_world(session)


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory) -> Path:
    """An empty database at the latest migration, copied for each test (migrating takes most of a second)."""
    path = tmp_path_factory.mktemp("cli") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture
def cli_database(tmp_path, monkeypatch, migrated_file) -> Iterator[Engine]:
    """The CLI's configuration points at an empty scratch database; demo secrets go to tmp_path."""
    path = tmp_path / "cli.db"
    shutil.copy(migrated_file, path)
    monkeypatch.setenv("PARCOURS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(config, "DEMO_SECRETS_FILE", tmp_path / "data" / "secrets.json")
    config.get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()
    config.get_settings.cache_clear()
