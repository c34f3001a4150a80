"""A French-course teacher's day in a real browser (issue 4).

`fle.lyon` plans a session of its group for today, takes the roll in the grid (the first learner
present), records a written-expression assessment for that learner, and sees the learner's
progress change on "Progression en français": 2 h 30 more attended, one more session, and the new
level dated today in the table under the chart.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from services import clock
from tests.browser.conftest import RunningApp
from tests.browser.journey import (
    PlaywrightTimeout,
    WAIT_MS,
    choose,
    expect_,
    has_row,
    open_page,
    open_tab,
    sign_in,
    table_rows,
    unlock,
    wait_rows,
)
from i18n.formats import day as french_day

pytestmark = pytest.mark.browser

START = ("19", "15")  # an evening session: no demo session of the day starts then
SKILL = "Expression écrite"
LEVEL = "B2"  # above any demo learner's written level
HOURS = r"Heures de présence de {code} : (\d+) h(?: (\d\d))? \((\d+) séance"


def _session_option(today: date) -> re.Pattern:
    return re.compile(rf"^{re.escape(french_day(today))} à {START[0]}h{START[1]} — ")


def _plan_todays_session(page, today: date) -> None:  # noqa: ANN001
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


def _roll_grid(page, today: date):  # noqa: ANN001, ANN202
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


def _first_learner_present(page, form) -> str:  # noqa: ANN001
    """Mark the first row of the grid Présent·e (keyboard: the grid is a canvas); return its code."""
    expect = expect_()
    rows = wait_rows(
        form, lambda rows: bool(rows) and re.fullmatch(r"LYO-\d{4}-\d{4}", rows[0][0]), "the learners expected today"
    )
    code = rows[0][0]
    assert all(len(row) < 3 or row[2] == "" for row in rows), f"today's roll is not blank: {rows}"
    grid = form.get_by_test_id("stDataFrame")
    grid.scroll_into_view_if_needed()
    present = page.get_by_role("option", name="Présent·e", exact=True)
    for _ in range(3):  # the first click may land while the grid is still being laid out
        page.wait_for_timeout(500)
        box = grid.locator("canvas").first.bounding_box()  # the canvas starts with the header row
        page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # first data row, code column
        page.keyboard.press("ArrowRight")  # first name
        page.keyboard.press("ArrowRight")  # Présence
        page.keyboard.press("Enter")
        try:
            present.wait_for(state="visible", timeout=3000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    present.click()
    wait_rows(form, lambda rows: rows and rows[0][0] == code and rows[0][-1] == "Présent·e", "the mark in the grid")
    form.get_by_role("button", name="Enregistrer l'appel").click()
    expect(page.get_by_text("Appel enregistré.").first).to_be_visible(timeout=WAIT_MS)
    return code


def _record_assessment(page, code: str) -> None:  # noqa: ANN001
    expect = expect_()
    panel = open_tab(page, "Suivi d'un·e apprenant·e")
    choose(panel, "Apprenant·e", re.compile(rf"^{code}"), typed=code)
    new = panel.get_by_role("tabpanel", name="Nouvelle évaluation")
    choose(new, "Compétence", SKILL)
    choose(new, "Niveau CECRL", LEVEL)
    new.get_by_role("textbox", name="Commentaire (facultatif)").fill("Écrit une courte lettre de motivation.")
    new.get_by_role("button", name="Enregistrer l'évaluation").click()
    expect(page.get_by_text(f"Évaluation enregistrée : {SKILL} {LEVEL}.").first).to_be_visible(timeout=WAIT_MS)


def _progress_of(page, code: str) -> tuple[int, int]:  # noqa: ANN001
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


def test_teacher_takes_the_roll_records_an_assessment_and_sees_progress(  # noqa: ANN001
    page, running_app: RunningApp
) -> None:
    today = clock.today()
    unlock(running_app, "fle.lyon")
    sign_in(page, running_app, "fle.lyon")

    open_page(page, "Cours de français", "Cours de français")
    _plan_todays_session(page, today)
    code = table_rows(_roll_grid(page, today))[0][0]

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
    assert running_app.audit_count("fle.lyon", "attendance.roll_saved") >= 1
    assert running_app.audit_count("fle.lyon", "language_assessment.create") == 1
