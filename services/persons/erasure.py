"""Erasure of a file on request, before the retention period (GDPR art. 17, right to erasure).

A person may ask that the association stop holding their file (or withdraw the consent to processing it,
or a file was kept without ground). The file is then anonymised exactly as retention anonymises a file due
after 2 years (services.persons.retention: the same functions, not a copy): identity, notes and every free
text destroyed, dates made months, birth year a 5-year band, k-anonymous site × age × gender × nationality,
the old bytes shredded on SQLite. The statistics keep counting it as before (whole months).

The request is recorded: its kind (a closed list) in the audit entry, and in the status history a change
to « anonymisé » dated the day of the erasure, with the optional details typed by the head of service
(encrypted; the form asks for no name nor identifying detail: « courrier reçu le 2 décembre »).

Who may call: SERVE_PERSON_RIGHTS (chef_service), on a file of its sites not yet anonymised, typing the
file's code again. Audited as person.erase (reason kind) and person.anonymise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from sqlmodel import Session, select

import clock
from i18n import N_, _
from models.audit import AuditAction
from models.persons import Person, PersonStatus, PersonStatusChange
from models.types import utcnow
from services.persons import retention
from services.persons.access import NOT_FOUND_MESSAGE
from services.platform import audit
from services.platform.errors import NotFound, ValidationFailed
from services.platform.inputs import FormInput, field_error, messages
from services.platform.principal import Capability, Principal

DETAILS_MAX = 200


class ErasureReason(StrEnum):
    """Why a file is erased before its time (art. 17.1 GDPR), stored as its value in the audit entry."""

    PERSON_REQUEST = "person_request"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    NO_LONGER_NEEDED = "no_longer_needed"
    UNLAWFUL = "unlawful"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PERSON_REQUEST: N_("Demande d'effacement de la personne"),
            cls.CONSENT_WITHDRAWN: N_("Retrait du consentement au traitement du dossier"),
            cls.NO_LONGER_NEEDED: N_("Accompagnement terminé, dossier plus nécessaire"),
            cls.UNLAWFUL: N_("Dossier ouvert ou conservé sans base légale"),
            cls.OTHER: N_("Autre motif (à préciser)"),
        }


MESSAGES = {
    "reason": N_("Choisissez le motif de l'effacement."),
    "details": N_("Précisez le motif."),
    "details_long": N_("Les précisions ne doivent pas dépasser {max} caractères."),
    "already": N_("Ce dossier est déjà anonymisé."),
    "code": N_("Le code saisi ne correspond pas au dossier : rien n'a été effacé."),
}


class ErasureInput(FormInput):
    """What the erasure form sends: the kind of request and details (required for « autre »)."""

    reason: ErasureReason = Field(json_schema_extra=messages(MESSAGES["reason"]))
    details: Annotated[
        str | None,
        Field(
            max_length=DETAILS_MAX,
            json_schema_extra=messages(by_type={"string_too_long": MESSAGES["details_long"]}, max=DETAILS_MAX),
        ),
    ] = Field(None, validate_default=True)

    @field_validator("details", mode="after")
    @classmethod
    def _said_for_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = (value or "").strip() or None
        if value is None and info.data.get("reason") == ErasureReason.OTHER:
            raise field_error(MESSAGES["details"])
        return value


def erase_on_request(
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    data: ErasureInput | Mapping[str, object],
    confirm_code: str,
    today: date | None = None,
    now: datetime | None = None,
) -> str:
    """Anonymise a file of the principal's sites now, whatever its last contact; returns its code.

    The confirmation is the file's code typed again (case and spaces ignored); a wrong code, a file already
    anonymised or a form error: ValidationFailed by field, nothing written."""
    principal.require(Capability.SERVE_PERSON_RIGHTS)
    today = today or clock.today()
    person = session.exec(select(Person).where(Person.id == person_id, principal.site_filter(Person.site_id))).first()
    if person is None:
        raise NotFound(_(NOT_FOUND_MESSAGE))
    errors: dict[str, str] = {}
    try:
        checked = ErasureInput.validated(data)
    except ValidationFailed as exc:
        checked, errors = None, dict(exc.errors)
    if person.status == PersonStatus.ANONYMISED:
        errors["confirm_code"] = _(MESSAGES["already"])
    elif (confirm_code or "").strip().upper() != person.code:
        errors["confirm_code"] = _(MESSAGES["code"])
    if errors or checked is None:
        raise ValidationFailed(errors)
    from_status = person.status
    retention._anonymise(session, principal, [person], today=today, now=now or utcnow())
    session.add(
        PersonStatusChange(
            person_id=person.id,
            site_id=person.site_id,
            changed_on=today,
            from_status=from_status,
            to_status=PersonStatus.ANONYMISED,
            reason=checked.details,
            author_id=principal.user_id,
        )
    )
    audit.record(
        session,
        actor=principal,
        action=AuditAction.PERSON_ERASE,
        entity_type="person",
        entity_id=person.id,
        site_id=person.site_id,
        detail=f"reason={checked.reason.value}",
    )
    retention._commit_and_shred(session)
    return person.code
