"""Funders and grants (conventions): list, detail, create and edit.

Read: VIEW_BUDGET (direction, gestion: every grant; chef_service: the grants with a line on its sites,
with the planned and spent figures of those lines only) and VIEW_FUNDED_GRANTS (financeur: its own
funder's grants, aggregates only). Write: EDIT_BUDGET (gestion). The scope rule is
services.finance.access, applied in every query. Budget lines live in services.finance.lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import _
from models.finance import BudgetLine, Expense, Funder, FunderKind, Grant, GrantSite, Strand
from models.organisation import Site
from services.finance.access import visible_grants, visible_lines
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.money import parse_amount, ratio
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice

FUNDER_NAME_MAX = 160
GRANT_NAME_MAX = 200
CONVENTION_REF_MAX = 80
STRAND_NAME_MAX = 120
TOLERANCE_MAX_BP = 5_000  # 50 %
INDIRECT_MAX_BP = 10_000
DEFAULT_TOLERANCE_BP = 1_000


def require_reader(principal: Principal) -> None:
    if not (principal.can(Capability.VIEW_BUDGET) or principal.can(Capability.VIEW_FUNDED_GRANTS)):
        raise PermissionDenied()


def _spaces(text: str | None) -> str:
    return " ".join((text or "").split())


# --- funders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunderRow:
    id: int
    name: str
    kind: FunderKind


def list_funders(session: Session, principal: Principal) -> list[FunderRow]:
    """Every funder, by name (budget staff: VIEW_BUDGET)."""
    principal.require(Capability.VIEW_BUDGET)
    rows = session.exec(select(Funder).order_by(Funder.name)).all()
    return [FunderRow(f.id, f.name, f.kind) for f in rows]


def create_funder(session: Session, principal: Principal, *, name: str, kind: FunderKind | str) -> int:
    """Add a funder (name unique, case-insensitive). gestion only. Returns its id."""
    principal.require(Capability.EDIT_BUDGET)
    errors: dict[str, str] = {}
    name = _spaces(name)
    if not name:
        errors["name"] = _("Le nom du financeur est obligatoire.")
    elif len(name) > FUNDER_NAME_MAX:
        errors["name"] = _("Le nom ne peut dépasser {max} caractères.").format(max=FUNDER_NAME_MAX)
    elif session.exec(select(Funder.id).where(sa.func.lower(Funder.name) == name.lower())).first():
        errors["name"] = _("Un financeur porte déjà ce nom.")
    try:
        kind = FunderKind(kind)
    except ValueError:
        errors["kind"] = _("Choisissez un type de financeur.")
    if errors:
        raise ValidationFailed(errors)
    funder = Funder(name=name, kind=kind)
    session.add(funder)
    session.flush()
    audit.record(session, actor=principal, action="funder.created", entity_type="funder", entity_id=funder.id)
    session.commit()
    return funder.id


# --- grants: reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantSummary:
    id: int
    funder_id: int
    funder_name: str
    name: str
    convention_ref: str
    amount_cents: int
    starts_on: date
    ends_on: date
    tolerance_bp: int
    indirect_rate_bp: int
    planned_cents: int  # sum of the lines the principal sees
    spent_cents: int  # expenses on those lines up to today
    version: int

    @property
    def consumed_share(self) -> Decimal | None:
        """Spent / planned of the visible lines (None without planned money)."""
        return ratio(self.spent_cents, self.planned_cents)


@dataclass(frozen=True)
class StrandRow:
    id: int
    name: str


@dataclass(frozen=True)
class GrantDetail:
    grant: GrantSummary
    sites: list[SiteChoice]
    strands: list[StrandRow]


def spent_by_line(today: date, grant_id: int | None = None) -> sa.Subquery:
    """Expenses up to `today` summed per budget line (grouped first, on the expense table alone:
    the scope is applied by joining the few lines afterwards)."""
    query = select(Expense.budget_line_id, sa.func.sum(Expense.amount_cents).label("spent")).where(
        Expense.spent_on <= today
    )
    if grant_id is not None:
        query = query.where(Expense.grant_id == grant_id)
    return query.group_by(Expense.budget_line_id).subquery()


def _summaries(session: Session, principal: Principal, today: date, grant_id: int | None = None) -> list[GrantSummary]:
    per_line = spent_by_line(today, grant_id)
    lines = (
        select(
            BudgetLine.grant_id,
            sa.func.sum(BudgetLine.planned_cents).label("planned"),
            sa.func.sum(per_line.c.spent).label("spent"),
        )
        .outerjoin(per_line, per_line.c.budget_line_id == BudgetLine.id)
        .where(visible_lines(principal), *([BudgetLine.grant_id == grant_id] if grant_id is not None else []))
        .group_by(BudgetLine.grant_id)
        .subquery()
    )
    rows = session.exec(
        select(Grant, Funder.name, sa.func.coalesce(lines.c.planned, 0), sa.func.coalesce(lines.c.spent, 0))
        .join(Funder, Funder.id == Grant.funder_id)
        .outerjoin(lines, lines.c.grant_id == Grant.id)
        .where(visible_grants(principal), *([Grant.id == grant_id] if grant_id is not None else []))
        .order_by(Grant.starts_on.desc(), Grant.name)
    ).all()
    return [
        GrantSummary(
            g.id,
            g.funder_id,
            funder_name,
            g.name,
            g.convention_ref,
            g.amount_cents,
            g.starts_on,
            g.ends_on,
            g.tolerance_bp,
            g.indirect_rate_bp,
            int(p),
            int(s),
            g.version,
        )
        for g, funder_name, p, s in rows
    ]


def list_grants(session: Session, principal: Principal, *, today: date | None = None) -> list[GrantSummary]:
    """The grants the principal may see, latest first, with planned and spent of its visible lines."""
    require_reader(principal)
    return _summaries(session, principal, today or clock.today())


def grant_detail(session: Session, principal: Principal, grant_id: int, *, today: date | None = None) -> GrantDetail:
    """One visible grant with its sites and strands (NotFound when out of scope)."""
    require_reader(principal)
    found = _summaries(session, principal, today or clock.today(), grant_id)
    if not found:
        raise NotFound(_("Financement introuvable."))
    sites = session.exec(
        select(Site)
        .join(GrantSite, GrantSite.site_id == Site.id)
        .where(GrantSite.grant_id == grant_id)
        .order_by(Site.code)
    ).all()
    strands = session.exec(select(Strand).where(Strand.grant_id == grant_id).order_by(Strand.name)).all()
    return GrantDetail(
        found[0], [SiteChoice(s.id, s.code, s.name) for s in sites], [StrandRow(s.id, s.name) for s in strands]
    )


# --- grants: writing ----------------------------------------------------------------------------


def site_choices(session: Session, principal: Principal) -> list[SiteChoice]:
    """Active sites a grant may concern, by code (gestion)."""
    principal.require(Capability.EDIT_BUDGET)
    rows = session.exec(select(Site).where(Site.is_active == sa.true()).order_by(Site.code)).all()
    return [SiteChoice(s.id, s.code, s.name) for s in rows]


@dataclass(frozen=True)
class GrantInput:
    """What the grant form sends. `amount` is cents (int) or French text ('900 000,00')."""

    funder_id: int | None
    name: str
    convention_ref: str
    amount: int | str
    starts_on: date | None
    ends_on: date | None
    site_ids: tuple[int, ...]
    strand_names: tuple[str, ...]
    tolerance_bp: int = DEFAULT_TOLERANCE_BP
    indirect_rate_bp: int = 0


def parse_amount_field(value: int | str, errors: dict[str, str], field: str) -> int | None:
    """Cents from an int or typed text (services.platform.money.parse_amount); a message under `field` (and None)
    when unreadable."""
    if isinstance(value, int):
        return value
    if not (value or "").strip():
        errors[field] = _("Le montant est obligatoire.")
        return None
    try:
        return parse_amount(value)
    except ValueError as exc:
        errors[field] = str(exc)[0].upper() + str(exc)[1:] + "."
        return None


def _clean_grant(session: Session, data: GrantInput, *, grant_id: int | None) -> dict:
    errors: dict[str, str] = {}
    if data.funder_id is None or session.get(Funder, data.funder_id) is None:
        errors["funder_id"] = _("Choisissez un financeur.")
    name = _spaces(data.name)
    if not name:
        errors["name"] = _("L'intitulé du financement est obligatoire.")
    elif len(name) > GRANT_NAME_MAX:
        errors["name"] = _("L'intitulé ne peut dépasser {max} caractères.").format(max=GRANT_NAME_MAX)
    ref = _spaces(data.convention_ref)
    if not ref:
        errors["convention_ref"] = _("La référence de la convention est obligatoire.")
    elif len(ref) > CONVENTION_REF_MAX:
        errors["convention_ref"] = _("La référence ne peut dépasser {max} caractères.").format(max=CONVENTION_REF_MAX)
    else:
        taken = select(Grant.id).where(sa.func.lower(Grant.convention_ref) == ref.lower())
        if grant_id is not None:
            taken = taken.where(Grant.id != grant_id)
        if session.exec(taken).first() is not None:
            errors["convention_ref"] = _("Une autre convention porte déjà cette référence.")
    amount = parse_amount_field(data.amount, errors, "amount")
    if amount is not None and amount <= 0:
        errors["amount"] = _("Le montant de la convention doit être positif.")
    if data.starts_on is None:
        errors["starts_on"] = _("La date de début est obligatoire.")
    if data.ends_on is None:
        errors["ends_on"] = _("La date de fin est obligatoire.")
    elif data.starts_on is not None and data.ends_on <= data.starts_on:
        errors["ends_on"] = _("La date de fin doit être postérieure à la date de début.")
    if not 0 <= int(data.tolerance_bp) <= TOLERANCE_MAX_BP:
        errors["tolerance_bp"] = _("La tolérance entre lignes doit être comprise entre 0 et 50 %.")
    if not 0 <= int(data.indirect_rate_bp) <= INDIRECT_MAX_BP:
        errors["indirect_rate_bp"] = _("Le taux de frais indirects doit être compris entre 0 et 100 %.")
    site_ids = sorted(set(data.site_ids or ()))
    known = set(session.exec(select(Site.id).where(Site.id.in_(site_ids))).all()) if site_ids else set()
    if not site_ids:
        errors["site_ids"] = _("Choisissez au moins un site concerné.")
    elif known != set(site_ids):
        errors["site_ids"] = _("Site inconnu.")
    strands: list[str] = []
    for raw in data.strand_names or ():
        strand = _spaces(raw)
        if strand and strand.lower() not in {s.lower() for s in strands}:
            strands.append(strand)
    if not strands:
        errors["strand_names"] = _("Indiquez au moins un volet (par exemple « Aller-vers »).")
    elif any(len(s) > STRAND_NAME_MAX for s in strands):
        errors["strand_names"] = _("Un nom de volet ne peut dépasser {max} caractères.").format(max=STRAND_NAME_MAX)
    if errors:
        raise ValidationFailed(errors)
    return {
        "funder_id": data.funder_id,
        "name": name,
        "convention_ref": ref,
        "amount_cents": amount,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "tolerance_bp": int(data.tolerance_bp),
        "indirect_rate_bp": int(data.indirect_rate_bp),
        "site_ids": site_ids,
        "strands": strands,
    }


def create_grant(session: Session, principal: Principal, *, data: GrantInput) -> int:
    """Record a convention with its sites and strands (its lines are entered next). gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    values = _clean_grant(session, data, grant_id=None)
    site_ids, strands = values.pop("site_ids"), values.pop("strands")
    grant = Grant(**values)
    session.add(grant)
    session.flush()
    session.add_all([GrantSite(grant_id=grant.id, site_id=s) for s in site_ids])
    session.add_all([Strand(grant_id=grant.id, name=s) for s in strands])
    audit.record(session, actor=principal, action="grant.created", entity_type="grant", entity_id=grant.id)
    session.commit()
    return grant.id


