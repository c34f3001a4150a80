"""Correction of the fields of a file that no other form changes (GDPR art. 16, right to rectification).

The intake form sets the dates of first contact, intake and consent, the origin (and the referring
partner) once; the situation form edits the present situation. A person may show that one of these was
wrong from the start: this form corrects it, with a reason, and keeps the old and new values in
`person_correction`, encrypted (an old birth year is as personal as the new one), shown in the file to
the roles that read identities. The situation form's fields that describe who the person is (birth year,
gender, nationality, languages) are correctable here too, so that their correction leaves a history.

Rules on the file as it would stand after the correction: first contact ≤ intake ≤ the first activity of
the file (a note, a barrier, a PSP request, a referral, an outcome, an enrolment, an attendance, an
assessment, a consent change, a closing…) and none in the future; consent not before the first contact;
origin « orientation partenaire » with a partner of the file's site.

Published figures (services.reporting.publication): the new intakes of a period and those from outreach
are published by finished quarters. A correction of the intake date from or into a finished quarter, or of
the origin of a file taken in before the current quarter, moves a published figure. Unlike a consent
withdrawal (services.persons.consent refuses a day inside a published quarter: it is a change in time, the
past was right), a correction says the past was wrong, and the person has a right to it: it is not refused,
but the form says so and it needs the head of service's explicit acknowledgement (`moves_published`),
kept in the history and the audit entry (docs/design.md §4).

Who may call: SERVE_PERSON_RIGHTS (chef_service) on any file of its sites; an intervenant on the files it
is the referent of (EDIT_PERSON_FILES), except a correction that moves published figures. Not on an
anonymised file. Audited as person.correct with the corrected field names, never their values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, select

import clock
import i18n
from i18n import N_, _, formats
from models.audit import AuditAction
from models.courses import (
    CertificationAttempt,
    CourseAttendance,
    CourseEnrolment,
    CourseSession,
    LanguageAssessment,
    MainstreamTransition,
)
from models.labels import label
from models.organisation import User
from models.partners import Outcome, Partner, Referral
from models.pathway import BarrierAssessment, PspEpisode
from models.persons import (
    ConsentChange,
    ConsentScope,
    Gender,
    IntakeOrigin,
    Person,
    PersonCorrection,
    PersonNote,
    PersonStatusChange,
)
from models.workshops import WorkshopAttendance, WorkshopCompletion, WorkshopEnrolment, WorkshopSession
from services.persons.access import _require_writable, person_in_scope, rows_in_scope, touch_last_contact
from services.persons.files import BirthYear, Languages, Nationality, Reason
from services.platform import audit
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.inputs import FormInput, messages, not_after_as_of
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

# The fields this form corrects, in the order the history and the form show them.
CORRECTABLE_FIELDS: dict[str, str] = {
    "first_contact_on": N_("Date du premier contact"),
    "intake_on": N_("Date d'accueil"),
    "consent_on": N_("Date du consentement"),
    "origin": N_("Origine de l'accueil"),
    "referring_partner_id": N_("Partenaire qui oriente"),
    "birth_year": N_("Année de naissance"),
    "gender": N_("Genre"),
    "nationality": N_("Nationalité"),
    "languages": N_("Langues parlées"),
}
DATE_FIELDS = ("first_contact_on", "intake_on", "consent_on")
REQUIRED_FIELDS = (*DATE_FIELDS, "origin", "gender")  # never empty in a file

MESSAGES = {
    "date": N_("Date attendue (jj/mm/aaaa)."),
    "first_contact_future": N_("La date du premier contact ne peut pas être dans le futur."),
    "intake_future": N_("La date d'accueil ne peut pas être dans le futur."),
    "consent_future": N_("La date de consentement ne peut pas être dans le futur."),
    "first_contact_after": N_("Le premier contact ne peut pas être postérieur à l'accueil ({day})."),
    "intake_before": N_("L'accueil ne peut pas précéder le premier contact ({day})."),
    "intake_after_activity": N_(
        "L'accueil ne peut pas être postérieur à la première activité enregistrée dans le dossier ({day})."
    ),
    "first_contact_after_consent": N_("Le premier contact ne peut pas être postérieur au consentement ({day})."),
    "consent_before": N_("Le consentement ne peut pas précéder le premier contact ({day})."),
    "partner": N_("Indiquez le partenaire qui oriente la personne."),
    "partner_site": N_("Ce partenaire n'appartient pas au site du dossier."),
    "nothing": N_("Aucune valeur n'a changé : rien n'a été corrigé."),
    "published": N_(
        "Cette correction change des chiffres déjà publiés (trimestres terminés avant le {day}) : cochez la "
        "case pour confirmer que vous le savez."
    ),
    "published_chef": N_(
        "Cette correction change des chiffres déjà publiés (trimestres terminés avant le {day}) : seul·e un·e "
        "chef·fe de service peut la faire."
    ),
    "not_referent": N_("Vous ne pouvez corriger que les dossiers dont vous êtes référent·e."),
}


class CorrectionInput(FormInput):
    """What the correction form sends: the correctable fields (a field left out stays as recorded), the
    reason (kept encrypted in the history) and the acknowledgement that published figures move. Context:
    `as_of` (no day after it, the age reckoned on it)."""

    first_contact_on: Annotated[date | None, not_after_as_of(MESSAGES["first_contact_future"])] = Field(
        None, json_schema_extra=messages(MESSAGES["date"])
    )
    intake_on: Annotated[date | None, not_after_as_of(MESSAGES["intake_future"])] = Field(
        None, json_schema_extra=messages(MESSAGES["date"])
    )
    consent_on: Annotated[date | None, not_after_as_of(MESSAGES["consent_future"])] = Field(
        None, json_schema_extra=messages(MESSAGES["date"])
    )
    origin: IntakeOrigin | None = None
    referring_partner_id: int | None = None
    birth_year: BirthYear = None
    gender: Gender | None = None
    nationality: Nationality = None
    languages: Languages = Field(default_factory=list)
    reason: Reason
    acknowledge_published: bool = False


def message(key: str, **values: object) -> str:
    return i18n.message(MESSAGES, key, **values)


def quarter_start(day: date) -> date:
    """The first day of the quarter of `day`: the quarters before it are finished, hence published."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# --- the first activity of a file --------------------------------------------------------------------

