"""Consent that changes over time, applied where figures are computed (docs/design.md §4).

A person may refuse « statistiques anonymes » or « partage avec les partenaires » at intake, withdraw
either later, and give it again. Each change is a row of the history (models.persons.ConsentChange) with
its effective day; Person.consent_statistics / consent_partner_sharing hold the current state, written in
the same unit of work.

Statistics: every query that aggregates rows about persons (indicators, the director dashboard, the
funder space and its pack, the activity figures of outreach, workshops and French courses) keeps its rows
with `counted(<its person id column>, <the day of the fact>)`; the lists a team works from (caseload,
rolls, its own group) still show the person, whose file is accompanied whatever the consent.

Partner sharing: services.persons.partners refuses a referral dated while sharing is withdrawn, unless
the form records a new consent (`_record_new_sharing_consent`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from cachetools import LRUCache
from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _, formats
from models.audit import AuditAction
from models.organisation import User
from models.persons import ConsentChange, ConsentScope, Person
from services.persons.access import rows_in_scope
from services.persons.records import _writable_person
from services.platform import audit
from services.platform.errors import ValidationFailed
from services.platform.inputs import FormInput, field_error, messages
from services.platform.principal import Capability, Principal
from services.platform.records import versioned_update

CURRENT_COLUMN = {
    ConsentScope.STATISTICS: "consent_statistics",
    ConsentScope.PARTNER_SHARING: "consent_partner_sharing",
}


# The table `counted` reads. A figure cached per site (data_version.cached_by_site) lists it among the tables
# it reads by site when its facts are filtered on their own site: a consent written at Lyon then recomputes
# the parts of Lyon and of the sites the file was transferred from only (data_version.FOLLOWS_THE_PERSON).
CONSENT_HISTORY = ConsentChange.__tablename__


# The clauses `counted` built, by the person column and the day they were built for (a column or a date): a figure
# query holds up to a few dozen of them (one per period end for a stock), and building one costs about half a
# millisecond (two aliases of the history and their columns). They are immutable, so any statement may reuse them.
_BUILT: LRUCache = LRUCache(maxsize=2048)
_BUILT_LOCK = threading.Lock()


def counted(person_id: sa.ColumnElement, day: sa.ColumnElement | date) -> sa.ColumnElement[bool]:
    """WHERE clause: the fact about `person_id` dated `day` (the SQL date column of the fact: attendance
    day, round day, referral day, outcome day; a Python date for a stock, e.g. a period's last day) counts
    in statistics.

    It does not when a withdrawal of statistics is in force on `day`: the latest change of the person's
    statistics consent effective on or before `day` is a withdrawal. A refusal at intake applies to every
    day until a new consent. A withdrawal applies from its effective day on; the facts before it stay
    counted. Why: the funder figures (services.reporting.publication) are published on a fixed grid,
    decided once a quarter is over. If a withdrawal rewrote the past, comparing a figure published
    before the withdrawal with the same slot afterwards would give away the person's activity in that
    slot (a differencing attack). So past slots do not move; only the facts from the withdrawal on leave.

    A correlated NOT EXISTS on the history's (person_id, scope, effective_on) index: the refusals are few,
    so for most rows the probe finds nothing and the inner NOT EXISTS (a new consent since) never runs."""
    # Keyed by identity (a column's == builds SQL); the entry holds the objects, so no other can take their ids.
    key = (id(person_id), day if isinstance(day, date) else id(day))
    with _BUILT_LOCK:
        entry = _BUILT.get(key)
    if entry is not None and entry[0] is person_id and (isinstance(day, date) or entry[1] is day):
        return entry[2]
    clause = _not_withdrawn(person_id, day)
    with _BUILT_LOCK:
        _BUILT[key] = (person_id, day, clause)
    return clause


def _not_withdrawn(person_id: sa.ColumnElement, day: sa.ColumnElement | date) -> sa.ColumnElement[bool]:
    # Core aliases of the history table: far cheaper than ORM aliases.
    withdrawal = ConsentChange.__table__.alias()
    again = ConsentChange.__table__.alias()
    given_since = (
        sa.exists()
        .where(
            again.c.person_id == withdrawal.c.person_id,
            again.c.scope == withdrawal.c.scope,
            again.c.given.is_(True),
            again.c.effective_on <= day,
            again.c.id > withdrawal.c.id,
        )
        .correlate_except(again)  # the withdrawal and the fact's day come from the enclosing queries
    )
    in_force = sa.exists().where(
        withdrawal.c.person_id == person_id,
        withdrawal.c.scope == ConsentScope.STATISTICS,
        withdrawal.c.given.is_(False),
        sa.or_(withdrawal.c.at_intake, withdrawal.c.effective_on <= day),
        sa.not_(given_since),
    )
    return sa.not_(in_force)


def sharing_allowed_on(session: Session, person: Person, day: date) -> bool:
    """Whether the person agreed to information being shared with partners on `day`: the latest change
    effective on or before it (a refusal at intake: any day), as `counted` reads the history. Before the
    first change, the opposite of it; a file whose history is empty never changed: its current state."""
    rows = session.exec(
        select(ConsentChange.given, ConsentChange.at_intake, ConsentChange.effective_on)
        .where(ConsentChange.person_id == person.id, ConsentChange.scope == ConsentScope.PARTNER_SHARING)
        .order_by(ConsentChange.id)
    ).all()
    if not rows:
        return person.consent_partner_sharing
    state = not rows[0].given
    for given, at_intake, effective_on in rows:
        if at_intake or effective_on <= day:
            state = given
    return state


# --- recording a change -----------------------------------------------------------------------------


MESSAGES = {
    "scope": N_("Choisissez le consentement concerné."),
    "given": N_("Choisissez un retrait ou un nouveau consentement."),
    "effective_on": N_("Indiquez la date d'effet."),
    "future": N_("La date d'effet ne peut pas être dans le futur."),
    "before_intake": N_("La date d'effet ne peut précéder l'accueil ({day})."),
    "before_last": N_(
        "Un changement de ce consentement est enregistré au {day} : la date d'effet ne peut le précéder."
    ),
    "published": N_(
        "Les chiffres des trimestres terminés sont publiés et ne changent plus : la date d'effet d'un "
        "changement du consentement aux statistiques ne peut précéder le {day} (début du trimestre en cours)."
    ),
    "already_withdrawn": N_("Ce consentement est déjà retiré."),
    "already_given": N_("Ce consentement est déjà donné."),
}


class ConsentChangeInput(FormInput):
    """What the consent form sends: the scope, a withdrawal (`given` false) or a new consent (true), and the
    effective day (not after the day of reference `as_of`, not before the intake: context `intake_on`)."""

    scope: ConsentScope = Field(json_schema_extra=messages(MESSAGES["scope"]))
    given: bool = Field(json_schema_extra=messages(MESSAGES["given"]))
    effective_on: date = Field(json_schema_extra=messages(MESSAGES["effective_on"]))

    @field_validator("effective_on", mode="after")
    @classmethod
    def _within_the_file(cls, value: date, info: ValidationInfo) -> date:
        context = info.context or {}
        as_of = context.get("as_of") or clock.today()
        if value > as_of:
            raise field_error(MESSAGES["future"])
        intake_on = context.get("intake_on")
        if intake_on is not None and value < intake_on:
            raise field_error(MESSAGES["before_intake"], day=formats.day(intake_on))
        # A finished quarter is published (services.reporting.publication): a change dated inside it would
        # move a published figure, and the difference would show this person's activity.
        quarter_start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
        if (
            info.data.get("scope") == ConsentScope.STATISTICS
            and value < quarter_start
            and value >= (intake_on or date.min)
        ):
            raise field_error(MESSAGES["published"], day=formats.day(quarter_start))
        return value


def _latest(session: Session, person_id: int, scope: ConsentScope) -> ConsentChange | None:
    return session.exec(
        select(ConsentChange)
        .where(ConsentChange.person_id == person_id, ConsentChange.scope == scope)
        .order_by(ConsentChange.id.desc())
        .limit(1)
    ).first()


def _add_change(
    session: Session, principal: Principal, person: Person, scope: ConsentScope, *, given: bool, on: date
) -> None:
    """The history row and the current state of the file (versioned), in the caller's unit of work."""
    session.add(
        ConsentChange(
            person_id=person.id,
            site_id=person.site_id,
            scope=scope,
            given=given,
            effective_on=on,
            author_id=principal.user_id,
        )
    )
    versioned_update(session, Person, person.id, person.version, {CURRENT_COLUMN[scope]: given})
    session.expire(person)


def _record_new_sharing_consent(session: Session, principal: Principal, person: Person, on: date) -> None:
    """The person agrees again, on `on`, to information being shared with partners (a referral's form):
    a new consent in the history and the current state; the caller audits and commits."""
    _add_change(session, principal, person, ConsentScope.PARTNER_SHARING, given=True, on=on)


def record_intake_refusals(session: Session, person: Person, *, author_id: int | None) -> None:
    """At intake: each scope the person refused is a refusal that applies to every day."""
    for scope, column in CURRENT_COLUMN.items():
        if not getattr(person, column):
            session.add(
                ConsentChange(
                    person_id=person.id,
                    site_id=person.site_id,
                    scope=scope,
                    given=False,
                    effective_on=person.intake_on,
                    at_intake=True,
                    author_id=author_id,
                )
            )


def record_consent_change(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: ConsentChangeInput | Mapping[str, object],
    today: date | None = None,
) -> None:
    """Withdraw a consent (statistics or partner sharing) or record it again, from an effective day on.

    Roles that edit person files (EDIT_PERSON_FILES), on a file of their sites that is not anonymised.
    The day is neither in the future nor before the intake, nor before the scope's last change (the
    history only grows forward, so the latest change on or before a day is that day's state). A
    withdrawal of a withdrawn consent, or a consent already given, is refused. Audited as
    consent.change with the scope and the direction of the change, never a text."""
    person = _writable_person(session, principal, person_id)
    try:
        checked, errors = (
            ConsentChangeInput.validated(data, as_of=today or clock.today(), intake_on=person.intake_on),
            {},
        )
    except ValidationFailed as exc:
        checked, errors = None, dict(exc.errors)
    if checked is not None:
        if getattr(person, CURRENT_COLUMN[checked.scope]) == checked.given:
            errors["given"] = _(MESSAGES["already_given"] if checked.given else MESSAGES["already_withdrawn"])
        latest = _latest(session, person.id, checked.scope)
        if latest is not None and not latest.at_intake and checked.effective_on < latest.effective_on:
            errors["effective_on"] = _(MESSAGES["before_last"]).format(day=formats.day(latest.effective_on))
    if errors or checked is None:
        raise ValidationFailed(errors)
    _add_change(session, principal, person, checked.scope, given=checked.given, on=checked.effective_on)
    audit.record(
        session,
        actor=principal,
        action=AuditAction.CONSENT_CHANGE,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
        detail=f"{checked.scope.value}:{'given' if checked.given else 'withdrawn'}",
    )
    session.commit()


# --- reading the history ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentChangeRow:
    effective_on: date
    scope: ConsentScope
    given: bool
    at_intake: bool
    recorded_by: str | None  # display name of the author; None when unknown (carried over, deleted)
    recorded_at: datetime


def consent_history(session: Session, principal: Principal, person_id: int) -> list[ConsentChangeRow]:
    """The changes of the person's consents, latest first: roles that edit person files (the others see
    the current state in the file's header only)."""
    principal.require(Capability.EDIT_PERSON_FILES)
    rows = rows_in_scope(
        session,
        principal,
        person_id,
        select(ConsentChange, User.display_name)
        .join(User, User.id == ConsentChange.author_id, isouter=True)
        .where(ConsentChange.person_id == person_id)
        .order_by(ConsentChange.id.desc()),
    )
    return [ConsentChangeRow(c.effective_on, c.scope, c.given, c.at_intake, name, c.created_at) for c, name in rows]