def update_grant(
    session: Session, principal: Principal, grant_id: int, *, expected_version: int, data: GrantInput
) -> None:
    """Edit a convention. A site or strand that still has budget lines cannot be removed, and the
    period cannot shrink past expenses already booked. gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    grant = session.exec(select(Grant).where(Grant.id == grant_id, visible_grants(principal))).first()
    if grant is None:
        raise NotFound(_("Financement introuvable."))
    values = _clean_grant(session, data, grant_id=grant_id)
    site_ids, strand_names = values.pop("site_ids"), values.pop("strands")
    errors: dict[str, str] = {}
    used_sites = set(session.exec(select(BudgetLine.site_id).where(BudgetLine.grant_id == grant_id)).all())
    if used_sites - set(site_ids):
        errors["site_ids"] = _(
            "Un site qui a des lignes budgétaires ne peut être retiré : supprimez d'abord ses lignes."
        )
    strands = session.exec(select(Strand).where(Strand.grant_id == grant_id)).all()
    wanted = {s.lower() for s in strand_names}
    used_strands = set(session.exec(select(BudgetLine.strand_id).where(BudgetLine.grant_id == grant_id)).all())
    removed = [s for s in strands if s.name.lower() not in wanted]
    if any(s.id in used_strands for s in removed):
        errors["strand_names"] = _("Un volet qui a des lignes budgétaires ne peut être retiré.")
    outside = session.exec(
        select(sa.func.count())
        .select_from(Expense)
        .where(
            Expense.grant_id == grant_id,
            sa.or_(Expense.spent_on < values["starts_on"], Expense.spent_on > values["ends_on"]),
        )
    ).one()
    if outside:
        errors["ends_on"] = _(
            "{count} dépense(s) sont datées hors de cette période : la période ne peut être réduite."
        ).format(count=outside)
    if errors:
        raise ValidationFailed(errors)
    versioned_update(session, Grant, grant_id, int(expected_version), values)
    current_sites = set(session.exec(select(GrantSite.site_id).where(GrantSite.grant_id == grant_id)).all())
    if current_sites - set(site_ids):
        session.execute(
            sa.delete(GrantSite).where(
                GrantSite.grant_id == grant_id, GrantSite.site_id.in_(current_sites - set(site_ids))
            )
        )
    session.add_all([GrantSite(grant_id=grant_id, site_id=s) for s in set(site_ids) - current_sites])
    if removed:
        session.execute(sa.delete(Strand).where(Strand.id.in_([s.id for s in removed])))
    existing = {s.name.lower() for s in strands}
    session.add_all([Strand(grant_id=grant_id, name=s) for s in strand_names if s.lower() not in existing])
    audit.record(session, actor=principal, action="grant.updated", entity_type="grant", entity_id=grant_id)
    session.commit()
    session.expire_all()
