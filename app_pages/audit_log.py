"""Journal d'audit (admin): who did what to which record, never the values."""

import streamlit as st

from services import audit
from services.db import unit_of_work
from services.pages import PageKey
from ui import format
from ui.guards import require_page
from ui.runtime import runtime

PAGE_SIZE = 100
ACTION_FILTERS = {
    "Toutes les actions": None,
    "Connexions": "login",
    "Sessions": "session",
    "Comptes": "user.",
    "Dossiers": "person",
    "Exports": "export",
}

principal = require_page(PageKey.AUDIT)
st.title("Journal d'audit")
st.caption("Conservé un an. Il indique qui a fait quoi et sur quel enregistrement, jamais les contenus.")

left, middle, right = st.columns([2, 2, 1])
action_label = left.selectbox("Type d'action", list(ACTION_FILTERS))
actor = middle.text_input("Identifiant", placeholder="ex. ts.lyon")
page_number = right.number_input("Page", min_value=1, value=1, step=1)

with unit_of_work(runtime().engine) as uow:
    rows, total = audit.list_events(
        uow, principal, action_prefix=ACTION_FILTERS[action_label], actor=actor or None,
        limit=PAGE_SIZE, offset=(int(page_number) - 1) * PAGE_SIZE,
    )

st.caption(f"{format.number(total)} événement(s)")
st.dataframe(
    {
        "Date": [format.timestamp(r.occurred_at) for r in rows],
        "Identifiant": [r.actor_username for r in rows],
        "Rôle": [r.actor_role or "—" for r in rows],
        "Action": [r.action for r in rows],
        "Objet": [f"{r.entity_type} {r.entity_id}" if r.entity_type else "—" for r in rows],
        "Détail": [r.detail or "" for r in rows],
        "Réussite": [r.success for r in rows],
    },
    hide_index=True,
)