# (model, its date column): every dated record of a file that needs the file to exist on that day.
DATED_ACTIVITY: tuple[tuple[type, str], ...] = (
    (PersonNote, "noted_on"),
    (PersonStatusChange, "changed_on"),
    (BarrierAssessment, "assessed_on"),
    (PspEpisode, "requested_on"),
    (Referral, "referred_on"),
    (Outcome, "outcome_on"),
    (CourseEnrolment, "enrolled_on"),
    (LanguageAssessment, "assessed_on"),
    (CertificationAttempt, "attempted_on"),
    (MainstreamTransition, "moved_on"),
    (WorkshopEnrolment, "cycle_start_on"),
    (WorkshopCompletion, "completed_on"),
)


def first_activity_on(session: Session, person_id: int) -> date | None:
    """The earliest day of the file's own records (attendance: the day of the session; consent: a change
    after intake), or None."""
    firsts = [
        sa.select(sa.func.min(getattr(model, column))).where(model.person_id == person_id).scalar_subquery()
        for model, column in DATED_ACTIVITY
    ]
    firsts.append(
        sa.select(sa.func.min(ConsentChange.effective_on))
        .where(ConsentChange.person_id == person_id, ConsentChange.at_intake.is_(False))
        .scalar_subquery()
    )
    firsts.append(
        sa.select(sa.func.min(CourseSession.session_on))
        .join(CourseAttendance, CourseAttendance.session_id == CourseSession.id)
        .where(CourseAttendance.person_id == person_id)
        .scalar_subquery()
    )
    firsts.append(
        sa.select(sa.func.min(WorkshopSession.session_on))
        .join(WorkshopAttendance, WorkshopAttendance.session_id == WorkshopSession.id)
        .where(WorkshopAttendance.person_id == person_id)
        .scalar_subquery()
    )
    days = session.exec(sa.select(*firsts)).one()  # type: ignore[call-overload]
    found = [day for day in days if day is not None]
    return min(found) if found else None


