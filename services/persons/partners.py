"""Partner organisations of each site, referrals of a person to them, and outcomes (sorties).

Directory: admin (all sites) and chef_service (own sites) manage it (MANAGE_PARTNERS); roles that
edit person files may list the active partners of their sites to refer a person. Referrals and
outcomes follow the person-file rules (see services/persons/pathway.py): read with VIEW_PERSON_FILES, write
with EDIT_PERSON_FILES on a file of one's sites that is not anonymised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import FRENCH, _, use_language
from models.labels import label
from models.organisation import Site
from models.partners import (
    OUTCOME_CATEGORY_OF_TYPE,
    Outcome,
    OutcomeCategory,
    OutcomeType,
    Partner,
    PartnerKind,
    Referral,
    ReferralResult,
)
from models.persons import PersonStatus
from services.persons.access import person_in_scope, require_writable, touch_last_contact
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import (
    change_person_status,
    not_future,
    owned_row,
    save_sub_record,
    versioned_update,
    writable_person,
)
from services.platform.sites import SiteChoice

NAME_MAX = 160
CONTACT_MAX = 200
REASON_MAX = 200
SECTOR_MAX = 120
CLOSED_REASON_MAX = 200


# --- directory ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerRow:
    id: int
    site_id: int
    site_code: str
    name: str
    kind: PartnerKind
    contact: str | None
    is_active: bool
    version: int


def list_partners(
    session: Session, principal: Principal, *, site_id: int | None = None, include_inactive: bool = False
) -> list[PartnerRow]:
    """Partners of the principal's sites (or of one of them), by site then name.

    MANAGE_PARTNERS sees inactive ones too if asked; EDIT_PERSON_FILES sees active ones only."""
    if principal.can(Capability.MANAGE_PARTNERS):
        pass
    elif principal.can(Capability.EDIT_PERSON_FILES):
        include_inactive = False
    else:
        raise PermissionDenied()
    conditions = [principal.site_filter(Partner.site_id)]
    if site_id is not None:
        conditions.append(Partner.site_id == site_id)
    if not include_inactive:
        conditions.append(Partner.is_active == sa.true())
    rows = session.exec(
        select(Partner, Site.code)
        .join(Site, Site.id == Partner.site_id)
        .where(*conditions)
        .order_by(Site.code, Partner.name)
    ).all()
    return [PartnerRow(p.id, p.site_id, code, p.name, p.kind, p.contact, p.is_active, p.version) for p, code in rows]


def _clean_partner(values: dict) -> dict:
    errors: dict[str, str] = {}
    cleaned = dict(values)
    if "name" in values:
        name = " ".join((values["name"] or "").split())
        if not name:
            errors["name"] = _("Le nom du partenaire est obligatoire.")
        elif len(name) > NAME_MAX:
            errors["name"] = _("Le nom ne peut dépasser {max} caractères.").format(max=NAME_MAX)
        cleaned["name"] = name
    if "kind" in values:
        try:
            cleaned["kind"] = PartnerKind(values["kind"])
        except ValueError:
            errors["kind"] = _("Choisissez un type de partenaire.")
    if "contact" in values:
        contact = (values["contact"] or "").strip()
        if len(contact) > CONTACT_MAX:
            errors["contact"] = _("Le contact ne peut dépasser {max} caractères.").format(max=CONTACT_MAX)
        cleaned["contact"] = contact or None
    if "is_active" in values:
        cleaned["is_active"] = bool(values["is_active"])
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _name_taken(session: Session, site_id: int, name: str, *, other_than: int | None = None) -> bool:
    query = select(Partner.id).where(Partner.site_id == site_id, sa.func.lower(Partner.name) == name.lower())
    if other_than is not None:
        query = query.where(Partner.id != other_than)
    return session.exec(query).first() is not None


def create_partner(
    session: Session,
    principal: Principal,
    *,
    site_id: int | None,
    name: str,
    kind: PartnerKind,
    contact: str | None = None,
) -> int:
    """Add a partner to a site's directory (a site of the principal's). Returns its id."""
    principal.require(Capability.MANAGE_PARTNERS)
    errors: dict[str, str] = {}
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None or not site.is_active or not principal.may_see_site(site.id):
        errors["site_id"] = _("Choisissez un de vos sites.")
    try:
        values = _clean_partner({"name": name, "kind": kind, "contact": contact})
    except ValidationFailed as exc:
        errors.update(exc.errors)
        values = {}
    if (
        "name" not in errors
        and site is not None
        and "site_id" not in errors
        and _name_taken(session, site.id, values["name"])
    ):
        errors["name"] = _("Ce partenaire existe déjà sur ce site.")
    if errors:
        raise ValidationFailed(errors)
    partner = Partner(site_id=site.id, **values)
    session.add(partner)
    session.flush()
    audit.record(
        session, actor=principal, action="partner.create", entity_type="partner", entity_id=partner.id, site_id=site.id
    )
    session.commit()
    return partner.id


def update_partner(
    session: Session, principal: Principal, partner_id: int, *, expected_version: int, changes: dict
) -> None:
    """Rename, change kind or contact, deactivate (is_active False) or reactivate a partner."""
    principal.require(Capability.MANAGE_PARTNERS)
    partner = session.exec(
        select(Partner).where(Partner.id == partner_id, principal.site_filter(Partner.site_id))
    ).first()
    if partner is None:
        raise NotFound(_("Partenaire introuvable."))
    unknown = set(changes) - {"name", "kind", "contact", "is_active"}
    if unknown:
        raise ValueError(f"unknown partner fields: {sorted(unknown)}")
    values = _clean_partner(changes)
    if "name" in values and _name_taken(session, partner.site_id, values["name"], other_than=partner.id):
        raise ValidationFailed({"name": _("Ce partenaire existe déjà sur ce site.")})
    versioned_update(session, Partner, partner.id, expected_version, values)
    audit.record(
        session,
        actor=principal,
        action="partner.update",
        entity_type="partner",
        entity_id=partner.id,
        site_id=partner.site_id,
    )
    session.commit()


# --- referrals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    id: int
    partner_id: int
    partner_name: str
    partner_kind: PartnerKind
    referred_on: date
    reason: str | None
    result: ReferralResult
    result_on: date | None
    version: int


def create_referral(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    partner_id: int | None,
    referred_on: date,
    reason: str | None = None,
    today: date | None = None,
) -> int:
    """Refer a person to an active partner of the person's own site. Returns the referral id."""
    today = today or clock.today()
    person = writable_person(session, principal, person_id)
    errors: dict[str, str] = {}
    partner = session.get(Partner, partner_id) if partner_id is not None else None
    if partner is None or partner.site_id != person.site_id or not partner.is_active:
        errors["partner_id"] = _("Choisissez un partenaire actif du site de la personne.")
    not_future(errors, "referred_on", referred_on, today)
    text = (reason or "").strip()
    if len(text) > REASON_MAX:
        errors["reason"] = _("Le motif ne peut dépasser {max} caractères.").format(max=REASON_MAX)
    if errors:
        raise ValidationFailed(errors)
    referral = Referral(
        person_id=person.id, site_id=person.site_id, partner_id=partner.id, referred_on=referred_on, reason=text or None
    )
    return save_sub_record(session, principal, person, referral, contact_on=referred_on, action="referral.create")


