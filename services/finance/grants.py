"""Funders and grants (conventions): list, detail, create and edit.

Read: VIEW_BUDGET (direction, gestion: every grant; chef_service: the grants with a line on its sites,
with the planned and spent figures of those lines only); a funder reads its grants through
services.finance.funded, never here. Write: EDIT_BUDGET (gestion). The scope rule is
services.finance.access, applied in every query. Budget lines live in services.finance.lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.audit import AuditAction
from models.finance import BudgetLine, Expense, Funder, FunderKind, Grant, GrantSite, Strand
from models.organisation import Site
from services.finance.access import visible_grants, visible_lines
from services.finance.fields import AMOUNT_REQUIRED, DAY, amount_rule, spaces
from services.platform import audit, data_version
from services.platform.errors import NotFound
from services.platform.inputs import FormInput, checked, field_error, messages, raw, refuse_if
from services.platform.money import hundredths, ratio
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice, sites_of

FUNDER_NAME_MAX = 160
GRANT_NAME_MAX = 200
CONVENTION_REF_MAX = 80
STRAND_NAME_MAX = 120
TOLERANCE_MAX_BP = 5_000  # 50 %
INDIRECT_MAX_BP = 10_000
DEFAULT_TOLERANCE_BP = 1_000

# Marked French ids of the rules declared on the input models (translated when a check fails).
FUNDER_NAME_REQUIRED = N_("Le nom du financeur est obligatoire.")
FUNDER_NAME_TOO_LONG = N_("Le nom ne peut dépasser {max} caractères.")
CHOOSE_FUNDER_KIND = N_("Choisissez un type de financeur.")
CHOOSE_FUNDER = N_("Choisissez un financeur.")
NAME_REQUIRED = N_("L'intitulé du financement est obligatoire.")
NAME_TOO_LONG = N_("L'intitulé ne peut dépasser {max} caractères.")
REF_REQUIRED = N_("La référence de la convention est obligatoire.")
REF_TOO_LONG = N_("La référence ne peut dépasser {max} caractères.")
AMOUNT_POSITIVE = N_("Le montant de la convention doit être positif.")
START_REQUIRED = N_("La date de début est obligatoire.")
END_REQUIRED = N_("La date de fin est obligatoire.")
END_AFTER_START = N_("La date de fin doit être postérieure à la date de début.")
TOLERANCE_RANGE = N_("La tolérance entre lignes doit être comprise entre 0 et 50 %.")
INDIRECT_RANGE = N_("Le taux de frais indirects doit être compris entre 0 et 100 %.")
CHOOSE_SITES = N_("Choisissez au moins un site concerné.")
STRAND_REQUIRED = N_("Indiquez au moins un volet (par exemple « Aller-vers »).")
STRAND_TOO_LONG = N_("Un nom de volet ne peut dépasser {max} caractères.")


def require_reader(principal: Principal) -> None:
    """Grants and their lines (codes, sites): budget staff."""
    principal.require(Capability.VIEW_BUDGET)


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


class FunderInput(FormInput):
    """What the funder form sends."""

    name: str = Field(
        min_length=1,
        max_length=FUNDER_NAME_MAX,
        json_schema_extra=messages(
            FUNDER_NAME_REQUIRED, by_type={"string_too_long": FUNDER_NAME_TOO_LONG}, max=FUNDER_NAME_MAX
        ),
    )
    kind: FunderKind = Field(json_schema_extra=messages(CHOOSE_FUNDER_KIND))

    @field_validator("name", mode="before")
    @classmethod
    def _one_space(cls, value: object) -> str:
        return spaces(value)


def create_funder(session: Session, principal: Principal, *, data: FunderInput | Mapping[str, object]) -> int:
    """Add a funder (name unique, case-insensitive). gestion only. Returns its id."""
    principal.require(Capability.EDIT_BUDGET)
    funder, errors = checked(FunderInput, data)
    if "name" not in errors:
        name = spaces(raw(data)["name"])
        if session.exec(select(Funder.id).where(sa.func.lower(Funder.name) == name.lower())).first():
            errors["name"] = _("Un financeur porte déjà ce nom.")
    refuse_if(errors)
    row = Funder(name=funder.name, kind=funder.kind)
    session.add(row)
    session.flush()
    audit.record(session, actor=principal, action=AuditAction.FUNDER_CREATED, entity_type="funder", entity_id=row.id)
    session.commit()
    return row.id


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
    """Expenses up to `today` summed per budget line (grouped first: the scope is applied by joining the few
    lines afterwards). One grant's are read line by line through the (line, day, amount) index: its
    (grant, day, amount) index has no line, so grouping by line read every expense row of the grant
    (3,570 on the large dataset: 2.1 → 0.5 ms on SQLite)."""
    query = select(Expense.budget_line_id, sa.func.sum(Expense.amount_cents).label("spent")).where(
        Expense.spent_on <= today
    )
    if grant_id is not None:
        query = query.join(BudgetLine, BudgetLine.id == Expense.budget_line_id).where(BudgetLine.grant_id == grant_id)
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
    """The grants the principal may see, latest first, with planned and spent of its visible lines.

    Cached per data version and scope (services.platform.data_version): summing every expense of the
    association took 16-18 ms at each run of the pages that list the grants (110,000 expenses)."""
    require_reader(principal)
    day = today or clock.today()
    key = (principal.scope, day)
    return list(data_version.cached_aggregate(session, "grants.list", key, lambda: _summaries(session, principal, day)))


def grant_detail(session: Session, principal: Principal, grant_id: int, *, today: date | None = None) -> GrantDetail:
    """One visible grant with its sites (those the principal sees) and strands (NotFound when out of scope)."""
    require_reader(principal)
    found = _summaries(session, principal, today or clock.today(), grant_id)
    if not found:
        raise NotFound(_("Financement introuvable."))
    sites = session.exec(
        select(Site)
        .join(GrantSite, GrantSite.site_id == Site.id)
        .where(GrantSite.grant_id == grant_id, principal.site_filter(Site.id))
        .order_by(Site.code)
    ).all()
    strands = session.exec(select(Strand).where(Strand.grant_id == grant_id).order_by(Strand.name)).all()
    return GrantDetail(
        found[0], [SiteChoice(s.id, s.code, s.name) for s in sites], [StrandRow(s.id, s.name) for s in strands]
    )


# --- grants: writing ----------------------------------------------------------------------------


def site_choices(session: Session, principal: Principal) -> list[SiteChoice]:
    """Active sites a grant may concern (gestion: every site)."""
    principal.require(Capability.EDIT_BUDGET)
    return sites_of(session, principal)


class GrantInput(FormInput):
    """What the grant form sends. `amount` is typed text or euros (services.finance.fields); `tolerance` and
    `indirect_rate` are the percentages typed (10 = 10 %), held in basis points once checked; `strand_names`
    is the text area (one strand a line) or a list. Context: none."""

    funder_id: int = Field(json_schema_extra=messages(CHOOSE_FUNDER))
    name: str = Field(
        min_length=1,
        max_length=GRANT_NAME_MAX,
        json_schema_extra=messages(NAME_REQUIRED, by_type={"string_too_long": NAME_TOO_LONG}, max=GRANT_NAME_MAX),
    )
    convention_ref: str = Field(
        min_length=1,
        max_length=CONVENTION_REF_MAX,
        json_schema_extra=messages(REF_REQUIRED, by_type={"string_too_long": REF_TOO_LONG}, max=CONVENTION_REF_MAX),
    )
    amount: int = Field(gt=0, json_schema_extra=messages(AMOUNT_REQUIRED, by_type={"greater_than": AMOUNT_POSITIVE}))
    starts_on: date = Field(json_schema_extra=messages(START_REQUIRED))
    ends_on: date = Field(json_schema_extra=messages(END_REQUIRED))
    tolerance: int = Field(DEFAULT_TOLERANCE_BP, ge=0, le=TOLERANCE_MAX_BP, json_schema_extra=messages(TOLERANCE_RANGE))
    indirect_rate: int = Field(0, ge=0, le=INDIRECT_MAX_BP, json_schema_extra=messages(INDIRECT_RANGE))
    site_ids: list[int] = Field(min_length=1, json_schema_extra=messages(CHOOSE_SITES))
    strand_names: list[str] = Field(min_length=1, json_schema_extra=messages(STRAND_REQUIRED))

    @field_validator("name", "convention_ref", mode="before")
    @classmethod
    def _one_space(cls, value: object) -> str:
        return spaces(value)

    @field_validator("amount", mode="before")
    @classmethod
    def _typed_amount(cls, value: object) -> int:
        return amount_rule(value)

    @field_validator("ends_on")
    @classmethod
    def _after_the_start(cls, value: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and value <= starts_on:
            raise field_error(END_AFTER_START)
        return value

    @field_validator("tolerance", "indirect_rate", mode="before")
    @classmethod
    def _basis_points(cls, value: object) -> object:
        try:
            return hundredths(0 if value is None else value)
        except ValueError:
            return value  # not a number: refused by the field's limits, with its message

    @field_validator("site_ids", mode="before")
    @classmethod
    def _no_site(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("site_ids")
    @classmethod
    def _each_site_once(cls, value: list[int]) -> list[int]:
        return sorted(set(value))

    @field_validator("strand_names", mode="before")
    @classmethod
    def _one_strand_a_line(cls, value: object) -> list[str]:
        return strand_list(value)

    @field_validator("strand_names")
    @classmethod
    def _short_strands(cls, value: list[str]) -> list[str]:
        if any(len(strand) > STRAND_NAME_MAX for strand in value):
            raise field_error(STRAND_TOO_LONG, max=STRAND_NAME_MAX)
        return value


def strand_list(value: object) -> list[str]:
    """The strands typed (a text, one a line, or a list): spaces collapsed, blank ones and repeats (whatever the
    case) dropped, in their order."""
    lines = value.splitlines() if isinstance(value, str) else list(value or ())
    strands: list[str] = []
    for line in lines:
        strand = spaces(line)
        if strand and strand.lower() not in {s.lower() for s in strands}:
            strands.append(strand)
    return strands


def _database_rules(
    session: Session, data: GrantInput | Mapping[str, object], errors: dict[str, str], *, grant_id: int | None
) -> None:
    """The rules of a grant that need the database, for the fields that passed their own checks."""
    values = raw(data)
    if "funder_id" not in errors and session.get(Funder, int(values["funder_id"])) is None:
        errors["funder_id"] = _(CHOOSE_FUNDER)
    if "convention_ref" not in errors:
        ref = spaces(values["convention_ref"])
        taken = select(Grant.id).where(sa.func.lower(Grant.convention_ref) == ref.lower())
        if grant_id is not None:
            taken = taken.where(Grant.id != grant_id)
        if session.exec(taken).first() is not None:
            errors["convention_ref"] = _("Une autre convention porte déjà cette référence.")
    if "site_ids" not in errors:
        site_ids = {int(site_id) for site_id in values["site_ids"]}
        if set(session.exec(select(Site.id).where(Site.id.in_(sorted(site_ids)))).all()) != site_ids:
            errors["site_ids"] = _("Site inconnu.")


def _checked_grant(session: Session, data: GrantInput | Mapping[str, object], *, grant_id: int | None) -> GrantInput:
    grant, errors = checked(GrantInput, data)
    _database_rules(session, data, errors, grant_id=grant_id)
    refuse_if(errors)
    return grant


def _columns(grant: GrantInput) -> dict:
    return {
        "funder_id": grant.funder_id,
        "name": grant.name,
        "convention_ref": grant.convention_ref,
        "amount_cents": grant.amount,
        "starts_on": grant.starts_on,
        "ends_on": grant.ends_on,
        "tolerance_bp": grant.tolerance,
        "indirect_rate_bp": grant.indirect_rate,
    }


def create_grant(session: Session, principal: Principal, *, data: GrantInput | Mapping[str, object]) -> int:
    """Record a convention with its sites and strands (its lines are entered next). gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    checked_grant = _checked_grant(session, data, grant_id=None)
    grant = Grant(**_columns(checked_grant))
    session.add(grant)
    session.flush()
    session.add_all([GrantSite(grant_id=grant.id, site_id=s) for s in checked_grant.site_ids])
    session.add_all([Strand(grant_id=grant.id, name=s) for s in checked_grant.strand_names])
    audit.record(session, actor=principal, action=AuditAction.GRANT_CREATED, entity_type="grant", entity_id=grant.id)
    session.commit()
    return grant.id