# --- correcting ------------------------------------------------------------------------------------


def _correctable_person(session: Session, principal: Principal, person_id: int) -> Person:
    """The file, writable, and the principal allowed to correct it (chef_service: its sites; intervenant:
    the files it is the referent of)."""
    person = person_in_scope(session, principal, person_id)
    _require_writable(principal, person)
    if not principal.can(Capability.SERVE_PERSON_RIGHTS) and person.referent_id != principal.user_id:
        raise PermissionDenied(message("not_referent"))
    return person


def _sent(data: CorrectionInput | Mapping[str, object]) -> dict[str, object]:
    return data.model_dump(exclude_unset=True) if isinstance(data, FormInput) else dict(data)


def _changes(person: Person, checked: CorrectionInput, sent: dict[str, object]) -> dict[str, object]:
    """The correctable fields sent whose value differs from the file's."""
    changes: dict[str, object] = {}
    for name in CORRECTABLE_FIELDS:
        if name not in sent:
            continue
        new = getattr(checked, name)
        if name in REQUIRED_FIELDS and new is None:
            continue  # a required value left empty keeps the recorded one
        old = getattr(person, name)
        if name == "languages":
            new, old = sorted(new or []), sorted(old or [])
        if new != old:
            changes[name] = new
    return changes


def _rule_errors(session: Session, person: Person, after: dict[str, object]) -> dict[str, str]:
    """The rules between fields and with the file's records, on the file as it would stand."""
    errors: dict[str, str] = {}
    first_contact, intake, consent = after["first_contact_on"], after["intake_on"], after["consent_on"]
    if first_contact > intake:
        key = "first_contact_on" if person.first_contact_on != first_contact else "intake_on"
        errors[key] = (
            message("first_contact_after", day=formats.day(intake))
            if key == "first_contact_on"
            else message("intake_before", day=formats.day(first_contact))
        )
    first_activity = first_activity_on(session, person.id)
    if "intake_on" not in errors and first_activity is not None and intake > first_activity:
        errors["intake_on"] = message("intake_after_activity", day=formats.day(first_activity))
    if consent < first_contact and "first_contact_on" not in errors:
        if consent != person.consent_on:
            errors["consent_on"] = message("consent_before", day=formats.day(first_contact))
        else:
            errors["first_contact_on"] = message("first_contact_after_consent", day=formats.day(consent))
    partner_id = after["referring_partner_id"]
    if after["origin"] == IntakeOrigin.PARTNER and partner_id is None:
        errors["referring_partner_id"] = message("partner")
    elif partner_id is not None and partner_id != person.referring_partner_id:
        site = session.exec(select(Partner.site_id).where(Partner.id == partner_id)).first()
        if site != person.site_id:
            errors["referring_partner_id"] = message("partner_site")
    return errors


def moves_published(person: Person, changes: Mapping[str, object], today: date) -> bool:
    """Whether the correction moves a figure of a finished quarter: the intake day leaves or enters one,
    or the origin of a file taken in before the current quarter changes."""
    start = quarter_start(today)
    if "intake_on" in changes and min(person.intake_on, changes["intake_on"]) < start:
        return True
    return "origin" in changes and person.intake_on < start


