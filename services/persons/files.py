"""Person files: intake, duplicates, the caseload list, the file header, situation edits, close/reopen.

Who may call: roles with VIEW_PERSON_FILES read (direction by code only: identity fields come
back as None without VIEW_IDENTITY); roles with EDIT_PERSON_FILES write, on their own sites.
Every query filters by the principal's sites; an out-of-scope file is `NotFound`.

The forms (intake, situation, closing, reopening) send their values as they are: the service checks
them first with their input model (IntakeInput, SituationInput, ClosingInput, ReopeningInput: every
field's message at once, in the session's language), then what needs the database, in the same
{field: message} answer (services.platform.inputs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import clock
import i18n
from i18n import N_, _
from models.audit import AuditAction
from models.labels import label
from models.organisation import Role, Site, User, UserSite
from models.outreach import OutreachRound
from models.partners import Partner
from models.pathway import ActionGoal, GoalStatus, PrefectDecision, PspEpisode
from models.persons import AdministrativeStatus, Gender, HousingSituation, IntakeOrigin, Person, PersonStatus
from models.safety import PersonTransfer
from services.persons._phonetics import fold, same_name
from services.persons.access import (
    _require_writable,
    last_contact_on_or_before,
    person_in_scope,
    readable_text,
    transferred_away,
)
from services.persons.alias_index import alias_condition, index_alias, same_sound_condition
from services.persons.consent import record_intake_refusals
from services.persons.records import _change_person_status, _update_person
from services.persons.safety import flag_column, flagged_among
from services.platform import audit, paging
from services.platform.crypto import FieldCipher
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.inputs import FormInput, as_of, field_error, messages, not_after_as_of, raw_id, searchable
from services.platform.principal import Capability, Principal
from services.platform.sites import SiteChoice, sites_of

ALIAS_MAX = 60
MIN_AGE, MAX_AGE = 15, 100
REASON_MAX = 200
LANGUAGES_MAX = 120  # the codes joined by commas, as stored
CODE_ATTEMPTS = 25
REFERENT_ROLES = (Role.INTERVENANT, Role.CHEF_SERVICE)
STAFF_ROLES = (Role.INTERVENANT, Role.CHEF_SERVICE)

# Sources of income: codes stored comma-separated in person.income_sources; labels marked only,
# shown through `income_source_label`.
INCOME_SOURCES: dict[str, str] = {
    "none": N_("Aucune ressource"),
    "afis": N_("AFIS"),
    "ada": N_("ADA (demandeur d'asile)"),
    "rsa": N_("RSA"),
    "salary": N_("Salaire"),
    "unemployment": N_("Allocation chômage"),
    "aah": N_("AAH"),
    "family": N_("Prestations familiales"),
    "other": N_("Autre"),
}


def income_source_label(code: str) -> str:
    """The label of an income source code in the active language (the code itself if unknown)."""
    text = INCOME_SOURCES.get(code)
    return code if text is None else _(text)


_PHONE = re.compile(r"^\+?[0-9 .\-()]{6,24}$")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_LANG = re.compile(r"^[a-z]{2,3}$")

# Marked only: the input models report them translated; the database checks read them through `message(key)`.
MESSAGES = {
    "site": N_("Choisissez un de vos sites."),
    "first_contact_on": N_("La date du premier contact est obligatoire."),
    "first_contact_future": N_("La date du premier contact ne peut pas être dans le futur."),
    "first_contact_after": N_("Le premier contact ne peut pas être postérieur à l'accueil."),
    "intake_on": N_("La date d'accueil est obligatoire."),
    "intake_future": N_("La date d'accueil ne peut pas être dans le futur."),
    "alias": N_("Le prénom ou pseudonyme est obligatoire."),
    "alias_long": N_("Le prénom ou pseudonyme ne doit pas dépasser {max} caractères."),
    "too_young": N_("Cette année de naissance donnerait moins de {age} ans : vérifiez-la."),
    "too_old": N_("Cette année de naissance donnerait plus de {age} ans : vérifiez-la."),
    "consent_on": N_("La date de consentement est obligatoire."),
    "consent_future": N_("La date de consentement ne peut pas être dans le futur."),
    "consent_processing": N_("Le consentement au traitement du dossier est obligatoire pour créer le dossier."),
    "phone": N_("Numéro de téléphone invalide (chiffres, espaces et + seulement)."),
    "nationality": N_("Nationalité invalide."),
    "languages": N_("Langue invalide."),
    "income_sources": N_("Source de revenus inconnue."),
    "partner": N_("Indiquez le partenaire qui oriente la personne."),
    "partner_site": N_("Ce partenaire n'appartient pas au site choisi."),
    "round_site": N_("Cette maraude n'appartient pas au site choisi."),
    "referent_site": N_("Ce ou cette référent·e ne travaille pas sur le site choisi."),
    "reason": N_("Indiquez un motif."),
    "reason_long": N_("Le motif ne doit pas dépasser 200 caractères."),
    "closed_on": N_("La date de clôture est obligatoire."),
    "closed_future": N_("La date de clôture ne peut pas être dans le futur."),
    "closed_before_intake": N_("La date de clôture ne peut pas précéder l'accueil."),
    "already_closed": N_("Ce dossier est déjà clôturé."),
    "not_closed": N_("Seul un dossier clôturé peut être rouvert."),
    "permit_ends_on": N_("Date de fin du titre de séjour invalide."),
    "permit_too_old": N_("Ce titre de séjour aurait pris fin il y a plus de {years} ans : vérifiez la date."),
    "permit_too_far": N_("Un titre de séjour dure au plus {years} ans : vérifiez la date de fin."),
}


def message(key: str) -> str:
    """A message of MESSAGES in the active language, its numbers filled in."""
    return i18n.message(MESSAGES, key, max=ALIAS_MAX, age=MIN_AGE if key == "too_young" else MAX_AGE)


# --- the fields of a person (intake and situation) -------------------------------------------------


def _plausible_birth_year(value: int | None, info: ValidationInfo) -> int | None:
    if value is None:
        return value
    age = as_of(info).year - value
    if age < MIN_AGE:
        raise field_error(MESSAGES["too_young"], age=MIN_AGE)
    if age > MAX_AGE:
        raise field_error(MESSAGES["too_old"], age=MAX_AGE)
    return value


PERMIT_PAST_YEARS = 5  # an older end is a typing error, or a file to close
PERMIT_MAX_YEARS = 10  # a carte de résident lasts 10 years


def _plausible_permit_end(value: date | None, info: ValidationInfo) -> date | None:
    if value is None:
        return value
    year = as_of(info).year
    if value.year < year - PERMIT_PAST_YEARS:
        raise field_error(MESSAGES["permit_too_old"], years=PERMIT_PAST_YEARS)
    if value.year > year + PERMIT_MAX_YEARS:
        raise field_error(MESSAGES["permit_too_far"], years=PERMIT_MAX_YEARS)
    return value


def _phone_number(value: str | None) -> str | None:
    if value and (not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 6):
        raise field_error(MESSAGES["phone"])
    return value or None


def _country_code(value: str | None) -> str | None:
    if value and not _ISO2.match(value):
        raise field_error(MESSAGES["nationality"])
    return value or None


def _language_codes(value: list[str]) -> list[str]:
    if any(not _LANG.match(code) for code in value) or len(",".join(value)) > LANGUAGES_MAX:
        raise field_error(MESSAGES["languages"])
    return value


def _income_codes(value: list[str]) -> list[str]:
    if any(code not in INCOME_SOURCES for code in value):
        raise field_error(MESSAGES["income_sources"])
    return value


def _none_is_empty(value: object) -> object:
    return [] if value is None else value


Alias = Annotated[
    str,
    Field(
        min_length=1,
        max_length=ALIAS_MAX,
        json_schema_extra=messages(
            MESSAGES["alias"], by_type={"string_too_long": MESSAGES["alias_long"]}, max=ALIAS_MAX
        ),
    ),
]
# The end of the current titre de séjour or récépissé (« À faire » lists it 60 days ahead).
PermitEnd = Annotated[
    date | None,
    AfterValidator(_plausible_permit_end),
    Field(json_schema_extra=messages(MESSAGES["permit_ends_on"])),
]
# Stored encrypted; empty is None.
Phone = Annotated[str | None, AfterValidator(_phone_number)]
# An age from 15 to 100 on the day of reference.
BirthYear = Annotated[int | None, AfterValidator(_plausible_birth_year)]
# An ISO 3166 code (NG); empty is None.
Nationality = Annotated[str | None, AfterValidator(_country_code)]
# ISO 639 codes (en, yo); stored joined by commas, as the income sources.
Languages = Annotated[list[str], BeforeValidator(_none_is_empty), AfterValidator(_language_codes)]
IncomeSources = Annotated[list[str], BeforeValidator(_none_is_empty), AfterValidator(_income_codes)]


def _is_site_staff(session: Session, user_id: int, site_id: int) -> bool:
    found = session.exec(
        select(User.id)
        .join(UserSite, UserSite.user_id == User.id)
        .where(User.id == user_id, UserSite.site_id == site_id, User.is_active, User.role.in_(REFERENT_ROLES))
    ).first()
    return found is not None


# --- intake ------------------------------------------------------------------------------------


class IntakeInput(FormInput):
    """What the intake form sends. Context: `as_of` (the day of reference: no date after it, the age
    from the birth year on it). The site, the round, the partner and the referent are checked against
    the database by the service."""

    site_id: int = Field(json_schema_extra=messages(MESSAGES["site"]))
    intake_on: Annotated[date, not_after_as_of(MESSAGES["intake_future"])] = Field(
        json_schema_extra=messages(MESSAGES["intake_on"])
    )
    first_contact_on: Annotated[date, not_after_as_of(MESSAGES["first_contact_future"])] = Field(
        json_schema_extra=messages(MESSAGES["first_contact_on"])
    )
    origin: IntakeOrigin
    alias: Alias
    outreach_round_id: int | None = None
    referring_partner_id: int | None = Field(None, validate_default=True)
    birth_year: BirthYear = None
    gender: Gender = Gender.UNDISCLOSED
    nationality: Nationality = None
    languages: Languages = Field(default_factory=list)
    phone: Phone = None
    administrative_status: AdministrativeStatus | None = None
    housing: HousingSituation | None = None
    income_sources: IncomeSources = Field(default_factory=list)
    consent_on: Annotated[date, not_after_as_of(MESSAGES["consent_future"])] = Field(
        json_schema_extra=messages(MESSAGES["consent_on"])
    )
    consent_processing: bool = Field(False, validate_default=True)
    consent_partner_sharing: bool = False
    consent_statistics: bool = False
    referent_id: int | None = None

    @field_validator("first_contact_on")
    @classmethod
    def _not_after_the_intake(cls, value: date, info: ValidationInfo) -> date:
        intake_on = info.data.get("intake_on")
        if intake_on is not None and value > intake_on:
            raise field_error(MESSAGES["first_contact_after"])
        return value

    @field_validator("referring_partner_id")
    @classmethod
    def _partner_of_a_referral(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("origin") == IntakeOrigin.PARTNER:
            raise field_error(MESSAGES["partner"])
        return value

    @field_validator("consent_processing")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if not value:
            raise field_error(MESSAGES["consent_processing"])
        return value


@dataclass(frozen=True)
class DuplicateCandidate:
    person_id: int
    code: str
    status: PersonStatus
    intake_on: date
    safety_flag: bool = False  # a danger flag: the team reads its instructions in the file


@dataclass(frozen=True)
class CreatedPerson:
    id: int
    code: str


def _site_of_row(session: Session, model: type[OutreachRound] | type[Partner], row_id: int) -> int | None:
    return session.exec(select(model.site_id).where(model.id == row_id)).first()


def _reference_errors(session: Session, principal: Principal, data: FormInput | Mapping[str, object]) -> dict:
    """Site, round, partner and referent must all belong to the chosen site (one of the principal's)."""
    site_id = raw_id(data, "site_id")
    if site_id is None:
        return {}  # the input model says why
    if not principal.may_see_site(site_id) or session.get(Site, site_id) is None:
        return {"site_id": message("site")}
    errors: dict[str, str] = {}
    round_id, partner_id, referent_id = (
        raw_id(data, name) for name in ("outreach_round_id", "referring_partner_id", "referent_id")
    )
    if round_id is not None and _site_of_row(session, OutreachRound, round_id) != site_id:
        errors["outreach_round_id"] = message("round_site")
    if partner_id is not None and _site_of_row(session, Partner, partner_id) != site_id:
        errors["referring_partner_id"] = message("partner_site")
    if referent_id is not None and not _is_site_staff(session, referent_id, site_id):
        errors["referent_id"] = message("referent_site")
    return errors


def _checked_intake(
    session: Session, principal: Principal, data: IntakeInput | Mapping[str, object], today: date
) -> IntakeInput:
    """The intake input, checked (the model, then its references); else ValidationFailed with every field."""
    errors: dict[str, str] = {}
    try:
        checked = IntakeInput.validated(data, as_of=today)
    except ValidationFailed as exc:
        errors, checked = dict(exc.errors), None
    for name, text in _reference_errors(session, principal, data).items():
        errors.setdefault(name, text)
    if errors or checked is None:
        raise ValidationFailed(errors)
    return checked


def find_possible_duplicates(
    session: Session, principal: Principal, *, alias: str, birth_year: int | None, cipher: FieldCipher
) -> list[DuplicateCandidate]:
    """Files of the principal's sites whose alias matches (accents ignored, or same sound) and whose
    birth year is within one year (or unknown). Decrypts only the aliases of that narrowed set: those whose
    blind index holds the typed alias's sound key (alias_index.same_sound_condition), when it has one."""
    principal.require(Capability.EDIT_PERSON_FILES)
    principal.require(Capability.VIEW_IDENTITY)
    if not fold(alias):
        return []
    conditions = [
        principal.site_filter(Person.site_id),
        Person.status != PersonStatus.ANONYMISED,
        Person.alias_encrypted.is_not(None),
    ]
    if birth_year is not None:
        conditions.append(
            sa.or_(Person.birth_year.is_(None), Person.birth_year.between(int(birth_year) - 1, int(birth_year) + 1))
        )
    sounding_alike = same_sound_condition(alias, cipher)
    if sounding_alike is not None:
        conditions.append(sounding_alike)
    rows = session.exec(
        select(Person.id, Person.code, Person.status, Person.intake_on, Person.alias_encrypted).where(*conditions)
    ).all()
    matching = [row for row in rows if same_name(alias, cipher.decrypt(row.alias_encrypted))]
    flagged = flagged_among(session, principal, [row.id for row in matching])
    found = [DuplicateCandidate(row.id, row.code, row.status, row.intake_on, row.id in flagged) for row in matching]
    return sorted(found, key=lambda c: (c.intake_on, c.code), reverse=True)


def intake_duplicates(
    session: Session,
    principal: Principal,
    *,
    data: IntakeInput | Mapping[str, object],
    cipher: FieldCipher,
    today: date | None = None,
) -> list[DuplicateCandidate]:
    """Before an intake is saved: its input checked as `create_intake` checks it (ValidationFailed by
    field), then the files of the principal's sites that may be the same person."""
    principal.require(Capability.EDIT_PERSON_FILES)
    checked = _checked_intake(session, principal, data, today or clock.today())
    return find_possible_duplicates(
        session, principal, alias=checked.alias, birth_year=checked.birth_year, cipher=cipher
    )


def _intake_columns(checked: IntakeInput, cipher: FieldCipher) -> dict:
    return {
        "site_id": checked.site_id,
        "code_year": checked.intake_on.year,
        "status": PersonStatus.ACTIVE,
        "first_contact_on": checked.first_contact_on,
        "intake_on": checked.intake_on,
        "origin": checked.origin,
        "outreach_round_id": checked.outreach_round_id,
        "referring_partner_id": checked.referring_partner_id,
        "alias_encrypted": cipher.encrypt(checked.alias),
        "phone_encrypted": cipher.encrypt(checked.phone),
        "birth_year": checked.birth_year,
        "gender": checked.gender,
        "nationality": checked.nationality,
        "languages": list(checked.languages),
        "administrative_status": checked.administrative_status,
        "housing": checked.housing,
        "income_sources": list(checked.income_sources),
        "consent_on": checked.consent_on,
        "consent_processing": True,
        "consent_partner_sharing": checked.consent_partner_sharing,
        "consent_statistics": checked.consent_statistics,
        "referent_id": checked.referent_id,
        "last_contact_on": max(checked.intake_on, checked.first_contact_on),
    }


def next_code_number(session: Session, site_id: int, year: int) -> int:
    """The next number of the codes SITE-YEAR-NNNN of a site and year: after those of its files and those
    its files had before they moved to another site (services.persons.transfer), so that a code is never
    given to a second person (an old link, a note on paper must not lead to someone else)."""
    files = select(sa.func.max(Person.code_number)).where(Person.site_id == site_id, Person.code_year == year)
    moved = select(sa.func.max(PersonTransfer.old_code_number)).where(
        PersonTransfer.from_site_id == site_id, PersonTransfer.old_code_year == year
    )
    return max(session.exec(files).one() or 0, session.exec(moved).one() or 0) + 1


def _insert_with_next_code(session: Session, site_code: str, values: dict) -> Person | None:
    """The file inserted with the next number of its (site, year); None if another intake took it meanwhile."""
    number = next_code_number(session, values["site_id"], values["code_year"])
    person = Person(code=f"{site_code}-{values['code_year']}-{number:04d}", code_number=number, **values)
    session.add(person)
    try:
        session.flush()
    except IntegrityError:
        # Another intake took this number meanwhile: nothing else was written in this unit of work, so
        # roll it all back; the caller computes the number again. (No savepoint: with SQLite's driver a
        # savepoint would commit on its own, apart from the audit entry.)
        session.rollback()
        return None
    return person


def create_intake(
    session: Session,
    principal: Principal,
    *,
    data: IntakeInput | Mapping[str, object],
    cipher: FieldCipher,
    today: date | None = None,
) -> CreatedPerson:
    """Create the file with the next code `SITE-YEAR-NNNN` of (site, intake year).

    Two intakes saved at the same moment may compute the same number: the unique constraint
    refuses the second insert, which is rolled back and retried with the number recomputed.
    """
    principal.require(Capability.EDIT_PERSON_FILES)
    checked = _checked_intake(session, principal, data, today or clock.today())
    site_code = session.exec(select(Site.code).where(Site.id == checked.site_id)).one()
    values = _intake_columns(checked, cipher)
    for _attempt in range(CODE_ATTEMPTS):
        person = _insert_with_next_code(session, site_code, values)
        if person is None:
            continue
        index_alias(session, person.id, checked.alias, cipher)
        record_intake_refusals(session, person, author_id=principal.user_id)
        audit.record(
            session,
            actor=principal,
            action=AuditAction.PERSON_CREATE,
            entity_type="person",
            entity_id=person.id,
            site_id=person.site_id,
        )
        session.commit()
        return CreatedPerson(person.id, person.code)
    raise ServiceError(_("Le code du dossier n'a pas pu être attribué : réessayez."))


# --- caseload ----------------------------------------------------------------------------------


@dataclass
class CaseloadFilter:
    site_id: int | None = None
    statuses: list[PersonStatus] = field(default_factory=list)  # empty: every status but anonymised
    referent_is_me: bool = False
    no_contact_over_3_months: bool = False
    query: str = ""  # code (or part of it) or alias


@dataclass(frozen=True)
class CaseloadRow:
    person_id: int
    code: str
    site_code: str
    status: PersonStatus
    referent_name: str | None
    last_contact_on: date | None
    psp_status: str | None
    next_due_goal: str | None
    next_due_on: date | None
    alias: str | None
    safety_flag: bool = False  # for the team only (services.persons.safety.flagged_among)


CASELOAD_LARGEST_PAGE = 200  # files decrypted and drawn at once


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseloadRow]
    total: int
    page: int
    page_size: int
    # The search typed the old code of a file moved from one of the principal's sites to a site it does
    # not work at (services.persons.access.TransferredAway): the page says so instead of « no file ».
    transferred_away: bool = False

    @property
    def page_count(self) -> int:
        return paging.page_count(self.total, self.page_size)


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def psp_label(decision: PrefectDecision, ended_on: date | None) -> str:
    if ended_on is not None:
        return _("PSP terminé")
    if decision == PrefectDecision.GRANTED:
        return _("PSP en cours")
    if decision == PrefectDecision.REFUSED:
        return _("PSP refusé")
    return _("PSP demandé")


