"""Object-level access to a person file: every lookup by id or code filters by scope in the query.

A person outside the principal's sites is answered exactly like a person that does not exist
(`NotFound`), so a Grenoble user who types a Lyon code learns nothing.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from i18n import N_, _
from models.persons import Person, PersonStatus, PersonStatusChange
from services.platform.errors import NotFound, PermissionDenied
from services.platform.inputs import searchable
from services.platform.principal import Capability, Principal

NOT_FOUND_MESSAGE = N_("Dossier introuvable.")
ANONYMISED_MESSAGE = N_("Ce dossier est anonymisé : il ne peut plus être modifié.")


def normalise_code(code: str) -> str:
    return searchable((code or "").strip().upper())


def person_in_scope(session: Session, principal: Principal, person_id: int) -> Person:
    """The person if the principal may open person files and the file belongs to one of its sites."""
    principal.require(Capability.VIEW_PERSON_FILES)
    person = session.exec(select(Person).where(Person.id == person_id, principal.site_filter(Person.site_id))).first()
    if person is None:
        raise NotFound(_(NOT_FOUND_MESSAGE))
    return person


def reads_written_text(principal: Principal) -> bool:
    """What was written about a person (notes, goals and their actions, reasons for a referral or a closing)
    may name them or tell their story: it is read with VIEW_IDENTITY, like the alias. Direction reads files
    by code."""
    return principal.can(Capability.VIEW_IDENTITY)


def readable_text(principal: Principal, text: str | None) -> str | None:
    """`text` for a principal who reads what was written about persons, else None."""
    return text if reads_written_text(principal) else None


def person_by_code(session: Session, principal: Principal, code: str) -> Person:
    """Same as `person_in_scope`, by pseudonymous code (e.g. `LYO-2026-0042`, case-insensitive)."""
    principal.require(Capability.VIEW_PERSON_FILES)
    wanted = normalise_code(code)
    if not wanted:
        raise NotFound(_(NOT_FOUND_MESSAGE))
    person = session.exec(select(Person).where(Person.code == wanted, principal.site_filter(Person.site_id))).first()
    if person is None:
        raise NotFound(_(NOT_FOUND_MESSAGE))
    return person


def _require_writable(principal: Principal, person: Person) -> None:
    """Edits need EDIT_PERSON_FILES on the person's site, and an anonymised file is frozen."""
    principal.require(Capability.EDIT_PERSON_FILES)
    if not principal.may_see_site(person.site_id):
        raise NotFound(_(NOT_FOUND_MESSAGE))
    if person.status == PersonStatus.ANONYMISED:
        raise PermissionDenied(_(ANONYMISED_MESSAGE))


def touch_last_contact(session: Session, person: Person, on: date) -> None:
    """Raise `last_contact_on` to `on` if later (never lowers it); part of the caller's unit of work.

    A plain UPDATE … WHERE last_contact_on < :on, so it never conflicts with the version of the
    person row (a sub-record written by one user must not make another user's situation edit stale).
    """
    session.exec(  # type: ignore[call-overload]
        sa.update(Person)
        .where(Person.id == person.id)
        .where(sa.or_(Person.last_contact_on.is_(None), Person.last_contact_on < on))
        .values(last_contact_on=on)
    )
    if person.last_contact_on is None or person.last_contact_on < on:
        # Keep the loaded object consistent without marking it dirty.
        session.expire(person, ["last_contact_on"])


def _record_status_change(
    session: Session, principal: Principal, person: Person, *, to_status: PersonStatus, on: date, reason: str | None
) -> None:
    """Keep the history of closings and reopenings (the file row holds only its current state)."""
    session.add(
        PersonStatusChange(
            person_id=person.id,
            site_id=person.site_id,
            changed_on=on,
            from_status=person.status,
            to_status=to_status,
            reason=reason,
            author_id=principal.user_id,
        )
    )
