"""Two sites, Lyon and Marseille, and the people who work there, for the safety, transfer and legal
follow-up tests: worker A at Lyon, worker B at Marseille, a chef_service of both sites, a chef_service
of Lyon only, direction, a formateur of Lyon, gestion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.organisation import Role, Site, User
from models.persons import IntakeOrigin, Person
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 5, 15)


@dataclass
class TwoSites:
    lyon: Site
    marseille: Site
    worker_a_user: User
    worker_b_user: User
    worker_a: Principal  # intervenant, Lyon
    worker_b: Principal  # intervenant, Marseille
    chef_both: Principal  # chef_service, Lyon and Marseille
    chef_lyon: Principal  # chef_service, Lyon only
    direction: Principal
    formateur: Principal  # Lyon
    gestion: Principal


def two_sites(session: Session) -> TwoSites:
    lyon = factories.a_site(session, "LYO", "Lyon")
    marseille = factories.a_site(session, "MRS", "Marseille")
    a = factories.a_user(session, Role.INTERVENANT, lyon, username="worker.a")
    a.display_name = "Awa Lyon"
    b = factories.a_user(session, Role.INTERVENANT, marseille, username="worker.b")
    b.display_name = "Bruno Marseille"
    chef_both = factories.a_user(session, Role.CHEF_SERVICE, lyon, marseille, username="chef.both")
    chef_both.display_name = "Chloé Deux-Sites"
    session.flush()
    p = factories.principal
    return TwoSites(
        lyon=lyon,
        marseille=marseille,
        worker_a_user=a,
        worker_b_user=b,
        worker_a=p(session, a),
        worker_b=p(session, b),
        chef_both=p(session, chef_both),
        chef_lyon=p(session, factories.a_user(session, Role.CHEF_SERVICE, lyon, username="chef.lyon")),
        direction=p(session, factories.a_user(session, Role.DIRECTION, username="direction.t")),
        formateur=p(session, factories.a_user(session, Role.FORMATEUR, lyon, username="formateur.lyon")),
        gestion=p(session, factories.a_user(session, Role.GESTION, username="gestion.t")),
    )


def a_file(session: Session, site: Site, number: int, *, referent: User | None = None, year: int = 2026) -> Person:
    """The file SITE-YEAR-NNNN with its number given (codes are read in the tests)."""
    day = date(year, 3, 2)
    person = Person(
        code=f"{site.code}-{year}-{number:04d}",
        site_id=site.id,
        code_year=year,
        code_number=number,
        first_contact_on=day,
        intake_on=day,
        origin=IntakeOrigin.SELF,
        consent_on=day,
        referent_id=referent.id if referent else None,
        last_contact_on=day,
    )
    session.add(person)
    session.flush()
    return person
