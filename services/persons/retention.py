"""Retention of person files (CNIL référentiel « accompagnement social »): 2 years without contact.

A file whose last contact (else its intake) is 2 years old or more is due. Anonymising it is
irreversible: it destroys the identity (alias, phone), the notes and the free texts that may name
someone (goal wording and actions, referral reasons, closing reason); it keeps the code, the site, the
dates, the categories and everything counted in the anonymous statistics.

Who may call: MANAGE_RETENTION (admin: all sites, chef_service: own sites), or the command line
(SYSTEM_ACTOR, all sites).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

import clock
from i18n import _
from models.audit import AuditAction
from models.organisation import Site
from models.partners import Referral
from models.pathway import ActionGoal
from models.persons import Person, PersonNote, PersonStatus, PersonStatusChange
from models.types import utcnow
from services.platform import audit
from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.principal import SYSTEM_ACTOR, Capability, Principal

RETENTION_YEARS = 2
ANONYMISED_GOAL = "Objectif anonymisé"  # stored in the goal row: stays French
Actor = Principal | str  # a Principal from the app, SYSTEM_ACTOR from the command line


@dataclass(frozen=True)
class RetentionRow:
    person_id: int
    code: str
    site_code: str
    last_contact_on: date
    status: PersonStatus


@dataclass(frozen=True)
class AnonymisedFile:
    person_id: int
    code: str


def retention_cutoff(today: date) -> date:
    """The same day 2 years earlier (29 February → 28 February): a last contact on or before it is due."""
    try:
        return today.replace(year=today.year - RETENTION_YEARS)
    except ValueError:
        return today.replace(year=today.year - RETENTION_YEARS, day=28)


def _site_scope(actor: Actor, column) -> sa.ColumnElement[bool]:
    if isinstance(actor, Principal):
        actor.require(Capability.MANAGE_RETENTION)
        return actor.site_filter(column)
    if actor != SYSTEM_ACTOR:
        raise PermissionDenied()
    return sa.true()


def _last_contact():
    return sa.func.coalesce(Person.last_contact_on, Person.intake_on)


def files_due_for_retention(session: Session, actor: Actor, *, today: date | None = None) -> list[RetentionRow]:
    """Files of the actor's sites with no contact for 2 years, not yet anonymised, oldest contact first."""
    today = today or clock.today()
    scope = _site_scope(actor, Person.site_id)
    last_contact = _last_contact()
    rows = session.exec(
        select(Person.id, Person.code, Site.code, last_contact, Person.status)
        .join(Site, Site.id == Person.site_id)
        .where(scope, Person.status != PersonStatus.ANONYMISED, last_contact <= retention_cutoff(today))
        .order_by(last_contact, Person.code)
    ).all()
    return [RetentionRow(person_id, code, site_code, on, status) for person_id, code, site_code, on, status in rows]


def _refusal(person: Person, confirm_code: str | None, today: date) -> str | None:
    """Why the file cannot be anonymised with this confirmation (None: it can)."""
    if person.status == PersonStatus.ANONYMISED:
        return _("Ce dossier est déjà anonymisé.")
    if (confirm_code or "").strip().upper() != person.code:
        return _("Le code saisi ne correspond pas au dossier : rien n'a été modifié.")
    if (person.last_contact_on or person.intake_on) > retention_cutoff(today):
        return _("Ce dossier a eu un contact il y a moins de 2 ans : il n'est pas à anonymiser.")
    return None


def _erase_free_texts(session: Session, person: Person) -> None:
    """Notes deleted; goal wording and actions, referral reasons and closing reasons of the history cleared."""
    session.exec(sa.delete(PersonNote).where(PersonNote.person_id == person.id))  # type: ignore[call-overload]
    session.exec(
        sa.update(ActionGoal)
        .where(ActionGoal.person_id == person.id)  # type: ignore[call-overload]
        .values(goal=ANONYMISED_GOAL, actions=None, version=ActionGoal.version + 1)
    )
    session.exec(
        sa.update(Referral)
        .where(Referral.person_id == person.id)  # type: ignore[call-overload]
        .values(reason=None, version=Referral.version + 1)
    )
    session.exec(
        sa.update(PersonStatusChange)
        .where(PersonStatusChange.person_id == person.id)  # type: ignore[call-overload]
        .values(reason=None)
    )


def anonymise_file(
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    confirm_code: str,
    today: date | None = None,
    now: datetime | None = None,
) -> AnonymisedFile:
    """Irreversibly anonymise a file due for retention; `confirm_code` must be its code, typed again.

    The confirmation is one typed value whose only rules need the file (its code, status and last
    contact): no input model, the refusal is the {"confirm_code": message} of ValidationFailed."""
    today = today or clock.today()
    scope = _site_scope(actor, Person.site_id)
    person = session.exec(select(Person).where(Person.id == person_id, scope)).first()
    if person is None:
        raise NotFound(_("Dossier introuvable."))
    refusal = _refusal(person, confirm_code, today)
    if refusal:
        raise ValidationFailed({"confirm_code": refusal})
    _erase_free_texts(session, person)
    person.alias_encrypted = None
    person.phone_encrypted = None
    person.closed_reason = None
    person.status = PersonStatus.ANONYMISED
    person.retention_flagged_on = person.retention_flagged_on or today
    person.anonymised_at = now or utcnow()
    person.version += 1
    session.add(person)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PERSON_ANONYMISE,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
    )
    session.commit()
    return AnonymisedFile(person.id, person.code)
