"""Two sites and one account per role, shared by the person-file service tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.organisation import Role, Site, User
from models.persons import Gender, IntakeOrigin
from services.persons import files as person_files
from services.platform.crypto import FieldCipher
from services.platform.principal import Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@dataclass
class PersonWorld:
    lyon: Site
    grenoble: Site
    ts_user: User
    ts_lyon: Principal
    chef_lyon: Principal
    cip_grenoble: Principal
    direction: Principal
    formateur: Principal
    gestion: Principal
    admin: Principal


def make_world(session: Session) -> PersonWorld:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    ts = factories.a_user(session, Role.INTERVENANT, lyon, username="ts.lyon.t")
    chef = factories.a_user(session, Role.CHEF_SERVICE, lyon)
    cip = factories.a_user(session, Role.INTERVENANT, grenoble, username="cip.grenoble.t")
    p = factories.principal
    return PersonWorld(
        lyon=lyon,
        grenoble=grenoble,
        ts_user=ts,
        ts_lyon=p(session, ts),
        chef_lyon=p(session, chef),
        cip_grenoble=p(session, cip),
        direction=p(session, factories.a_user(session, Role.DIRECTION)),
        formateur=p(session, factories.a_user(session, Role.FORMATEUR, lyon)),
        gestion=p(session, factories.a_user(session, Role.GESTION)),
        admin=p(session, factories.a_user(session, Role.ADMIN)),
    )


def an_intake(site: Site, **changes) -> dict[str, object]:
    """A complete, valid intake of someone met in the street a week before, as the form sends it."""
    values = {
        "site_id": site.id,
        "first_contact_on": date(2026, 5, 4),
        "intake_on": date(2026, 5, 11),
        "origin": IntakeOrigin.SELF,
        "alias": "Hélène",
        "birth_year": 1994,
        "gender": Gender.WOMAN,
        "nationality": "NG",
        "languages": ["en", "yo"],
        "phone": "06 12 34 56 78",
        "consent_on": date(2026, 5, 11),
        "consent_processing": True,
        "consent_partner_sharing": True,
        "consent_statistics": True,
    }
    return values | changes


def create(session: Session, principal: Principal, site: Site, **changes) -> person_files.CreatedPerson:
    return person_files.create_intake(session, principal, data=an_intake(site, **changes), cipher=CIPHER, today=TODAY)
