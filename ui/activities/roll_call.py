"""The roll call of one session, shared by the workshop and French-course pages.

    from services.activities.attendance import SessionKind
    from ui.activities.roll_call import roll_call_grid

    roll_call_grid(current.engine, principal, SessionKind.COURSE, session_id, "course_roll")

roll_call_grid(engine, principal, kind, session_id, key) -> RollCall
- engine: the app engine (`ui.platform.runtime.runtime().engine`); the roll opens its own units of work (one
  to read the roll, one to save it), so call it outside any `with unit_of_work(...)` block.
- principal: the signed-in principal. Access is checked by services.activities.attendance: pass a session
  of a list the principal was shown (a session out of reach raises, as any read of the page would).
- kind: SessionKind.WORKSHOP or SessionKind.COURSE; session_id: the session's id.
- key: a prefix unique on the page for this roll (the kind and session id are appended to it).

A roll of 15 is taken in seconds (issue 17): it starts from « Tous présents », so only the exceptions
are touched, one click or one key each. Each person is one row: the code (and first name for roles that
see it) and a horizontal radio group Présent·e / Absent·e / Absent·e excusé·e. The radios are real form
controls (not a canvas grid): Tab goes from one person to the next, an arrow key changes the mark
(→ Absent·e, ← Absent·e excusé·e from Présent·e), and screen readers name each group by the person.
A person without a saved mark starts on Présent·e, so a roll cannot be saved incomplete; when a saved
roll still has persons without a mark (enrolled after the roll, or a roll saved before this rule) a
warning says how many, and the next save records them as shown.

Only the marks the user changed are sent (and every person without a saved mark): a colleague's save of
other rows meanwhile is kept. Draws: the session heading, a warning when the session is more than
LATE_AFTER_DAYS old (the save is traced as a late edit), the form whose "Enregistrer l'appel" button
saves every row in one transaction, errors under it and a toast with the counts after a successful save
(ui.platform.form_state.submit). A roll longer than ROLL_PAGE_SIZE persons is shown a page at a time,
each page's form saving its rows (the counts above it stay those of the whole roll); the service reads that
page's first names only. Returns the RollCall drawn: its `entries` are the page shown, its `listed`, `marked`
and `present` the whole roll's.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from i18n import N_, _, formats, ngettext
from models.attendance import AttendanceStatus
from models.labels import label
from services.activities import attendance
from services.activities.attendance import LATE_AFTER_DAYS, RollCall, RollEntry, SessionKind
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from ui.persons import markers
from ui.platform import form_state, pager, widgets
from ui.platform.runtime import field_cipher
from ui.platform.text import md

SAVE_LABEL = N_("Enregistrer l'appel")
# The order of the choices: from Présent·e, → gives Absent·e and ← (wrapping) Absent·e excusé·e, one key each.
CHOICES = (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
START = AttendanceStatus.PRESENT  # « Tous présents »: the mark of a person not marked yet
# Persons per page of the roll. A roll is a workshop's or a group's dozen or two: one page. A site whose
# cycles stay open expects hundreds at each workshop (the large synthetic dataset: 166 to 193); drawn at
# once, Streamlit copies its session state at every radio (`SessionState.filtered_state`), so the page
# grew with the square of the roll: 260-480 ms for each click on the page, and seconds under load.
ROLL_PAGE_SIZE = 30
ROW_NAME_WIDTH = 320  # pixels: a code and a first name, the marks beside them on every row


def mark_key(form_key: str, person_id: int) -> str:
    """The widget key of one person's mark in the roll form drawn under `form_key` (tests read it)."""
    return f"{form_key}_mark_{person_id}"


def _heading(roll: RollCall) -> str:
    when = formats.day(roll.session_on)
    if roll.start_time is not None:
        at = _("{hours}h{minutes}").format(hours=roll.start_time.hour, minutes=f"{roll.start_time.minute:02d}")
        when = _("{day} à {time}").format(day=when, time=at)
    hours, minutes = divmod(roll.duration_minutes, 60)
    length = f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    return f"**{roll.title}** — {when}, {length}"


def _who(entry: RollEntry) -> str:
    return f"{entry.code} {entry.first_name}" if entry.first_name else entry.code


def _row():
    """One person's line: who (ROW_NAME_WIDTH), then the mark; on a phone the mark wraps under the name. One
    block per person, where two columns made three: a roll page draws 30 of them at every click."""
    return st.container(horizontal=True, vertical_alignment="center")


def _transferred(entry: RollEntry) -> None:
    """A file moved to another site since: its mark stays (counted), without its code or name, unchanged."""
    row = _row()
    row.markdown(f"*{md(markers.listed(entry.code, True))}*", width=ROW_NAME_WIDTH)
    row.markdown(md(label(entry.status)) if entry.status is not None else "—")


