"""A French group of 15 learners with a session today, for the roll-call journeys (issues 17 and 19).

Built in the running app's database through the services, as a head of service and the teacher would:
the journey times the roll call, not this preparation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

import sqlalchemy as sa

import clock
from models.organisation import Site, User
from models.persons import Person, PersonStatus
from services.accounts.auth import load_principal
from services.activities.courses import groups, sessions
from services.platform.db import make_engine, unit_of_work
from tests.browser.conftest import RunningApp
from tests.browser.journey import Account

LEARNERS = 15


@dataclass(frozen=True)
class RollWorld:
    group_name: str
    session_id: int
    codes: tuple[str, ...]  # the 15 learners, by code (the order of the roll)


def a_group_of_fifteen(app: RunningApp, teacher: Account, group_name: str, start: time) -> RollWorld:
    """chef.lyon opens a group taught by `teacher` only, enrols 15 Lyon files in progress (not yet in any
    group of this kind of journey), and the teacher plans today's session at `start`."""
    today = clock.today()
    engine = make_engine(app.database_url)
    try:
        with clock.pinned(app.clock_at_start), unit_of_work(engine) as session:
            chef = load_principal(session, "chef.lyon")
            teacher_id = session.execute(sa.select(User.id).where(User.username == teacher.username)).scalar_one()
            lyon = session.execute(sa.select(Site.id).where(Site.code == "LYO")).scalar_one()
            group_id = groups.create_group(
                session,
                chef,
                data={
                    "site_id": lyon,
                    "name": group_name,
                    "profile": "fle",
                    "target_level": "a2",
                    "starts_on": today - timedelta(days=30),
                    "teacher_ids": [teacher_id],
                },
            )
        codes = _fifteen_files(engine, lyon, group_name)
        for code in codes:
            with clock.pinned(app.clock_at_start), unit_of_work(engine) as session:
                chef = load_principal(session, "chef.lyon")
                groups.enrol_learner(
                    session, chef, group_id=group_id, data={"code": code, "enrolled_on": today - timedelta(days=7)}
                )
        with clock.pinned(app.clock_at_start), unit_of_work(engine) as session:
            principal = load_principal(session, teacher.username)
            session_id = sessions.create_session(
                session,
                principal,
                group_id=group_id,
                data={"session_on": today, "start_time": start, "duration_minutes": 120},
            )
    finally:
        engine.dispose()
    return RollWorld(group_name, session_id, tuple(sorted(codes)))


def _fifteen_files(engine, site_id: int, group_name: str) -> list[str]:
    """Fifteen Lyon files in progress taken in before last week; each journey takes others (by its group
    name's parity) so that two journeys of one run never share a learner."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Person.code)
            .where(
                Person.site_id == site_id,
                Person.status == PersonStatus.ACTIVE,
                Person.intake_on <= clock.today() - timedelta(days=7),
            )
            .order_by(Person.code)
        ).all()
    codes = [row.code for row in rows]
    offset = sum(map(ord, group_name)) % 2
    chosen = codes[offset::2][:LEARNERS]
    assert len(chosen) == LEARNERS, f"only {len(chosen)} Lyon files in progress for {group_name}"
    return chosen


def saved_marks(app: RunningApp, session_id: int) -> dict[str, str]:
    """Code → saved status of the session's marks, read with SQL written here."""
    engine = make_engine(app.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT p.code, a.status FROM course_attendance a JOIN person p ON p.id = a.person_id "
                    "WHERE a.session_id = :id"
                ),
                {"id": session_id},
            ).all()
    finally:
        engine.dispose()
    return dict(rows)
