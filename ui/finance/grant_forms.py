"""Pieces of the Financements page for gestion: the funder and grant forms, the budget lines editor.

Every form goes through ui.platform.form_state.submit (errors beside the fields, input kept on failure).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import streamlit as st

from i18n import _, formats
from models.finance import BudgetCategory, FunderKind
from models.labels import label
from services.finance import grants
from services.finance import lines as budget_lines
from services.finance.grants import FunderRow, GrantDetail, GrantInput
from services.finance.lines import LineInput
from services.platform.db import unit_of_work
from services.platform.money import parse_amount
from services.platform.principal import Principal
from services.platform.sites import SiteChoice
from ui.platform import form_state
from ui.platform.runtime import Runtime

DATE_FORMAT = "DD/MM/YYYY"
# Column identifiers of the lines editor, the same in every language (the headers people read are the
# column_config labels).
LINE_COLUMNS = ["strand", "site", "category", "planned", "code"]


def category_of_label() -> dict[str, BudgetCategory]:
    """The editor's category cells (labels in the active language) back to their category."""
    return {label(c): c for c in BudgetCategory}


def amount_text(cents: int) -> str:
    """Cents as the text users type back, exact: '12 345,67' (French), '12,345.67' (English)
    — what services.platform.money.parse_amount reads in the same language."""
    return formats.amount(cents)


def percent_to_bp(value: float | None) -> int:
    return int((Decimal(str(value or 0)) * 100).to_integral_value())


def show_errors(errors: dict[str, str], *, skip: tuple[str, ...] = ()) -> None:
    """Errors that are not about one field of the form (the lines of the editor, the total)."""
    for key, message in errors.items():
        if key not in skip:
            st.error(message, icon=":material/error:")


def funder_form(runtime: Runtime, principal: Principal) -> None:
    form = "funder_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with st.form(key):
        form_state.form_error(form)
        name = st.text_input(_("Nom du financeur"), max_chars=grants.FUNDER_NAME_MAX, key=f"{key}_name")
        form_state.field_error(errors, "name")
        kind = st.selectbox(_("Type"), list(FunderKind), format_func=label, key=f"{key}_kind")
        form_state.field_error(errors, "kind")
        submitted = st.form_submit_button(_("Ajouter le financeur"))
    if submitted:

        def create() -> None:
            with unit_of_work(runtime.engine) as uow:
                grants.create_funder(uow, principal, name=name, kind=kind)

        form_state.submit(form, create, _("Financeur « {name} » ajouté.").format(name=" ".join(name.split())))


def grant_form(
    runtime: Runtime,
    principal: Principal,
    *,
    funders: list[FunderRow],
    sites: list[SiteChoice],
    detail: GrantDetail | None = None,
) -> None:
    """Create a convention (detail None) or edit one (its version is the one first shown)."""
    form = "grant_new" if detail is None else f"grant_edit_{detail.grant.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    g = detail.grant if detail else None
    version = form_state.seen_version(form, g.id, g.version) if g else None
    funder_ids = [f.id for f in funders]
    funder_name = {f.id: f.name for f in funders}
    site_ids = [s.id for s in sites]
    site_label = {s.id: s.label for s in sites}
    with st.form(key):
        form_state.form_error(form)
        funder_id = st.selectbox(
            _("Financeur"),
            funder_ids,
            format_func=funder_name.get,
            key=f"{key}_funder",
            index=funder_ids.index(g.funder_id) if g and g.funder_id in funder_ids else None,
            placeholder=_("Choisir un financeur"),
        )
        form_state.field_error(errors, "funder_id")
        name = st.text_input(
            _("Intitulé"), value=g.name if g else "", max_chars=grants.GRANT_NAME_MAX, key=f"{key}_name"
        )
        form_state.field_error(errors, "name")
        left, right = st.columns(2)
        with left:
            ref = st.text_input(
                _("Référence de la convention"),
                value=g.convention_ref if g else "",
                max_chars=grants.CONVENTION_REF_MAX,
                key=f"{key}_ref",
                help=_("Unique, par exemple AGRASC-FDC-2026-018."),
            )
            form_state.field_error(errors, "convention_ref")
            starts_on = st.date_input(
                _("Début"),
                value=g.starts_on if g else None,
                format=DATE_FORMAT,
                key=f"{key}_start",
                min_value=date(2000, 1, 1),
                max_value=date(2100, 1, 1),
            )
            form_state.field_error(errors, "starts_on")
            tolerance = st.number_input(
                _("Tolérance entre lignes (%)"),
                min_value=0.0,
                max_value=50.0,
                step=0.5,
                value=(g.tolerance_bp / 100) if g else 10.0,
                key=f"{key}_tolerance",
                help=_("Écart admis par la convention entre le prévu et le réalisé d'une ligne."),
            )
            form_state.field_error(errors, "tolerance_bp")
        with right:
            amount = st.text_input(
                _("Montant (€)"),
                value=amount_text(g.amount_cents) if g else "",
                key=f"{key}_amount",
                help=_("Au centime près, par exemple 900 000,00."),
            )
            form_state.field_error(errors, "amount")
            ends_on = st.date_input(
                _("Fin"),
                value=g.ends_on if g else None,
                format=DATE_FORMAT,
                key=f"{key}_end",
                min_value=date(2000, 1, 1),
                max_value=date(2100, 1, 1),
            )
            form_state.field_error(errors, "ends_on")
            indirect = st.number_input(
                _("Taux de frais indirects (%)"),
                min_value=0.0,
                max_value=100.0,
                step=0.5,
                value=(g.indirect_rate_bp / 100) if g else 0.0,
                key=f"{key}_indirect",
            )
            form_state.field_error(errors, "indirect_rate_bp")
        chosen_sites = st.multiselect(
            _("Sites concernés"),
            site_ids,
            format_func=site_label.get,
            key=f"{key}_sites",
            default=[s.id for s in detail.sites] if detail else [],
        )
        form_state.field_error(errors, "site_ids")
        strands = st.text_area(
            _("Volets (un par ligne)"),
            key=f"{key}_strands",
            value="\n".join(s.name for s in detail.strands)
            if detail
            else "Aller-vers\nInsertion socio-professionnelle",
        )
        form_state.field_error(errors, "strand_names")
        submitted = st.form_submit_button(
            _("Enregistrer la convention") if g else _("Créer le financement"), type="primary"
        )
    if submitted:
        data = GrantInput(
            funder_id=funder_id,
            name=name,
            convention_ref=ref,
            amount=amount,
            starts_on=starts_on,
            ends_on=ends_on,
            site_ids=tuple(chosen_sites),
            strand_names=tuple(strands.splitlines()),
            tolerance_bp=percent_to_bp(tolerance),
            indirect_rate_bp=percent_to_bp(indirect),
        )

        def save() -> None:
            with unit_of_work(runtime.engine) as uow:
                if g is None:
                    grants.create_grant(uow, principal, data=data)
                else:
                    grants.update_grant(uow, principal, g.id, expected_version=version, data=data)
                    form_state.forget_version(f"budget_lines_{g.id}", g.id)  # the lines editor's lock too

        success = _("Financement enregistré.") if g else _("Financement créé : saisissez ses lignes.")
        form_state.submit(form, save, success, versioned=(form, g.id) if g else None)


