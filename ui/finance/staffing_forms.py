"""Forms of the staffing page for gestion: create/edit a post, fill/vacate, funding split, monthly charge."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from clock import today as paris_today
from i18n import _, formats
from i18n.formats import euros, fte
from models.audit import AuditAction
from models.labels import label
from models.staffing import PostType
from services.finance.staffing import charges as staff_charges
from services.finance.staffing import posts as staffing
from services.finance.staffing.posts import PostRow
from services.platform.db import unit_of_work
from services.platform.money import BASIS_POINTS
from services.platform.principal import Principal
from services.platform.sites import NATIONAL_CHOICE, NATIONAL_SITE, SiteChoice
from ui.platform import conflicts, form_state, widgets
from ui.platform.text import md


def post_label(post: PostRow) -> str:
    state = _("pourvu ({holder})").format(holder=post.holder_name) if post.is_filled else _("vacant")
    return _("{site} — {post_type} — {fte} ETP — {state}").format(
        site=post.site_code, post_type=label(post.post_type), fte=fte(post.fte_hundredths), state=state
    )


def _site_names(principal: Principal, sites: list[SiteChoice]) -> dict[int | str, str]:
    """The site select's choices: the sites, then « National (aucun site) » for gestion (staffing.offers_national)."""
    names: dict[int | str, str] = {s.id: s.label for s in sites}
    if staffing.offers_national(principal):
        names[NATIONAL_SITE] = _(NATIONAL_CHOICE)
    return names


def _site_of(post: PostRow) -> int | str:
    """The post's site as the form sends it (NATIONAL_SITE for a national post)."""
    return NATIONAL_SITE if post.site_id is None else post.site_id


def _site_and_type(key: str, errors: dict, principal: Principal, sites: list[SiteChoice], post: PostRow | None) -> dict:
    names = _site_names(principal, sites)
    site_ids = list(names)
    left, right = st.columns(2)
    values = {
        "site_id": widgets.on(left).selectbox(
            _("Site"),
            site_ids,
            key=f"{key}_site",
            format_func=names.get,
            index=site_ids.index(_site_of(post)) if post and _site_of(post) in site_ids else 0,
        ),
        "post_type": widgets.on(right).selectbox(
            _("Type de poste"),
            list(PostType),
            format_func=label,
            key=f"{key}_type",
            index=list(PostType).index(post.post_type) if post else 0,
        ),
    }
    form_state.field_error(errors, "site_id")
    return values


def _fte_and_cost(key: str, errors: dict, post: PostRow | None) -> dict:
    """The working time (ETP) and the loaded monthly cost (euros) as typed: the service reads them (cents,
    halves away from zero)."""
    left, right = st.columns(2)
    values = {
        "fte": left.number_input(
            _("Temps de travail (ETP)"),
            min_value=0.01,
            max_value=1.0,
            step=0.05,
            value=post.fte_hundredths / 100 if post else 1.0,
            format="%.2f",
            key=f"{key}_fte",
            help=_("De 0,01 à 1,00 (1,00 = temps plein)."),
        ),
        "monthly_cost": right.number_input(
            _("Coût mensuel chargé (€)"),
            min_value=0.0,
            step=100.0,
            format="%.2f",
            value=post.monthly_cost_cents / 100 if post else 0.0,
            key=f"{key}_cost",
            help=_("Salaire brut + charges patronales, pour un mois complet."),
        ),
    }
    form_state.field_error(errors, "fte")
    form_state.field_error(errors, "monthly_cost")
    return values


