"""Partner organisations of each site, referrals of a person to them, and outcomes (sorties).

Directory: admin (all sites) and chef_service (own sites) manage it (MANAGE_PARTNERS); roles that
edit person files may list the active partners of their sites to refer a person. Referrals and
outcomes follow the person-file rules (see services/persons/pathway.py): read with VIEW_PERSON_FILES, write
with EDIT_PERSON_FILES on a file of one's sites that is not anonymised.

Each form sends its values as they are; the service checks them first with the form's input model
(NewPartnerInput, PartnerEditInput, ReferralInput, ReferralResultInput, OutcomeInput: every field's
message at once), then what needs the database, in the same {field: message} answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import sqlalchemy as sa
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import FRENCH, N_, _, use_language
from models.audit import AuditAction
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
from services.persons.access import _require_writable, readable_text, rows_in_scope, touch_last_contact
from services.persons.consent import _record_new_sharing_consent, sharing_allowed_on
from services.persons.records import (
    _change_person_status,
    _owned_row,
    _save_sub_record,
    _writable_person,
)
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.inputs import (
    FUTURE_DATE,
    FormInput,
    PastDayOrAsOf,
    as_of,
    field_error,
    messages,
    optional_text,
    raw_id,
    raw_value,
    required_text,
)
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice, sites_of

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


def _single_spaces(value: object) -> object:
    return " ".join(value.split()) if isinstance(value, str) else value


PartnerName = Annotated[
    required_text(
        NAME_MAX, N_("Le nom du partenaire est obligatoire."), N_("Le nom ne peut dépasser {max} caractères.")
    ),
    BeforeValidator(_single_spaces),
]
PartnerContact = optional_text(CONTACT_MAX, N_("Le contact ne peut dépasser {max} caractères."))
NOT_YOUR_SITE = N_("Choisissez un de vos sites.")
NAME_TAKEN = N_("Ce partenaire existe déjà sur ce site.")


class PartnerInput(FormInput):
    """A partner as its forms send it: the name (spaces collapsed), the kind, a contact (never a person)."""

    name: PartnerName
    kind: PartnerKind = Field(json_schema_extra=messages(N_("Choisissez un type de partenaire.")))
    contact: PartnerContact = None


class NewPartnerInput(PartnerInput):
    """What the new-partner form sends: the partner and its site (one of the principal's, checked by the service)."""

    site_id: int | None = None


class PartnerEditInput(PartnerInput):
    """What the partner form sends to change a partner (its site stays); inactive: no longer offered."""

    is_active: bool = True


def _name_taken(session: Session, site_id: int, name: str, *, other_than: int | None = None) -> bool:
    query = select(Partner.id).where(Partner.site_id == site_id, sa.func.lower(Partner.name) == name.lower())
    if other_than is not None:
        query = query.where(Partner.id != other_than)
    return session.exec(query).first() is not None


def _manageable_site(session: Session, principal: Principal, site_id: int | None) -> Site | None:
    site = session.get(Site, site_id) if site_id is not None else None
    return site if site is not None and site.is_active and principal.may_see_site(site.id) else None


def _new_partner_errors(
    session: Session, site: Site | None, data: NewPartnerInput | Mapping[str, object], errors: dict[str, str]
) -> dict[str, str]:
    """The database's answer for a new partner, beside the input model's `errors`: one of the principal's
    sites, a name not yet in its directory."""
    found = {} if site is not None else {"site_id": _(NOT_YOUR_SITE)}
    name = raw_value(data, "name")
    if site is not None and "name" not in errors and _name_taken(session, site.id, " ".join(str(name).split())):
        found["name"] = _(NAME_TAKEN)
    return found


def create_partner(session: Session, principal: Principal, *, data: NewPartnerInput | Mapping[str, object]) -> int:
    """Add a partner to a site's directory (a site of the principal's). Returns its id."""
    principal.require(Capability.MANAGE_PARTNERS)
    try:
        checked, errors = NewPartnerInput.validated(data), {}
    except ValidationFailed as exc:
        checked, errors = None, exc.errors
    site = _manageable_site(session, principal, raw_id(data, "site_id"))
    errors = _new_partner_errors(session, site, data, errors) | errors
    if errors or checked is None:
        raise ValidationFailed(errors)
    partner = Partner(**checked.model_dump(exclude={"site_id"}), site_id=site.id)
    session.add(partner)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PARTNER_CREATE,
        entity_type="partner",
        entity_id=partner.id,
        site_id=site.id,
    )
    session.commit()
    return partner.id