def _running_total(frame: pd.DataFrame) -> tuple[int, int]:
    """(sum of the readable amounts, number of unreadable ones) of the editor's current content."""
    total = unreadable = 0
    for value in frame["planned"]:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        try:
            total += parse_amount(text)
        except ValueError:
            unreadable += 1
    return total, unreadable


def lines_editor(runtime: Runtime, principal: Principal, detail: GrantDetail, rows: list[budget_lines.LineRow]) -> None:
    """The grant's lines as an editable table, with the running total against the grant amount."""
    grant = detail.grant
    form = f"budget_lines_{grant.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    version = form_state.seen_version(form, grant.id, grant.version)
    strand_of = {s.name: s.id for s in detail.strands}
    site_of = {s.code: s.id for s in detail.sites}
    frame = pd.DataFrame(
        {
            "strand": [r.strand_name for r in rows],
            "site": [r.site_code for r in rows],
            "category": [label(r.category) for r in rows],
            "planned": [amount_text(r.planned_cents) for r in rows],
            "code": [r.accounting_code or "" for r in rows],
        },
        columns=LINE_COLUMNS,
    )
    st.caption(
        _(
            "Une ligne par volet × site × catégorie Cerfa. Montants au centime, à la française (12 345,67). "
            "Ajoutez une ligne en bas du tableau ; une ligne sans dépense peut être supprimée."
        )
    )
    categories = category_of_label()
    form_state.form_error(form)
    edited = st.data_editor(
        frame,
        key=f"{key}_table",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "strand": st.column_config.SelectboxColumn(_("Volet"), options=list(strand_of), required=True),
            "site": st.column_config.SelectboxColumn(_("Site"), options=list(site_of), required=True),
            "category": st.column_config.SelectboxColumn(_("Catégorie"), options=list(categories), required=True),
            "planned": st.column_config.TextColumn(_("Prévu (€)"), required=True),
            "code": st.column_config.TextColumn(
                _("Code analytique"),
                max_chars=budget_lines.ACCOUNTING_CODE_MAX,
                help=_("Le code de l'export comptable qui désigne cette ligne."),
            ),
        },
    )
    total, unreadable = _running_total(edited)
    gap = grant.amount_cents - total
    cols = st.columns(3)
    cols[0].metric(_("Total des lignes"), formats.euros(total))
    cols[1].metric(_("Montant de la convention"), formats.euros(grant.amount_cents))
    cols[2].metric(_("Reste à répartir"), formats.euros(gap))
    if unreadable:
        st.warning(_("{count} montant(s) illisible(s) : écrivez par exemple 12 345,67.").format(count=unreadable))
    elif gap:
        st.info(_("La somme des lignes doit être égale au montant de la convention pour enregistrer."))
    show_errors(errors, skip=(form_state.FORM_ERROR,))
    if st.button(_("Enregistrer les lignes"), type="primary", key=f"{key}_save"):
        lines = [
            LineInput(
                strand_id=strand_of.get(row["strand"]),
                site_id=site_of.get(row["site"]),
                category=categories.get(row["category"]),
                planned="" if pd.isna(row["planned"]) else str(row["planned"]),
                accounting_code=None if pd.isna(row["code"]) else str(row["code"]),
            )
            for row in edited.to_dict("records")
        ]

        def save() -> None:
            with unit_of_work(runtime.engine) as uow:
                budget_lines.save_budget_lines(uow, principal, grant_id=grant.id, lines=lines, expected_version=version)
            form_state.forget_version(f"grant_edit_{grant.id}", grant.id)  # the grant's version moved on

        form_state.submit(form, save, _("Lignes budgétaires enregistrées."), versioned=(form, grant.id))
