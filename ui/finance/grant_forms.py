"""Pieces of the Financements page for gestion: the funder and grant forms, the budget lines editor.

Every form goes through ui.platform.form_state.submit (errors beside the fields, input kept on failure).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd
import streamlit as st

from i18n import _, formats
from models.audit import AuditAction
from models.finance import BudgetCategory, FunderKind
from models.labels import label
from services.finance import grants, line_merge
from services.finance import lines as budget_lines
from services.finance.grants import FunderRow, GrantDetail, GrantSummary
from services.platform import organisation
from services.platform.db import unit_of_work
from services.platform.principal import Principal
from services.platform.sites import NATIONAL_CHOICE, NATIONAL_SITE, SiteChoice
from ui.platform import conflicts, form_state, lazy_sections, widgets
from ui.platform.runtime import Runtime
from ui.platform.text import md

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


def _cell(value: object) -> str:
    """A text cell of the editor as typed ('' when empty: None or NaN for a new row)."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def show_errors(errors: dict[str, str], *, skip: tuple[str, ...] = ()) -> None:
    """Errors that are not about one field of the form (the lines of the editor, the total)."""
    for key, message in errors.items():
        if key not in skip:
            st.error(md(message), icon=":material/error:")


def funder_form(runtime: Runtime, principal: Principal) -> None:
    form = "funder_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        name = st.text_input(_("Nom du financeur"), max_chars=grants.FUNDER_NAME_MAX, key=f"{key}_name")
        form_state.field_error(errors, "name")
        kind = widgets.selectbox(_("Type"), list(FunderKind), format_func=label, key=f"{key}_kind")
        form_state.field_error(errors, "kind")
        submitted = st.form_submit_button(_("Ajouter le financeur"))
    if submitted:

        def create() -> None:
            with unit_of_work(runtime.engine) as uow:
                grants.create_funder(uow, principal, data={"name": name, "kind": kind})

        form_state.submit(form, create, _("Financeur « {name} » ajouté.").format(name=" ".join(name.split())))


def _grant_fields(key: str, errors: dict[str, str], funders: list[FunderRow], g: GrantSummary | None) -> dict:
    """Funder, title, reference, amount, period and rates of a convention (inside its st.form), as typed."""
    funder_ids = [f.id for f in funders]
    funder_name = {f.id: f.name for f in funders}
    values = {
        "funder_id": widgets.selectbox(
            _("Financeur"),
            funder_ids,
            format_func=funder_name.get,
            key=f"{key}_funder",
            index=funder_ids.index(g.funder_id) if g and g.funder_id in funder_ids else None,
            placeholder=_("Choisir un financeur"),
        )
    }
    form_state.field_error(errors, "funder_id")
    values["name"] = st.text_input(
        _("Intitulé"), value=g.name if g else "", max_chars=grants.GRANT_NAME_MAX, key=f"{key}_name"
    )
    form_state.field_error(errors, "name")
    left, right = st.columns(2)
    with left:
        values |= _reference_start_tolerance(key, errors, g)
    with right:
        values |= _amount_end_indirect(key, errors, g)
    return values


def _reference_start_tolerance(key: str, errors: dict[str, str], g: GrantSummary | None) -> dict:
    values = {
        "convention_ref": st.text_input(
            _("Référence de la convention"),
            value=g.convention_ref if g else "",
            max_chars=grants.CONVENTION_REF_MAX,
            key=f"{key}_ref",
            help=_("Unique, par exemple AGRASC-FDC-2026-018."),
        )
    }
    form_state.field_error(errors, "convention_ref")
    values["starts_on"] = widgets.date_input(
        _("Début"),
        value=g.starts_on if g else None,
        format=DATE_FORMAT,
        key=f"{key}_start",
        min_value=date(2000, 1, 1),
        max_value=date(2100, 1, 1),
    )
    form_state.field_error(errors, "starts_on")
    values["tolerance"] = st.number_input(
        _("Tolérance entre lignes (%)"),
        min_value=0.0,
        max_value=50.0,
        step=0.5,
        value=(g.tolerance_bp / 100) if g else 10.0,
        key=f"{key}_tolerance",
        help=_("Écart admis par la convention entre le prévu et le réalisé d'une ligne."),
    )
    form_state.field_error(errors, "tolerance")
    return values


