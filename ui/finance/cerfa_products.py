"""The produits half of the compte rendu financier (Cerfa 15059) on the page: produits 70 to 78 with 74 by
funder category, the excédent or déficit balancing both totals, the contributions volontaires en nature 86 / 87,
and gestion's form to add or remove a produit or a contribution (services.finance.resources)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from i18n.formats import euros, percent
from models.finance import ResourceAccount
from models.labels import label
from services.finance import resources
from services.finance.financial_report import Balance, FinancialReport, ProductRow
from services.platform.db import unit_of_work
from services.platform.principal import Capability, Principal
from ui.platform import form_state, lazy_sections, widgets
from ui.platform.runtime import Runtime

ADD, REMOVE = "add", "remove"  # the two forms of a grant's products, drawn once opened (tests open them by name)
OPENED_SECTIONS = "cerfa_products"  # (grant id, names of the sections opened for that grant)


INDENT = "\u2003"  # an em space per level: the parts of an account under it


def _ratio(row: ProductRow | Balance) -> str:
    value = row.actual_ratio if isinstance(row, ProductRow) else None
    return "—" if value is None else percent(float(value), 1)


def _table(rows: list[tuple[str, str, ProductRow | Balance]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Compte"): [code for code, _text, _row in rows],
            _("Intitulé"): [text for _code, text, _row in rows],
            _("Prévu convention"): [euros(r.planned_grant_cents) for *_ignored, r in rows],
            _("Prévu sur la période"): [euros(r.planned_period_cents) for *_ignored, r in rows],
            _("Réalisé"): [euros(r.actual_cents) for *_ignored, r in rows],
            _("Réalisé %"): [_ratio(r) for *_ignored, r in rows],
        }
    )


def _lines(rows: tuple[ProductRow, ...]) -> list[tuple[str, str, ProductRow]]:
    return [(r.code, INDENT * r.level + r.label, r) for r in rows]


def show(report: FinancialReport) -> None:
    """Produits, result and contributions of the report, as the workbook prints them."""
    st.header(_("Produits"))
    result = report.result
    rows = [
        *_lines(report.products),
        ("", _("Total des produits"), report.products_total),
        ("", _("Déficit (charges − produits)"), report.shortfall),
        ("", _("Total général des produits"), report.balanced_total),
    ]
    st.dataframe(_table(rows), hide_index=True)
    if result.actual_cents >= 0:
        st.info(
            _(
                "Excédent réalisé de {amount} sur la période : il figure du côté des charges, qui totalisent "
                "alors {total}, comme les produits."
            ).format(amount=euros(result.actual_cents), total=euros(report.balanced_total.actual_cents)),
            icon=":material/balance:",
        )
    else:
        st.info(
            _(
                "Déficit réalisé de {amount} sur la période : il figure du côté des produits, qui totalisent "
                "alors {total}, comme les charges."
            ).format(amount=euros(-result.actual_cents), total=euros(report.balanced_total.actual_cents)),
            icon=":material/balance:",
        )
    if report.indirect_rate_bp:
        st.caption(
            _(
                "Frais indirects réalisés : {rate} des charges directes réalisées (60 à 68), taux prévu par la "
                "convention."
            ).format(rate=percent(report.indirect_rate_bp / 10_000, 1))
        )
    st.header(_("Contributions volontaires en nature"))
    st.dataframe(_table(_lines(report.contribution_uses) + _lines(report.contributions)), hide_index=True)
    if not report.contributions_balanced:
        st.warning(
            _(
                "Les emplois (86) et les contributions volontaires en nature (87) diffèrent : sur le formulaire, "
                "ils sont égaux."
            ),
            icon=":material/warning:",
        )
    st.caption(
        _(
            "Produits : la subvention de la convention et les autres produits saisis ci-dessous, prévus et réalisés "
            "pour toute la convention, rapportés à la période au prorata des jours."
        )
    )


def _account_text(account: ResourceAccount) -> str:
    return label(account)


def editor(current: Runtime, principal: Principal, grant_id: int) -> None:
    """gestion adds or removes the other produits and contributions of the convention; others read the list."""
    with unit_of_work(current.engine) as uow:
        stored = resources.resources_of(uow, principal, grant_id=grant_id)
        funders = resources.funder_choices(uow, principal)
    st.subheader(_("Autres produits et contributions de l'action"))
    if stored:
        st.dataframe(
            pd.DataFrame(
                {
                    _("Compte"): [label(r.account) for r in stored],
                    _("Financeur"): [r.funder_name or "" for r in stored],
                    _("Détail"): [r.detail or "" for r in stored],
                    _("Prévu convention"): [euros(r.planned_cents) for r in stored],
                    _("Réalisé"): [euros(r.actual_cents) for r in stored],
                }
            ),
            hide_index=True,
        )
    else:
        st.caption(_("Aucun autre produit saisi : seule la subvention de la convention figure aux produits."))
    if not principal.can(Capability.EDIT_BUDGET):
        return
    form = f"grant_resource_{grant_id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    names = {f.id: f.name for f in funders}

    def add_form() -> None:
        with widgets.form(key):
            form_state.form_error(form)
            values = {
                "account": widgets.selectbox(
                    _("Compte du Cerfa"), list(ResourceAccount), format_func=_account_text, key=f"{key}_account"
                )
            }
            form_state.field_error(errors, "account")
            values["funder_id"] = widgets.selectbox(
                _("Financeur (subvention 74 seulement)"),
                [None, *names],
                format_func=lambda i: _("Aucun") if i is None else names[i],
                key=f"{key}_funder",
            )
            form_state.field_error(errors, "funder_id")
            values["detail"] = st.text_input(
                _("Détail (ministère et programme d'une subvention de l'État, nature d'une contribution)"),
                max_chars=resources.DETAIL_MAX,
                key=f"{key}_detail",
            )
            form_state.field_error(errors, "detail")
            left, right = st.columns(2)
            values["planned"] = left.text_input(_("Prévu pour la convention (€)"), key=f"{key}_planned")
            with left:
                form_state.field_error(errors, "planned")
            values["actual"] = right.text_input(_("Réalisé pour la convention (€)"), key=f"{key}_actual")
            with right:
                form_state.field_error(errors, "actual")
            added = st.form_submit_button(_("Ajouter au compte rendu"))
        if added:

            def add() -> None:
                with unit_of_work(current.engine) as uow:
                    resources.add_resource(uow, principal, grant_id=grant_id, data=values)

            form_state.submit(form, add, _("Produit ajouté au compte rendu."))

    lazy_sections.owned_section(
        st,
        _("Ajouter un produit ou une contribution"),
        memory=OPENED_SECTIONS,
        owner=grant_id,
        name=ADD,
        draw=add_form,
        icon=":material/add:",
        expanded=bool(errors),
    )
    if stored:
        _remover(current, principal, grant_id, stored)


def _remover(current: Runtime, principal: Principal, grant_id: int, stored: list[resources.Resource]) -> None:
    form = f"grant_resource_delete_{grant_id}"
    key = form_state.key(form)
    described = {
        r.id: " · ".join(p for p in (label(r.account), r.funder_name, r.detail, euros(r.planned_cents)) if p)
        for r in stored
    }

    def remove_form() -> None:
        with widgets.form(key):
            form_state.form_error(form)
            chosen = widgets.selectbox(
                _("Ligne à retirer"), list(described), format_func=described.get, key=f"{key}_row"
            )
            removed = st.form_submit_button(_("Retirer du compte rendu"))
        if removed:

            def remove() -> None:
                with unit_of_work(current.engine) as uow:
                    resources.delete_resource(uow, principal, grant_id=grant_id, resource_id=chosen)

            form_state.submit(form, remove, _("Ligne retirée du compte rendu."))

    lazy_sections.owned_section(
        st,
        _("Retirer un produit ou une contribution"),
        memory=OPENED_SECTIONS,
        owner=grant_id,
        name=REMOVE,
        draw=remove_form,
        icon=":material/remove:",
    )