def _dates_and_holder(key: str, errors: dict, post: PostRow | None) -> dict:
    left, right = st.columns(2)
    values = {
        "starts_on": widgets.on(left).date_input(
            _("Début du poste"),
            value=post.starts_on if post else paris_today(),
            format="DD/MM/YYYY",
            key=f"{key}_start",
        ),
        "ends_on": widgets.on(right).date_input(
            _("Fin du poste (facultatif)"), value=post.ends_on if post else None, format="DD/MM/YYYY", key=f"{key}_end"
        ),
    }
    form_state.field_error(errors, "starts_on")
    form_state.field_error(errors, "ends_on")
    if post is None or post.is_filled:
        values["holder_name"] = st.text_input(
            _("Titulaire (salarié·e)"),
            value=post.holder_name or "" if post else "",
            max_chars=staffing.HOLDER_MAX,
            key=f"{key}_holder",
            help=_(
                "Nom du ou de la salarié·e qui occupe le poste — jamais une personne accompagnée. "
                "Laissez vide pour un poste créé vacant."
            ),
        )
        form_state.field_error(errors, "holder_name")
    return values


def _post_fields(key: str, errors: dict, principal: Principal, sites: list[SiteChoice], post: PostRow | None) -> dict:
    """The widgets of a post (inside an st.form), their values as typed; `post` fills them for an edit."""
    return (
        _site_and_type(key, errors, principal, sites, post)
        | _fte_and_cost(key, errors, post)
        | _dates_and_holder(key, errors, post)
    )


SHARE_ROWS = 3
POST_WRITES = (AuditAction.POST_UPDATE, AuditAction.POST_FILL, AuditAction.POST_VACATE, AuditAction.POST_FUNDING)


def _share_rows(key: str, errors: dict, names: dict[tuple[int, int], str]) -> list[dict]:
    """The funding split of a new post: SHARE_ROWS rows (convention — strand, share in %), a blank row ignored."""
    rows = []
    for index in range(1, SHARE_ROWS + 1):
        left, right = st.columns([3, 1])
        choice = widgets.on(left).selectbox(
            _("Convention — volet {index}").format(index=md(index)),
            [None, *names],
            key=f"{key}_grant_{index}",
            format_func=lambda k: "—" if k is None else names[k],
        )
        percent = right.number_input(
            _("Part {index} (%)").format(index=md(index)),
            min_value=0.0,
            max_value=100.0,
            step=0.01,
            format="%.2f",
            value=100.0 if index == 1 else 0.0,
            key=f"{key}_share_{index}",
        )
        form_state.field_error(errors, f"grant_{index}")
        form_state.field_error(errors, f"share_{index}")
        grant_id, strand_id = choice if choice is not None else (None, None)
        rows.append({"grant_id": grant_id, "strand_id": strand_id, "percent": percent})
    return rows


def create_post_form(engine: Engine, principal: Principal, sites: list[SiteChoice]) -> None:
    """A new post with its funding split (up to three conventions; the shares must total 100 %)."""
    with unit_of_work(engine) as uow:
        options = staffing.all_funding_options(uow, principal)
    names = {(g, s): f"{gname} — {sname}" for g, gname, s, sname in options}
    form = "post_new"
    key = form_state.key(form)
    errors = form_state.errors(form)
    with widgets.form(key):
        form_state.form_error(form)
        data = _post_fields(key, errors, principal, sites, None)
        st.markdown(_("**Financement** — la convention doit couvrir le site du poste ; total exactement 100 %."))
        data["shares"] = _share_rows(key, errors, names)
        form_state.field_error(errors, "shares")
        submitted = st.form_submit_button(_("Créer le poste"), type="primary")
    if submitted:

        def create() -> None:
            with unit_of_work(engine) as uow:
                staffing.create_post(uow, principal, data=data)

        form_state.submit(form, create, _("Poste créé avec son financement."))


def _post_values(post: PostRow) -> dict[str, object]:
    """The post's values as its edit form shows them (the base and the colleague's side of a merge)."""
    values: dict[str, object] = {
        "site_id": _site_of(post),
        "post_type": post.post_type,
        "fte": post.fte_hundredths / 100,
        "monthly_cost": post.monthly_cost_cents / 100,
        "starts_on": post.starts_on,
        "ends_on": post.ends_on,
    }
    if post.is_filled:
        values["holder_name"] = post.holder_name or ""
    return values


