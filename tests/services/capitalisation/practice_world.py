"""A small world for the capitalisation tests (issue 18): two sites, a national project officer, each site's team,
and two conventions whose publication the notes cite.

- « Lyon seul »: a convention on Lyon only, from 2026-01-01; Lyon takes in 12 files on 2026-02-03 and 9 on
  2026-03-09: 21 new intakes in the first quarter, published for Lyon (above the export threshold of 11).
- « Lyon et Grenoble »: a convention on both sites from the same day; Grenoble takes in 2 files on 2026-02-05
  and holds 3 outreach rounds in the quarter (January, February, March). Its quarter totals 23 intakes, so
  the quarter is published, and Grenoble's 2 are suppressed (« < 11 »); rounds are activity, never hidden.
- TODAY is 2026-05-15: the first quarter (Jan–Mar 2026) is over, the second is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.capitalisation import NoteStatus, PracticeNote, PracticeStrand, PracticeTheme
from models.finance import BudgetCategory
from models.organisation import Role, Site
from models.outreach import OutreachMode
from services.platform.principal import Principal
from tests import factories

TODAY = date(2026, 5, 15)
Q1 = "quarter:2026-01-01:2026-03-31"


@dataclass
class PracticeWorld:
    lyon: Site
    grenoble: Site
    officer: Principal
    chef_lyon: Principal
    worker_grenoble: Principal
    teacher_lyon: Principal
    direction: Principal
    gestion: Principal
    admin: Principal
    lyon_only_grant: int
    shared_grant: int
    lyon_note: int  # validated, by the officer
    grenoble_note: int  # proposed, by Grenoble's worker
    person_codes: list[str]


def a_note(
    session: Session,
    site: Site,
    author: Principal,
    *,
    title: str,
    body: str,
    status: NoteStatus,
    theme: PracticeTheme = PracticeTheme.ONLINE_OUTREACH,
    strand: PracticeStrand = PracticeStrand.OUTREACH,
) -> PracticeNote:
    note = PracticeNote(
        site_id=site.id, strand=strand, theme=theme, title=title, body=body, status=status, author_id=author.user_id
    )
    session.add(note)
    session.flush()
    return note


def build(session: Session) -> PracticeWorld:
    lyon, grenoble = factories.lyon_and_grenoble(session)
    funder = factories.a_funder(session)

    def who(role: Role, *sites: Site) -> Principal:
        return factories.principal(session, factories.a_user(session, role, *sites))

    lyon_only = factories.a_convention(
        session,
        funder,
        sites=(lyon,),
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        lines=[("Aller-vers", lyon, BudgetCategory.PURCHASES, 10_000_00, "LYO-60")],
        name="Lyon seul",
    )
    shared = factories.a_convention(
        session,
        funder,
        sites=(lyon, grenoble),
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        lines=[("Aller-vers", grenoble, BudgetCategory.PURCHASES, 10_000_00, "GRE-60")],
        name="Lyon et Grenoble",
    )
    persons = factories.persons_taken_in(session, lyon, on=date(2026, 2, 3), count=12)
    persons += factories.persons_taken_in(session, lyon, on=date(2026, 3, 9), count=9)
    persons += factories.persons_taken_in(session, grenoble, on=date(2026, 2, 5), count=2)
    for day in (date(2026, 1, 12), date(2026, 2, 16), date(2026, 3, 23)):
        factories.an_outreach_round(session, grenoble, round_on=day, persons_met=6, mode=OutreachMode.ONLINE)

    officer = who(Role.CHARGE_MISSION, lyon, grenoble)
    worker_grenoble = who(Role.INTERVENANT, grenoble)
    lyon_note = a_note(
        session,
        lyon,
        officer,
        title="Répondre aux annonces le soir",
        body="Deux salariées répondent aux annonces entre 18 h et 21 h.\n\nLe premier message ne parle que de santé.",
        status=NoteStatus.VALIDATED,
    )
    grenoble_note = a_note(
        session,
        grenoble,
        worker_grenoble,
        title="L'atelier miroir",
        body="Un atelier estime de soi en petit groupe, le mardi matin.",
        status=NoteStatus.PROPOSED,
        theme=PracticeTheme.SELF_ESTEEM_WORKSHOP,
    )
    session.commit()
    return PracticeWorld(
        lyon=lyon,
        grenoble=grenoble,
        officer=officer,
        chef_lyon=who(Role.CHEF_SERVICE, lyon),
        worker_grenoble=worker_grenoble,
        teacher_lyon=who(Role.FORMATEUR, lyon),
        direction=who(Role.DIRECTION),
        gestion=who(Role.GESTION),
        admin=who(Role.ADMIN),
        lyon_only_grant=lyon_only.grant.id,
        shared_grant=shared.grant.id,
        lyon_note=lyon_note.id,
        grenoble_note=grenoble_note.id,
        person_codes=[p.code for p in persons],
    )
