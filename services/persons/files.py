"""Person files: intake, duplicates, the caseload list, the file header, situation edits, close/reopen.

Who may call: roles with VIEW_PERSON_FILES read (direction by code only: identity fields come
back as None without VIEW_IDENTITY); roles with EDIT_PERSON_FILES write, on their own sites.
Every query filters by the principal's sites; an out-of-scope file is `NotFound`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import clock
import i18n
from i18n import N_, _
from models.labels import label
from models.organisation import Role, Site, User, UserSite
from models.outreach import OutreachRound
from models.partners import Partner
from models.pathway import ActionGoal, GoalStatus, PrefectDecision, PspEpisode
from models.persons import AdministrativeStatus, Gender, HousingSituation, IntakeOrigin, Person, PersonStatus
from services.persons._phonetics import fold, phonetic_key, same_name
from services.persons.access import person_in_scope, require_writable
from services.platform import audit, paging
from services.platform.crypto import FieldCipher
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.principal import Capability, Principal
from services.platform.records import change_person_status, versioned_update

ALIAS_MAX = 60
MIN_AGE, MAX_AGE = 15, 100
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

# Marked only: read them through `message(key)`, which translates.
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
}


def message(key: str) -> str:
    """A message of MESSAGES in the active language, its numbers filled in."""
    return i18n.message(MESSAGES, key, max=ALIAS_MAX, age=MIN_AGE if key == "too_young" else MAX_AGE)


# --- intake ------------------------------------------------------------------------------------


@dataclass
class IntakeInput:
    site_id: int | None
    first_contact_on: date | None
    intake_on: date | None
    origin: IntakeOrigin
    alias: str
    outreach_round_id: int | None = None
    referring_partner_id: int | None = None
    birth_year: int | None = None
    gender: Gender = Gender.UNDISCLOSED
    nationality: str | None = None
    languages: list[str] = field(default_factory=list)
    phone: str | None = None
    administrative_status: AdministrativeStatus | None = None
    housing: HousingSituation | None = None
    income_sources: list[str] = field(default_factory=list)
    consent_on: date | None = None
    consent_processing: bool = False
    consent_partner_sharing: bool = False
    consent_statistics: bool = False
    referent_id: int | None = None


@dataclass(frozen=True)
class DuplicateCandidate:
    person_id: int
    code: str
    status: PersonStatus
    intake_on: date


@dataclass(frozen=True)
class CreatedPerson:
    id: int
    code: str


def _check_birth_year(errors: dict[str, str], birth_year: int | None, today: date) -> None:
    if birth_year is None:
        return
    age = today.year - int(birth_year)
    if age < MIN_AGE:
        errors["birth_year"] = message("too_young")
    elif age > MAX_AGE:
        errors["birth_year"] = message("too_old")


def _check_alias(errors: dict[str, str], alias: str | None) -> None:
    text = (alias or "").strip()
    if not text:
        errors["alias"] = message("alias")
    elif len(text) > ALIAS_MAX:
        errors["alias"] = message("alias_long")


def _check_phone(errors: dict[str, str], phone: str | None) -> None:
    text = (phone or "").strip()
    if text and (not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 6):
        errors["phone"] = message("phone")


def _check_nationality_languages(errors: dict[str, str], nationality: str | None, languages: list[str]) -> None:
    if nationality and not _ISO2.match(nationality):
        errors["nationality"] = message("nationality")
    if any(not _LANG.match(code) for code in languages) or len(",".join(languages)) > 120:
        errors["languages"] = message("languages")


def validate_intake(data: IntakeInput, *, today: date | None = None) -> None:
    """Checks that need no database: dates, age, alias, consent. Raises ValidationFailed by field."""
    today = today or clock.today()
    errors: dict[str, str] = {}
    if data.site_id is None:
        errors["site_id"] = message("site")
    if data.first_contact_on is None:
        errors["first_contact_on"] = message("first_contact_on")
    elif data.first_contact_on > today:
        errors["first_contact_on"] = message("first_contact_future")
    if data.intake_on is None:
        errors["intake_on"] = message("intake_on")
    elif data.intake_on > today:
        errors["intake_on"] = message("intake_future")
    if (
        data.first_contact_on
        and data.intake_on
        and "first_contact_on" not in errors
        and data.first_contact_on > data.intake_on
    ):
        errors["first_contact_on"] = message("first_contact_after")
    _check_alias(errors, data.alias)
    _check_birth_year(errors, data.birth_year, today)
    _check_phone(errors, data.phone)
    _check_nationality_languages(errors, data.nationality, data.languages)
    if data.origin == IntakeOrigin.PARTNER and data.referring_partner_id is None:
        errors["referring_partner_id"] = message("partner")
    if data.consent_on is None:
        errors["consent_on"] = message("consent_on")
    elif data.consent_on > today:
        errors["consent_on"] = message("consent_future")
    if not data.consent_processing:
        errors["consent_processing"] = message("consent_processing")
    if any(code not in INCOME_SOURCES for code in data.income_sources):
        errors["income_sources"] = _("Source de revenus inconnue.")
    if errors:
        raise ValidationFailed(errors)


def _check_references(session: Session, principal: Principal, data: IntakeInput) -> None:
    """Site, round, partner and referent must all belong to the chosen site (one of the principal's)."""
    errors: dict[str, str] = {}
    if not principal.may_see_site(data.site_id) or session.get(Site, data.site_id) is None:
        raise ValidationFailed({"site_id": message("site")})
    if data.outreach_round_id is not None:
        site_id = session.exec(select(OutreachRound.site_id).where(OutreachRound.id == data.outreach_round_id)).first()
        if site_id != data.site_id:
            errors["outreach_round_id"] = message("round_site")
    if data.referring_partner_id is not None:
        site_id = session.exec(select(Partner.site_id).where(Partner.id == data.referring_partner_id)).first()
        if site_id != data.site_id:
            errors["referring_partner_id"] = message("partner_site")
    if data.referent_id is not None and not _is_site_staff(session, data.referent_id, data.site_id):
        errors["referent_id"] = message("referent_site")
    if errors:
        raise ValidationFailed(errors)


def _is_site_staff(session: Session, user_id: int, site_id: int) -> bool:
    found = session.exec(
        select(User.id)
        .join(UserSite, UserSite.user_id == User.id)
        .where(User.id == user_id, UserSite.site_id == site_id, User.is_active, User.role.in_(REFERENT_ROLES))
    ).first()
    return found is not None


def find_possible_duplicates(
    session: Session, principal: Principal, *, alias: str, birth_year: int | None, cipher: FieldCipher
) -> list[DuplicateCandidate]:
    """Files of the principal's sites whose alias matches (accents ignored, or same sound) and whose
    birth year is within one year (or unknown). Decrypts only the aliases of that narrowed set."""
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
    rows = session.exec(
        select(Person.id, Person.code, Person.status, Person.intake_on, Person.alias_encrypted).where(*conditions)
    ).all()
    found = [
        DuplicateCandidate(row.id, row.code, row.status, row.intake_on)
        for row in rows
        if same_name(alias, cipher.decrypt(row.alias_encrypted))
    ]
    return sorted(found, key=lambda c: (c.intake_on, c.code), reverse=True)


def _join_codes(codes: list[str]) -> str | None:
    return ",".join(codes) if codes else None


def create_intake(
    session: Session, principal: Principal, data: IntakeInput, *, cipher: FieldCipher, today: date | None = None
) -> CreatedPerson:
    """Create the file with the next code `SITE-YEAR-NNNN` of (site, intake year).

    Two intakes saved at the same moment may compute the same number: the unique constraint
    refuses the second insert, which is rolled back and retried with the number recomputed.
    """
    principal.require(Capability.EDIT_PERSON_FILES)
    today = today or clock.today()
    validate_intake(data, today=today)
    _check_references(session, principal, data)
    site_code = session.exec(select(Site.code).where(Site.id == data.site_id)).one()
    year = data.intake_on.year
    values = {
        "site_id": data.site_id,
        "code_year": year,
        "status": PersonStatus.ACTIVE,
        "first_contact_on": data.first_contact_on,
        "intake_on": data.intake_on,
        "origin": data.origin,
        "outreach_round_id": data.outreach_round_id,
        "referring_partner_id": data.referring_partner_id,
        "alias_encrypted": cipher.encrypt(data.alias.strip()),
        "phone_encrypted": cipher.encrypt((data.phone or "").strip() or None),
        "birth_year": data.birth_year,
        "gender": data.gender,
        "nationality": data.nationality or None,
        "languages": _join_codes(data.languages),
        "administrative_status": data.administrative_status,
        "housing": data.housing,
        "income_sources": _join_codes(data.income_sources),
        "consent_on": data.consent_on,
        "consent_processing": True,
        "consent_partner_sharing": bool(data.consent_partner_sharing),
        "consent_statistics": bool(data.consent_statistics),
        "referent_id": data.referent_id,
        "last_contact_on": max(data.intake_on, data.first_contact_on),
    }
    for _attempt in range(CODE_ATTEMPTS):
        number = (
            session.exec(
                select(sa.func.coalesce(sa.func.max(Person.code_number), 0)).where(
                    Person.site_id == data.site_id, Person.code_year == year
                )
            ).one()
            + 1
        )
        person = Person(code=f"{site_code}-{year}-{number:04d}", code_number=number, **values)
        session.add(person)
        try:
            session.flush()
        except IntegrityError:
            # Another intake took this number meanwhile: nothing else was written in this unit
            # of work, so roll it all back and compute the number again. (No savepoint: with
            # SQLite's driver a savepoint would commit on its own, apart from the audit entry.)
            session.rollback()
            continue
        audit.record(
            session,
            actor=principal,
            action="person.create",
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


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseloadRow]
    total: int
    page: int
    page_size: int

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


def _alias_matches(query: str, alias: str | None) -> bool:
    folded_query, folded_alias = fold(query), fold(alias)
    if not folded_query or not folded_alias:
        return False
    return folded_query in folded_alias or phonetic_key(query) == phonetic_key(alias)


def psp_label(decision: PrefectDecision, ended_on: date | None) -> str:
    if ended_on is not None:
        return _("PSP terminé")
    if decision == PrefectDecision.GRANTED:
        return _("PSP en cours")
    if decision == PrefectDecision.REFUSED:
        return _("PSP refusé")
    return _("PSP demandé")


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

    Statements: count, page, PSP of the page, goals of the page (+ one read of the scope's aliases
    and an audit row when searching): the same whatever the page size. Aliases are decrypted for
    the page only, except for an alias search, which decrypts the aliases of the filtered scope
    (roles with VIEW_IDENTITY only; others search by code).
    """
    principal.require(Capability.VIEW_PERSON_FILES)
    today = today or clock.today()
    page_size = max(1, min(int(page_size), 200))
    page = max(1, int(page))
    see_identity = principal.can(Capability.VIEW_IDENTITY)
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
        conditions.append(sa.func.coalesce(Person.last_contact_on, Person.intake_on) < months_before(today, 3))
    query = (filter.query or "").strip()
    if query:
        matches: list[sa.ColumnElement[bool]] = [Person.code.contains(query.upper(), autoescape=True)]
        if see_identity and len(fold(query)) >= 2:
            candidates = session.exec(
                select(Person.id, Person.alias_encrypted).where(*conditions, Person.alias_encrypted.is_not(None))
            ).all()
            ids = [row.id for row in candidates if _alias_matches(query, cipher.decrypt(row.alias_encrypted))]
            if ids:
                matches.append(Person.id.in_(ids))
        conditions.append(sa.or_(*matches))
        audit.record(session, actor=principal, action="person.search", entity_type="person")
        session.commit()

    total = session.exec(select(sa.func.count()).select_from(Person).where(*conditions)).one()
    rows = session.exec(
        select(
            Person.id,
            Person.code,
            Site.code.label("site_code"),
            Person.status,
            User.display_name,
            Person.last_contact_on,
            Person.alias_encrypted,
        )
        .join(Site, Site.id == Person.site_id)
        .outerjoin(User, User.id == Person.referent_id)
        .where(*conditions)
        .order_by(Person.last_contact_on.desc(), Person.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    ids = [row.id for row in rows]
    psp: dict[int, str] = {}
    goals: dict[int, tuple[str, date | None]] = {}
    if ids:
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
    return CaseloadPage(
        rows=[
            CaseloadRow(
                person_id=row.id,
                code=row.code,
                site_code=row.site_code,
                status=row.status,
                referent_name=row.display_name,
                last_contact_on=row.last_contact_on,
                psp_status=psp.get(row.id),
                next_due_goal=goals.get(row.id, (None, None))[0],
                next_due_on=goals.get(row.id, (None, None))[1],
                alias=cipher.decrypt(row.alias_encrypted) if see_identity else None,
            )
            for row in rows
        ],
        total=total,
        page=page,
        page_size=page_size,
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


def _split(codes: str | None) -> list[str]:
    return [code for code in (codes or "").split(",") if code]


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
    see_identity = principal.can(Capability.VIEW_IDENTITY)
    header = PersonFileHeader(
        person_id=person.id,
        code=person.code,
        site_id=person.site_id,
        site_code=site_code,
        site_name=site_name,
        status=person.status,
        version=person.version,
        referent_id=person.referent_id,
        referent_name=referent_name,
        first_contact_on=person.first_contact_on,
        intake_on=person.intake_on,
        origin=person.origin,
        last_contact_on=person.last_contact_on,
        closed_on=person.closed_on,
        closed_reason=person.closed_reason,
        consent_on=person.consent_on,
        consent_processing=person.consent_processing,
        consent_partner_sharing=person.consent_partner_sharing,
        consent_statistics=person.consent_statistics,
        birth_year=person.birth_year,
        gender=person.gender,
        nationality=person.nationality,
        languages=_split(person.languages),
        administrative_status=person.administrative_status,
        housing=person.housing,
        income_sources=_split(person.income_sources),
        alias=cipher.decrypt(person.alias_encrypted) if see_identity else None,
        phone=cipher.decrypt(person.phone_encrypted) if see_identity else None,
        may_see_identity=see_identity,
        may_edit=principal.can(Capability.EDIT_PERSON_FILES) and person.status != PersonStatus.ANONYMISED,
    )
    if record_view:
        audit.record(
            session,
            actor=principal,
            action="person.view",
            entity_type="person",
            entity_id=person.id,
            site_id=person.site_id,
        )
        session.commit()
    return header


# --- edits -------------------------------------------------------------------------------------

SITUATION_FIELDS = frozenset(
    {
        "alias",
        "phone",
        "birth_year",
        "gender",
        "nationality",
        "languages",
        "administrative_status",
        "housing",
        "income_sources",
        "referent_id",
        "consent_partner_sharing",
        "consent_statistics",
    }
)


def update_situation(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    changes: dict,
    cipher: FieldCipher,
    today: date | None = None,
) -> int:
    """Change identity, situation, consent scopes or referent; returns the new version.

    Identity fields need VIEW_IDENTITY too (a role that cannot read them cannot overwrite them).
    StaleRecord if someone saved the file since `expected_version` was read.
    """
    today = today or clock.today()
    person = person_in_scope(session, principal, person_id)
    require_writable(principal, person)
    unknown = set(changes) - SITUATION_FIELDS
    if unknown:
        raise ValueError(f"not a situation field: {sorted(unknown)}")
    if {"alias", "phone"} & set(changes):
        principal.require(Capability.VIEW_IDENTITY)
    errors: dict[str, str] = {}
    values: dict = {}
    if "alias" in changes:
        _check_alias(errors, changes["alias"])
        values["alias_encrypted"] = cipher.encrypt((changes["alias"] or "").strip())
    if "phone" in changes:
        _check_phone(errors, changes["phone"])
        values["phone_encrypted"] = cipher.encrypt((changes["phone"] or "").strip() or None)
    if "birth_year" in changes:
        _check_birth_year(errors, changes["birth_year"], today)
        values["birth_year"] = changes["birth_year"]
    if "nationality" in changes or "languages" in changes:
        _check_nationality_languages(errors, changes.get("nationality"), list(changes.get("languages") or []))
    if "nationality" in changes:
        values["nationality"] = changes["nationality"] or None
    if "languages" in changes:
        values["languages"] = _join_codes(list(changes["languages"] or []))
    if "income_sources" in changes:
        sources = list(changes["income_sources"] or [])
        if any(code not in INCOME_SOURCES for code in sources):
            errors["income_sources"] = _("Source de revenus inconnue.")
        values["income_sources"] = _join_codes(sources)
    if "referent_id" in changes:
        referent_id = changes["referent_id"]
        if referent_id is not None and not _is_site_staff(session, referent_id, person.site_id):
            errors["referent_id"] = message("referent_site")
        values["referent_id"] = referent_id
    for key in ("gender", "administrative_status", "housing", "consent_partner_sharing", "consent_statistics"):
        if key in changes:
            values[key] = changes[key]
    if errors:
        raise ValidationFailed(errors)
    if not values:
        return person.version
    versioned_update(session, Person, person.id, int(expected_version), values)
    session.expire(person)
    audit.record(
        session,
        actor=principal,
        action="person.update",
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
    )
    session.commit()
    return int(expected_version) + 1


def _check_reason(errors: dict[str, str], reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        errors["reason"] = message("reason")
    elif len(text) > 200:
        errors["reason"] = message("reason_long")
    return text


def close_file(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    reason: str,
    closed_on: date | None,
    today: date | None = None,
) -> None:
    """Close an active or paused file with a reason and a date (not in the future, not before intake)."""
    today = today or clock.today()
    person = person_in_scope(session, principal, person_id)
    require_writable(principal, person)
    errors: dict[str, str] = {}
    if person.status == PersonStatus.CLOSED:
        errors["status"] = message("already_closed")
    text = _check_reason(errors, reason)
    if closed_on is None:
        errors["closed_on"] = message("closed_on")
    elif closed_on > today:
        errors["closed_on"] = message("closed_future")
    elif closed_on < person.intake_on:
        errors["closed_on"] = message("closed_before_intake")
    if errors:
        raise ValidationFailed(errors)
    change_person_status(
        session,
        principal,
        person,
        expected_version=expected_version,
        to_status=PersonStatus.CLOSED,
        on=closed_on,
        reason=text,
    )
    session.commit()


def reopen_file(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    reason: str,
    today: date | None = None,
) -> None:
    """Reopen a closed file with a reason (kept in the status history); the closing is cleared."""
    today = today or clock.today()
    person = person_in_scope(session, principal, person_id)
    require_writable(principal, person)
    errors: dict[str, str] = {}
    if person.status != PersonStatus.CLOSED:
        errors["status"] = message("not_closed")
    text = _check_reason(errors, reason)
    if errors:
        raise ValidationFailed(errors)
    change_person_status(
        session,
        principal,
        person,
        expected_version=expected_version,
        to_status=PersonStatus.ACTIVE,
        on=today,
        reason=text,
    )
    session.commit()


# --- choices for the forms ---------------------------------------------------------------------


def list_site_choices(session: Session, principal: Principal) -> list[tuple[int, str, str]]:
    """Sites the principal may create or edit files on: (site_id, code, name)."""
    if not principal.can(Capability.EDIT_PERSON_FILES):
        return []
    rows = session.exec(
        select(Site.id, Site.code, Site.name).where(principal.site_filter(Site.id), Site.is_active).order_by(Site.name)
    ).all()
    return [(row.id, row.code, row.name) for row in rows]


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


def list_visible_sites(session: Session, principal: Principal) -> list[tuple[int, str, str]]:
    """Sites whose files the principal may list (the caseload's site filter): (site_id, code, name)."""
    principal.require(Capability.VIEW_PERSON_FILES)
    rows = session.exec(
        select(Site.id, Site.code, Site.name).where(principal.site_filter(Site.id)).order_by(Site.name)
    ).all()
    return [(row.id, row.code, row.name) for row in rows]
