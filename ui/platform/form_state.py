"""State of a form across reruns: errors by field, the version first seen, a fresh form after success.

After a failed submit the page reruns with the same widget keys, so the input stays in the form and
each error shows beside its field; after a success the form gets new keys (empty again) and a toast.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from services.platform.errors import ServiceError, StaleRecord, ValidationFailed

TOAST_KEY = "parcours_pending_toast"
FORM_ERROR = "_form"  # an error about the whole form (stale record, permission…)


def key(form: str) -> str:
    """The current key of a form; its widgets use it as a prefix."""
    return f"{form}__{st.session_state.get(f'{form}__generation', 0)}"


def errors(form: str) -> dict[str, str]:
    return st.session_state.get(f"{form}__errors", {})


def fail(form: str, messages: dict[str, str]) -> None:
    st.session_state[f"{form}__errors"] = dict(messages)
    st.rerun()


def succeed(form: str, message: str) -> None:
    st.session_state[f"{form}__errors"] = {}
    st.session_state[f"{form}__generation"] = st.session_state.get(f"{form}__generation", 0) + 1
    st.session_state[TOAST_KEY] = message
    st.rerun()


def show_toast() -> None:
    """A toast queued before a rerun (st.rerun would otherwise drop it)."""
    message = st.session_state.pop(TOAST_KEY, None)
    if message:
        st.toast(message, icon=":material/check:")


def seen_version(form: str, record_id: int, current: int) -> int:
    """The version of a record when its edit form was first shown (an edit carries it)."""
    return st.session_state.setdefault(f"{form}__version_{record_id}", current)


def forget_version(form: str, record_id: int) -> None:
    st.session_state.pop(f"{form}__version_{record_id}", None)


def form_error(form: str) -> None:
    message = errors(form).get(FORM_ERROR)
    if message:
        st.error(message, icon=":material/sync_problem:")


def submit(form: str, action: Callable[[], object], success: str, *, versioned: tuple[str, int] | None = None) -> None:
    """Run the service call of a submitted form: errors beside the fields and the input kept,
    or a toast and a fresh form. `versioned` = (form, record id) whose first-seen version to drop
    after the call, so the next save is made knowingly over the new version."""
    try:
        action()
    except ValidationFailed as exc:
        fail(form, exc.errors)
    except StaleRecord as exc:
        if versioned:
            forget_version(*versioned)
        fail(form, {FORM_ERROR: str(exc)})
    except ServiceError as exc:
        fail(form, {FORM_ERROR: str(exc)})
    else:
        if versioned:
            forget_version(*versioned)
        succeed(form, success)