def _filter_conditions(principal: Principal, filter: CaseloadFilter, today: date) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [principal.site_filter(Person.site_id)]
    if filter.site_id is not None:
        conditions.append(Person.site_id == filter.site_id)
    if filter.statuses:
        conditions.append(Person.status.in_([PersonStatus(s) for s in filter.statuses]))
    else:
        conditions.append(Person.status != PersonStatus.ANONYMISED)
    if filter.referent_is_me:
        conditions.append(Person.referent_id == principal.user_id)
    if filter.no_contact_over_3_months:
        conditions.append(last_contact_on_or_before(months_before(today, 3) - timedelta(days=1)))
    return conditions


def _search_condition(
    session: Session, principal: Principal, query: str, cipher: FieldCipher
) -> sa.ColumnElement[bool]:
    """Files whose code contains `query`, or (roles that see identity) whose alias matches it: it sounds
    like the alias or one of its words, or begins the alias or one of its words (services.persons.alias_index,
    whose blind index the database reads: no alias is decrypted). The search is audited, never its text."""
    matches: list[sa.ColumnElement[bool]] = [
        Person.code.contains(query.upper(), autoescape=True),
        # a code the file had before a transfer still finds it (within the scope: its new site's users)
        Person.id.in_(
            select(PersonTransfer.person_id).where(PersonTransfer.old_code.contains(query.upper(), autoescape=True))
        ),
    ]
    by_alias = alias_condition(query, cipher) if principal.can(Capability.VIEW_IDENTITY) else None
    if by_alias is not None:
        matches.append(by_alias)
    audit.record(session, actor=principal, action=AuditAction.PERSON_SEARCH, entity_type="person")
    session.commit()
    return sa.or_(*matches)


