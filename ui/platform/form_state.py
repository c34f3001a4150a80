"""Forms, the one way: state across reruns, errors beside their fields, the version first seen.

The shape of every form (services.platform.inputs says the service side):
    form = "outreach_new"
    key, errors = form_state.key(form), form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        day = widgets.date_input(_("Date"), key=f"{key}_day"); form_state.field_error(errors, "day")
        submitted = st.form_submit_button(_("Enregistrer"))
    if submitted:
        form_state.submit(form, lambda: save_with_a_unit_of_work({"day": day}), _("Enregistré."))
After a failed submit the page reruns with the same widget keys, so the input stays in the form and
each error shows beside its field; after a success the form gets new keys (empty again) and a toast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import streamlit as st

from i18n import _
from services.platform import oplog
from services.platform.errors import DatabaseUnavailable, ServiceError, StaleRecord, ValidationFailed
from services.platform.inputs import FORM_ERROR
from ui.platform.text import md

TOAST_KEY = "parcours_pending_toast"


def key(form: str) -> str:
    """The current key of a form; its widgets use it as a prefix."""
    return f"{form}__{st.session_state.get(f'{form}__generation', 0)}"


def errors(form: str) -> dict[str, str]:
    return st.session_state.get(f"{form}__errors", {})


def fail(form: str, messages: dict[str, str]) -> NoReturn:
    st.session_state[f"{form}__errors"] = dict(messages)
    st.rerun()


def succeed(form: str, message: str) -> NoReturn:
    st.session_state[f"{form}__errors"] = {}
    st.session_state[f"{form}__generation"] = st.session_state.get(f"{form}__generation", 0) + 1
    st.session_state[TOAST_KEY] = message
    st.rerun()


def show_toast() -> None:
    """A toast queued before a rerun (st.rerun would otherwise drop it)."""
    message = st.session_state.pop(TOAST_KEY, None)
    if message:
        st.toast(md(message), icon=":material/check:")


def seen_version(form: str, record_id: int, current: int) -> int:
    """The version of a record when its edit form was first shown (an edit carries it)."""
    return st.session_state.setdefault(f"{form}__version_{record_id}", current)


def forget_version(form: str, record_id: int) -> None:
    st.session_state.pop(f"{form}__version_{record_id}", None)


def unavailable(form: str, error: DatabaseUnavailable) -> NoReturn:
    """The database refused the save: say so right under the form just drawn, with the values still in
    it, and stop this run there. No rerun: the rest of the page would read the same database, and a page
    that fails before drawing the form would drop what was typed (Streamlit forgets a widget not drawn)."""
    reference = oplog.form_error(error, form=form, retry=error.retry)
    st.error(
        md(_("{message} (référence {reference})").format(message=error, reference=reference)),
        icon=":material/cloud_off:",
    )
    st.stop()


def field_error(errors: dict[str, str], field: str) -> None:
    """The message of `field`, if any, right under its widget."""
    if field in errors:
        st.error(md(errors[field]), icon=":material/error:")


def form_error(form: str) -> None:
    message = errors(form).get(FORM_ERROR)
    if message:
        st.error(md(message), icon=":material/sync_problem:")


def submit(
    form: str, action: Callable[[], object], success: str, *, versioned: tuple[str, int] | None = None
) -> NoReturn:
    """Run the service call of a submitted form: errors beside the fields and the input kept,
    or a toast and a fresh form. The toast says "saved" only after the call returned, that is after
    its commit succeeded; a database that refused the save (DatabaseUnavailable) is logged with a
    reference and shown under the form, saying whether to retry (`unavailable`). `versioned` = (form, record id)
    whose first-seen version to drop after the call, so the next save is made knowingly over the new
    version."""
    try:
        action()
    except ValidationFailed as exc:
        fail(form, exc.errors)
    except StaleRecord as exc:
        if versioned:
            forget_version(*versioned)
        fail(form, {FORM_ERROR: str(exc)})
    except DatabaseUnavailable as exc:
        unavailable(form, exc)
    except ServiceError as exc:
        fail(form, {FORM_ERROR: str(exc)})
    else:
        if versioned:
            forget_version(*versioned)
        succeed(form, success)