def _post_fields_shown(principal: Principal, sites: list[SiteChoice]) -> dict[str, conflicts.Field]:
    names = _site_names(principal, sites)
    return {
        "site_id": conflicts.Field(_("Site"), lambda i: names.get(i, "—")),
        "post_type": conflicts.Field(_("Type de poste")),
        "fte": conflicts.Field(_("Temps de travail (ETP)"), lambda v: fte(round(v * 100))),
        "monthly_cost": conflicts.Field(_("Coût mensuel chargé (€)"), lambda v: euros(round(v * 100))),
        "starts_on": conflicts.Field(_("Début du poste")),
        "ends_on": conflicts.Field(_("Fin du poste (facultatif)")),
        "holder_name": conflicts.Field(_("Titulaire (salarié·e)")),
    }


def edit_post_form(engine: Engine, principal: Principal, sites: list[SiteChoice], post: PostRow) -> None:
    """A colleague's save meanwhile is merged, never overwritten (ui.platform.conflicts)."""
    form = f"post_edit_{post.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)

    def save(version: int, values: dict[str, object]) -> None:
        with unit_of_work(engine) as uow:
            staffing.update_post(uow, principal, post.id, expected_version=version, data=values)

    edit = conflicts.VersionedEdit(
        form,
        post.id,
        version=post.version,
        values=_post_values(post),
        fields=_post_fields_shown(principal, sites),
        save=save,
        success=_("Poste modifié."),
        last_write=conflicts.audited(engine, principal, "post", post.id, POST_WRITES),
    )
    edit.panel()
    with widgets.form(key):
        form_state.form_error(form)
        data = _post_fields(key, errors, principal, sites, post)
        submitted = st.form_submit_button(_("Enregistrer le poste"), type="primary")
    if submitted:
        edit.submit(data)


def status_form(engine: Engine, principal: Principal, post: PostRow) -> None:
    """Fill or vacate: a transition that writes only the holder and the status, from the status drawn (the
    service refuses it from the other one), so it goes over the version of this run."""
    form = f"post_status_{post.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    version = post.version
    with widgets.form(key):
        form_state.form_error(form)
        if post.is_filled:
            st.caption(
                _("Pourvu depuis le {day} par {holder}.").format(
                    day=formats.day(post.status_since), holder=md(post.holder_name)
                )
            )
            on = widgets.date_input(
                _("Vacant à partir du"),
                value=paris_today(),
                format="DD/MM/YYYY",
                key=f"{key}_on",
                help=_("Premier jour sans titulaire (le lendemain du départ)."),
            )
            holder = None
        else:
            st.caption(_("Vacant depuis le {day}.").format(day=formats.day(post.status_since)))
            on = widgets.date_input(_("Pourvu à partir du"), value=paris_today(), format="DD/MM/YYYY", key=f"{key}_on")
            holder = st.text_input(_("Titulaire (salarié·e)"), max_chars=staffing.HOLDER_MAX, key=f"{key}_holder")
            form_state.field_error(errors, "holder_name")
        form_state.field_error(errors, "on")
        submitted = st.form_submit_button(
            _("Déclarer vacant") if post.is_filled else _("Déclarer pourvu"), type="primary"
        )
    if submitted:
        data = {"on": on} if post.is_filled else {"on": on, "holder_name": holder}

        def change() -> None:
            with unit_of_work(engine) as uow:
                if post.is_filled:
                    staffing.vacate_post(uow, principal, post.id, expected_version=version, data=data)
                else:
                    staffing.fill_post(uow, principal, post.id, expected_version=version, data=data)

        form_state.submit(form, change, _("Situation du poste enregistrée."))