def _amount_end_indirect(key: str, errors: dict[str, str], g: GrantSummary | None) -> dict:
    values = {
        "amount": st.text_input(
            _("Montant (€)"),
            value=amount_text(g.amount_cents) if g else "",
            key=f"{key}_amount",
            help=_("Au centime près, par exemple 900 000,00."),
        )
    }
    form_state.field_error(errors, "amount")
    values["ends_on"] = widgets.date_input(
        _("Fin"),
        value=g.ends_on if g else None,
        format=DATE_FORMAT,
        key=f"{key}_end",
        min_value=date(2000, 1, 1),
        max_value=date(2100, 1, 1),
    )
    form_state.field_error(errors, "ends_on")
    values["indirect_rate"] = st.number_input(
        _("Taux de frais indirects (%)"),
        min_value=0.0,
        max_value=100.0,
        step=0.5,
        value=(g.indirect_rate_bp / 100) if g else 0.0,
        key=f"{key}_indirect",
    )
    form_state.field_error(errors, "indirect_rate")
    return values


def _sites_and_strands(
    key: str, errors: dict[str, str], sites: list[SiteChoice], detail: GrantDetail | None, offered: list[str]
) -> dict:
    site_label = {s.id: s.label for s in sites}
    values = {
        "site_ids": widgets.multiselect(
            _("Sites concernés"),
            list(site_label),
            format_func=site_label.get,
            key=f"{key}_sites",
            default=[s.id for s in detail.sites] if detail else [],
        )
    }
    form_state.field_error(errors, "site_ids")
    values["strand_names"] = st.text_area(
        _("Volets (un par ligne)"),
        key=f"{key}_strands",
        # a new grant starts with the association's strands (page "Association et sites")
        value="\n".join(s.name for s in detail.strands) if detail else "\n".join(offered),
    )
    form_state.field_error(errors, "strand_names")
    return values


def _grant_values(detail: GrantDetail, funder_ids: set[int], site_ids: set[int]) -> dict[str, object]:
    """The convention as its edit form shows it (the base and the colleague's side of a merge)."""
    g = detail.grant
    return {
        "funder_id": g.funder_id if g.funder_id in funder_ids else None,
        "name": g.name,
        "convention_ref": g.convention_ref,
        "starts_on": g.starts_on,
        "tolerance": g.tolerance_bp / 100,
        "amount": amount_text(g.amount_cents),
        "ends_on": g.ends_on,
        "indirect_rate": g.indirect_rate_bp / 100,
        "site_ids": [s.id for s in detail.sites if s.id in site_ids],
        "strand_names": "\n".join(s.name for s in detail.strands),
    }


def _grant_fields_shown(funders: list[FunderRow], sites: list[SiteChoice]) -> dict[str, conflicts.Field]:
    funder_name = {f.id: f.name for f in funders}
    site_label = {s.id: s.label for s in sites}
    return {
        "funder_id": conflicts.Field(_("Financeur"), lambda i: funder_name.get(i, "—")),
        "name": conflicts.Field(_("Intitulé")),
        "convention_ref": conflicts.Field(_("Référence de la convention")),
        "starts_on": conflicts.Field(_("Début")),
        "tolerance": conflicts.Field(_("Tolérance entre lignes (%)"), lambda v: formats.decimal(v)),
        "amount": conflicts.Field(_("Montant (€)")),
        "ends_on": conflicts.Field(_("Fin")),
        "indirect_rate": conflicts.Field(_("Taux de frais indirects (%)"), lambda v: formats.decimal(v)),
        "site_ids": conflicts.Field(_("Sites concernés"), lambda ids: ", ".join(site_label.get(i, "—") for i in ids)),
        "strand_names": conflicts.Field(_("Volets (un par ligne)"), lambda text: ", ".join(text.split("\n"))),
    }


def grant_form(
    runtime: Runtime,
    principal: Principal,
    *,
    funders: list[FunderRow],
    sites: list[SiteChoice],
    detail: GrantDetail | None = None,
) -> None:
    """Create a convention (detail None) or edit one (a colleague's save meanwhile is merged, never
    overwritten: ui.platform.conflicts)."""
    form = "grant_new" if detail is None else f"grant_edit_{detail.grant.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    g = detail.grant if detail else None
    offered: list[str] = []
    edit = None
    if detail is None:
        with unit_of_work(runtime.engine) as uow:
            offered = organisation.strands_for_new_grants(uow, principal)
    else:

        def save(version: int, values: dict[str, object]) -> None:
            with unit_of_work(runtime.engine) as uow:
                grants.update_grant(uow, principal, g.id, expected_version=version, data=values)

        edit = conflicts.VersionedEdit(
            form,
            g.id,
            version=g.version,
            values=_grant_values(detail, {f.id for f in funders}, {s.id for s in sites}),
            fields=_grant_fields_shown(funders, sites),
            save=save,
            success=_("Financement enregistré."),
            last_write=conflicts.audited(
                runtime.engine, principal, "grant", g.id, [AuditAction.GRANT_UPDATED, AuditAction.BUDGET_LINES_SAVED]
            ),
        )
        edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _grant_fields(key, errors, funders, g) | _sites_and_strands(key, errors, sites, detail, offered)
        submitted = st.form_submit_button(
            _("Enregistrer la convention") if g else _("Créer le financement"), type="primary"
        )
    if submitted and edit is not None:
        edit.submit(data)
    elif submitted:

        def create() -> None:
            with unit_of_work(runtime.engine) as uow:
                grants.create_grant(uow, principal, data=data)

        form_state.submit(form, create, _("Financement créé : saisissez ses lignes."))