def _psp_and_next_goal(session: Session, ids: list[int]) -> tuple[dict[int, str], dict[int, tuple[str, date | None]]]:
    """For the files of a page: the label of the latest PSP, and the open goal due first."""
    psp: dict[int, str] = {}
    goals: dict[int, tuple[str, date | None]] = {}
    if not ids:
        return psp, goals
    for episode in session.exec(
        select(PspEpisode.person_id, PspEpisode.prefect_decision, PspEpisode.ended_on)
        .where(PspEpisode.person_id.in_(ids))
        .order_by(PspEpisode.person_id, PspEpisode.requested_on, PspEpisode.id)
    ).all():
        psp[episode.person_id] = psp_label(episode.prefect_decision, episode.ended_on)  # latest wins
    for goal in session.exec(
        select(ActionGoal.person_id, ActionGoal.goal, ActionGoal.due_on)
        .where(ActionGoal.person_id.in_(ids), ActionGoal.status.in_([GoalStatus.OPEN, GoalStatus.IN_PROGRESS]))
        .order_by(ActionGoal.person_id, ActionGoal.due_on.is_(None), ActionGoal.due_on, ActionGoal.id)
    ).all():
        goals.setdefault(goal.person_id, (goal.goal, goal.due_on))
    return psp, goals


def list_caseload(
    session: Session,
    principal: Principal,
    filter: CaseloadFilter,
    *,
    cipher: FieldCipher,
    page: int = 1,
    page_size: int = 50,
    today: date | None = None,
) -> CaseloadPage:
    """One page of the files of the principal's sites, filtered and paginated in SQL.

    Statements: count, page (with its danger flags), PSP of the page, goals of the page (+ an audit row
    when searching): the same whatever the page size. Aliases are decrypted for the page only: an alias
    search (roles with VIEW_IDENTITY only; others search by code) reads the blind index in SQL.
    """
    principal.require(Capability.VIEW_PERSON_FILES)
    conditions = _filter_conditions(principal, filter, today or clock.today())
    query = searchable((filter.query or "").strip())
    if query:
        conditions.append(_search_condition(session, principal, query, cipher))
    total = session.exec(select(sa.func.count()).select_from(Person).where(*conditions)).one()
    shown = paging.window(total, page, min(int(page_size), CASELOAD_LARGEST_PAGE))
    rows = session.exec(
        select(
            Person.id,
            Person.code,
            Site.code.label("site_code"),
            Person.status,
            User.display_name,
            Person.last_contact_on,
            Person.alias_encrypted,
            flag_column(principal),
        )
        .join(Site, Site.id == Person.site_id)
        .outerjoin(User, User.id == Person.referent_id)
        .where(*conditions)
        .order_by(Person.last_contact_on.desc(), Person.id.desc())
        .offset(shown.offset)
        .limit(shown.page_size)
    ).all()
    psp, goals = _psp_and_next_goal(session, [row.id for row in rows])
    alias_of = cipher.decrypt if principal.can(Capability.VIEW_IDENTITY) else lambda _token: None
    return CaseloadPage(
        rows=[
            _caseload_row(
                row, psp.get(row.id), _readable_goal(principal, goals.get(row.id)), alias_of, bool(row.safety_flag)
            )
            for row in rows
        ],
        total=total,
        page=shown.page,
        page_size=shown.page_size,
        transferred_away=bool(query) and not total and transferred_away(session, principal, query),
    )


