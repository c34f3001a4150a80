"""Fiche personne: opened with ?code=LYO-2026-0042 (pseudonymous); header, timeline and pathway tabs.

The code is looked up within the user's sites only: a code of another site is answered
"Dossier introuvable." exactly like a code that does not exist.
"""

from collections.abc import Callable

import streamlit as st

from i18n import N_, _, formats, ngettext, pgettext
from services.persons import files as person_files
from services.persons import timeline, transfer
from services.persons.access import normalise_code, person_by_code
from services.persons.files import PersonFileHeader
from services.platform.crypto import FieldCipher
from services.platform.db import unit_of_work
from services.platform.errors import NotFound, PermissionDenied
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from services.worklist import FileTab
from ui.persons import appointments, file_sections, legal_tab, pathway_tabs
from ui.persons import consent as person_consent
from ui.persons import header as person_header
from ui.persons import rights as person_rights
from ui.persons import safety as person_safety
from ui.platform import form_state, widgets
from ui.platform.guards import PERSON_FILE_LAST_OPENED, require_page
from ui.platform.runtime import Runtime, field_cipher, runtime
from ui.platform.text import md

principal = require_page(PageKey.PERSON_FILE)

TITLE = N_("Fiche personne")
LAST_OPENED = PERSON_FILE_LAST_OPENED
OPENED_BY_OLD_CODE = "person_file_opened_by_old_code"  # (old code, code): opened by its old code
TAB_KEY = "person_file_tab"  # the open tab's label (tests open a tab through it)


def code_box() -> None:
    with widgets.form("person_file_open", border=False, enter_to_submit=True):  # a search: Enter opens
        typed = st.text_input(_("Code du dossier"), placeholder="LYO-2026-0042", max_chars=20, key="person_file_code")
        if st.form_submit_button(_("Ouvrir"), icon=":material/search:"):
            st.query_params["code"] = normalise_code(typed)
            st.rerun()


def opened_file(current: Runtime, principal: Principal, code: str, cipher: FieldCipher) -> PersonFileHeader | None:
    """The header of the file of `code` in the principal's sites (audited once per opening); else the
    refusal, the same for a file of another site as for a code that does not exist, and None."""
    try:
        with unit_of_work(current.engine) as uow:
            person = person_by_code(uow, principal, code)
            # One audit entry per opening: reruns caused by the tabs' forms are not new openings.
            opening = st.session_state.get(LAST_OPENED) != person.code
            header = person_files.get_person_file(uow, principal, person.id, cipher=cipher, record_view=opening)
    except (NotFound, PermissionDenied) as exc:
        st.title(_(TITLE))
        st.error(md(exc), icon=":material/block:")
        code_box()
        return None
    st.session_state[LAST_OPENED] = header.code
    if header.code != code:  # an old code, from before a transfer: the address now names the file's code
        st.query_params["code"] = header.code
        st.session_state[OPENED_BY_OLD_CODE] = (code, header.code)
    old = st.session_state.get(OPENED_BY_OLD_CODE)
    if old and old[1] == header.code:  # said again on the reruns that follow (the address has the new code)
        st.info(
            _(
                "Le code {old} est l'ancien code de ce dossier, transféré depuis : son code est maintenant {new}."
            ).format(old=md(old[0]), new=md(header.code)),
            icon=":material/move_up:",
        )
    else:
        st.session_state.pop(OPENED_BY_OLD_CODE, None)
    return header


def header_forms(
    current: Runtime, principal: Principal, header: PersonFileHeader, cipher: FieldCipher, *, situation_open: bool
) -> None:
    """The forms of the file's head, each in its expander, drawn once opened (ui.persons.file_sections)."""
    code = header.code
    left, right = st.columns(2)
    file_sections.section(
        left,
        file_sections.SITUATION,
        _("Modifier l'identité et la situation"),
        code=code,
        icon=":material/edit:",
        expanded=situation_open,
        draw=lambda: person_header.situation_form(current, principal, header, cipher),
    )
    file_sections.section(
        right,
        file_sections.CLOSING,
        _("Clôturer / rouvrir le dossier"),
        code=code,
        icon=":material/lock:",
        draw=lambda: person_header.closing_form(current, principal, header),
    )
    file_sections.section(
        st,
        file_sections.CONSENT,
        _("Consentements"),
        code=code,
        icon=":material/privacy_tip:",
        draw=lambda: person_consent.consent_section(current, principal, header),
    )
    if principal.can(Capability.VIEW_IDENTITY):
        file_sections.section(
            st,
            file_sections.SAFETY,
            _("Sécurité : signalement de danger"),
            code=code,
            icon=":material/shield:",
            draw=lambda: person_safety.safety_section(current, principal, header),
        )
    if transfer.may_transfer(principal):
        file_sections.section(
            st,
            file_sections.TRANSFER,
            _("Transférer le dossier vers un autre site"),
            code=code,
            icon=":material/move_up:",
            draw=lambda: person_safety.transfer_section(current, principal, header),
        )


