"""Test data named after real situations. Each helper adds rows and flushes (no commit)."""

from __future__ import annotations

from datetime import date
from itertools import count

from sqlmodel import Session

from models.organisation import Role, Site, User, UserSite
from models.persons import IntakeOrigin, Person, PersonStatus
from services import passwords
from services.auth import principal_of
from services.principal import Principal

PASSWORD = "correct horse battery"
_sequence = count(1)
_HASH: dict[str, str] = {}


def password_hash() -> str:
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = passwords.hash_password(PASSWORD, rounds=4)
    return _HASH[PASSWORD]


def a_site(session: Session, code: str, name: str | None = None) -> Site:
    site = Site(code=code, name=name or f"Site {code}", city=name or code)
    session.add(site)
    session.flush()
    return site


def lyon_and_grenoble(session: Session) -> tuple[Site, Site]:
    return a_site(session, "LYO", "Lyon"), a_site(session, "GRE", "Grenoble")


def a_user(session: Session, role: Role, *sites: Site, username: str | None = None, funder_id: int | None = None) -> User:
    user = User(
        username=username or f"{role.value}.{next(_sequence)}",
        display_name=f"Agent {role.value}",
        password_hash=password_hash(),
        role=role,
        funder_id=funder_id,
    )
    session.add(user)
    session.flush()
    for site in sites:
        session.add(UserSite(user_id=user.id, site_id=site.id))
    session.flush()
    return user


def principal(session: Session, user: User) -> Principal:
    return principal_of(session, user)


def a_person_in_file_active(
    session: Session,
    site: Site,
    *,
    intake_on: date,
    referent: User | None = None,
    last_contact_on: date | None = None,
    status: PersonStatus = PersonStatus.ACTIVE,
) -> Person:
    number = next(_sequence)
    person = Person(
        code=f"{site.code}-{intake_on.year}-{number:04d}",
        site_id=site.id,
        code_year=intake_on.year,
        code_number=number,
        status=status,
        first_contact_on=intake_on,
        intake_on=intake_on,
        origin=IntakeOrigin.OUTREACH,
        consent_on=intake_on,
        referent_id=referent.id if referent else None,
        last_contact_on=last_contact_on or intake_on,
    )
    session.add(person)
    session.flush()
    return person
