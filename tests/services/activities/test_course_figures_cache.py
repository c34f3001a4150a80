"""The per-site French-course figures after a save: the save shows, and only the part that read what it wrote
is computed again (a roll call moves the hours per level gained, not the levels reached).

Real commits on a database of its own (SQLite and PostgreSQL), the second save through a second engine: an
other app process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.attendance import AttendanceStatus
from models.courses import (
    CefrLevel,
    CourseAttendance,
    CourseGroup,
    CourseSession,
    LanguageAssessment,
    LanguageSkill,
)
from models.organisation import Role, Site, User
from models.persons import Person
from services.activities.courses import progress as language_progress
from services.platform.db import unit_of_work
from tests import factories
from tests.conftest import backends, two_engines
from ui.activities.courses import figures

TODAY = date(2026, 5, 15)
PRESENT = AttendanceStatus.PRESENT


@pytest.fixture(params=backends())
def engines(request) -> Iterator[tuple[Engine, Engine]]:
    with two_engines(request.param, "parcours_course_figures") as both:
        yield both


# From pré-A1 to A1 (two levels: pré-A1, A1.1, A1) between 12 January and 2 March.
RISE = ((date(2026, 1, 12), CefrLevel.PRE_A1), (date(2026, 3, 2), CefrLevel.A1))


def speaking(uow, person: Person, group: CourseGroup, *levels: tuple[date, CefrLevel]) -> None:
    """The learner's speaking assessed at these levels on these days, in the group."""
    for day, level in levels:
        uow.add(
            LanguageAssessment(
                person_id=person.id,
                site_id=group.site_id,
                group_id=group.id,
                assessed_on=day,
                skill=LanguageSkill.SPEAKING,
                level=level,
            )
        )


def lyon_figures(engine: Engine, user_id: int) -> tuple[int, int, int, float | None]:
    """(learners assessed, reaching A1, gains, median minutes per level) of Lyon, as the page shows them."""
    with unit_of_work(engine) as uow:
        principal = factories.principal(uow, uow.get(User, user_id))
        result = figures._compute(uow, principal, TODAY)
    [lyon] = result.sites
    return lyon.learners, lyon.reached_a1, lyon.gains, lyon.median_minutes_per_level


def test_a_roll_call_moves_the_hours_per_level_and_leaves_the_levels_reached_cached(engines, monkeypatch):
    first, second = engines
    with unit_of_work(first) as uow:
        lyon, _grenoble = factories.lyon_and_grenoble(uow)
        direction = factories.a_user(uow, Role.DIRECTION)
        group = factories.a_course_group(uow, lyon, starts_on=date(2026, 1, 5))
        amina = factories.a_person_in_file_active(uow, lyon, intake_on=date(2025, 12, 1))
        factories.a_learner(uow, group, amina, enrolled_on=date(2026, 1, 5))
        speaking(uow, amina, group, *RISE)
        factories.a_course_session(uow, group, session_on=date(2026, 1, 19), duration_minutes=90, present=(amina,))
        uow.commit()
        direction_id, group_id, amina_id, lyon_id = direction.id, group.id, amina.id, lyon.id

    reached_calls: list[int] = []
    counted_reached = language_progress.reached_levels

    def reached_levels(*args, **kwargs):
        reached_calls.append(1)
        return counted_reached(*args, **kwargs)

    monkeypatch.setattr(language_progress, "reached_levels", reached_levels)

    # pré-A1 → A1 is two levels (pré-A1, A1.1, A1): 90 minutes attended in between, 45 per level.
    assert lyon_figures(first, direction_id) == (1, 1, 1, 45.0)
    assert len(reached_calls) == 1

    # A roll call saved in another process: 9 Feb, 60 minutes, present. 150 minutes, 75 per level.
    with unit_of_work(second) as uow:
        group = uow.get(CourseGroup, group_id)
        amina = uow.get(Person, amina_id)
        factories.a_course_session(uow, group, session_on=date(2026, 2, 9), duration_minutes=60, present=(amina,))
        uow.commit()
    assert lyon_figures(first, direction_id) == (1, 1, 1, 75.0)
    assert len(reached_calls) == 1  # the levels reached read no attendance: served from the cache

    # An assessment saved in another process: Amina's writing at pré-A1, so she no longer reaches A1.
    with unit_of_work(second) as uow:
        uow.add(
            LanguageAssessment(
                person_id=amina_id,
                site_id=lyon_id,
                group_id=group_id,
                assessed_on=date(2026, 3, 2),
                skill=LanguageSkill.WRITING,
                level=CefrLevel.PRE_A1,
            )
        )
        uow.commit()
    assert lyon_figures(first, direction_id) == (1, 0, 1, 75.0)
    assert len(reached_calls) == 2