def timeline_tab(current: Runtime, principal: Principal, header: PersonFileHeader, cipher: FieldCipher) -> None:
    with unit_of_work(current.engine) as uow:
        events = timeline.person_timeline(uow, principal, header.person_id, cipher=cipher)
    st.caption(
        ngettext(
            "{count} événement, du plus récent au plus ancien.",
            "{count} événements, du plus récent au plus ancien.",
            len(events),
        ).format(count=formats.number(len(events)))
    )
    st.dataframe(
        {
            _("Date"): [formats.day(e.on) for e in events],
            _("Événement"): [e.title for e in events],
            _("Détail"): [e.detail or "" for e in events],
        },
        hide_index=True,
        width="stretch",
        height=min(600, 38 + 35 * max(1, len(events))),
    )


def pathway_tabs_of(principal: Principal) -> list[tuple[str, str, Callable]]:
    """The tabs after « Parcours », in the session's language: (link name, name, drawer); the link name is
    the `tab` query parameter that opens it (services.worklist.FileTab)."""
    tabs = [
        ("freins", _("Freins"), pathway_tabs.barriers_tab),
        ("plan", _("Plan d'action"), pathway_tabs.goals_tab),
        (FileTab.PSP, _("PSP"), pathway_tabs.psp_tab),
        (FileTab.REFERRALS, _("Orientations"), pathway_tabs.referrals_tab),
        ("sorties", _("Sorties"), pathway_tabs.outcomes_tab),
        ("rendez-vous", _("Rendez-vous"), appointments.appointments_tab),
    ]
    if principal.can(Capability.VIEW_IDENTITY):
        tabs.append((FileTab.NOTES, _("Notes"), pathway_tabs.notes_tab))
        tabs.append((FileTab.LEGAL, _("Juridique"), legal_tab.legal_tab))
    return tabs


def page(principal: Principal) -> None:
    """The page, drawn at every run (in a function: its texts are translated when it runs)."""
    current = runtime()
    cipher = field_cipher()
    form_state.show_toast()
    code = normalise_code(st.query_params.get("code", ""))
    if not code:
        st.title(_(TITLE))
        st.caption(_("Ouvrez un dossier depuis la file active, ou saisissez son code."))
        code_box()
        return
    header = opened_file(current, principal, code, cipher)
    if header is None:
        return
    st.title(f"{_(TITLE)} · {md(header.code)}")
    person_safety.banner(current, principal, header)  # the team's danger flag, above all else
    person_header.draw_header(header)
    person_safety.transfer_history(current, principal, header)
    asked = st.query_params.get("tab", "")  # a link from « À faire » names the tab where the work is done
    if header.may_edit:
        header_forms(current, principal, header, cipher, situation_open=asked == FileTab.SITUATION)
    if person_rights.may_use(principal, header):
        file_sections.section(
            st,
            file_sections.RIGHTS,
            _("Droits de la personne : export, correction, effacement"),
            code=header.code,
            icon=":material/gavel:",
            draw=lambda: person_rights.rights_section(current, principal, header, cipher),
        )
    others = pathway_tabs_of(principal)
    opened = next((md(name) for link, name, _draw in others if link == asked), None)
    # Only the open tab draws its lists, tables and charts (opening another tab reruns the page): the file
    # of a person followed for years has 9 of them. A tab's forms are drawn once it was opened on the file
    # (ui.persons.file_sections says why).
    tabs = st.tabs(
        [pgettext("pathway", "Parcours"), *(md(name) for _link, name, _draw in others)],
        default=opened,
        key=TAB_KEY,
        on_change="rerun",
    )
    with tabs[0]:
        if tabs[0].open:
            timeline_tab(current, principal, header, cipher)
    drawn = file_sections.tabs_to_draw(header.code, [link for link, _name, _draw in others], tabs[1:])
    for tab, (link, _name, draw) in zip(tabs[1:], others, strict=True):
        with tab:
            if link in drawn:
                draw(current, principal, header, shown=bool(tab.open))


page(principal)
