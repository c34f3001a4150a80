"""The budget world of tests/services/budget_world.py plus some activity on the AGRASC convention's sites:
many intakes in Lyon, only 2 in Grenoble (a small count a funder must never see), outreach in both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.outreach import OutreachMode
from tests import factories
from tests.services import budget_world

START, END = date(2026, 1, 1), date(2026, 4, 30)


@dataclass
class FunderWorld:
    budget: budget_world.BudgetWorld
    lyon_codes: list[str]
    grenoble_codes: list[str]


def build(session: Session) -> FunderWorld:
    world = budget_world.build(session)
    lyon = factories.persons_taken_in(session, world.lyon, on=date(2026, 2, 3), count=12)
    lyon += factories.persons_taken_in(session, world.lyon, on=date(2026, 3, 9), count=9)
    grenoble = factories.persons_taken_in(session, world.grenoble, on=date(2026, 2, 5), count=2)
    for day in (date(2026, 1, 12), date(2026, 2, 16), date(2026, 3, 23)):
        factories.an_outreach_round(session, world.lyon, round_on=day, persons_met=7)
        factories.an_outreach_round(session, world.grenoble, round_on=day, persons_met=6, mode=OutreachMode.ONLINE)
    return FunderWorld(world, [p.code for p in lyon], [p.code for p in grenoble])