def _kept_by_the_lines(
    session: Session, grant_id: int, data: GrantInput | Mapping[str, object], errors: dict[str, str]
) -> None:
    """An edit keeps the sites and strands that have budget lines and the period of the booked expenses
    (the rules of the fields that passed their own checks)."""
    values = raw(data)
    if "site_ids" not in errors:
        used_sites = set(
            session.exec(
                select(BudgetLine.site_id).where(BudgetLine.grant_id == grant_id, BudgetLine.site_id.is_not(None))
            ).all()
        )
        if used_sites - {int(site_id) for site_id in values["site_ids"]}:
            errors["site_ids"] = _(
                "Un site qui a des lignes budgétaires ne peut être retiré : supprimez d'abord ses lignes."
            )
    if "strand_names" not in errors:
        wanted = {strand.lower() for strand in strand_list(values["strand_names"])}
        used = session.exec(
            select(Strand.name).join(BudgetLine, BudgetLine.strand_id == Strand.id).where(Strand.grant_id == grant_id)
        ).all()
        if any(name.lower() not in wanted for name in used):
            errors["strand_names"] = _("Un volet qui a des lignes budgétaires ne peut être retiré.")
    if not {"starts_on", "ends_on"} & set(errors):
        starts_on, ends_on = (DAY.validate_python(values[field]) for field in ("starts_on", "ends_on"))
        outside = session.exec(
            select(sa.func.count())
            .select_from(Expense)
            .where(
                Expense.grant_id == grant_id,
                sa.or_(Expense.spent_on < starts_on, Expense.spent_on > ends_on),
            )
        ).one()
        if outside:
            errors["ends_on"] = _(
                "{count} dépense(s) sont datées hors de cette période : la période ne peut être réduite."
            ).format(count=outside)