def _readable_goal(principal: Principal, goal: tuple[str, date | None] | None) -> tuple[str | None, date | None]:
    """The next goal's due date for every reader, its wording with VIEW_IDENTITY only."""
    return (readable_text(principal, goal[0]), goal[1]) if goal else (None, None)


def _caseload_row(
    row, psp_status: str | None, next_goal: tuple[str | None, date | None], alias_of, flagged: bool
) -> CaseloadRow:
    return CaseloadRow(
        person_id=row.id,
        code=row.code,
        site_code=row.site_code,
        status=row.status,
        referent_name=row.display_name,
        last_contact_on=row.last_contact_on,
        psp_status=psp_status,
        next_due_goal=next_goal[0],
        next_due_on=next_goal[1],
        alias=alias_of(row.alias_encrypted),
        safety_flag=flagged,
    )


# --- the file header ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFileHeader:
    person_id: int
    code: str
    site_id: int
    site_code: str
    site_name: str
    status: PersonStatus
    version: int
    referent_id: int | None
    referent_name: str | None
    first_contact_on: date
    intake_on: date
    origin: IntakeOrigin
    last_contact_on: date | None
    closed_on: date | None
    closed_reason: str | None
    consent_on: date
    consent_processing: bool
    consent_partner_sharing: bool
    consent_statistics: bool
    birth_year: int | None
    gender: Gender
    nationality: str | None
    languages: list[str]
    administrative_status: AdministrativeStatus | None
    housing: HousingSituation | None
    income_sources: list[str]
    alias: str | None  # only with VIEW_IDENTITY
    phone: str | None  # only with VIEW_IDENTITY
    may_see_identity: bool
    may_edit: bool
    permit_ends_on: date | None = None