def marked_present(engine: Engine, session_id: int, person_id: int, site_id: int) -> None:
    """A mark saved in another process, on a class already held (no new class: only the marks move)."""
    with unit_of_work(engine) as uow:
        uow.add(CourseAttendance(session_id=session_id, person_id=person_id, site_id=site_id, status=PRESENT))
        uow.commit()


@dataclass
class Recomputed:
    """The sites of the learners' files each figure of Progression was computed for, call after call."""

    levels: list[list[int]] = field(default_factory=list)
    hours: list[list[int]] = field(default_factory=list)

    def clear(self) -> None:
        self.levels.clear()
        self.hours.clear()


@pytest.fixture
def recomputed(monkeypatch) -> Recomputed:
    found = Recomputed()
    for name, calls in (("reached_levels", found.levels), ("gain_medians", found.hours)):
        figure = getattr(language_progress, name)

        def counted(*args, _figure=figure, _calls=calls, **kwargs):
            _calls.append(sorted(kwargs["file_sites"]))
            return _figure(*args, **kwargs)

        monkeypatch.setattr(language_progress, name, counted)
    return found


def hours_per_site(engine: Engine, direction_id: int) -> dict[int, tuple[int, float | None]]:
    """(gains, median minutes per level) per site, as the page shows them to direction."""
    with unit_of_work(engine) as uow:
        principal = factories.principal(uow, uow.get(User, direction_id))
        return {s.site_id: (s.gains, s.median_minutes_per_level) for s in figures._compute(uow, principal, TODAY).sites}


def test_hours_per_level_are_cached_by_the_site_of_the_learners_file_and_follow_a_mark_made_elsewhere(
    engines, recomputed
):
    """Lyon: Amina. Grenoble: Bintou, and Chloé, taught at Lyon before her file moved to Grenoble (her
    hours count for Grenoble now). Each went from pré-A1 to A1 (two levels) between 12 January and 2 March."""
    first, second = engines
    with unit_of_work(first) as uow:
        lyon, grenoble = factories.lyon_and_grenoble(uow)
        direction = factories.a_user(uow, Role.DIRECTION)
        at_lyon = factories.a_course_group(uow, lyon, starts_on=date(2026, 1, 5))
        at_grenoble = factories.a_course_group(uow, grenoble, starts_on=date(2026, 1, 5))
        amina = factories.a_person_in_file_active(uow, lyon, intake_on=date(2025, 12, 1))
        chloe = factories.a_person_in_file_active(uow, lyon, intake_on=date(2025, 12, 1))
        bintou = factories.a_person_in_file_active(uow, grenoble, intake_on=date(2025, 12, 1))
        for person, group in ((amina, at_lyon), (chloe, at_lyon), (bintou, at_grenoble)):
            factories.a_learner(uow, group, person, enrolled_on=date(2026, 1, 5))
            speaking(uow, person, group, *RISE)
        factories.a_course_session(
            uow, at_lyon, session_on=date(2026, 1, 19), duration_minutes=90, present=(amina, chloe)
        )
        february = factories.a_course_session(uow, at_lyon, session_on=date(2026, 2, 9), duration_minutes=60)
        factories.a_course_session(
            uow, at_grenoble, session_on=date(2026, 1, 19), duration_minutes=120, present=(bintou,)
        )
        chloe.site_id = grenoble.id  # her file moved (her marks and assessments stay at Lyon)
        uow.add(chloe)
        uow.commit()
        ids = direction.id, lyon.id, grenoble.id, february.id, amina.id, chloe.id

    direction_id, lyon_id, grenoble_id, february_id, amina_id, chloe_id = ids

    # Amina 90 min / 2 levels = 45; Bintou 120 / 2 = 60; Chloé 90 / 2 = 45 (for Grenoble): median 52.5.
    assert hours_per_site(first, direction_id) == {lyon_id: (1, 45.0), grenoble_id: (2, 52.5)}
    assert recomputed.hours == [sorted([lyon_id, grenoble_id])]

    # A mark at Lyon for Chloé, whose file is at Grenoble: 150 min, 75 per level; Grenoble's median 67.5.
    marked_present(second, february_id, chloe_id, lyon_id)
    assert hours_per_site(first, direction_id) == {lyon_id: (1, 45.0), grenoble_id: (2, 67.5)}

    # A roll call at Lyon for Amina: 150 min, 75 per level. Lyon's learners only are computed again.
    recomputed.clear()
    marked_present(second, february_id, amina_id, lyon_id)
    assert hours_per_site(first, direction_id) == {lyon_id: (1, 75.0), grenoble_id: (2, 67.5)}
    assert recomputed.hours == [[lyon_id]]


