"""« À faire »'s counts are kept per user (services.platform.data_version) and never stale: a note written and a
permit renewed through another engine (another app process) show at the next read, on the page's figures and
on the home page's.

Real commits on a database of its own, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.organisation import Role, User
from models.persons import Person
from services import home, worklist
from services.persons import files, pathway
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.worklist import ItemKind
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY, backends, two_engines

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@pytest.fixture(params=backends())
def engines(request) -> Iterator[tuple[Engine, Engine]]:
    with two_engines(request.param, "parcours_worklist_cache") as both:
        yield both


def worker(uow):
    return factories.principal(uow, uow.exec(select(User).where(User.username == "ts.lyon")).one())


def due(engine: Engine) -> tuple[list[tuple], list[tuple], int]:
    """The counts on the page (kind, total, overdue; zeros left out), the home page's, and the items listed."""
    with unit_of_work(engine) as uow:
        principal = worker(uow)
        page = worklist.worklist_page(uow, principal, today=TODAY)
        on_home = home.overview_for(uow, principal, today=TODAY).worklist
    figures = [(c.kind, c.total, c.overdue) for c in page.counts if c.total]
    return figures, [(c.kind, c.total, c.overdue) for c in on_home if c.total], len(page.items)


def test_a_note_and_a_permit_saved_in_another_process_show_at_the_next_read(engines):
    first, second = engines
    with unit_of_work(first) as uow:
        lyon, _grenoble = factories.lyon_and_grenoble(uow)
        factories.a_user(uow, Role.INTERVENANT, lyon, username="ts.lyon")
        stale = factories.a_person_in_file_active(
            uow, lyon, intake_on=date(2025, 1, 6), last_contact_on=TODAY - timedelta(days=60)
        )
        expiring = factories.a_person_in_file_active(uow, lyon, intake_on=date(2025, 1, 6), last_contact_on=TODAY)
        expiring.permit_ends_on = TODAY + timedelta(days=20)
        uow.commit()
        stale_id, expiring_id = stale.id, expiring.id
    before = [(ItemKind.RESIDENCE_PERMIT, 1, 0), (ItemKind.NO_CONTACT, 1, 1)]
    assert due(first) == (before, before, 2)
    assert due(first) == (before, before, 2)  # served from the cache: nothing was written

    with unit_of_work(second) as uow:
        pathway.add_note(
            uow, worker(uow), stale_id, data={"noted_on": TODAY, "body": "Appel"}, cipher=CIPHER, today=TODAY
        )
        uow.commit()
    after_note = [(ItemKind.RESIDENCE_PERMIT, 1, 0)]
    assert due(first) == (after_note, after_note, 1)

    with unit_of_work(second) as uow:
        version = uow.exec(select(Person.version).where(Person.id == expiring_id)).one()
        files.update_situation(
            uow,
            worker(uow),
            expiring_id,
            expected_version=version,
            data={"permit_ends_on": date(2027, 5, 14)},
            cipher=CIPHER,
            today=TODAY,
        )
        uow.commit()
    assert due(first) == ([], [], 0)
