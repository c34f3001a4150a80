"""The produits of an action other than the grant's own subsidy, and its contributions volontaires en nature,
for the Cerfa 15059 compte rendu (services.finance.financial_report).

Reads: VIEW_BUDGET with every site (direction, gestion), like the report. Writes: EDIT_BUDGET (gestion): a row is
added or deleted (never edited in place, so two people never overwrite each other's figures), each audited.
A row: an account (70 to 78, 756/758, 860 to 875), for 74 the funder (its kind places it among the State,
regions, departments, municipalities, AGRASC fonds de concours, private funders), a detail (the ministry and
programme of a State subsidy, what a contribution is), its planned and actual amounts for the whole convention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.finance import Funder, FunderKind, GrantResource, ResourceAccount
from services.finance.deviation_notes import grant_for_report
from services.finance.fields import amount_rule
from services.platform import audit
from services.platform.errors import NotFound
from services.platform.inputs import FormInput, checked, field_error, messages, optional_text, raw_id, refuse_if
from services.platform.principal import Capability, Principal

DETAIL_MAX = 200
CHOOSE_ACCOUNT = N_("Choisissez un compte du Cerfa.")
CHOOSE_FUNDER = N_("Choisissez le financeur de cette subvention.")
NO_FUNDER = N_("Seule une subvention (74) a un financeur.")
DETAIL_TOO_LONG = N_("Le détail ne peut dépasser {max} caractères.")
AMOUNT_NEGATIVE = N_("Le montant ne peut être négatif.")
OWN_FUNDER = N_("La subvention de ce financeur est celle de la convention : elle figure déjà au compte rendu.")


@dataclass(frozen=True)
class Resource:
    id: int
    grant_id: int
    account: ResourceAccount
    funder_id: int | None
    funder_name: str | None
    funder_kind: FunderKind | None
    detail: str | None
    planned_cents: int
    actual_cents: int


@dataclass(frozen=True)
class FunderChoice:
    id: int
    name: str
    kind: FunderKind


Detail = optional_text(DETAIL_MAX, DETAIL_TOO_LONG, on_one_line=True)


def _amount(value: object) -> int:
    cents = amount_rule(value)
    if cents < 0:
        raise field_error(AMOUNT_NEGATIVE)
    return cents


class ResourceInput(FormInput):
    """What the produits form sends; amounts typed as text or euros (services.finance.fields)."""

    account: ResourceAccount = Field(json_schema_extra=messages(CHOOSE_ACCOUNT))
    funder_id: int | None = Field(None, validate_default=True)
    detail: Detail = None
    planned: int = Field(None, validate_default=True)
    actual: int = Field(None, validate_default=True)

    @field_validator("funder_id")
    @classmethod
    def _funder_of_a_subsidy(cls, value: int | None, info: ValidationInfo) -> int | None:
        account = info.data.get("account")
        if account == ResourceAccount.SUBSIDY and value is None:
            raise field_error(CHOOSE_FUNDER)
        if account is not None and account != ResourceAccount.SUBSIDY and value is not None:
            raise field_error(NO_FUNDER)
        return value

    @field_validator("planned", "actual", mode="before")
    @classmethod
    def _typed(cls, value: object) -> int:
        return _amount(value)


def resources_of(session: Session, principal: Principal, *, grant_id: int) -> list[Resource]:
    """The grant's stored produits and contributions, in account order then as entered."""
    grant = grant_for_report(session, principal, grant_id)
    rows = session.exec(
        select(GrantResource, Funder.name, Funder.kind)
        .outerjoin(Funder, Funder.id == GrantResource.funder_id)
        .where(GrantResource.grant_id == grant.id)
        .order_by(GrantResource.id)
    ).all()
    order = {account: index for index, account in enumerate(ResourceAccount)}
    result = [
        Resource(
            r.id,
            r.grant_id,
            ResourceAccount(r.account),
            r.funder_id,
            name,
            FunderKind(kind) if kind else None,
            r.detail,
            r.planned_cents,
            r.actual_cents,
        )
        for r, name, kind in rows
    ]
    return sorted(result, key=lambda r: (order[r.account], r.id))


def funder_choices(session: Session, principal: Principal) -> list[FunderChoice]:
    """Every funder, for the 74 rows (budget staff with every site)."""
    if not (principal.can(Capability.VIEW_BUDGET) and principal.all_sites):
        raise NotFound(_("Convention introuvable."))
    rows = session.exec(select(Funder.id, Funder.name, Funder.kind).order_by(Funder.name)).all()
    return [FunderChoice(i, name, FunderKind(kind)) for i, name, kind in rows]


def add_resource(
    session: Session, principal: Principal, *, grant_id: int, data: ResourceInput | Mapping[str, object]
) -> int:
    """Add a produit or a contribution to the grant's compte rendu (gestion); audited."""
    principal.require(Capability.EDIT_BUDGET)
    grant = grant_for_report(session, principal, grant_id)
    resource, errors = checked(ResourceInput, data)
    funder_id = raw_id(data, "funder_id")
    if "funder_id" not in errors and funder_id is not None:
        if session.get(Funder, funder_id) is None:
            errors["funder_id"] = _(CHOOSE_FUNDER)
        elif funder_id == grant.funder_id:
            errors["funder_id"] = _(OWN_FUNDER)
    refuse_if(errors)
    row = GrantResource(
        grant_id=grant.id,
        account=resource.account,
        funder_id=resource.funder_id,
        detail=resource.detail,
        planned_cents=resource.planned,
        actual_cents=resource.actual,
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GRANT_RESOURCE_ADDED,
        entity_type="grant_resource",
        entity_id=row.id,
        detail=f"grant={grant.id} account={resource.account.value}",
    )
    session.commit()
    return row.id


def delete_resource(session: Session, principal: Principal, *, grant_id: int, resource_id: int) -> None:
    """Remove a row from the grant's compte rendu (gestion); audited. A row already gone is NotFound."""
    principal.require(Capability.EDIT_BUDGET)
    grant = grant_for_report(session, principal, grant_id)
    row = session.exec(
        select(GrantResource).where(GrantResource.id == resource_id, GrantResource.grant_id == grant.id)
    ).first()
    if row is None:
        raise NotFound(_("Cette ligne de produits a déjà été supprimée."))
    session.delete(row)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.GRANT_RESOURCE_DELETED,
        entity_type="grant_resource",
        entity_id=resource_id,
        detail=f"grant={grant.id}",
    )
    session.commit()
