"""File active: the files of the user's sites, filtered and paginated by the service (never all of them)."""

import streamlit as st

from i18n import _, formats, ngettext
from models.labels import label
from models.persons import PersonStatus
from services.persons import files as person_files
from services.persons.access import TRANSFERRED_AWAY_MESSAGE
from services.persons.files import CaseloadFilter, CaseloadPage
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.principal import Capability, Principal
from services.platform.sites import SiteChoice
from ui.platform import pager, widgets
from ui.platform.guards import require_page
from ui.platform.navigation import link_target
from ui.platform.runtime import field_cipher, runtime
from ui.platform.text import md

PAGE_SIZE = 50
ALL_SITES = 0  # a sentinel: Streamlit shows a None option as an empty choice

principal = require_page(PageKey.CASELOAD)


def filters(principal: Principal, sites: list[SiteChoice]) -> CaseloadFilter:
    """The filters above the list, as chosen (kept in the session by their keys)."""
    see_identity = principal.can(Capability.VIEW_IDENTITY)
    site_labels: dict[int, str] = {ALL_SITES: _("Tous mes sites")} | {s.id: s.label for s in sites}
    columns = st.columns([2, 3, 2, 2])
    site_choice = widgets.on(columns[0]).selectbox(
        _("Site"), list(site_labels), format_func=site_labels.get, key="caseload_site"
    )
    statuses = widgets.on(columns[1]).multiselect(
        _("Statut"),
        [s for s in PersonStatus if s != PersonStatus.ANONYMISED],
        default=[PersonStatus.ACTIVE, PersonStatus.PAUSED],
        format_func=label,
        placeholder=_("Tous les statuts"),
        key="caseload_statuses",
    )
    with columns[2]:
        mine = principal.can(Capability.EDIT_PERSON_FILES) and st.checkbox(
            _("Dont je suis référent·e"), key="caseload_mine"
        )
        stale = st.checkbox(_("Sans contact depuis plus de 3 mois"), key="caseload_stale")
    query = columns[3].text_input(
        _("Rechercher"),
        placeholder=_("Code ou prénom") if see_identity else _("Code"),
        help=_(
            "Un code (ou une partie : « 0042 »), ou un prénom : son début (« Hél »), celui d'un de ses mots, "
            "ou ce qui se prononce pareil (« Elène »), sans tenir compte des accents."
        )
        if see_identity
        else _("Un code de dossier (ou une partie : « 0042 »)."),
        key="caseload_query",
    )
    return CaseloadFilter(
        site_id=None if site_choice == ALL_SITES else site_choice,
        statuses=list(statuses),
        referent_is_me=mine,
        no_contact_over_3_months=stale,
        query=query,
    )


def page_number(chosen: CaseloadFilter) -> tuple[int, tuple]:
    """The page to show, back to the first one when the filters change; and the filters' signature."""
    signature = (
        chosen.site_id,
        tuple(chosen.statuses),
        chosen.referent_is_me,
        chosen.no_contact_over_3_months,
        chosen.query.strip(),
    )
    return pager.current("caseload_page", signature), signature


def table(principal: Principal, found: CaseloadPage, several_sites: bool, signature: tuple) -> None:
    """The page of files; a click on a row opens the file."""
    columns = {_("Code"): [r.code for r in found.rows]}
    if principal.can(Capability.VIEW_IDENTITY):
        columns[_("Prénom")] = [r.alias or "—" for r in found.rows]
        # The team's danger marker (services.persons.safety): the instructions are in the file.
        columns[_("Sécurité")] = ["⚠ " + _("Danger") if r.safety_flag else "" for r in found.rows]
    if several_sites:
        columns[_("Site")] = [r.site_code for r in found.rows]
    columns |= {
        _("Statut"): [label(r.status) for r in found.rows],
        _("Référent·e"): [r.referent_name or "—" for r in found.rows],
        _("Dernier contact"): [formats.day(r.last_contact_on) for r in found.rows],
        _("PSP"): [r.psp_status or "—" for r in found.rows],
        _("Prochaine action"): [
            f"{r.next_due_goal or '—'} ({formats.day(r.next_due_on)})" if r.next_due_on else (r.next_due_goal or "—")
            for r in found.rows
        ],
    }
    selection = st.dataframe(
        columns,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"caseload_table_{found.page}_{hash(signature)}",
    )
    chosen = selection.selection.rows if selection else []
    if chosen:
        st.switch_page(link_target(PageKey.PERSON_FILE), query_params={"code": found.rows[chosen[0]].code})


def page(principal: Principal) -> None:
    """The page, drawn at every run (the texts in the session's language)."""
    current = runtime()
    cipher = field_cipher()
    st.title(_("File active"))
    with unit_of_work(current.engine) as uow:
        sites = person_files.list_visible_sites(uow, principal)
    chosen = filters(principal, sites)
    number, signature = page_number(chosen)
    with unit_of_work(current.engine) as uow:
        found = person_files.list_caseload(uow, principal, chosen, cipher=cipher, page=number, page_size=PAGE_SIZE)
    st.caption(
        ngettext(
            "{count} dossier · page {page} sur {pages} · cliquez sur une ligne pour ouvrir le dossier",
            "{count} dossiers · page {page} sur {pages} · cliquez sur une ligne pour ouvrir le dossier",
            found.total,
        ).format(count=formats.number(found.total), page=md(found.page), pages=md(found.page_count))
    )
    if found.transferred_away:
        st.warning(_(TRANSFERRED_AWAY_MESSAGE), icon=":material/move_up:")
    elif not found.rows:
        st.info(_("Aucun dossier ne correspond à ces critères."))
    else:
        table(principal, found, len(sites) > 1, signature)
    pager.buttons("caseload_page", found.page, found.page_count)


page(principal)