def every_counter(engine: Engine) -> dict[str, int]:
    """Every counter, as stored (a save below moves those of the classes or groups, nothing else)."""
    with engine.connect() as connection:
        return dict(connection.execute(sa.text("SELECT table_name, version FROM data_version")).all())


def moved(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, version in after.items() if version != before.get(name)}


@pytest.fixture
def three_sites_of_learners(engines):
    """Lyon's group: Amina (file at Lyon) and Chloé (file moved to Grenoble), both marked at its January class,
    and its February class, attended by Chloé alone. Marseille's group: Dalila. Each went from pré-A1 to A1
    (two levels) between 12 January and 2 March."""
    first, _second = engines
    with unit_of_work(first) as uow:
        lyon, grenoble = factories.lyon_and_grenoble(uow)
        marseille = factories.a_site(uow, "MRS", "Marseille")
        direction = factories.a_user(uow, Role.DIRECTION)
        at_lyon = factories.a_course_group(uow, lyon, starts_on=date(2026, 1, 5))
        at_marseille = factories.a_course_group(uow, marseille, starts_on=date(2026, 1, 5))
        amina = factories.a_person_in_file_active(uow, lyon, intake_on=date(2025, 12, 1))
        chloe = factories.a_person_in_file_active(uow, lyon, intake_on=date(2025, 12, 1))
        dalila = factories.a_person_in_file_active(uow, marseille, intake_on=date(2025, 12, 1))
        for person, group in ((amina, at_lyon), (chloe, at_lyon), (dalila, at_marseille)):
            factories.a_learner(uow, group, person, enrolled_on=date(2026, 1, 5))
            speaking(uow, person, group, *RISE)
        january = factories.a_course_session(
            uow, at_lyon, session_on=date(2026, 1, 19), duration_minutes=90, present=(amina, chloe)
        )
        february = factories.a_course_session(
            uow, at_lyon, session_on=date(2026, 2, 9), duration_minutes=60, present=(chloe,)
        )
        factories.a_course_session(
            uow, at_marseille, session_on=date(2026, 1, 19), duration_minutes=120, present=(dalila,)
        )
        chloe.site_id = grenoble.id  # her file moved (her marks and assessments stay at Lyon)
        uow.add(chloe)
        uow.commit()
        return {
            "direction": direction.id,
            "sites": (lyon.id, grenoble.id, marseille.id),
            "groups": (at_lyon.id, at_marseille.id),
            "classes": (january.id, february.id),
        }


