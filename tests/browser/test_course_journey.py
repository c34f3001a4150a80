"""A French-course teacher's day in a real browser (issue 4).

A French teacher of Lyon (an account of this journey's own, teaching the Lyon group with the most
learners today) plans a session of its group for today, takes the roll in the grid (the first learner
present), records a written-expression assessment for that learner, and sees the learner's
progress change on "Progression en français": 2 h 30 more attended, one more session, and the new
level dated today in the table under the chart.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

import clock
from i18n.formats import day as french_day
from models.courses import CourseEnrolment, CourseGroup, CourseTeacher
from models.organisation import Role, Site, User
from services.platform.db import make_engine, unit_of_work
from tests.browser.conftest import RunningApp
from tests.browser.journey import (
    WAIT_MS,
    Account,
    an_account,
    choose,
    expect_,
    has_row,
    open_page,
    open_tab,
    sign_in,
    wait_rows,
)

pytestmark = pytest.mark.browser

START = ("19", "15")  # an evening session: no demo session of the day starts then
SKILL = "Expression écrite"
LEVEL = "B2"  # above any demo learner's written level
HOURS = r"Heures de présence de {code} : (\d+) h(?: (\d\d))? \((\d+) séance"


def _teaches_the_fullest_group_of(app: RunningApp, teacher: Account, site_code: str, today: date) -> None:
    """As a head of service would, the teacher is added to one French group of the site: the one with
    the most learners expected today (the demo data may leave a group empty on a given day), so that
    the pages open on it."""
    engine = make_engine(app.database_url)
    try:
        with unit_of_work(engine) as session:
            user_id = session.execute(sa.select(User.id).where(User.username == teacher.username)).scalar_one()
            learners = sa.func.count(CourseEnrolment.person_id)
            fullest = session.execute(
                sa.select(CourseGroup.id, learners)
                .join(Site, Site.id == CourseGroup.site_id)
                .join(CourseEnrolment, CourseEnrolment.group_id == CourseGroup.id)
                .where(
                    Site.code == site_code,
                    CourseEnrolment.enrolled_on <= today,
                    sa.or_(CourseEnrolment.left_on.is_(None), CourseEnrolment.left_on >= today),
                )
                .group_by(CourseGroup.id)
                .order_by(learners.desc(), CourseGroup.id)
            ).first()
            assert fullest is not None, f"no French group of {site_code} has learners on {today}"
            session.add(CourseTeacher(group_id=fullest[0], user_id=user_id))
            session.commit()
    finally:
        engine.dispose()


def _session_option(today: date) -> re.Pattern:
    return re.compile(rf"^{re.escape(french_day(today))} à {START[0]}h{START[1]} — ")


def _plan_todays_session(page, today: date) -> None:
    expect = expect_()
    panel = open_tab(page, "Séances et appel")
    form = panel.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Planifier la séance"))
    expect(form).to_have_count(1, timeout=WAIT_MS)
    hour = form.get_by_role("spinbutton", name="heure, Heure de début", exact=True)
    hour.click()
    page.keyboard.type("".join(START))  # st.time_input: hour / minute segments
    expect(hour).to_have_text(START[0])
    expect(form.get_by_role("spinbutton", name="minute, Heure de début", exact=True)).to_have_text(START[1])
    expect(form.get_by_role("spinbutton", name="Durée (minutes)")).to_have_value("150")
    form.get_by_role("button", name="Planifier la séance").click()
    expect(page.get_by_text("Séance planifiée.").first).to_be_visible(timeout=WAIT_MS)


def _roll_grid(page, today: date):
    """Choose today's evening session; return its roll-call form once the grid is drawn."""
    expect = expect_()
    panel = open_tab(page, "Séances et appel")
    choose(panel, "Séance", _session_option(today))
    expect(
        panel.get_by_text(re.compile(rf"— {re.escape(french_day(today))} à {START[0]}h{START[1]}, 2 h 30$"))
    ).to_be_visible(timeout=WAIT_MS)
    form = panel.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Enregistrer l'appel"))
    expect(form).to_have_count(1, timeout=WAIT_MS)
    return form