def _as_text(value: object) -> str | None:
    """A value as the history keeps it (then encrypted): an ISO day, a code, a JSON list, a number."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return json.dumps(sorted(value))
    return str(value)


def correct_file(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    data: CorrectionInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Correct fields of a file with a reason; returns the version after the save.

    Each field that differs is one row of the history (old and new value, reason, author); the file is
    updated over `expected_version` (StaleRecord if a colleague saved it since); the last contact is raised
    to the corrected intake or first contact if later; an intake refusal of a consent moves with the intake
    (it applies to every day). Nothing changed: ValidationFailed, nothing written."""
    today = today or clock.today()
    person = _correctable_person(session, principal, person_id)
    sent = _sent(data)
    checked = CorrectionInput.validated(sent, as_of=today)
    changes = _changes(person, checked, sent)
    if not changes:
        raise ValidationFailed({"reason": message("nothing")})
    after = {name: changes.get(name, getattr(person, name)) for name in CORRECTABLE_FIELDS}
    if after["origin"] != IntakeOrigin.PARTNER and "origin" in changes and person.referring_partner_id is not None:
        # A file no longer referred by a partner keeps no referring partner.
        changes["referring_partner_id"] = after["referring_partner_id"] = None
    errors = _rule_errors(session, person, after)
    published = moves_published(person, changes, today)
    if published and not errors:
        day = formats.day(quarter_start(today))
        if not principal.can(Capability.SERVE_PERSON_RIGHTS):
            errors["acknowledge_published"] = message("published_chef", day=day)
        elif not checked.acknowledge_published:
            errors["acknowledge_published"] = message("published", day=day)
    if errors:
        raise ValidationFailed(errors)
    for name, new in changes.items():
        session.add(
            PersonCorrection(
                person_id=person.id,
                site_id=person.site_id,
                field_name=name,
                old_value=_as_text(getattr(person, name)),
                new_value=_as_text(new),
                reason=checked.reason,
                moves_published=published,
                author_id=principal.user_id,
            )
        )
    columns = {name: (sorted(new) if name == "languages" else new) for name, new in changes.items()}
    versioned_update(session, Person, person.id, int(expected_version), columns)
    if "intake_on" in changes:
        session.exec(  # type: ignore[call-overload]
            sa.update(ConsentChange)
            .where(ConsentChange.person_id == person.id, ConsentChange.at_intake.is_(True))
            .values(effective_on=changes["intake_on"])
        )
    session.expire(person)
    touch_last_contact(session, person, max(after["intake_on"], after["first_contact_on"]))
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_CORRECT,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
        detail=f"fields={','.join(changes)}" + (" published=1" if published else ""),
    )
    session.commit()
    return int(expected_version) + 1


# --- reading the history -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionRow:
    corrected_at: datetime
    field_name: str
    field_label: str
    old_value: str
    new_value: str
    reason: str | None
    moves_published: bool
    author: str | None  # display name; None when unknown


def field_label(name: str) -> str:
    """The label of a correctable field in the active language (the name itself if unknown)."""
    text = CORRECTABLE_FIELDS.get(name)
    if text is None:
        return consent_field_label(name) or name
    return _(text)


def shown_value(session: Session, field_name: str, stored: str | None) -> str:
    """A stored value (text form) as a reader sees it: a day, a label, a partner's name, a list."""
    if stored is None or stored == "":
        return "—"
    if field_name in DATE_FIELDS or field_name.startswith(CONSENT_FIELD_PREFIX):
        return formats.day(date.fromisoformat(stored))
    if field_name == "origin":
        return label(IntakeOrigin(stored))
    if field_name == "gender":
        return label(Gender(stored))
    if field_name == "referring_partner_id":
        name = session.exec(select(Partner.name).where(Partner.id == int(stored))).first()
        return name or "—"
    if field_name == "languages":
        return ", ".join(json.loads(stored)) or "—"
    return stored


def correction_history(session: Session, principal: Principal, person_id: int) -> list[CorrectionRow]:
    """The corrections of the file, latest first: roles that read identities (the values are personal)."""
    principal.require(Capability.VIEW_IDENTITY)
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(PersonCorrection, User.display_name)
        .join(User, User.id == PersonCorrection.author_id, isouter=True)
        .where(PersonCorrection.person_id == person_id)
        .order_by(PersonCorrection.id.desc()),
    )
    return [
        CorrectionRow(
            corrected_at=row.created_at,
            field_name=row.field_name,
            field_label=field_label(row.field_name),
            old_value=shown_value(session, row.field_name, row.old_value),
            new_value=shown_value(session, row.field_name, row.new_value),
            reason=row.reason,
            moves_published=row.moves_published,
            author=name,
        )
        for row, name in rows
    ]


