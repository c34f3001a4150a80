"""Fixtures shared by the service tests: the hand-built worlds, one per domain (see each *_world
module), and the scratch database of the operators' command line."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.services.course_world import CourseWorld, make_course_world
from tests.services.person_world import PersonWorld
from tests.services.person_world import make_world as make_person_world
from tests.services.workshop_world import WorkshopWorld
from tests.services.workshop_world import make_world as make_workshop_world


@pytest.fixture
def person_world(session: Session) -> PersonWorld:
    return make_person_world(session)


@pytest.fixture
def course_world(session: Session) -> CourseWorld:
    return make_course_world(session)


@pytest.fixture
def workshop_world(session: Session) -> WorkshopWorld:
    return make_workshop_world(session)
