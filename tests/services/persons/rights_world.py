"""Lyon with two files whose every text carries its own marker, and an account per role: the world of the
person's rights (export, correction, erasure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.attendance import AttendanceStatus
from models.organisation import Role, Site
from models.persons import Gender, Person
from models.workshops import WorkshopAttendance
from services.persons import pathway
from services.platform.crypto import FieldCipher
from services.platform.principal import Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.services.persons.free_text_world import a_file_with_free_texts

TODAY = date(2026, 11, 18)
WRITTEN_ON = date(2026, 3, 14)  # the texts; the intake is 10/01/2025 (free_text_world)
MARKER = "Zqwx-Amara"
OTHER = "Kplo-Blessing"
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@dataclass
class RightsWorld:
    lyon: Site
    grenoble: Site
    person: Person
    other: Person
    chef: Principal
    worker: Principal  # intervenant of Lyon, referent of `person`
    roles: dict[Role, Principal]
    grenoble_chef: Principal


def make_rights_world(session: Session) -> RightsWorld:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    chef = factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, lyon, username="chef.lyon"))
    worker_user = factories.a_user(session, Role.INTERVENANT, lyon, username="worker.lyon")
    person = a_file_with_free_texts(session, lyon, MARKER, on=WRITTEN_ON, partner_name="Foyer Notre-Dame")
    other = a_file_with_free_texts(session, lyon, OTHER, on=WRITTEN_ON, partner_name="Foyer Saint-Paul")
    for someone, marker, year in ((person, MARKER, 1994), (other, OTHER, 1988)):
        someone.alias_encrypted = CIPHER.encrypt(f"{marker}-alias")
        someone.phone_encrypted = CIPHER.encrypt("06 12 34 56 78" if someone is person else "07 98 76 54 32")
        someone.birth_year = year
        someone.gender = Gender.WOMAN
        someone.nationality = "NG"
        someone.languages = ["en", "yo"]
    person.referent_id = worker_user.id
    session.add_all([person, other])
    session.commit()
    for someone, marker in ((person, MARKER), (other, OTHER)):
        pathway.add_note(
            session,
            chef,
            someone.id,
            cipher=CIPHER,
            today=WRITTEN_ON,
            data={"noted_on": WRITTEN_ON, "body": f"{marker}-note"},
        )
    workshop = factories.a_workshop_session(session, lyon, session_on=date(2026, 3, 20))
    session.add(
        WorkshopAttendance(
            session_id=workshop.id, person_id=person.id, site_id=lyon.id, status=AttendanceStatus.PRESENT
        )
    )
    session.commit()
    session.refresh(person)
    session.refresh(other)
    roles = {
        role: factories.principal(session, factories.a_user(session, role, lyon))
        for role in (Role.DIRECTION, Role.GESTION, Role.FINANCEUR, Role.FORMATEUR, Role.ADMIN)
    }
    return RightsWorld(
        lyon=lyon,
        grenoble=grenoble,
        person=person,
        other=other,
        chef=chef,
        worker=factories.principal(session, worker_user),
        roles=roles,
        grenoble_chef=factories.principal(session, factories.a_user(session, Role.CHEF_SERVICE, grenoble)),
    )