def test_a_class_or_group_changed_moves_its_counter_at_the_sites_of_its_learners_files(
    engines, three_sites_of_learners
):
    first, second = engines
    lyon, grenoble, marseille = three_sites_of_learners["sites"]
    at_lyon, _at_marseille = three_sites_of_learners["groups"]
    _january, february = three_sites_of_learners["classes"]

    # A class planned at Lyon: no learner marked yet, Lyon's counter only.
    before = every_counter(first)
    with unit_of_work(second) as uow:
        factories.a_course_session(uow, uow.get(CourseGroup, at_lyon), session_on=date(2026, 3, 9))
        uow.commit()
    assert moved(before, every_counter(first)) == {"course_session", f"course_session@{lyon}"}

    # February's class (at Lyon, Chloé alone, her file at Grenoble) lasted 90 minutes, not 60.
    before = every_counter(first)
    with unit_of_work(second) as uow:
        uow.get(CourseSession, february).duration_minutes = 90
        uow.commit()
    assert moved(before, every_counter(first)) == {
        "course_session",
        f"course_session@{lyon}",
        f"course_session@{grenoble}",
    }

    # Lyon's group renamed: its learners' files are at Lyon and Grenoble, not Marseille.
    before = every_counter(first)
    with unit_of_work(second) as uow:
        uow.get(CourseGroup, at_lyon).name = "FLE Lyon soir"
        uow.commit()
    assert moved(before, every_counter(first)) == {"course_group", f"course_group@{lyon}", f"course_group@{grenoble}"}

    # A group opened at Marseille: nobody enrolled yet.
    before = every_counter(first)
    with unit_of_work(second) as uow:
        factories.a_course_group(uow, uow.get(Site, marseille), starts_on=date(2026, 4, 6))
        uow.commit()
    assert moved(before, every_counter(first)) == {"course_group", f"course_group@{marseille}"}


def test_a_class_planned_or_changed_at_lyon_recomputes_the_hours_of_its_learners_sites_only(
    engines, three_sites_of_learners, recomputed
):
    first, second = engines
    direction_id = three_sites_of_learners["direction"]
    lyon, grenoble, marseille = three_sites_of_learners["sites"]
    at_lyon, _at_marseille = three_sites_of_learners["groups"]
    _january, february = three_sites_of_learners["classes"]

    # Amina 90 min / 2 levels = 45; Chloé (for Grenoble) 150 / 2 = 75; Dalila 120 / 2 = 60.
    assert hours_per_site(first, direction_id) == {lyon: (1, 45.0), grenoble: (1, 75.0), marseille: (1, 60.0)}
    recomputed.clear()

    # A class planned at Lyon, nobody marked yet: nothing moves but Lyon's hours (the class's site).
    with unit_of_work(second) as uow:
        factories.a_course_session(uow, uow.get(CourseGroup, at_lyon), session_on=date(2026, 3, 9))
        uow.commit()
    assert hours_per_site(first, direction_id) == {lyon: (1, 45.0), grenoble: (1, 75.0), marseille: (1, 60.0)}
    assert (recomputed.levels, recomputed.hours) == ([], [[lyon]])

    # February's class lasted 90 minutes, not 60: Chloé 180 / 2 = 90, for Grenoble. Marseille stays cached.
    recomputed.clear()
    with unit_of_work(second) as uow:
        uow.get(CourseSession, february).duration_minutes = 90
        uow.commit()
    assert hours_per_site(first, direction_id) == {lyon: (1, 45.0), grenoble: (1, 90.0), marseille: (1, 60.0)}
    assert (recomputed.levels, recomputed.hours) == ([], [sorted([lyon, grenoble])])

    # Lyon's group renamed: the levels reached and the hours of Lyon and Grenoble, not of Marseille.
    recomputed.clear()
    with unit_of_work(second) as uow:
        uow.get(CourseGroup, at_lyon).name = "FLE Lyon soir"
        uow.commit()
    assert hours_per_site(first, direction_id) == {lyon: (1, 45.0), grenoble: (1, 90.0), marseille: (1, 60.0)}
    assert (recomputed.levels, recomputed.hours) == ([sorted([lyon, grenoble])], [sorted([lyon, grenoble])])
