"""The association's own setup: its name, its sites, its strands, and whether the database is a demo.

Who: MANAGE_ORGANISATION (admin) from the app, or SYSTEM_ACTOR from the command line (`python -m ops.cli`).
Every change is audited (which record, never the typed values).

Sites: a code (2 to 8 capital letters or digits, the prefix of person codes: it never changes once
created), a name and a city. A site is deactivated, never deleted: its records keep it, and a closed site
is no longer offered in forms (services.platform.sites).

Strands (volets): the association's list, e.g. "Aller-vers"; a new grant is offered the active ones.

Demo marker: the demo seed alone writes `Association.holds_demo_data`. `check_mode_fits_data` refuses a
demo-mode start on a database that holds data without the marker (real data must never be shown under a
banner saying there is none), and a production start on a marked database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import Field, field_validator
from sqlmodel import Session, select

from i18n import N_, _
from models.audit import AuditAction
from models.organisation import ASSOCIATION_ROW_ID, Association, OrganisationStrand, Role, Site, User, UserSite
from services.platform import audit
from services.platform.config import ConfigurationError, Settings
from services.platform.errors import NotFound, PermissionDenied
from services.platform.inputs import (
    FormInput,
    checked,
    field_error,
    messages,
    refuse_if,
    required_text,
    searchable,
)
from services.platform.principal import SYSTEM_ACTOR, Capability, Principal

Actor = Principal | str  # a Principal from the app, SYSTEM_ACTOR from the command line

ASSOCIATION_NAME_MAX = 160
SITE_CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,8}$")
SITE_NAME_MAX = 120
STRAND_NAME_MAX = 120

SITE_CODE_INVALID = N_("Code de site invalide : 2 à 8 lettres majuscules ou chiffres, par exemple LYO.")
SITE_CODE_TAKEN = N_("Ce code de site existe déjà.")
NO_CONTACT_DAYS_DEFAULT, NO_CONTACT_DAYS_MIN, NO_CONTACT_DAYS_MAX = 45, 7, 365
NO_CONTACT_DAYS_RANGE = N_("Entre {minimum} et {maximum} jours.")
STRAND_TAKEN = N_("Ce volet existe déjà.")
SITE_UNKNOWN = N_("Site inconnu : {code}.")
DEMO_MODE_ON_REAL_DATA = N_(
    "Mode démonstration refusé : cette base contient des données qui ne viennent pas du jeu de démonstration. "
    "Démarrez en mode production (PARCOURS_MODE=production), ou indiquez une base vide ou de démonstration "
    "(DATABASE_URL)."
)
PRODUCTION_ON_DEMO_DATA = N_(
    "Mode production refusé : cette base est une base de démonstration (données fictives). "
    "Utilisez une base neuve (DATABASE_URL)."
)


def _require_manager(actor: Actor) -> None:
    if isinstance(actor, Principal):
        actor.require(Capability.MANAGE_ORGANISATION)
    elif actor != SYSTEM_ACTOR:
        raise PermissionDenied()


# --- the demo marker ---------------------------------------------------------------------------------------


def holds_demo_data(session: Session) -> bool:
    """The database was filled by the demo seed (no rights needed: the login page asks)."""
    marker = session.exec(select(Association.holds_demo_data).where(Association.id == ASSOCIATION_ROW_ID)).first()
    return bool(marker)


def holds_any_data(session: Session) -> bool:
    """Anything an install writes exists: the association row, a site or an account."""
    return any(
        session.exec(select(sa.literal(1)).select_from(table).limit(1)).first() is not None
        for table in (Association, Site, User)
    )


def check_mode_fits_data(settings: Settings, session: Session) -> None:
    """Raise ConfigurationError when the mode does not fit the data (see the module docstring)."""
    demo_data = holds_demo_data(session)
    if settings.is_demo and not demo_data and holds_any_data(session):
        raise ConfigurationError(_(DEMO_MODE_ON_REAL_DATA))
    if not settings.is_demo and demo_data:
        raise ConfigurationError(_(PRODUCTION_ON_DEMO_DATA))


# --- the association ---------------------------------------------------------------------------------------


def association_name(session: Session, default: str) -> str:
    """The name reports carry: the one the admin set, else `default` (the configuration's)."""
    name = session.exec(select(Association.name).where(Association.id == ASSOCIATION_ROW_ID)).first()
    return name or default


class AssociationInput(FormInput):
    name: required_text(
        ASSOCIATION_NAME_MAX,
        N_("Le nom de l'association est obligatoire."),
        N_("Le nom ne peut dépasser {max} caractères."),
        on_one_line=True,
    )


def set_association_name(session: Session, actor: Actor, *, data: AssociationInput | Mapping[str, object]) -> None:
    """Name the association (shown on reports). MANAGE_ORGANISATION or the command line."""
    _require_manager(actor)
    name = AssociationInput.validated(data).name
    row = session.get(Association, ASSOCIATION_ROW_ID)
    if row is None:
        row = Association(id=ASSOCIATION_ROW_ID, holds_demo_data=False)
        session.add(row)
    row.name = name
    audit.record(session, actor=actor, action=AuditAction.ASSOCIATION_UPDATE, entity_type="association")
    session.commit()


# --- sites ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteRow:
    id: int
    code: str
    name: str
    city: str
    is_active: bool
    account_count: int
    no_contact_days: int = 45


def list_sites(session: Session, actor: Actor) -> list[SiteRow]:
    """Every site, open or closed, by code, with the number of accounts attached to it."""
    _require_manager(actor)
    accounts = (
        select(UserSite.site_id, sa.func.count().label("n")).group_by(UserSite.site_id).subquery("accounts_by_site")
    )
    rows = session.exec(
        select(Site, sa.func.coalesce(accounts.c.n, 0))
        .outerjoin(accounts, accounts.c.site_id == Site.id)
        .order_by(Site.code)
    ).all()
    return [SiteRow(s.id, s.code, s.name, s.city, s.is_active, int(n), s.no_contact_days) for s, n in rows]


SiteName = required_text(
    SITE_NAME_MAX,
    N_("Le nom du site est obligatoire."),
    N_("Le nom ne peut dépasser {max} caractères."),
    on_one_line=True,
)
SiteCity = required_text(
    SITE_NAME_MAX, N_("La ville est obligatoire."), N_("La ville ne peut dépasser {max} caractères."), on_one_line=True
)


class SiteEditInput(FormInput):
    """What the site form sends to rename a site (its code stays) and set its follow-up delay: the days
    without contact after which « À faire » lists an open file (services/worklist.py)."""

    name: SiteName
    city: SiteCity
    no_contact_days: int = Field(
        NO_CONTACT_DAYS_DEFAULT,
        ge=NO_CONTACT_DAYS_MIN,
        le=NO_CONTACT_DAYS_MAX,
        json_schema_extra=messages(NO_CONTACT_DAYS_RANGE, minimum=NO_CONTACT_DAYS_MIN, maximum=NO_CONTACT_DAYS_MAX),
    )


class NewSiteInput(SiteEditInput):
    """A new site: its code (upper-cased) too."""

    code: str

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> str:
        code = str(value or "").strip().upper()
        if not SITE_CODE_PATTERN.match(code):
            raise field_error(SITE_CODE_INVALID)
        return code


def _site_by_code(session: Session, code: str) -> Site:
    site = session.exec(select(Site).where(Site.code == searchable(str(code).strip().upper()))).first()
    if site is None:
        raise NotFound(_(SITE_UNKNOWN).format(code=code))
    return site


def create_site(session: Session, actor: Actor, *, data: NewSiteInput | Mapping[str, object]) -> int:
    """Open a site. Its code must be new (a closed site keeps its code). Returns its id."""
    _require_manager(actor)
    site_input, errors = checked(NewSiteInput, data)
    if site_input is not None and session.exec(select(Site.id).where(Site.code == site_input.code)).first():
        errors["code"] = _(SITE_CODE_TAKEN)
    refuse_if(errors)
    site = Site(
        code=site_input.code,
        name=site_input.name,
        city=site_input.city,
        is_active=True,
        no_contact_days=site_input.no_contact_days,
    )
    session.add(site)
    session.flush()
    audit.record(session, actor=actor, action=AuditAction.SITE_CREATE, entity_type="site", entity_id=site.id)
    session.commit()
    return site.id


def update_site(session: Session, actor: Actor, code: str, *, data: SiteEditInput | Mapping[str, object]) -> None:
    """Rename a site or change its city; its code never changes (person codes carry it)."""
    _require_manager(actor)
    site = _site_by_code(session, code)
    site_input = SiteEditInput.validated(data)
    site.name, site.city = site_input.name, site_input.city
    site.no_contact_days = site_input.no_contact_days
    audit.record(session, actor=actor, action=AuditAction.SITE_UPDATE, entity_type="site", entity_id=site.id)
    session.commit()


def set_site_active(session: Session, actor: Actor, code: str, *, active: bool) -> None:
    """Close a site (no longer offered in forms; its records and accounts stay) or reopen it. A site is
    never deleted: its records keep pointing at it."""
    _require_manager(actor)
    site = _site_by_code(session, code)
    site.is_active = active
    action = AuditAction.SITE_REOPEN if active else AuditAction.SITE_CLOSE
    audit.record(session, actor=actor, action=action, entity_type="site", entity_id=site.id)
    session.commit()


# --- strands -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StrandRow:
    id: int
    name: str
    is_active: bool


def list_strands(session: Session, actor: Actor) -> list[StrandRow]:
    _require_manager(actor)
    rows = session.exec(select(OrganisationStrand).order_by(OrganisationStrand.name)).all()
    return [StrandRow(s.id, s.name, s.is_active) for s in rows]


def strands_for_new_grants(session: Session, principal: Principal) -> list[str]:
    """The active strands offered to a new grant (EDIT_BUDGET: who creates grants)."""
    principal.require(Capability.EDIT_BUDGET)
    statement = select(OrganisationStrand.name).where(OrganisationStrand.is_active == sa.true())
    return list(session.exec(statement.order_by(OrganisationStrand.name)).all())


class StrandInput(FormInput):
    name: required_text(
        STRAND_NAME_MAX,
        N_("Le nom du volet est obligatoire."),
        N_("Le nom ne peut dépasser {max} caractères."),
        on_one_line=True,
    )


def add_strand(session: Session, actor: Actor, *, data: StrandInput | Mapping[str, object]) -> int:
    """Add a strand to the association's list (names are unique, whatever their case)."""
    _require_manager(actor)
    strand_input, errors = checked(StrandInput, data)
    if strand_input is not None:
        same = sa.func.lower(OrganisationStrand.name) == strand_input.name.lower()
        if session.exec(select(OrganisationStrand.id).where(same)).first() is not None:
            errors["name"] = _(STRAND_TAKEN)
    refuse_if(errors)
    strand = OrganisationStrand(name=strand_input.name, is_active=True)
    session.add(strand)
    session.flush()
    audit.record(session, actor=actor, action=AuditAction.STRAND_CREATE, entity_type="strand", entity_id=strand.id)
    session.commit()
    return strand.id


def set_strand_active(session: Session, actor: Actor, strand_id: int, *, active: bool) -> None:
    """Stop offering a strand to new grants (grants that have it keep it), or offer it again."""
    _require_manager(actor)
    strand = session.get(OrganisationStrand, strand_id)
    if strand is None:
        raise NotFound()
    strand.is_active = active
    audit.record(session, actor=actor, action=AuditAction.STRAND_UPDATE, entity_type="strand", entity_id=strand.id)
    session.commit()


# --- the first-run walk-through ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupProgress:
    """What a new install still lacks, in the order the admin is walked through it."""

    association_named: bool
    has_site: bool
    has_strand: bool
    has_site_account: bool  # an account of a role that works on sites, attached to one

    @property
    def complete(self) -> bool:
        return self.association_named and self.has_site and self.has_strand and self.has_site_account


SITE_ROLES = (Role.CHEF_SERVICE, Role.INTERVENANT, Role.FORMATEUR)


def setup_progress(session: Session, actor: Actor) -> SetupProgress:
    _require_manager(actor)
    named = session.exec(select(Association.name).where(Association.id == ASSOCIATION_ROW_ID)).first()
    site = session.exec(select(Site.id).where(Site.is_active == sa.true()).limit(1)).first()
    strand = session.exec(select(OrganisationStrand.id).where(OrganisationStrand.is_active == sa.true())).first()
    site_account = session.exec(
        select(User.id).join(UserSite, UserSite.user_id == User.id).where(User.role.in_(SITE_ROLES)).limit(1)
    ).first()
    return SetupProgress(bool(named), site is not None, strand is not None, site_account is not None)