def _roll_codes(form) -> list[str]:
    """The codes of the roll, in its order: each person's marks are a radio group named after them."""
    groups = form.get_by_role("radiogroup")
    expect_()(groups.first).to_be_visible(timeout=WAIT_MS)
    return [re.match(r"^Présence de (\S+)", group.get_attribute("aria-label")).group(1) for group in groups.all()]


def _first_learner_present(page, form) -> str:
    """Save the roll as it starts, « Tous présents » (today's roll is blank: everyone on Présent·e); return
    the first code."""
    expect = expect_()
    code = _roll_codes(form)[0]
    assert re.fullmatch(r"LYO-\d{4}-\d{4}", code), code
    present = form.get_by_role("radiogroup", name=re.compile(rf"^Présence de {code}\b")).get_by_role(
        "radio", name="Présent·e"
    )
    expect(present).to_be_checked()
    form.get_by_role("button", name="Enregistrer l'appel").click()
    expect(page.get_by_text(re.compile(r"^Appel enregistré : \d+ présent·e\(s\)")).first).to_be_visible(timeout=WAIT_MS)
    return code


def _record_assessment(page, code: str) -> None:
    expect = expect_()
    panel = open_tab(page, "Suivi d'un·e apprenant·e")
    choose(panel, "Apprenant·e", re.compile(rf"^{code}"), typed=code)
    new = panel.get_by_role("tabpanel", name="Nouvelle évaluation")
    choose(new, "Compétence", SKILL)
    choose(new, "Niveau CECRL", LEVEL)
    new.get_by_role("textbox", name="Commentaire (facultatif)").fill("Écrit une courte lettre de motivation.")
    new.get_by_role("button", name="Enregistrer l'évaluation").click()
    expect(page.get_by_text(f"Évaluation enregistrée : {SKILL} {LEVEL}.").first).to_be_visible(timeout=WAIT_MS)


def _progress_of(page, code: str) -> tuple[int, int]:
    """(minutes, sessions) attended by a learner of the default group, as the progress page shows them."""
    expect = expect_()
    open_page(page, "Progression en français", "Progression en français")
    panel = open_tab(page, "Par apprenant·e")
    choose(panel, "Apprenant·e", re.compile(rf"^{code}"), typed=code)
    pattern = re.compile(HOURS.format(code=re.escape(code)))
    caption = panel.get_by_text(pattern)
    expect(caption).to_have_count(1, timeout=WAIT_MS)
    expect(panel.get_by_test_id("stVegaLiteChart").first).to_be_visible(timeout=WAIT_MS)
    match = pattern.search(caption.inner_text())
    return int(match.group(1)) * 60 + int(match.group(2) or 0), int(match.group(3))


def test_teacher_takes_the_roll_records_an_assessment_and_sees_progress(page, running_app: RunningApp) -> None:
    today = clock.today()
    teacher = an_account(running_app, "fle.lyon.roll", "Odile Carré", Role.FORMATEUR, site_codes=("LYO",))
    _teaches_the_fullest_group_of(running_app, teacher, "LYO", today)
    sign_in(page, running_app, teacher)

    open_page(page, "Cours de français", "Cours de français")
    _plan_todays_session(page, today)
    code = _roll_codes(_roll_grid(page, today))[0]

    minutes_before, sessions_before = _progress_of(page, code)

    open_page(page, "Cours de français", "Cours de français")
    assert _first_learner_present(page, _roll_grid(page, today)) == code
    _record_assessment(page, code)

    minutes, sessions = _progress_of(page, code)
    assert (minutes - minutes_before, sessions - sessions_before) == (150, 1)
    # The table under the chart: the new written level, dated today (polled: it is redrawn after the caption).
    wait_rows(
        page.get_by_role("tabpanel", name="Par apprenant·e"),
        has_row(lambda row: row[0] == SKILL and row[2:4] == (LEVEL, french_day(today))),
        f"{SKILL} {LEVEL} on {today}",
    )
    assert running_app.audit_count(teacher.username, "attendance.roll_saved") == 1
    assert running_app.audit_count(teacher.username, "language_assessment.create") == 1
