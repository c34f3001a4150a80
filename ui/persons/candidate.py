"""A possible duplicate at intake, shown in a dialog over the intake form (issue 17).

    from ui.persons.candidate import candidate_buttons
    candidate_buttons(engine, principal, cipher, pending)

Opening the candidate's file in the same tab used to lose the intake being typed: Streamlit forgets the
widgets of a page it did not draw. Here each candidate is a button that opens `st.dialog` on the same
page: the form stays drawn underneath, every typed value kept, and closing the dialog (×, Échap or a
click outside) changes nothing. The dialog shows what the role may see of the file, through the same
service and header as « Fiche personne » (`get_person_file`: the site scope in the query, identity only
with VIEW_IDENTITY); opening it is recorded as `person.view`, as opening the file is. The whole file
(timeline, notes) can still be opened in a new tab with its lasting link (`person_file?code=…`).
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from sqlalchemy.engine import Engine

from i18n import _, formats
from models.labels import label
from services.persons import files as person_files
from services.persons.files import DuplicateCandidate
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Principal
from ui.persons.header import draw_header
from ui.platform.text import md

BUTTON_KEY = "intake_candidate_{person_id}"


def candidate_label(candidate: DuplicateCandidate) -> str:
    """The candidate's code, status and intake day, as plain text (escape it before Markdown), with the
    team's danger marker (its instructions are in the file)."""
    text = _("{code} · {status} · accueil le {day}").format(
        code=candidate.code, status=label(candidate.status), day=formats.day(candidate.intake_on)
    )
    return _("{file} · ⚠ signalement de danger").format(file=text) if candidate.safety_flag else text


def file_link(code: str) -> str:
    """The lasting link of a file, relative to the intake page (same base path): `person_file?code=…`."""
    return f"{PageKey.PERSON_FILE.value}?{urlencode({'code': code})}"


def _show(engine: Engine, principal: Principal, cipher: FieldCipher, candidate: DuplicateCandidate) -> None:
    @st.dialog(_("Dossier {code}").format(code=md(candidate.code)), width="large")
    def dialog() -> None:
        with unit_of_work(engine) as session:
            header = person_files.get_person_file(session, principal, candidate.person_id, cipher=cipher)
        st.caption(
            _("Site {site} · accueil le {day}").format(
                site=md(f"{header.site_code} — {header.site_name}"), day=formats.day(header.intake_on)
            )
        )
        draw_header(header)
        st.caption(
            _(
                "Fermez cette fenêtre (×, ou la touche Échap) pour revenir à l'accueil : ce que vous avez "
                "saisi est gardé."
            )
        )
        st.link_button(
            _("Ouvrir le dossier complet dans un nouvel onglet"),
            file_link(header.code),
            icon=":material/open_in_new:",
        )

    dialog()


def candidate_buttons(
    engine: Engine, principal: Principal, cipher: FieldCipher, candidates: list[DuplicateCandidate]
) -> None:
    """One button per candidate; the one clicked opens its dialog over the page."""
    for candidate in candidates:
        if st.button(
            md(candidate_label(candidate)),
            key=BUTTON_KEY.format(person_id=candidate.person_id),
            icon=":material/warning:" if candidate.safety_flag else ":material/visibility:",
            help=_("Voir ce dossier sans quitter l'accueil en cours"),
        ):
            _show(engine, principal, cipher, candidate)