def _header_of(
    person: Person, principal: Principal, cipher: FieldCipher, *, site_code: str, site_name: str, referent: str | None
) -> PersonFileHeader:
    see_identity = principal.can(Capability.VIEW_IDENTITY)
    return PersonFileHeader(
        person_id=person.id,
        code=person.code,
        site_id=person.site_id,
        site_code=site_code,
        site_name=site_name,
        status=person.status,
        version=person.version,
        referent_id=person.referent_id,
        referent_name=referent,
        first_contact_on=person.first_contact_on,
        intake_on=person.intake_on,
        origin=person.origin,
        last_contact_on=person.last_contact_on,
        closed_on=person.closed_on,
        closed_reason=readable_text(principal, person.closed_reason),
        consent_on=person.consent_on,
        consent_processing=person.consent_processing,
        consent_partner_sharing=person.consent_partner_sharing,
        consent_statistics=person.consent_statistics,
        birth_year=person.birth_year,
        gender=person.gender,
        nationality=person.nationality,
        languages=list(person.languages or []),
        administrative_status=person.administrative_status,
        housing=person.housing,
        income_sources=list(person.income_sources or []),
        alias=cipher.decrypt(person.alias_encrypted) if see_identity else None,
        phone=cipher.decrypt(person.phone_encrypted) if see_identity else None,
        may_see_identity=see_identity,
        may_edit=principal.can(Capability.EDIT_PERSON_FILES) and person.status != PersonStatus.ANONYMISED,
        permit_ends_on=person.permit_ends_on,
    )