def update_partner(
    session: Session,
    principal: Principal,
    partner_id: int,
    *,
    expected_version: int,
    data: PartnerEditInput | Mapping[str, object],
) -> None:
    """Rename, change kind or contact, deactivate (is_active False) or reactivate a partner."""
    principal.require(Capability.MANAGE_PARTNERS)
    partner = session.exec(
        select(Partner).where(Partner.id == partner_id, principal.site_filter(Partner.site_id))
    ).first()
    if partner is None:
        raise NotFound(_("Partenaire introuvable."))
    checked = PartnerEditInput.validated(data)
    if _name_taken(session, partner.site_id, checked.name, other_than=partner.id):
        raise ValidationFailed({"name": _(NAME_TAKEN)})
    versioned_update(session, Partner, partner.id, expected_version, checked.model_dump())
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PARTNER_UPDATE,
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


ReferralReason = optional_text(REASON_MAX, N_("Le motif ne peut dépasser {max} caractères."))


class ReferralInput(FormInput):
    """What the referral form sends: the partner (an active one of the person's site, checked by the
    service), the day (empty: the day of reference), the reason, and `consent_given`: the person agrees
    today to information being shared with partners (needed when the file records no such consent)."""

    partner_id: int | None = None
    referred_on: PastDayOrAsOf = Field(None, validate_default=True)
    reason: ReferralReason = None
    consent_given: bool = False


NO_SHARING_CONSENT = N_(
    "La personne n'a pas consenti au partage d'informations avec les partenaires : une orientation "
    "transmet son dossier. Recueillez son accord et cochez la case, ou n'orientez pas."
)


SHARING_WITHDRAWN_THAT_DAY = N_(
    "Le partage d'informations avec les partenaires était retiré à cette date : choisissez le jour de "
    "l'orientation après le nouveau consentement."
)


class ReferralResultInput(FormInput):
    """What the result form sends. A result other than « En attente » needs its day, not before the
    referral (context `referred_on`) nor after the day of reference (`as_of`); pending, the day is dropped."""

    result: ReferralResult
    result_on: date | None = Field(None, validate_default=True)

    @field_validator("result_on")
    @classmethod
    def _day_of_the_result(cls, value: date | None, info: ValidationInfo) -> date | None:
        result = info.data.get("result")
        if result is None:
            return value
        if result == ReferralResult.PENDING:
            return None
        if value is None:
            raise field_error(N_("Indiquez la date du résultat."))
        referred_on = (info.context or {}).get("referred_on")
        if referred_on is not None and value < referred_on:
            raise field_error(N_("Le résultat ne peut précéder l'orientation."))
        if value > as_of(info):
            raise field_error(FUTURE_DATE)
        return value


def create_referral(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: ReferralInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Refer a person to an active partner of the person's own site. Returns the referral id.

    Refused when the person's consent to sharing with partners is not in force on the referral's day
    (refused at intake, or withdrawn on or before that day: services.persons.consent), unless the form
    records it now (`consent_given`): the history then records a new consent from the referral's day,
    in the same unit of work, audited. A day inside a withdrawal that a later consent ended is refused."""
    person = _writable_person(session, principal, person_id)
    try:
        checked, errors = ReferralInput.validated(data, as_of=today or clock.today()), {}
    except ValidationFailed as exc:
        checked, errors = None, exc.errors
    partner_id = raw_id(data, "partner_id")
    partner = session.get(Partner, partner_id) if partner_id is not None else None
    if partner is None or partner.site_id != person.site_id or not partner.is_active:
        errors = {"partner_id": _("Choisissez un partenaire actif du site de la personne.")} | errors
    new_consent = False
    if checked is not None and not sharing_allowed_on(session, person, checked.referred_on):
        if person.consent_partner_sharing:  # given again since: the referral falls in a past withdrawal
            errors = {"referred_on": _(SHARING_WITHDRAWN_THAT_DAY)} | errors
        elif not checked.consent_given:
            errors = {"consent_given": _(NO_SHARING_CONSENT)} | errors
        else:
            new_consent = True
    if errors or checked is None:
        raise ValidationFailed(errors)
    if new_consent:
        _record_new_sharing_consent(session, principal, person, checked.referred_on)
        audit.record(
            session,
            actor=principal,
            action=AuditAction.PERSON_UPDATE,
            entity_type="person",
            entity_id=person.id,
            site_id=person.site_id,
            detail="consent_partner_sharing",
        )
    referral = Referral(
        person_id=person.id,
        site_id=person.site_id,
        partner_id=partner.id,
        referred_on=checked.referred_on,
        reason=checked.reason,
    )
    return _save_sub_record(
        session, principal, person, referral, contact_on=checked.referred_on, action=AuditAction.REFERRAL_CREATE
    )


def update_referral_result(
    session: Session,
    principal: Principal,
    referral_id: int,
    *,
    expected_version: int,
    data: ReferralResultInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Record what came of a referral; a result other than « En attente » needs its date."""
    today = today or clock.today()
    referral, person = _owned_row(session, principal, Referral, referral_id)
    _require_writable(principal, person)
    checked = ReferralResultInput.validated(data, as_of=today, referred_on=referral.referred_on)
    versioned_update(session, Referral, referral.id, expected_version, checked.model_dump())
    touch_last_contact(session, person, checked.result_on or today)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.REFERRAL_UPDATE,
        entity_type="referral",
        entity_id=referral.id,
        site_id=person.site_id,
    )
    session.commit()


