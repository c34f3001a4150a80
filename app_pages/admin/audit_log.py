"""Journal d'audit (admin): who did what to which record, never the values."""

import streamlit as st

from i18n import N_, _, formats
from services.platform import audit, paging
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.platform import pager, widgets
from ui.platform.guards import require_page
from ui.platform.runtime import runtime

PAGE_SIZE = 100
# Filter names (French ids, the selectbox's stable options) → action prefix.
ACTION_FILTERS = {
    N_("Toutes les actions"): None,
    N_("Connexions"): "login",
    N_("Sessions"): "session",
    N_("Comptes"): "user.",
    N_("Dossiers"): "person",
    N_("Exports"): "export",
}

principal = require_page(PageKey.AUDIT)


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    st.title(_("Journal d'audit"))
    st.caption(_("Conservé un an. Il indique qui a fait quoi et sur quel enregistrement, jamais les contenus."))

    left, middle = st.columns(2)
    action_label = widgets.on(left).selectbox(
        _("Type d'action"), list(ACTION_FILTERS), format_func=_, key="audit_action_filter"
    )
    actor = middle.text_input(_("Identifiant"), placeholder=_("ex. ts.lyon"), key="audit_actor")
    page_number = pager.current("audit_page", (action_label, actor))

    with unit_of_work(runtime().engine) as uow:
        rows, total = audit.list_events(
            uow,
            principal,
            action_prefix=ACTION_FILTERS[action_label],
            actor=actor or None,
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )

    st.caption(_("{count} événement(s)").format(count=formats.number(total)))
    st.dataframe(
        {
            _("Date"): [formats.timestamp(r.occurred_at) for r in rows],
            _("Identifiant"): [r.actor_username for r in rows],
            _("Rôle"): [r.actor_role or "—" for r in rows],
            _("Action"): [r.action for r in rows],
            _("Objet"): [f"{r.entity_type} {r.entity_id}" if r.entity_type else "—" for r in rows],
            _("Détail"): [r.detail or "" for r in rows],
            _("Réussite"): [r.success for r in rows],
        },
        hide_index=True,
    )
    pager.buttons("audit_page", page_number, paging.page_count(total, PAGE_SIZE))


page(principal)