def _site_cells(principal: Principal, detail: GrantDetail) -> list[str]:
    """The site column's choices: the grant's sites, then « National (aucun site) » for gestion."""
    cells = [s.code for s in detail.sites]
    if budget_lines.offers_national(principal):
        cells.append(_(NATIONAL_CHOICE))
    return cells


def _names(detail: GrantDetail) -> tuple[dict[int, str], dict[int | str, str]]:
    """(strand id → name, site id → code with « National (aucun site) » for a national line) of the grant."""
    sites: dict[int | str, str] = {s.id: s.code for s in detail.sites}
    sites[NATIONAL_SITE] = _(NATIONAL_CHOICE)
    return {s.id: s.name for s in detail.strands}, sites


def _lines_table(
    key: str, principal: Principal, detail: GrantDetail, lines: dict[str, line_merge.Line]
) -> pd.DataFrame:
    """The grant's lines as the edit's base holds them (services.finance.line_merge.shown_lines) in an
    editable table (stable column ids; headers in the session's language). The editor keeps its edits by row
    position: once edited, its rows stay those first seen until the edit ends (saved or dropped), whatever a
    colleague saves meanwhile."""
    strands, sites = _names(detail)
    rows = list(lines.values())
    frame = pd.DataFrame(
        {
            "strand": [strands.get(r["strand_id"], "") for r in rows],
            "site": [sites.get(r["site_id"], "") for r in rows],
            "category": [label(r["category"]) for r in rows],
            "planned": [amount_text(r["planned"]) for r in rows],
            "code": [r["accounting_code"] or "" for r in rows],
        },
        columns=LINE_COLUMNS,
    )
    return st.data_editor(
        frame,
        key=f"{key}_table",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "strand": st.column_config.SelectboxColumn(
                _("Volet"), options=[s.name for s in detail.strands], required=True
            ),
            "site": st.column_config.SelectboxColumn(_("Site"), options=_site_cells(principal, detail), required=True),
            "category": st.column_config.SelectboxColumn(
                _("Catégorie"), options=list(category_of_label()), required=True
            ),
            "planned": st.column_config.TextColumn(_("Prévu (€)"), required=True),
            "code": st.column_config.TextColumn(
                _("Code analytique"),
                max_chars=budget_lines.ACCOUNTING_CODE_MAX,
                help=_("Le code de l'export comptable qui désigne cette ligne."),
            ),
        },
    )


def _running_total(edited: pd.DataFrame, amount_cents: int) -> None:
    """The sum of the planned amounts as typed (read as the service reads them) against the grant amount."""
    total, unreadable = budget_lines.running_total([_cell(value) for value in edited["planned"]])
    gap = amount_cents - total
    cols = st.columns(3)
    cols[0].metric(_("Total des lignes"), formats.euros(total))
    cols[1].metric(_("Montant de la convention"), formats.euros(amount_cents))
    cols[2].metric(_("Reste à répartir"), formats.euros(gap))
    if unreadable:
        st.warning(_("{count} montant(s) illisible(s) : écrivez par exemple 12 345,67.").format(count=md(unreadable)))
    elif gap:
        st.info(_("La somme des lignes doit être égale au montant de la convention pour enregistrer."))


def _rows_sent(edited: pd.DataFrame, detail: GrantDetail) -> list[dict]:
    """The editor's rows as the service reads them: the names chosen as ids, the cells as typed."""
    strand_of = {s.name: s.id for s in detail.strands}
    site_of: dict[str, int | str] = {s.code: s.id for s in detail.sites}
    site_of[_(NATIONAL_CHOICE)] = NATIONAL_SITE  # the service refuses it to whoever may not write it
    categories = category_of_label()
    return [
        {
            "strand_id": strand_of.get(row["strand"]),
            "site_id": site_of.get(row["site"]),
            "category": categories.get(row["category"]),
            "planned": _cell(row["planned"]),
            "accounting_code": _cell(row["code"]) or None,
        }
        for row in edited.to_dict("records")
    ]