def update_referral_result(
    session: Session,
    principal: Principal,
    referral_id: int,
    *,
    expected_version: int,
    result: ReferralResult,
    result_on: date | None,
    today: date | None = None,
) -> None:
    """Record what came of a referral; a result other than « En attente » needs its date."""
    today = today or clock.today()
    referral, person = owned_row(session, principal, Referral, referral_id)
    require_writable(principal, person)
    errors: dict[str, str] = {}
    result = ReferralResult(result)
    if result == ReferralResult.PENDING:
        result_on = None
    elif result_on is None:
        errors["result_on"] = _("Indiquez la date du résultat.")
    elif result_on < referral.referred_on:
        errors["result_on"] = _("Le résultat ne peut précéder l'orientation.")
    else:
        not_future(errors, "result_on", result_on, today)
    if errors:
        raise ValidationFailed(errors)
    versioned_update(session, Referral, referral.id, expected_version, {"result": result, "result_on": result_on})
    touch_last_contact(session, person, result_on or today)
    audit.record(
        session,
        actor=principal,
        action="referral.update",
        entity_type="referral",
        entity_id=referral.id,
        site_id=person.site_id,
    )
    session.commit()


def list_referrals(session: Session, principal: Principal, person_id: int) -> list[ReferralRow]:
    """The person's referrals, latest first, with the partner's name."""
    person = person_in_scope(session, principal, person_id)
    rows = session.exec(
        select(Referral, Partner.name, Partner.kind)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.person_id == person.id)
        .order_by(Referral.referred_on.desc(), Referral.id.desc())
    ).all()
    return [
        ReferralRow(r.id, r.partner_id, name, kind, r.referred_on, r.reason, r.result, r.result_on, r.version)
        for r, name, kind in rows
    ]


