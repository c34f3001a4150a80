"""The danger flag of a person and its safe-contact instructions (« ne jamais appeler, SMS uniquement
après 20 h », « ne pas laisser de message »).

Who sees it: the file's team only, that is the roles that read what is written about a person
(VIEW_IDENTITY: chef_service, intervenant) on the file's site. Direction reads files by code and never
learns whether a flag exists (design §4: categories and dates, never the text; a danger flag is the
text's summary); formateur, gestion, financeur and admin never open files. `safety_notice` answers None
to anyone else, so that every screen may ask it without a role test of its own.

Where it is not: in no export. No download, report pack, funder output or file export calls
`safety_notice` or `flagged_among`; the export of a whole file (the person's rights) leaves it out by
not calling it.

Who changes it: EDIT_PERSON_FILES with VIEW_IDENTITY (chef_service, intervenant) of the file's site, on
a file not anonymised. Each change is a row of `person_safety_change` (who, when, flagged, the
instructions), so the history says who set, changed or removed it and when; the audit log records the
act (`person.safety_set` / `person.safety_clear`), never the text. Anonymisation deletes the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import i18n
from i18n import N_
from models.audit import AuditAction
from models.organisation import User
from models.persons import Person
from models.safety import PersonSafetyChange
from services.persons.access import reads_written_text, rows_in_scope
from services.persons.records import _writable_person
from services.platform import audit
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, field_error, optional_text
from services.platform.principal import Capability, Principal

INSTRUCTIONS_MAX = 500

MESSAGES = {
    "instructions": N_("Indiquez les consignes de contact sûr (par exemple « SMS uniquement, jamais d'appel »)."),
    "instructions_long": N_("Les consignes ne doivent pas dépasser {max} caractères."),
    "unchanged": N_("Rien n'a changé : le signalement est déjà dans cet état."),
}


class SafetyInput(FormInput):
    """What the safety form sends: the flag, and the safe-contact instructions it needs (ignored when
    the flag is removed)."""

    flagged: bool = False
    instructions: optional_text(INSTRUCTIONS_MAX, MESSAGES["instructions_long"]) = Field(None, validate_default=True)

    @field_validator("instructions")
    @classmethod
    def _given_with_the_flag(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not info.data.get("flagged"):
            return None
        if not value:
            raise field_error(MESSAGES["instructions"])
        return value


@dataclass(frozen=True)
class SafetyNotice:
    """The current danger flag of a file, for its team: the instructions, who set them and when."""

    instructions: str
    set_at: datetime
    set_by: str | None


@dataclass(frozen=True)
class SafetyChange:
    at: datetime
    author: str | None
    flagged: bool
    instructions: str | None


def _team_reads(principal: Principal) -> bool:
    return principal.can(Capability.VIEW_PERSON_FILES) and reads_written_text(principal)


def _latest_of(person_ids: Iterable[int]):
    """The id of the latest change of each of `person_ids` (a subquery)."""
    return (
        select(sa.func.max(PersonSafetyChange.id).label("id"))
        .where(PersonSafetyChange.person_id.in_(sorted(set(person_ids))))
        .group_by(PersonSafetyChange.person_id)
        .subquery()
    )


def _current(session: Session, person_id: int) -> PersonSafetyChange | None:
    return session.exec(
        select(PersonSafetyChange)
        .where(PersonSafetyChange.person_id == person_id)
        .order_by(PersonSafetyChange.id.desc())
        .limit(1)
    ).first()


def safety_notice(session: Session, principal: Principal, person_id: int) -> SafetyNotice | None:
    """The danger flag of a file of the principal's sites, for its team; None when there is none, and
    None to every other role (they never learn whether one exists). A file outside the principal's
    sites is NotFound, like everywhere."""
    if not _team_reads(principal):
        return None
    found = rows_in_scope(
        session,
        principal,
        person_id,
        select(PersonSafetyChange, User.display_name)
        .outerjoin(User, User.id == PersonSafetyChange.author_id)
        .where(PersonSafetyChange.person_id == person_id)
        .order_by(PersonSafetyChange.id.desc())
        .limit(1),
    )
    row = found[0] if found else None
    if row is None or not row[0].flagged:
        return None
    change, author = row
    return SafetyNotice(instructions=change.instructions or "", set_at=change.created_at, set_by=author)


def flagged_among(session: Session, principal: Principal, person_ids: Iterable[int]) -> set[int]:
    """Which of `person_ids` (files of the principal's sites) carry a danger flag, for a list shown to
    the team (caseload rows, duplicate candidates): one query; empty for every other role."""
    ids = sorted(set(person_ids))
    if not ids or not _team_reads(principal):
        return set()
    latest = _latest_of(ids)
    rows = session.exec(
        select(PersonSafetyChange.person_id)
        .join(latest, latest.c.id == PersonSafetyChange.id)
        .where(PersonSafetyChange.flagged, principal.site_filter(PersonSafetyChange.site_id))
    ).all()
    return set(rows)


def flagged_codes(session: Session, principal: Principal, codes: Iterable[str]) -> set[str]:
    """Which of `codes` (files of the principal's sites) carry a danger flag, for a list of codes shown
    to the team (the worklist's page): one query; empty for every other role."""
    wanted = sorted({code for code in codes if code})
    if not wanted or not _team_reads(principal):
        return set()
    # `site_id + 0`: the scope is checked on each file found by its code (unique index), not used to read every
    # file of the site (SQLite plans without statistics: Lyon's 3,637 files for 50 codes, 1.9 → 0.06 ms).
    rows = session.exec(
        select(Person.code).where(
            Person.code.in_(wanted), principal.site_filter(Person.site_id + 0), flag_expression(principal)
        )
    ).all()
    return set(rows)


def flag_column(principal: Principal) -> sa.ColumnElement[bool]:
    """A column of a query on `person`: whether the file carries a danger flag now, for a list shown to
    the team (the caseload adds it to its page query: no statement more); false for every other role."""
    return flag_expression(principal).label("safety_flag")


def flag_expression(principal: Principal) -> sa.ColumnElement[bool]:
    """`flag_column` without its label, to combine with other conditions (services.persons.roster)."""
    if not _team_reads(principal):
        return sa.false()
    latest = (
        select(PersonSafetyChange.flagged)
        .where(PersonSafetyChange.person_id == Person.id)
        .order_by(PersonSafetyChange.id.desc())
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )
    return sa.func.coalesce(latest, sa.false())


def safety_history(session: Session, principal: Principal, person_id: int) -> list[SafetyChange]:
    """Every setting, change and removal of the flag, latest first, for the file's team
    (PermissionDenied for other roles)."""
    principal.require(Capability.VIEW_IDENTITY)
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(PersonSafetyChange, User.display_name)
        .outerjoin(User, User.id == PersonSafetyChange.author_id)
        .where(PersonSafetyChange.person_id == person_id)
        .order_by(PersonSafetyChange.id.desc()),
    )
    return [SafetyChange(row.created_at, author, row.flagged, row.instructions) for row, author in rows]


def set_safety(
    session: Session, principal: Principal, person_id: int, *, data: SafetyInput | Mapping[str, object]
) -> None:
    """Set, change or remove the danger flag of a file (EDIT_PERSON_FILES and VIEW_IDENTITY, the file's
    site, not anonymised). A save that changes nothing is refused with a message (no empty history
    row). Audited without the text. Not a contact with the person: the last contact stays."""
    principal.require(Capability.VIEW_IDENTITY)
    person = _writable_person(session, principal, person_id)
    checked = SafetyInput.validated(data)
    current = _current(session, person.id)
    was_flagged = current is not None and current.flagged
    if checked.flagged == was_flagged and (not was_flagged or checked.instructions == current.instructions):
        raise ValidationFailed({"flagged": i18n.message(MESSAGES, "unchanged")})
    change = PersonSafetyChange(
        person_id=person.id,
        site_id=person.site_id,
        flagged=checked.flagged,
        instructions=checked.instructions,
        author_id=principal.user_id,
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_SAFETY_SET if checked.flagged else AuditAction.PERSON_SAFETY_CLEAR,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
    )
    session.commit()