def _touched(state: object) -> bool:
    """The lines editor holds edits (its widget state: edited, added and deleted rows)."""
    return isinstance(state, Mapping) and any(state.get(part) for part in ("edited_rows", "added_rows", "deleted_rows"))


def _line_fields(detail: GrantDetail, lines: dict[str, line_merge.Line]) -> dict[str, conflicts.Field]:
    """How the conflict panel names and shows each line, and each cell of a line, of the merge."""
    strands, sites = _names(detail)

    def amount(value: object) -> str:
        return formats.euros(value) if isinstance(value, int) else conflicts.shown(value)

    def whole(line: object) -> str:
        if line is None:
            return _("Ligne supprimée")
        return _("{amount} prévus, code analytique {code}").format(
            amount=amount(line["planned"]), code=conflicts.shown(line["accounting_code"])
        )

    fields = {}
    for key, line in lines.items():
        name = " · ".join(
            (strands.get(line["strand_id"], "—"), sites.get(line["site_id"], "—"), label(line["category"]))
        )
        fields[key] = conflicts.Field(_("Ligne {line}").format(line=name), whole)
        fields[f"{key}:planned"] = conflicts.Field(_("{line} : prévu").format(line=name), amount)
        fields[f"{key}:accounting_code"] = conflicts.Field(_("{line} : code analytique").format(line=name))
    return fields


def lines_editor(runtime: Runtime, principal: Principal, detail: GrantDetail, rows: list[budget_lines.LineRow]) -> None:
    """The grant's lines as an editable table, with the running total against the grant amount. A colleague's
    save of the lines meanwhile is merged line by line and cell by cell, never overwritten
    (ui.platform.conflicts, services.finance.line_merge)."""
    grant = detail.grant
    form = f"budget_lines_{grant.id}"
    key = form_state.key(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(runtime.engine) as uow:
            budget_lines.save_budget_lines(
                uow, principal, grant_id=grant.id, lines=line_merge.rows_of(values), expected_version=version
            )

    current = line_merge.shown_lines(rows)
    edit = conflicts.VersionedEdit(
        form,
        grant.id,
        version=grant.version,
        values=current,
        fields={},  # named below, once the lines first seen are known
        save=save,
        success=_("Lignes budgétaires enregistrées."),
        last_write=conflicts.audited(
            runtime.engine, principal, "grant", grant.id, [AuditAction.BUDGET_LINES_SAVED, AuditAction.GRANT_UPDATED]
        ),
        sides=line_merge.merge_sides,
    )
    if not _touched(st.session_state.get(f"{key}_table")):
        edit.rebase()  # no edit yet: the editor shows the lines as they are now
    seen = edit.seen[1]  # the lines first seen: the editor's rows and the base of the merge
    edit.fields = _line_fields(detail, seen | current)  # every line either side has
    st.caption(
        _(
            "Une ligne par volet × site × catégorie Cerfa. Montants au centime, à la française (12 345,67). "
            "Ajoutez une ligne en bas du tableau ; une ligne sans dépense peut être supprimée."
        )
    )
    edit.panel()
    form_state.form_error(form)
    edited = _lines_table(key, principal, detail, seen)
    _running_total(edited, grant.amount_cents)
    show_errors(form_state.errors(form), skip=(form_state.FORM_ERROR,))
    if st.button(_("Enregistrer les lignes"), type="primary", key=f"{key}_save"):
        edit.submit(line_merge.sent_lines(_rows_sent(edited, detail)))


# The keys of the page's two folded sections (True when open; tests open them through them).
NEW_GRANT_SECTION, NEW_FUNDER_SECTION = "grants_new_grant", "grants_new_funder"


def new_grant_and_funder(
    current: Runtime, principal: Principal, funders: list[FunderRow], sites: list[SiteChoice]
) -> None:
    """« Nouveau financement » and « Nouveau financeur », folded: their forms are drawn once opened
    (ui.platform.lazy_sections)."""

    def new_grant() -> None:
        if not funders:
            st.caption(_("Ajoutez d'abord un financeur."))
        else:
            grant_form(current, principal, funders=funders, sites=sites)

    lazy_sections.section(_("Nouveau financement"), key=NEW_GRANT_SECTION, draw=new_grant, icon=":material/add:")
    lazy_sections.section(
        _("Nouveau financeur"),
        key=NEW_FUNDER_SECTION,
        draw=lambda: funder_form(current, principal),
        icon=":material/account_balance:",
    )