def list_referrals(session: Session, principal: Principal, person_id: int) -> list[ReferralRow]:
    """The person's referrals, latest first, with the partner's name (the reason only with VIEW_IDENTITY)."""
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(Referral, Partner.name, Partner.kind)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.person_id == person_id)
        .order_by(Referral.referred_on.desc(), Referral.id.desc()),
    )
    return [
        ReferralRow(
            r.id,
            r.partner_id,
            name,
            kind,
            r.referred_on,
            readable_text(principal, r.reason),
            r.result,
            r.result_on,
            r.version,
        )
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


EmployerSector = optional_text(SECTOR_MAX, N_("Le secteur ne peut dépasser {max} caractères."))


class OutcomeInput(FormInput):
    """What the outcome form sends: the day (empty: the day of reference), the type (its category follows),
    the employer's sector, and whether it closes the file."""

    outcome_on: PastDayOrAsOf = Field(None, validate_default=True)
    outcome_type: OutcomeType = Field(json_schema_extra=messages(N_("Choisissez un type de sortie.")))
    employer_sector: EmployerSector = None
    closes_file: bool = False


def record_outcome(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: OutcomeInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Record an outcome; its category follows from its type (IAE « sorties dynamiques »). When it
    closes the file, the person's status becomes « Clôturé » on that date with the reason
    « Sortie : <type> ». Returns the outcome id."""
    person = _writable_person(session, principal, person_id)
    try:
        checked, errors = OutcomeInput.validated(data, as_of=today or clock.today()), {}
    except ValidationFailed as exc:
        checked, errors = None, dict(exc.errors)
    closes_file = checked.closes_file if checked else raw_value(data, "closes_file") is True
    if closes_file and person.status == PersonStatus.CLOSED:
        errors.setdefault("closes_file", _("Le dossier est déjà clôturé."))
    if errors or checked is None:
        raise ValidationFailed(errors)
    outcome = Outcome(
        person_id=person.id,
        site_id=person.site_id,
        category=OUTCOME_CATEGORY_OF_TYPE[checked.outcome_type],
        **checked.model_dump(),
    )
    if checked.closes_file:
        # The version moves on: a header form open elsewhere must not overwrite the closing.
        _change_person_status(
            session,
            principal,
            person,
            expected_version=person.version,
            to_status=PersonStatus.CLOSED,
            on=checked.outcome_on,
            reason=closed_reason_of(checked.outcome_type),
        )
    return _save_sub_record(
        session, principal, person, outcome, contact_on=checked.outcome_on, action=AuditAction.OUTCOME_CREATE
    )


def list_outcomes(session: Session, principal: Principal, person_id: int) -> list[OutcomeRow]:
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(Outcome).where(Outcome.person_id == person_id).order_by(Outcome.outcome_on.desc(), Outcome.id.desc()),
    )
    return [
        OutcomeRow(
            o.id, o.outcome_on, o.category, o.outcome_type, readable_text(principal, o.employer_sector), o.closes_file
        )
        for o in rows
    ]


def manageable_sites(session: Session, principal: Principal) -> list[SiteChoice]:
    """Sites whose directory the principal may manage (admin: all active sites)."""
    principal.require(Capability.MANAGE_PARTNERS)
    return sites_of(session, principal)