def _summary(roll: RollCall) -> None:
    """How many are expected, marked and present; how to go fast; the unmarked and the late edit."""
    marked, present = roll.marked, roll.present
    unmarked = roll.listed - marked  # a file moved away is listed only with its mark
    st.caption(
        _(
            "{expected} personne(s) attendue(s) ou déjà notée(s) · {marked} appel(s) enregistré(s), "
            "dont {present} présence(s)."
        ).format(expected=formats.number(roll.listed), marked=formats.number(marked), present=formats.number(present))
    )
    if not marked:
        st.info(
            _(
                "Appel à faire : tout le monde part « présent·e ». Changez seulement les absences (un clic, ou "
                "Tab jusqu'à la personne puis → absent·e, ← excusé·e), puis enregistrez."
            ),
            icon=":material/done_all:",
        )
    elif unmarked:
        st.warning(
            ngettext(
                "{count} personne n'a pas d'appel enregistré : elle est proposée présente ci-dessous, "
                "vérifiez puis enregistrez.",
                "{count} personnes n'ont pas d'appel enregistré : elles sont proposées présentes ci-dessous, "
                "vérifiez puis enregistrez.",
                unmarked,
            ).format(count=formats.number(unmarked)),
            icon=":material/rule:",
        )
    if roll.is_late:
        st.warning(
            _("Séance de plus de {days} jours : modification tardive, elle sera tracée.").format(days=LATE_AFTER_DAYS),
            icon=":material/history:",
        )


def _mark(entry: RollEntry, form_key: str) -> AttendanceStatus:
    """One person's row (inside the form): who, then the three choices on one line."""
    row = _row()
    row.markdown(
        (f"**{md(markers.danger(True))}** " if entry.safety_flag else "")
        + f"**{md(entry.code)}**"
        + (f" {md(entry.first_name)}" if entry.first_name else ""),
        width=ROW_NAME_WIDTH,
    )
    with row:
        return st.radio(
            md(_("Présence de {person}").format(person=_who(entry))),
            CHOICES,
            index=CHOICES.index(entry.status or START),
            format_func=label,
            horizontal=True,
            label_visibility="collapsed",
            key=mark_key(form_key, entry.person_id),
        )


def _saved_message(chosen: dict[int, AttendanceStatus]) -> str:
    counts = {status: sum(value == status for value in chosen.values()) for status in AttendanceStatus}
    return _("Appel enregistré : {present} présent·e(s), {absent} absent·e(s), {excused} excusé·e(s).").format(
        present=formats.number(counts[AttendanceStatus.PRESENT]),
        absent=formats.number(counts[AttendanceStatus.ABSENT]),
        excused=formats.number(counts[AttendanceStatus.EXCUSED]),
    )


def _form_name(key: str, kind: SessionKind, session_id: int) -> str:
    return f"{key}_{kind.value}_{session_id}"


def _pages_key(form: str) -> str:
    return f"{form}_page"


def _roll_form(engine: Engine, principal: Principal, roll: RollCall, key: str) -> None:
    """The rows in a form whose button saves the marks through form_state (errors under the rows); a roll
    longer than ROLL_PAGE_SIZE shows one page of it at a time, saved on its own."""
    form = _form_name(key, roll.kind, roll.session_id)
    form_key, errors = form_state.key(form), form_state.errors(form)
    entries = roll.entries  # the page the service was asked for (roll_call_grid)
    if roll.page_count > 1:
        st.caption(
            _(
                "Personnes {first} à {last} sur {total} : enregistrez l'appel de cette page avant de passer "
                "à la suivante (les choix non enregistrés d'une page ne sont pas gardés)."
            ).format(
                first=formats.number(roll.offset + 1),
                last=formats.number(roll.offset + len(entries)),
                total=formats.number(roll.listed),
            )
        )
    with widgets.form(form_key):
        form_state.form_error(form)
        chosen = {}
        for entry in entries:
            if entry.transferred:
                _transferred(entry)
            else:
                chosen[entry.person_id] = _mark(entry, form_key)
        form_state.field_error(errors, "session")
        form_state.field_error(errors, "statuses")
        submitted = st.form_submit_button(_(SAVE_LABEL), type="primary", icon=":material/how_to_reg:")
    if roll.page_count > 1:
        pager.buttons(
            _pages_key(form),
            roll.page,
            roll.page_count,
            previous_label=_("Personnes précédentes"),
            next_label=_("Personnes suivantes"),
        )
    if submitted:
        drawn = {entry.person_id: entry.status for entry in entries}
        # The changes only (every person without a saved mark is one): a colleague's marks of other rows stay.
        marks = {person_id: status for person_id, status in chosen.items() if status != drawn[person_id]}

        def save() -> None:
            with unit_of_work(engine) as session:
                attendance.save_roll_call(
                    session, principal, kind=roll.kind, session_id=roll.session_id, statuses=marks
                )

        form_state.submit(form, save, _saved_message(chosen))


def roll_call_grid(engine: Engine, principal: Principal, kind: SessionKind, session_id: int, key: str) -> RollCall:
    """Draw the roll of one session and save it on "Enregistrer l'appel" (see the module docstring)."""
    form_state.show_toast()
    page = pager.current(_pages_key(_form_name(key, kind, session_id)), session_id)
    with unit_of_work(engine) as session:
        roll = attendance.roll_call(
            session,
            principal,
            kind=kind,
            session_id=session_id,
            cipher=field_cipher(),
            page=page,
            page_size=ROLL_PAGE_SIZE,
        )
    st.markdown(md(_heading(roll)))
    if roll.is_future:
        st.info(_("L'appel se fait le jour de la séance ou après."), icon=":material/event:")
    elif not roll.listed:
        st.info(
            _("Personne n'est inscrit·e à cette date : inscrivez d'abord les personnes, puis faites l'appel."),
            icon=":material/group_off:",
        )
    else:
        _summary(roll)
        _roll_form(engine, principal, roll, key)
    return roll
