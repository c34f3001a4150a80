"""The danger flag in the person file: the banner at its top (the team only), the form that sets,
changes or removes it, and its history; the move of a file to another site (chef_service of both)."""

from __future__ import annotations

import streamlit as st

from i18n import _, formats
from services.persons import files as person_files
from services.persons import safety, transfer
from services.persons.files import PersonFileHeader
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.platform import form_state, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

SAFETY_FORM = "person_safety"
TRANSFER_FORM = "person_transfer"


def _moment(at) -> str:
    return formats.day(at.date()) if at is not None else "—"


def banner(runtime: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """The danger flag and its safe-contact instructions, above everything else of the file, for its
    team; nothing for other roles (the service answers them None)."""
    with unit_of_work(runtime.engine) as uow:
        notice = safety.safety_notice(uow, principal, header.person_id)
    if notice is None:
        return
    st.error(
        _("Signalement de danger — consignes de contact sûr : {instructions}").format(
            instructions=md(notice.instructions)
        ),
        icon=":material/warning:",
    )
    st.caption(
        _("Signalé par {author} le {day}.").format(
            author=md(notice.set_by or _("auteur inconnu")), day=formats.day(notice.set_at.date())
        )
    )


def safety_section(runtime: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """Set, change or remove the flag (roles that edit files and read what is written), and its history."""
    with unit_of_work(runtime.engine) as uow:
        notice = safety.safety_notice(uow, principal, header.person_id)
        history = safety.safety_history(uow, principal, header.person_id)
    form_state.form_error(SAFETY_FORM)
    key = form_state.key(SAFETY_FORM) + f"_{header.person_id}"
    errors = form_state.errors(SAFETY_FORM)
    with widgets.form(key):
        flagged = st.checkbox(
            _("Signalement de danger"),
            value=notice is not None,
            help=_("Visible de l'équipe du dossier seulement, jamais dans les exports."),
            key=f"{key}_flagged",
        )
        form_state.field_error(errors, "flagged")
        instructions = st.text_area(
            _("Consignes de contact sûr"),
            value=notice.instructions if notice else "",
            max_chars=safety.INSTRUCTIONS_MAX,
            placeholder=_("Ex. : ne jamais appeler, SMS uniquement après 20 h ; ne pas laisser de message."),
            key=f"{key}_instructions",
        )
        form_state.field_error(errors, "instructions")
        submitted = st.form_submit_button(_("Enregistrer le signalement"), icon=":material/shield:")
    if submitted:
        data = {"flagged": flagged, "instructions": instructions}

        def save() -> None:
            with unit_of_work(runtime.engine) as uow:
                safety.set_safety(uow, principal, header.person_id, data=data)

        form_state.submit(
            SAFETY_FORM, save, _("Signalement enregistré.") if flagged else _("Signalement de danger retiré.")
        )
    if history:
        st.caption(_("Historique"))
        for change in history:
            what = _("signalé") if change.flagged else _("retiré")
            st.text(f"{_moment(change.at)} · {change.author or _('auteur inconnu')} · {what}")
            if change.instructions:
                st.text(change.instructions)


def transfer_section(runtime: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """Move the file to another site of the chef_service (services.persons.transfer): destination,
    new referent (a worker of the destination, or none), reason. The file then opens by its new code."""
    with unit_of_work(runtime.engine) as uow:
        destinations = transfer.destination_choices(uow, principal, header.person_id)
    if not destinations:
        st.caption(_("Aucun autre de vos sites ne peut recevoir ce dossier."))
        return
    st.caption(
        _(
            "Le dossier, son contenu et son ou sa référent·e passent au site choisi, avec un nouveau code ; "
            "l'équipe du site actuel n'y aura plus accès. Les activités passées (ateliers, cours, "
            "orientations, sorties) restent comptées sur leur site."
        )
    )
    key = form_state.key(TRANSFER_FORM) + f"_{header.person_id}"
    errors = form_state.errors(TRANSFER_FORM)
    form_state.form_error(TRANSFER_FORM)
    by_id = {site.id: site.label for site in destinations}
    to_site_id = widgets.selectbox(_("Site de destination *"), list(by_id), format_func=by_id.get, key=f"{key}_site")
    form_state.field_error(errors, "to_site_id")
    with unit_of_work(runtime.engine) as uow:
        referents = dict(person_files.list_referent_choices(uow, principal, to_site_id))
    with widgets.form(key):
        options = [None, *referents]
        referent_id = widgets.selectbox(
            _("Nouveau ou nouvelle référent·e"),
            options,
            format_func=lambda i: "—" if i is None else referents[i],
            key=f"{key}_referent_{to_site_id}",
        )
        form_state.field_error(errors, "referent_id")
        reason = st.text_area(_("Motif du transfert *"), max_chars=transfer.REASON_MAX, key=f"{key}_reason")
        form_state.field_error(errors, "reason")
        submitted = st.form_submit_button(_("Transférer le dossier"), type="primary", icon=":material/move_up:")
    if submitted:
        data = {"to_site_id": to_site_id, "referent_id": referent_id, "reason": reason}
        version = header.version

        def save() -> None:
            with unit_of_work(runtime.engine) as uow:
                moved = transfer.transfer_file(uow, principal, header.person_id, expected_version=version, data=data)
            st.query_params["code"] = moved.code  # the file now opens by its code at the destination

        form_state.submit(TRANSFER_FORM, save, _("Dossier transféré."))


def transfer_history(runtime: Runtime, principal: Principal, header: PersonFileHeader) -> None:
    """The earlier codes of the file and its moves, under the header (nothing when it never moved)."""
    with unit_of_work(runtime.engine) as uow:
        moves = transfer.transfer_history(uow, principal, header.person_id)
    for move in moves:
        st.caption(
            _("Transféré le {day} de {source} à {destination} par {author} (ancien code {old}).").format(
                day=formats.day(move.transferred_on),
                source=md(move.from_site),
                destination=md(move.to_site),
                author=md(move.author or _("auteur inconnu")),
                old=md(move.old_code),
            )
        )
        if move.reason and principal.can(Capability.VIEW_IDENTITY):
            st.text(_("Motif : ") + move.reason)