def get_person_file(
    session: Session, principal: Principal, person_id: int, *, cipher: FieldCipher, record_view: bool = True
) -> PersonFileHeader:
    """The header of a file of the principal's sites; records `person.view` (pass record_view=False
    for a mere re-draw of a file already opened in this session)."""
    principal.require(Capability.VIEW_PERSON_FILES)
    row = session.exec(
        select(Person, Site.code, Site.name, User.display_name)
        .join(Site, Site.id == Person.site_id)
        .outerjoin(User, User.id == Person.referent_id)
        .where(Person.id == person_id, principal.site_filter(Person.site_id))
    ).first()
    if row is None:
        person_in_scope(session, principal, person_id)  # raises NotFound
    person, site_code, site_name, referent_name = row
    header = _header_of(person, principal, cipher, site_code=site_code, site_name=site_name, referent=referent_name)
    if record_view:
        audit.record(
            session,
            actor=principal,
            action=AuditAction.PERSON_VIEW,
            entity_type="person",
            entity_id=person.id,
            site_id=person.site_id,
        )
        session.commit()
    return header


# --- edits -------------------------------------------------------------------------------------


class SituationInput(FormInput):
    """What the situation form sends: identity (roles that see it), situation, referent (consents change
    with their effective day: services.persons.consent). A field left out stays as recorded. Context:
    `as_of` (the day the age is reckoned on)."""

    alias: Alias = None  # left out unless sent; sent, it may not be empty
    phone: Phone = None
    birth_year: BirthYear = None
    gender: Gender = Gender.UNDISCLOSED
    nationality: Nationality = None
    languages: Languages = Field(default_factory=list)
    administrative_status: AdministrativeStatus | None = None
    permit_ends_on: PermitEnd = None
    housing: HousingSituation | None = None
    income_sources: IncomeSources = Field(default_factory=list)
    referent_id: int | None = None


