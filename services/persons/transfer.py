"""Moving a person file to another site (a relocation for safety is common).

Who: a chef_service (TRANSFER_PERSON_FILES) who is staff of BOTH sites, the file's and the
destination, in one step. The issue asks for a move « by chef_service of both sites »; a request by
the source's chef accepted by the destination's would need a pending state, a second screen and a
file visible to two sites meanwhile, while a chef_service of both sites already answers for both teams.
A person whose sites have no common chef_service is moved by the direction giving one of them the
second site first (an account change that direction sees on its home page).

What moves:
- the file: its site, and its code. A code embeds its site (SITE-YEAR-NNNN), and staff, paper notes
  and links read the site from it, so the file gets the next code of the destination for its intake
  year; the old code stays in the transfer history (`person_transfer`) and its number is never given
  again at the source (services.persons.files.next_code_number);
- the referent: a worker of the destination chosen in the same step, or none;
- the file's content, which follows the person: notes, barriers, action plan, PSP, consent history,
  status history, danger flag, legal follow-up (their `site_id` becomes the destination's, so the
  destination's team edits them and the source's no longer reaches them).

What stays with its site, for its statistics: activity rows. A workshop at Lyon stays a Lyon workshop,
a referral made by Lyon stays Lyon's referral, an outcome recorded at Lyon stays Lyon's: attendance,
course and workshop enrolments (those still open end the day before the move, so the old site's
groups no longer list the person), language assessments, certifications, referrals, outcomes and
appointments (counted on the dashboard by the site whose worker held them) keep their site. The
destination's team still reads them in the file (lists by person), and cannot change them (a
referral's result is then recorded by a colleague of the source, or as a new referral).

After the move the source's workers can no longer open the file, by its new code or its old one, nor
find it in their caseload, search or worklist: every one of them filters by the file's current site
in its query. Audited as `person.transfer` (sites' ids, never the reason); the reason is free text
about the person (encrypted, destroyed by anonymisation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

import clock
import i18n
from i18n import N_, _
from models.audit import AuditAction
from models.courses import CourseEnrolment
from models.legal import LegalEvent
from models.organisation import Site, User
from models.pathway import ActionGoal, BarrierAssessment, PspEpisode
from models.persons import ConsentChange, Person, PersonNote, PersonStatusChange
from models.safety import PersonSafetyChange, PersonTransfer
from models.workshops import WorkshopEnrolment
from services.persons.access import _require_writable, person_in_scope, rows_in_scope
from services.persons.files import _is_site_staff, next_code_number
from services.platform import audit
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.inputs import FormInput, checked, messages, raw_id, required_text
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update
from services.platform.sites import SiteChoice

REASON_MAX = 300
CODE_ATTEMPTS = 25

MESSAGES = {
    "to_site": N_("Choisissez le site de destination."),
    "to_site_scope": N_("Vous devez être membre de l'équipe du site de destination pour y transférer un dossier."),
    "same_site": N_("Le dossier est déjà sur ce site."),
    "reason": N_("Indiquez le motif du transfert."),
    "reason_long": N_("Le motif ne doit pas dépasser {max} caractères."),
    "referent_site": N_("Ce ou cette référent·e ne travaille pas sur le site de destination."),
}

# The file's content: it follows the person to the destination.
FOLLOWING_RECORDS: tuple[type, ...] = (
    PersonNote,
    PersonStatusChange,
    ConsentChange,
    BarrierAssessment,
    ActionGoal,
    PspEpisode,
    PersonSafetyChange,
    LegalEvent,
)
# Enrolments still open at the source end the day before the move (never before they began): lists of
# a group read an enrolment ending on a day as current that day, and the move must empty them at once.
# The rows stay, with their site. (enrolment, its first day)
ENROLMENTS: tuple[tuple[type, sa.ColumnElement], ...] = (
    (CourseEnrolment, CourseEnrolment.enrolled_on),
    (WorkshopEnrolment, WorkshopEnrolment.cycle_start_on),
)


class TransferInput(FormInput):
    """What the transfer form sends: the destination, the reason, the new referent (none: empty)."""

    to_site_id: int = Field(json_schema_extra=messages(MESSAGES["to_site"]))
    reason: required_text(REASON_MAX, MESSAGES["reason"], MESSAGES["reason_long"])
    referent_id: int | None = None


@dataclass(frozen=True)
class TransferRow:
    transferred_on: date
    from_site: str
    to_site: str
    old_code: str
    new_code: str
    author: str | None
    reason: str | None  # the team only (VIEW_IDENTITY)


@dataclass(frozen=True)
class TransferredFile:
    person_id: int
    code: str


def may_transfer(principal: Principal) -> bool:
    """Whether the principal may move files at all (a chef_service of at least two sites)."""
    return principal.can(Capability.TRANSFER_PERSON_FILES) and len(principal.site_ids) >= 2


def destination_choices(session: Session, principal: Principal, person_id: int) -> list[SiteChoice]:
    """The open sites the principal may move this file to: its own sites but the file's."""
    if not may_transfer(principal):
        return []
    person = person_in_scope(session, principal, person_id)
    rows = session.exec(
        select(Site.id, Site.code, Site.name)
        .where(Site.id.in_(sorted(principal.site_ids)), Site.id != person.site_id, Site.is_active == sa.true())
        .order_by(Site.code)
    ).all()
    return [SiteChoice(int(i), code, name) for i, code, name in rows]


