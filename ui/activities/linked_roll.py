"""What a link from « À faire » opens on the course and workshop pages, above their usual content:
`?roll=<session id>` the roll call of that session, `?group=<group id>` that course group chosen.

The session is checked by the roll-call service like any other (a session out of reach is « introuvable »);
a group is chosen only among the groups the page already lists for the user.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from i18n import _
from services.activities.attendance import SessionKind
from services.platform.errors import NotFound, PermissionDenied
from services.platform.principal import Principal
from ui.activities.roll_call import roll_call_grid
from ui.platform.text import md

ROLL_PARAM = "roll"
GROUP_PARAM = "group"


def linked_roll_call(engine: Engine, principal: Principal, kind: SessionKind) -> None:
    """The roll call a link asked for, in a frame with a button to put it away."""
    asked = st.query_params.get(ROLL_PARAM, "")
    if not asked.isdigit():
        return
    with st.container(border=True):
        st.header(_("Appel à faire"))
        try:
            roll_call_grid(engine, principal, kind, int(asked), "linked_roll")
        except (NotFound, PermissionDenied) as exc:
            st.error(md(exc), icon=":material/block:")
        if st.button(_("Fermer cet appel"), icon=":material/close:", key="linked_roll_close"):
            del st.query_params[ROLL_PARAM]
            st.rerun()


def choose_linked_group(group_ids: list[int], key: str) -> None:
    """Choose the group a link named (once: the parameter is then dropped) if the user sees it; `key` is
    the key of the page's group selectbox, set before it is drawn."""
    asked = st.query_params.get(GROUP_PARAM, "")
    if not asked:
        return
    del st.query_params[GROUP_PARAM]
    if asked.isdigit() and int(asked) in group_ids:
        st.session_state[key] = int(asked)