IDENTITY_FIELDS = frozenset({"alias", "phone"})
SITUATION_FIELDS = frozenset(SituationInput.model_fields)


def _sent(data: SituationInput | Mapping[str, object]) -> dict[str, object]:
    """The fields a situation input carries (a model built elsewhere: the fields it was given)."""
    return data.model_dump(exclude_unset=True) if isinstance(data, FormInput) else dict(data)


def _recorded_situation(person: Person, cipher: FieldCipher, names: set[str]) -> dict[str, object]:
    """The recorded values of `names`, as the situation form shows them (identity decrypted)."""
    recorded = {name: getattr(person, name) for name in names - IDENTITY_FIELDS}
    if "alias" in names:
        recorded["alias"] = cipher.decrypt(person.alias_encrypted)
    if "phone" in names:
        recorded["phone"] = cipher.decrypt(person.phone_encrypted)
    for name in {"languages", "income_sources"} & names:
        recorded[name] = list(recorded[name] or [])
    return recorded


def _situation_changes(
    session: Session, person: Person, sent: dict[str, object], cipher: FieldCipher, today: date
) -> dict[str, object]:
    """The fields of `sent` that differ from the file, checked; a new referent must work on the file's
    site (the recorded one stays accepted). ValidationFailed with every field's message."""
    errors: dict[str, str] = {}
    try:
        checked = SituationInput.validated(sent, as_of=today)
    except ValidationFailed as exc:
        errors, checked = dict(exc.errors), None
    recorded = _recorded_situation(person, cipher, set(sent) & SITUATION_FIELDS)
    referent_id = checked.referent_id if checked else raw_id(sent, "referent_id")
    if (
        "referent_id" in sent
        and "referent_id" not in errors
        and referent_id not in (None, recorded["referent_id"])
        and not _is_site_staff(session, referent_id, person.site_id)
    ):
        errors["referent_id"] = message("referent_site")
    if errors or checked is None:
        raise ValidationFailed(errors)
    return {name: getattr(checked, name) for name in recorded if getattr(checked, name) != recorded[name]}


def _situation_columns(changes: dict[str, object], cipher: FieldCipher) -> dict[str, object]:
    columns = dict(changes)
    for name in IDENTITY_FIELDS & set(changes):
        columns[f"{name}_encrypted"] = cipher.encrypt(columns.pop(name))
    for name in {"languages", "income_sources"} & set(changes):
        columns[name] = list(columns[name])
    return columns


def update_situation(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    data: SituationInput | Mapping[str, object],
    cipher: FieldCipher,
    today: date | None = None,
) -> int:
    """Change identity, situation or referent; returns the version after the save.

    Only the fields that differ from the file are written (none: nothing is written nor audited).
    Identity fields need VIEW_IDENTITY too (a role that cannot read them cannot overwrite them).
    StaleRecord if someone saved the file since `expected_version` was read.
    """
    person = person_in_scope(session, principal, person_id)
    _require_writable(principal, person)
    sent = _sent(data)
    if IDENTITY_FIELDS & set(sent):
        principal.require(Capability.VIEW_IDENTITY)
    changes = _situation_changes(session, person, sent, cipher, today or clock.today())
    if not changes:
        return person.version
    _update_person(session, principal, person, int(expected_version), _situation_columns(changes, cipher))
    if "alias" in changes:
        index_alias(session, person_id, changes["alias"], cipher)
    session.commit()
    return int(expected_version) + 1


Reason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=REASON_MAX,
        json_schema_extra=messages(MESSAGES["reason"], by_type={"string_too_long": MESSAGES["reason_long"]}),
    ),
]


class ReopeningInput(FormInput):
    """What the reopening form sends: the reason (kept in the status history)."""

    reason: Reason