def funding_form(engine: Engine, principal: Principal, post: PostRow) -> None:
    """st.data_editor of the shares, with the running total; saved only when it is exactly 100 %."""
    with unit_of_work(engine) as uow:
        options = staffing.funding_options(uow, principal, post.id)
    if not options:
        st.info(_("Aucune convention ne couvre ce site avec une ligne « 64 – Charges de personnel »."))
        return
    names = {(o.grant_id, o.strand_id): f"{o.grant_name} — {o.strand_name}" for o in options}
    by_name = {v: k for k, v in names.items()}
    form = f"post_funding_{post.id}"
    key = form_state.key(form)
    errors = form_state.errors(form)
    # Stable column names (the editor's edits are kept by column), headers in the active language.
    current = pd.DataFrame(
        {
            "grant": [names.get((f.grant_id, f.strand_id), f"{f.grant_name} — {f.strand_name}") for f in post.funding],
            "share": [f.share_bp / 100 for f in post.funding],
        }
    )
    form_state.form_error(form)
    edited = st.data_editor(
        current,
        key=f"{key}_editor",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "grant": st.column_config.SelectboxColumn(_("Convention — volet"), options=list(by_name), required=True),
            "share": st.column_config.NumberColumn(
                _("Part (%)"), min_value=0.01, max_value=100.0, step=0.01, format="%.2f %%", required=True
            ),
        },
    )
    rows = [_share_of_the_editor(row, by_name) for row in edited.to_dict("records")]
    _split_total(staffing.split_total([row["percent"] for row in rows if row["grant_id"] is not None]))
    for field in sorted(errors):
        if field != form_state.FORM_ERROR:
            form_state.field_error(errors, field)
    if st.button(_("Enregistrer le financement"), key=f"{key}_save", type="primary"):

        def save() -> None:
            with unit_of_work(engine) as uow:
                staffing.save_funding(uow, principal, post.id, rows)

        form_state.submit(form, save, _("Financement du poste enregistré."))


def _share_of_the_editor(row: dict, by_name: dict[str, tuple[int, int]]) -> dict:
    """A row of the shares editor as the service reads it (a row without a convention is a blank one)."""
    grant_id, strand_id = by_name.get(row.get("grant"), (None, None))
    return {"grant_id": grant_id, "strand_id": strand_id, "percent": row.get("share")}


def _split_total(total_bp: int | None) -> None:
    """The running total of the shares being typed (exactly 100 % to save)."""
    total_text = "—" if total_bp is None else formats.amount(total_bp)
    if total_bp == BASIS_POINTS:
        st.success(_("Total des parts : {total} %").format(total=md(total_text)), icon=":material/check:")
    else:
        st.warning(_("Total des parts : {total} % — il doit être exactement de 100 %.").format(total=md(total_text)))


def monthly_charge(engine: Engine, principal: Principal) -> None:
    month = staff_charges.last_ended_month(paris_today())
    name = formats.month(month)
    with unit_of_work(engine) as uow:
        plan = staff_charges.charge_summary(uow, principal, month=month)
    if plan.to_charge:
        st.caption(
            _("{charges} imputations à créer pour {posts} postes, {total} au total.").format(
                charges=formats.number(plan.to_charge),
                posts=formats.number(plan.posts),
                total=euros(plan.total_cents),
            )
        )
    elif plan.already_charged:
        st.caption(_("Les salaires de {month} sont déjà imputés.").format(month=md(name)))
    else:
        st.caption(_("Aucun salaire à imputer pour {month}.").format(month=md(name)))
    if plan.unfunded_posts:
        st.warning(
            _("{count} poste(s) pourvu(s) sans financement : rien n'est imputé pour eux.").format(
                count=formats.number(plan.unfunded_posts)
            )
        )
    form = "staff_charge"
    form_state.form_error(form)
    if st.button(
        _("Imputer les salaires du mois de {month}").format(month=md(name)),
        key=f"{form_state.key(form)}_go",
        type="primary",
        disabled=not plan.to_charge,
    ):

        def charge() -> None:
            with unit_of_work(engine) as uow:
                staff_charges.charge_month(uow, principal, month=month)

        form_state.submit(
            form, charge, _("Salaires de {month} imputés : {total}.").format(month=name, total=euros(plan.total_cents))
        )