# --- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    outcome_on: date
    category: OutcomeCategory
    outcome_type: OutcomeType
    employer_sector: str | None
    closes_file: bool


def closed_reason_of(outcome_type: OutcomeType) -> str:
    """The closing reason stored in the file: French, like every stored text, whatever the reader's language."""
    with use_language(FRENCH):
        return f"Sortie : {label(outcome_type)}"[:CLOSED_REASON_MAX]


def record_outcome(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    outcome_on: date,
    outcome_type: OutcomeType,
    employer_sector: str | None = None,
    closes_file: bool = False,
    today: date | None = None,
) -> int:
    """Record an outcome; its category follows from its type (IAE « sorties dynamiques »). When it
    closes the file, the person's status becomes « Clôturé » on that date with the reason
    « Sortie : <type> ». Returns the outcome id."""
    today = today or clock.today()
    person = writable_person(session, principal, person_id)
    errors: dict[str, str] = {}
    try:
        outcome_type = OutcomeType(outcome_type)
    except ValueError:
        errors["outcome_type"] = _("Choisissez un type de sortie.")
    not_future(errors, "outcome_on", outcome_on, today)
    sector = (employer_sector or "").strip()
    if len(sector) > SECTOR_MAX:
        errors["employer_sector"] = _("Le secteur ne peut dépasser {max} caractères.").format(max=SECTOR_MAX)
    if closes_file and person.status == PersonStatus.CLOSED:
        errors["closes_file"] = _("Le dossier est déjà clôturé.")
    if errors:
        raise ValidationFailed(errors)
    outcome = Outcome(
        person_id=person.id,
        site_id=person.site_id,
        outcome_on=outcome_on,
        category=OUTCOME_CATEGORY_OF_TYPE[outcome_type],
        outcome_type=outcome_type,
        employer_sector=sector or None,
        closes_file=closes_file,
    )
    if closes_file:
        # The version moves on: a header form open elsewhere must not overwrite the closing.
        change_person_status(
            session,
            principal,
            person,
            expected_version=person.version,
            to_status=PersonStatus.CLOSED,
            on=outcome_on,
            reason=closed_reason_of(outcome_type),
        )
    return save_sub_record(session, principal, person, outcome, contact_on=outcome_on, action="outcome.create")


def list_outcomes(session: Session, principal: Principal, person_id: int) -> list[OutcomeRow]:
    person = person_in_scope(session, principal, person_id)
    rows = session.exec(
        select(Outcome).where(Outcome.person_id == person.id).order_by(Outcome.outcome_on.desc(), Outcome.id.desc())
    ).all()
    return [OutcomeRow(o.id, o.outcome_on, o.category, o.outcome_type, o.employer_sector, o.closes_file) for o in rows]


def manageable_sites(session: Session, principal: Principal) -> list[SiteChoice]:
    """Sites whose directory the principal may manage (admin: all active sites)."""
    principal.require(Capability.MANAGE_PARTNERS)
    rows = session.exec(
        select(Site.id, Site.code, Site.name)
        .where(Site.is_active == sa.true(), principal.site_filter(Site.id))
        .order_by(Site.code)
    ).all()
    return [SiteChoice(*row) for row in rows]