def correction_values(session: Session, principal: Principal, person_id: int) -> dict[str, object]:
    """The correctable fields of a file as the form shows them (the principal may correct it)."""
    person = _correctable_person(session, principal, person_id)
    return {name: getattr(person, name) for name in CORRECTABLE_FIELDS} | {"version": person.version}


def may_correct(principal: Principal, referent_id: int | None) -> bool:
    """Whether the principal may open the correction form of a file with this referent (its site checked
    by the caller)."""
    if principal.can(Capability.SERVE_PERSON_RIGHTS):
        return True
    return principal.can(Capability.EDIT_PERSON_FILES) and referent_id == principal.user_id


# --- the effective day of a past consent change ------------------------------------------------------
#
# A withdrawal (or a new consent) recorded with the wrong effective day is corrected here, with a reason,
# by the same people: the day moves, the change stays (the consent form only adds changes). A change made
# at intake applies to every day and moves with the intake date (above), so it is not listed. The day stays
# between the previous and the next change of the same consent (so the latest change on or before a day is
# still that day's state), not before the intake, not in the future. Moving a statistics change from or
# into a finished quarter moves published figures: like an intake day, it needs the head of service's
# acknowledgement. The history row's field is `consent_change:<scope>:<given|withdrawn>`.

CONSENT_FIELD_PREFIX = "consent_change"
CONSENT_MESSAGES = {
    "change": N_("Choisissez le changement de consentement à corriger."),
    "before_previous": N_(
        "Le changement précédent de ce consentement est daté du {day} : la date ne peut le précéder."
    ),
    "after_next": N_("Le changement suivant de ce consentement est daté du {day} : la date ne peut le dépasser."),
    "before_intake": N_("La date d'effet ne peut précéder l'accueil ({day})."),
    "future": N_("La date d'effet ne peut pas être dans le futur."),
    "same_day": N_("C'est déjà la date d'effet de ce changement : rien n'a été corrigé."),
    "direction_given": N_("nouveau consentement"),
    "direction_withdrawn": N_("retrait"),
    "field": N_("Date d'effet : {scope}, {direction}"),
}


class ConsentDateInput(FormInput):
    """What the consent-date correction sends: the change, its corrected effective day (not after `as_of`),
    the reason and the acknowledgement that published figures move."""

    change_id: int = Field(json_schema_extra=messages(CONSENT_MESSAGES["change"]))
    effective_on: Annotated[date, not_after_as_of(CONSENT_MESSAGES["future"])] = Field(
        json_schema_extra=messages(MESSAGES["date"])
    )
    reason: Reason
    acknowledge_published: bool = False


@dataclass(frozen=True)
class ConsentChangeChoice:
    id: int
    scope: ConsentScope
    given: bool
    effective_on: date

    @property
    def field_name(self) -> str:
        return f"{CONSENT_FIELD_PREFIX}:{self.scope.value}:{'given' if self.given else 'withdrawn'}"


def correctable_consent_changes(session: Session, principal: Principal, person_id: int) -> list[ConsentChangeChoice]:
    """The consent changes recorded after intake, latest first (the principal may correct the file)."""
    person = _correctable_person(session, principal, person_id)
    rows = session.exec(
        select(ConsentChange)
        .where(ConsentChange.person_id == person.id, ConsentChange.at_intake.is_(False))
        .order_by(ConsentChange.id.desc())
    ).all()
    return [ConsentChangeChoice(row.id, row.scope, row.given, row.effective_on) for row in rows]