def update_grant(
    session: Session,
    principal: Principal,
    grant_id: int,
    *,
    expected_version: int,
    data: GrantInput | Mapping[str, object],
) -> None:
    """Edit a convention. A site or strand that still has budget lines cannot be removed, and the
    period cannot shrink past expenses already booked. gestion only."""
    principal.require(Capability.EDIT_BUDGET)
    if session.exec(select(Grant.id).where(Grant.id == grant_id, visible_grants(principal))).first() is None:
        raise NotFound(_("Financement introuvable."))
    checked_grant, errors = checked(GrantInput, data)
    _database_rules(session, data, errors, grant_id=grant_id)
    _kept_by_the_lines(session, grant_id, data, errors)
    refuse_if(errors)
    versioned_update(session, Grant, grant_id, int(expected_version), _columns(checked_grant))
    _replace_sites(session, grant_id, checked_grant.site_ids)
    _replace_strands(session, grant_id, checked_grant.strand_names)
    audit.record(session, actor=principal, action=AuditAction.GRANT_UPDATED, entity_type="grant", entity_id=grant_id)
    session.commit()
    session.expire_all()


def _replace_sites(session: Session, grant_id: int, site_ids: list[int]) -> None:
    current = set(session.exec(select(GrantSite.site_id).where(GrantSite.grant_id == grant_id)).all())
    if current - set(site_ids):
        session.execute(
            sa.delete(GrantSite).where(GrantSite.grant_id == grant_id, GrantSite.site_id.in_(current - set(site_ids)))
        )
    session.add_all([GrantSite(grant_id=grant_id, site_id=s) for s in set(site_ids) - current])


def _replace_strands(session: Session, grant_id: int, names: list[str]) -> None:
    """Strands no longer named are deleted (none of them has lines: checked before), new names added."""
    strands = session.exec(select(Strand).where(Strand.grant_id == grant_id)).all()
    wanted = {name.lower() for name in names}
    removed = [s.id for s in strands if s.name.lower() not in wanted]
    if removed:
        session.execute(sa.delete(Strand).where(Strand.id.in_(removed)))
    existing = {s.name.lower() for s in strands}
    session.add_all([Strand(grant_id=grant_id, name=name) for name in names if name.lower() not in existing])
