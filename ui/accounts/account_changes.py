"""Direction's home page: who gave someone a way into an account that sees identities, and when."""

from __future__ import annotations

import streamlit as st

from i18n import _, formats
from models.labels import label
from services.accounts import changes
from ui.platform.text import md


def account_changes_block(rows: list[changes.PrivilegedAccountChange]) -> None:
    """The last RECENT_DAYS days of creations, re-enablings and resets of accounts that see identities."""
    st.header(_("Comptes ayant accès à l'identité des personnes"))
    st.caption(
        _(
            "Créations, réactivations et nouveaux mots de passe des {days} derniers jours : qui l'a fait, quand, "
            "pour quel compte. Un acte que vous ne reconnaissez pas se signale à l'administration."
        ).format(days=md(changes.RECENT_DAYS))
    )
    if not rows:
        st.info(_("Aucun changement sur ces comptes pendant cette période."))
        return
    st.dataframe(
        {
            _("Date"): [formats.timestamp(row.occurred_at) for row in rows],
            _("Par"): [row.by for row in rows],
            _("Compte"): [row.username for row in rows],
            _("Rôle"): [label(row.role) for row in rows],
            _("Sites"): [", ".join(row.site_codes) or "—" for row in rows],
            _("Acte"): [label(row.change) for row in rows],
        },
        hide_index=True,
    )
