"""A small money world shared by the grants, expenses and import tests.

AGRASC funds a convention on Lyon and Grenoble (Jan 2026 → June 2027) in two strands; the Région
funds one on Lyon only. Some expenses are booked (one dated after TODAY, so not "spent to date").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.finance import BudgetCategory, FunderKind
from models.organisation import Role, Site
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 5, 15)
AV, ISP = "Aller-vers", "Insertion socio-professionnelle"


@dataclass
class BudgetWorld:
    lyon: Site
    grenoble: Site
    agrasc: factories.Convention
    region: factories.Convention
    gestion: Principal
    direction: Principal
    chef_lyon: Principal
    chef_grenoble: Principal
    financeur_agrasc: Principal
    intervenant: Principal

    def who(self, session: Session, role: Role, *sites: Site) -> Principal:
        return factories.principal(session, factories.a_user(session, role, *sites))


def build(session: Session) -> BudgetWorld:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    agrasc_funder = factories.a_funder(session, "AGRASC", FunderKind.AGRASC)
    region_funder = factories.a_funder(session, "Région Auvergne-Rhône-Alpes", FunderKind.REGION)
    agrasc = factories.a_convention(
        session,
        agrasc_funder,
        sites=(lyon, grenoble),
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        lines=[
            (AV, lyon, BudgetCategory.PURCHASES, 40_000_00, "AGR-AV-LYO-60"),
            (AV, grenoble, BudgetCategory.PURCHASES, 30_000_00, "AGR-AV-GRE-60"),
            (ISP, lyon, BudgetCategory.STAFF, 130_000_00, "AGR-ISP-LYO-64"),
        ],
    )
    region = factories.a_convention(
        session,
        region_funder,
        sites=(lyon,),
        starts_on=date(2025, 9, 1),
        ends_on=date(2026, 8, 31),
        strands=(ISP,),
        lines=[(ISP, lyon, BudgetCategory.EXTERNAL_SERVICES, 50_000_00, "RAU-ISP-LYO-61")],
    )
    lines = agrasc.lines
    factories.an_expense(session, lines["AGR-AV-LYO-60"], spent_on=date(2026, 2, 10), amount_cents=1_234_56)
    factories.an_expense(session, lines["AGR-AV-LYO-60"], spent_on=date(2026, 3, 3), amount_cents=-200_00)
    factories.an_expense(session, lines["AGR-AV-GRE-60"], spent_on=date(2026, 3, 1), amount_cents=500_00)
    factories.an_expense(session, lines["AGR-ISP-LYO-64"], spent_on=date(2026, 4, 30), amount_cents=7_000_00)
    factories.an_expense(session, lines["AGR-ISP-LYO-64"], spent_on=date(2026, 5, 31), amount_cents=7_000_00)
    factories.an_expense(session, region.lines["RAU-ISP-LYO-61"], spent_on=date(2026, 1, 20), amount_cents=900_00)

    def who(role: Role, *sites: Site, funder_id: int | None = None) -> Principal:
        return factories.principal(session, factories.a_user(session, role, *sites, funder_id=funder_id))

    return BudgetWorld(
        lyon,
        grenoble,
        agrasc,
        region,
        gestion=who(Role.GESTION),
        direction=who(Role.DIRECTION),
        chef_lyon=who(Role.CHEF_SERVICE, lyon),
        chef_grenoble=who(Role.CHEF_SERVICE, grenoble),
        financeur_agrasc=who(Role.FINANCEUR, funder_id=agrasc_funder.id),
        intervenant=who(Role.INTERVENANT, lyon),
    )
