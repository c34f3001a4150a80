"""Two sites, their workshop teams and modules, shared by the workshop service tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.organisation import Role, Site, User
from models.partners import Partner, PartnerKind
from models.workshops import WorkshopModule, WorkshopTheme
from services.platform.crypto import FieldCipher
from services.platform.principal import Principal
from tests import factories
from tests.conftest import TEST_ENCRYPTION_KEY

TODAY = date(2026, 5, 15)
CIPHER = FieldCipher([TEST_ENCRYPTION_KEY])


@dataclass
class WorkshopWorld:
    lyon: Site
    grenoble: Site
    ts_user: User
    chef_user: User
    cip_user: User
    ts_lyon: Principal
    chef_lyon: Principal
    cip_grenoble: Principal
    direction: Principal
    formateur: Principal
    admin: Principal
    self_esteem: WorkshopModule  # Lyon, first
    money: WorkshopModule  # Lyon, second
    grenoble_module: WorkshopModule
    lyon_partner: Partner
    grenoble_partner: Partner


def _partner(session: Session, site: Site, name: str) -> Partner:
    partner = Partner(site_id=site.id, name=name, kind=PartnerKind.FRANCE_TRAVAIL)
    session.add(partner)
    session.flush()
    return partner


def make_world(session: Session) -> WorkshopWorld:
    f = factories
    lyon, grenoble = f.lyon_and_grenoble(session)
    ts = f.a_user(session, Role.INTERVENANT, lyon)
    chef = f.a_user(session, Role.CHEF_SERVICE, lyon)
    cip = f.a_user(session, Role.INTERVENANT, grenoble)
    p = f.principal
    return WorkshopWorld(
        lyon=lyon,
        grenoble=grenoble,
        ts_user=ts,
        chef_user=chef,
        cip_user=cip,
        ts_lyon=p(session, ts),
        chef_lyon=p(session, chef),
        cip_grenoble=p(session, cip),
        direction=p(session, f.a_user(session, Role.DIRECTION)),
        formateur=p(session, f.a_user(session, Role.FORMATEUR, lyon)),
        admin=p(session, f.a_user(session, Role.ADMIN)),
        self_esteem=f.a_workshop_module(session, lyon, name="Estime de soi", sort_order=1),
        money=f.a_workshop_module(session, lyon, name="Rapport à l'argent", theme=WorkshopTheme.MONEY, sort_order=2),
        grenoble_module=f.a_workshop_module(session, grenoble, name="Estime de soi", sort_order=1),
        lyon_partner=_partner(session, lyon, "France Travail Lyon Est"),
        grenoble_partner=_partner(session, grenoble, "France Travail Grenoble"),
    )