class ClosingInput(ReopeningInput):
    """What the closing form sends. Context: `as_of` (no closing after it), `intake_on` (none before it)."""

    closed_on: Annotated[date, not_after_as_of(MESSAGES["closed_future"])] = Field(
        json_schema_extra=messages(MESSAGES["closed_on"])
    )

    @field_validator("closed_on")
    @classmethod
    def _not_before_the_intake(cls, value: date, info: ValidationInfo) -> date:
        intake_on = (info.context or {}).get("intake_on")
        if intake_on is not None and value < intake_on:
            raise field_error(MESSAGES["closed_before_intake"])
        return value


def _checked_status_change(
    model: type[ReopeningInput], data: object, status_error: str | None, **context: object
) -> ReopeningInput:
    """The input checked, with the file's status as `status_error` says, in one answer."""
    errors = {"status": status_error} if status_error else {}
    try:
        checked = model.validated(data, **context)
    except ValidationFailed as exc:
        raise ValidationFailed(errors | exc.errors) from None
    if errors:
        raise ValidationFailed(errors)
    return checked


def close_file(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    data: ClosingInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Close an active or paused file with a reason and a date (not in the future, not before intake)."""
    person = person_in_scope(session, principal, person_id)
    _require_writable(principal, person)
    already_closed = message("already_closed") if person.status == PersonStatus.CLOSED else None
    checked = _checked_status_change(
        ClosingInput, data, already_closed, as_of=today or clock.today(), intake_on=person.intake_on
    )
    _change_person_status(
        session,
        principal,
        person,
        expected_version=expected_version,
        to_status=PersonStatus.CLOSED,
        on=checked.closed_on,
        reason=checked.reason,
    )
    session.commit()


def reopen_file(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    data: ReopeningInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Reopen a closed file with a reason (kept in the status history); the closing is cleared."""
    person = person_in_scope(session, principal, person_id)
    _require_writable(principal, person)
    not_closed = message("not_closed") if person.status != PersonStatus.CLOSED else None
    checked = _checked_status_change(ReopeningInput, data, not_closed)
    _change_person_status(
        session,
        principal,
        person,
        expected_version=expected_version,
        to_status=PersonStatus.ACTIVE,
        on=today or clock.today(),
        reason=checked.reason,
    )
    session.commit()


# --- choices for the forms ---------------------------------------------------------------------


def list_site_choices(session: Session, principal: Principal) -> list[SiteChoice]:
    """Sites the principal may create or edit files on."""
    if not principal.can(Capability.EDIT_PERSON_FILES):
        return []
    return sites_of(session, principal)


def list_referent_choices(session: Session, principal: Principal, site_id: int) -> list[tuple[int, str]]:
    """Active social workers and heads of service of the site: (user_id, display_name)."""
    principal.require(Capability.VIEW_PERSON_FILES)
    if not principal.may_see_site(site_id):
        return []
    rows = session.exec(
        select(User.id, User.display_name)
        .join(UserSite, UserSite.user_id == User.id)
        .where(UserSite.site_id == site_id, User.is_active, User.role.in_(STAFF_ROLES))
        .order_by(User.display_name)
    ).all()
    return [(row.id, row.display_name) for row in rows]


def list_recent_outreach_rounds(
    session: Session, principal: Principal, site_id: int, *, today: date | None = None, days: int = 180
) -> list[tuple[int, str]]:
    """Outreach rounds of the site in the last `days` days, newest first: (id, label)."""
    principal.require(Capability.EDIT_PERSON_FILES)
    if not principal.may_see_site(site_id):
        return []
    today = today or clock.today()
    rows = session.exec(
        select(OutreachRound.id, OutreachRound.round_on, OutreachRound.mode, OutreachRound.area)
        .where(OutreachRound.site_id == site_id, OutreachRound.round_on.between(today - timedelta(days=days), today))
        .order_by(OutreachRound.round_on.desc(), OutreachRound.id.desc())
        .limit(200)
    ).all()
    return [(row.id, f"{row.round_on:%d/%m/%Y} · {label(row.mode)} · {label(row.area)}") for row in rows]


def list_partner_choices(session: Session, principal: Principal, site_id: int) -> list[tuple[int, str]]:
    """Active partners of the site: (id, 'name (kind)')."""
    principal.require(Capability.VIEW_PERSON_FILES)
    if not principal.may_see_site(site_id):
        return []
    rows = session.exec(
        select(Partner.id, Partner.name, Partner.kind)
        .where(Partner.site_id == site_id, Partner.is_active)
        .order_by(Partner.name)
    ).all()
    return [(row.id, f"{row.name} ({label(row.kind)})") for row in rows]


def list_visible_sites(session: Session, principal: Principal) -> list[SiteChoice]:
    """Sites whose files the principal may list (the caseload's site filter; closed sites keep their files)."""
    principal.require(Capability.VIEW_PERSON_FILES)
    return sites_of(session, principal, include_closed=True)
