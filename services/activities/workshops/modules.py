"""Workshop modules of each site, and the access rules every workshop service shares.

Who may do what (deny by default; scope always in the query):
- the workshop team of a site (intervenant, chef_service: RUN_FIELD_ACTIVITIES) plans
  sessions, enrols persons, takes rolls (services/activities/attendance.py) and marks modules done;
- the site manager (chef_service) configures the modules of its sites, see `_require_site_manager`;
- roles with VIEW_FIELD_FIGURES (direction too, on every site) read session lists and attendance
  rates: counts only, never a person.
Sessions: services/activities/workshops/sessions.py; cycles and completions: services/activities/workshops/people.py;
figures: services/activities/workshops/figures.py. The module forms send a `ModuleInput` (the shape of a form:
services.platform.inputs); the name free on the site is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, select

from i18n import N_, _, message
from models.audit import AuditAction
from models.organisation import Site
from models.workshops import WorkshopModule, WorkshopTheme
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.inputs import FormInput, checked, messages, one_line, raw, raw_id, refuse_if, required_text
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice, sites_of

MODULE_NAME_MAX = 120
MODULE_NOT_FOUND = N_("Module introuvable.")
MESSAGES = {
    "site": N_("Choisissez un de vos sites."),
    "name": N_("Le nom du module est obligatoire."),
    "name_long": N_("Le nom ne peut dépasser {maximum} caractères."),
    "name_taken": N_("Un module porte déjà ce nom sur ce site."),
    "theme": N_("Choisissez un thème."),
    "order": N_("La liste des modules a changé entre-temps : rechargez la page."),
}
ModuleName = required_text(
    MODULE_NAME_MAX, MESSAGES["name"], MESSAGES["name_long"], maximum=MODULE_NAME_MAX, on_one_line=True
)


def require_workshop_team(principal: Principal) -> None:
    """Plan sessions, enrol persons, take rolls, mark modules done: the team that sees person files."""
    principal.require(Capability.RUN_FIELD_ACTIVITIES)


def require_figures(principal: Principal) -> None:
    """Session lists and attendance rates (counts, no person)."""
    principal.require(Capability.VIEW_FIELD_FIGURES)


def _require_site_manager(principal: Principal) -> None:
    """Configure the modules of one's sites: chef_service."""
    principal.require(Capability.CONFIGURE_ACTIVITIES)


def may_configure_modules(principal: Principal) -> bool:
    try:
        _require_site_manager(principal)
    except PermissionDenied:
        return False
    return True


def my_sites(session: Session, principal: Principal) -> list[SiteChoice]:
    """Active sites of the principal (all sites for direction), by code. Any workshop reader."""
    if not (principal.can(Capability.VIEW_FIELD_FIGURES) or principal.can(Capability.RUN_FIELD_ACTIVITIES)):
        raise PermissionDenied()
    return sites_of(session, principal)


@dataclass(frozen=True)
class ModuleRow:
    id: int
    site_id: int
    site_code: str
    theme: WorkshopTheme
    name: str
    sort_order: int
    is_active: bool
    version: int


def list_modules(
    session: Session, principal: Principal, *, site_id: int | None = None, include_inactive: bool = False
) -> list[ModuleRow]:
    """Modules of the principal's sites (or one of them) in their site's order. Any workshop reader."""
    if not (principal.can(Capability.VIEW_FIELD_FIGURES) or principal.can(Capability.RUN_FIELD_ACTIVITIES)):
        raise PermissionDenied()
    conditions = [principal.site_filter(WorkshopModule.site_id)]
    if site_id is not None:
        conditions.append(WorkshopModule.site_id == site_id)
    if not include_inactive:
        conditions.append(WorkshopModule.is_active == sa.true())
    rows = session.exec(
        select(WorkshopModule, Site.code)
        .join(Site, Site.id == WorkshopModule.site_id)
        .where(*conditions)
        .order_by(Site.code, WorkshopModule.sort_order, WorkshopModule.name)
    ).all()
    return [ModuleRow(m.id, m.site_id, code, m.theme, m.name, m.sort_order, m.is_active, m.version) for m, code in rows]


class ModuleInput(FormInput):
    """What the module forms send: a new module its site, name and theme; a module edited its name, theme
    and whether it is still offered (its site stays: a site sent with an edit is not read)."""

    site_id: int | None = Field(None, json_schema_extra=messages(MESSAGES["site"]))
    name: ModuleName
    theme: WorkshopTheme = Field(json_schema_extra=messages(MESSAGES["theme"]))
    is_active: bool = True