def _errors(session: Session, principal: Principal, person: Person, data: object) -> tuple[TransferInput | None, dict]:
    checked_input, errors = checked(TransferInput, data)
    to_site_id = raw_id(data, "to_site_id")
    if to_site_id is not None and "to_site_id" not in errors:
        site = session.get(Site, to_site_id)
        if to_site_id == person.site_id:
            errors["to_site_id"] = i18n.message(MESSAGES, "same_site")
        elif site is None or not site.is_active or to_site_id not in principal.site_ids:
            errors["to_site_id"] = i18n.message(MESSAGES, "to_site_scope")
    referent_id = raw_id(data, "referent_id")
    if (
        referent_id is not None
        and "to_site_id" not in errors
        and to_site_id is not None
        and not _is_site_staff(session, referent_id, to_site_id)
    ):
        errors["referent_id"] = i18n.message(MESSAGES, "referent_site")
    return checked_input, errors


def _move(
    session: Session,
    principal: Principal,
    person: Person,
    expected_version: int,
    checked_input: TransferInput,
    on: date,
) -> str:
    """Every write of the move, in the caller's unit of work; the new code. IntegrityError when another
    intake or move took the code's number meanwhile."""
    from_site_id, old_code = person.site_id, person.code
    to_site = session.get(Site, checked_input.to_site_id)
    number = next_code_number(session, to_site.id, person.code_year)
    new_code = f"{to_site.code}-{person.code_year}-{number:04d}"
    session.add(
        PersonTransfer(
            person_id=person.id,
            site_id=to_site.id,
            from_site_id=from_site_id,
            old_code=old_code,
            old_code_year=person.code_year,
            old_code_number=person.code_number,
            new_code=new_code,
            transferred_on=on,
            reason=checked_input.reason,
            author_id=principal.user_id,
        )
    )
    versioned_update(
        session,
        Person,
        person.id,
        int(expected_version),
        {"site_id": to_site.id, "code": new_code, "code_number": number, "referent_id": checked_input.referent_id},
    )
    for model in FOLLOWING_RECORDS:
        session.exec(sa.update(model).where(model.person_id == person.id).values(site_id=to_site.id))  # type: ignore[call-overload]
    day_before = on - timedelta(days=1)
    for model, first_day in ENROLMENTS:
        session.exec(  # type: ignore[call-overload]
            sa.update(model)
            .where(model.person_id == person.id, model.site_id == from_site_id, model.left_on.is_(None))
            .values(left_on=sa.case((first_day < day_before, day_before), else_=first_day))
        )
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_TRANSFER,
        entity_type="person",
        entity_id=person.id,
        site_id=to_site.id,
        detail=f"from_site={from_site_id} to_site={to_site.id}",
    )
    return new_code


def transfer_file(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    expected_version: int,
    data: TransferInput | Mapping[str, object],
    today: date | None = None,
) -> TransferredFile:
    """Move a file to another site of the principal (see the module docstring); returns its new code.

    PermissionDenied without TRANSFER_PERSON_FILES; NotFound for a file outside the principal's sites;
    ValidationFailed (destination not one of the principal's open sites, the file's own site, no
    reason, a referent who does not work at the destination); StaleRecord if the file changed since
    `expected_version`."""
    principal.require(Capability.TRANSFER_PERSON_FILES)
    on = today or clock.today()
    for _attempt in range(CODE_ATTEMPTS):
        person = person_in_scope(session, principal, person_id)
        _require_writable(principal, person)
        checked_input, errors = _errors(session, principal, person, data)
        if errors or checked_input is None:
            raise ValidationFailed(errors)
        try:
            new_code = _move(session, principal, person, expected_version, checked_input, on)
        except IntegrityError:
            session.rollback()  # another intake or move took the number: compute it again
            continue
        session.commit()
        return TransferredFile(person_id, new_code)
    raise ServiceError(_("Le code du dossier n'a pas pu être attribué : réessayez."))


def transfer_history(session: Session, principal: Principal, person_id: int) -> list[TransferRow]:
    """The moves of a file of the principal's sites, latest first; the reason for its team only."""
    principal.require(Capability.VIEW_PERSON_FILES)
    source = aliased(Site)
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(PersonTransfer, source.code, Site.code, User.display_name)
        .join(source, source.id == PersonTransfer.from_site_id)
        .join(Site, Site.id == PersonTransfer.site_id)
        .outerjoin(User, User.id == PersonTransfer.author_id)
        .where(PersonTransfer.person_id == person_id)
        .order_by(PersonTransfer.id.desc()),
    )
    see_text = principal.can(Capability.VIEW_IDENTITY)
    return [
        TransferRow(
            row.transferred_on,
            from_code,
            to_code,
            row.old_code,
            row.new_code,
            author,
            row.reason if see_text else None,
        )
        for row, from_code, to_code, author in rows
    ]