def _consent_neighbours(session: Session, change: ConsentChange) -> tuple[date | None, date | None]:
    """The effective days of the previous and the next change of the same person and consent."""
    same = (ConsentChange.person_id == change.person_id, ConsentChange.scope == change.scope)
    previous = session.exec(
        select(ConsentChange.effective_on)
        .where(*same, ConsentChange.id < change.id)
        .order_by(ConsentChange.id.desc())
        .limit(1)
    ).first()
    following = session.exec(
        select(ConsentChange.effective_on)
        .where(*same, ConsentChange.id > change.id)
        .order_by(ConsentChange.id)
        .limit(1)
    ).first()
    return previous, following


def _consent_day_errors(session: Session, person: Person, change: ConsentChange, day: date) -> dict[str, str]:
    previous, following = _consent_neighbours(session, change)
    if day == change.effective_on:
        return {"effective_on": i18n.message(CONSENT_MESSAGES, "same_day")}
    if day < person.intake_on:
        return {"effective_on": i18n.message(CONSENT_MESSAGES, "before_intake", day=formats.day(person.intake_on))}
    if previous is not None and day < previous:
        return {"effective_on": i18n.message(CONSENT_MESSAGES, "before_previous", day=formats.day(previous))}
    if following is not None and day > following:
        return {"effective_on": i18n.message(CONSENT_MESSAGES, "after_next", day=formats.day(following))}
    return {}


def correct_consent_date(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    data: ConsentDateInput | Mapping[str, object],
    today: date | None = None,
) -> int:
    """Correct the effective day of a consent change recorded after intake, with a reason; returns the
    file's version after the save (the file's version guards the history: StaleRecord if a colleague saved
    the file since). One history row (old and new day), audited as person.correct."""
    today = today or clock.today()
    person = _correctable_person(session, principal, person_id)
    checked = ConsentDateInput.validated(_sent(data), as_of=today)
    change = session.exec(
        select(ConsentChange).where(
            ConsentChange.id == checked.change_id,
            ConsentChange.person_id == person.id,
            ConsentChange.at_intake.is_(False),
        )
    ).first()
    if change is None:
        raise ValidationFailed({"change_id": i18n.message(CONSENT_MESSAGES, "change")})
    errors = _consent_day_errors(session, person, change, checked.effective_on)
    start = quarter_start(today)
    published = change.scope == ConsentScope.STATISTICS and min(change.effective_on, checked.effective_on) < start
    if published and not errors:
        if not principal.can(Capability.SERVE_PERSON_RIGHTS):
            errors["acknowledge_published"] = message("published_chef", day=formats.day(start))
        elif not checked.acknowledge_published:
            errors["acknowledge_published"] = message("published", day=formats.day(start))
    if errors:
        raise ValidationFailed(errors)
    # The file's version first: a save over a colleague's writes nothing.
    versioned_update(session, Person, person.id, int(expected_version), {})
    field_name = ConsentChangeChoice(change.id, change.scope, change.given, change.effective_on).field_name
    session.add(
        PersonCorrection(
            person_id=person.id,
            site_id=person.site_id,
            field_name=field_name,
            old_value=_as_text(change.effective_on),
            new_value=_as_text(checked.effective_on),
            reason=checked.reason,
            moves_published=published,
            author_id=principal.user_id,
        )
    )
    change.effective_on = checked.effective_on
    session.add(change)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_CORRECT,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
        detail=f"fields={field_name}" + (" published=1" if published else ""),
    )
    session.commit()
    return int(expected_version) + 1


def consent_field_label(name: str) -> str | None:
    """The label of a consent change's field in the history (`consent_change:<scope>:<direction>`)."""
    parts = name.split(":")
    if len(parts) != 3 or parts[0] != CONSENT_FIELD_PREFIX:
        return None
    direction = "direction_given" if parts[2] == "given" else "direction_withdrawn"
    return i18n.message(
        CONSENT_MESSAGES, "field", scope=label(ConsentScope(parts[1])), direction=_(CONSENT_MESSAGES[direction])
    )