def _own_active_site(session: Session, principal: Principal, site_id: int | None) -> Site | None:
    if not site_id:
        return None
    return session.exec(
        select(Site).where(Site.id == site_id, Site.is_active == sa.true(), principal.site_filter(Site.id))
    ).first()


def _name_taken(session: Session, site_id: int, name: str, other_than: int | None = None) -> bool:
    query = select(WorkshopModule.id).where(
        WorkshopModule.site_id == site_id, sa.func.lower(WorkshopModule.name) == name.lower()
    )
    if other_than is not None:
        query = query.where(WorkshopModule.id != other_than)
    return session.exec(query).first() is not None


def _check_name_free(
    session: Session,
    errors: dict[str, str],
    data: ModuleInput | Mapping[str, object],
    site_id: int,
    other_than: int | None = None,
) -> None:
    """The name (when it passed its checks) is not already a module's of the site, whatever the case."""
    name = str(one_line(raw(data).get("name")))
    if "name" not in errors and _name_taken(session, site_id, name, other_than):
        errors["name"] = message(MESSAGES, "name_taken")


def create_module(session: Session, principal: Principal, *, data: ModuleInput | Mapping[str, object]) -> int:
    """Add a module at the end of a site's list (chef_service of that site). Returns its id."""
    _require_site_manager(principal)
    module_input, errors = checked(ModuleInput, data)
    site = _own_active_site(session, principal, raw_id(data, "site_id"))
    if site is None:
        errors.setdefault("site_id", message(MESSAGES, "site"))
    else:
        _check_name_free(session, errors, data, site.id)
    refuse_if(errors)
    last = session.exec(select(sa.func.max(WorkshopModule.sort_order)).where(WorkshopModule.site_id == site.id)).one()
    module = WorkshopModule(
        site_id=site.id, theme=module_input.theme, name=module_input.name, sort_order=(last or 0) + 1
    )
    session.add(module)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_MODULE_CREATE,
        entity_type="workshop_module",
        entity_id=module.id,
        site_id=site.id,
    )
    session.commit()
    return module.id


def _own_module(session: Session, principal: Principal, module_id: int) -> WorkshopModule:
    module = session.exec(
        select(WorkshopModule).where(WorkshopModule.id == module_id, principal.site_filter(WorkshopModule.site_id))
    ).first()
    if module is None:
        raise NotFound(_(MODULE_NOT_FOUND))
    return module


def update_module(
    session: Session,
    principal: Principal,
    module_id: int,
    *,
    expected_version: int,
    data: ModuleInput | Mapping[str, object],
) -> None:
    """Rename a module, change its theme, deactivate it (no longer offered for new sessions; its
    sessions and completions stay) or reactivate it. Its site stays. chef_service of the module's site."""
    _require_site_manager(principal)
    module = _own_module(session, principal, module_id)
    module_input, errors = checked(ModuleInput, data)
    _check_name_free(session, errors, data, module.site_id, other_than=module.id)
    refuse_if(errors)
    values = {"name": module_input.name, "theme": module_input.theme, "is_active": module_input.is_active}
    versioned_update(session, WorkshopModule, module.id, expected_version, values)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_MODULE_UPDATE,
        entity_type="workshop_module",
        entity_id=module.id,
        site_id=module.site_id,
    )
    session.commit()


def reorder_modules(session: Session, principal: Principal, *, site_id: int, ordered_ids: list[int]) -> None:
    """Set the order in which a site's modules are offered: `ordered_ids` lists every module of the
    site (active or not), first first. chef_service of that site."""
    _require_site_manager(principal)
    current = dict(
        session.exec(
            select(WorkshopModule.id, WorkshopModule.sort_order).where(
                WorkshopModule.site_id == site_id, principal.site_filter(WorkshopModule.site_id)
            )
        ).all()
    )
    if not current:
        raise NotFound(_("Aucun module sur ce site."))
    if sorted(ordered_ids) != sorted(current):
        raise ValidationFailed({"order": message(MESSAGES, "order")})
    for position, module_id in enumerate(ordered_ids, start=1):
        if current[module_id] != position:
            session.execute(
                sa.update(WorkshopModule)
                .where(WorkshopModule.id == module_id)
                .values(sort_order=position, version=WorkshopModule.version + 1)
            )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.WORKSHOP_MODULE_REORDER,
        entity_type="site",
        entity_id=site_id,
        site_id=site_id,
    )
    session.commit()
