"""Person files: the pseudonymous file, its encrypted identity and notes.

Identity fields are Fernet tokens (see services/platform/crypto.py); free text (closing reasons) is
`EncryptedText`, decrypted on read and shown only to roles that see identities; everything else in
this module may be shown by code to roles that can see the file.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from i18n import N_
from models.base import Timestamped, Versioned, site_fk
from models.types import EncryptedText, UtcDateTime, enum_type


class PersonStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"
    ANONYMISED = "anonymised"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.ACTIVE: N_("Accompagnement en cours"),
            cls.PAUSED: N_("En pause"),
            cls.CLOSED: N_("Clôturé"),
            cls.ANONYMISED: N_("Anonymisé"),
        }


class IntakeOrigin(StrEnum):
    OUTREACH = "outreach"
    PARTNER = "partner"
    SELF = "self"
    OTHER_ASSOCIATION = "other_association"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.OUTREACH: N_("Aller-vers (maraude)"),
            cls.PARTNER: N_("Orientation partenaire"),
            cls.SELF: N_("Démarche personnelle"),
            cls.OTHER_ASSOCIATION: N_("Autre association"),
            cls.OTHER: N_("Autre"),
        }


class Gender(StrEnum):
    WOMAN = "woman"
    MAN = "man"
    TRANS_WOMAN = "trans_woman"
    TRANS_MAN = "trans_man"
    NON_BINARY = "non_binary"
    UNDISCLOSED = "undisclosed"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.WOMAN: N_("Femme"),
            cls.MAN: N_("Homme"),
            cls.TRANS_WOMAN: N_("Femme trans"),
            cls.TRANS_MAN: N_("Homme trans"),
            cls.NON_BINARY: N_("Non-binaire"),
            cls.UNDISCLOSED: N_("Non renseigné"),
        }


class AdministrativeStatus(StrEnum):
    RESIDENCE_PERMIT = "residence_permit"
    APS = "aps"
    ASYLUM_SEEKER = "asylum_seeker"
    UNDOCUMENTED = "undocumented"
    FRENCH_OR_EU = "french_or_eu"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.RESIDENCE_PERMIT: N_("Titre de séjour"),
            cls.APS: N_("APS"),
            cls.ASYLUM_SEEKER: N_("Demande d'asile"),
            cls.UNDOCUMENTED: N_("Sans titre"),
            cls.FRENCH_OR_EU: N_("Nationalité française / UE"),
        }


class HousingSituation(StrEnum):
    STREET = "street"
    EMERGENCY_SHELTER = "emergency_shelter"
    HOSTED_BY_THIRD_PARTY = "hosted"
    SOCIAL_HOUSING = "social_housing"
    OWN_TENANCY = "own_tenancy"
    SECURE_HOUSING = "secure_housing"  # hébergement sécurisé (Ac.Sé…)
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.STREET: N_("Sans abri"),
            cls.EMERGENCY_SHELTER: N_("Hébergement d'urgence"),
            cls.HOSTED_BY_THIRD_PARTY: N_("Hébergé·e par un tiers"),
            cls.SOCIAL_HOUSING: N_("Logement social / CHRS"),
            cls.OWN_TENANCY: N_("Logement autonome"),
            cls.SECURE_HOUSING: N_("Hébergement sécurisé"),
            cls.OTHER: N_("Autre"),
        }


class Person(Versioned, table=True):
    __table_args__ = (
        sa.UniqueConstraint("site_id", "code_year", "code_number", name="uq_person_code_sequence"),
        # The open files of a site not seen since a day (« À faire », the caseload's « sans contact »): the last
        # contact, or the intake of a file never contacted (services.persons.access.last_contact_on_or_before).
        sa.Index("ix_person_site_status_contact", "site_id", "status", "last_contact_on", "intake_on"),
        sa.Index("ix_person_site_last_contact", "site_id", "last_contact_on"),
        sa.Index("ix_person_last_contact", "last_contact_on", "id"),  # the caseload of every site, in its order
        sa.Index("ix_person_site_intake", "site_id", "intake_on"),  # new intakes per site and period
        sa.Index("ix_person_site_permit_end", "site_id", "permit_ends_on"),  # « À faire »: permits ending
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, nullable=False)  # SITE-YEAR-NNNN
    site_id: int = site_fk(index=False)
    code_year: int = Field(nullable=False)
    code_number: int = Field(nullable=False)
    status: PersonStatus = Field(default=PersonStatus.ACTIVE, sa_type=enum_type(PersonStatus), nullable=False)
    first_contact_on: date = Field(nullable=False)
    intake_on: date = Field(nullable=False)
    origin: IntakeOrigin = Field(sa_type=enum_type(IntakeOrigin), nullable=False)
    # Indexed: the outreach page counts the intakes each round led to.
    outreach_round_id: int | None = Field(default=None, foreign_key="outreach_round.id", index=True)
    referring_partner_id: int | None = Field(default=None, foreign_key="partner.id")
    # Encrypted identity (Fernet tokens); None once anonymised.
    alias_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    phone_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    birth_year: int | None = Field(default=None)  # None once anonymised
    gender: Gender = Field(default=Gender.UNDISCLOSED, sa_type=enum_type(Gender), nullable=False)
    nationality: str | None = Field(default=None, max_length=2)  # ISO 3166-1 alpha-2
    # ISO 639-1 codes, a JSON array (a list is a list, not a comma-separated text).
    languages: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    administrative_status: AdministrativeStatus | None = Field(default=None, sa_type=enum_type(AdministrativeStatus))
    housing: HousingSituation | None = Field(default=None, sa_type=enum_type(HousingSituation))
    # End of the current titre de séjour or récépissé (APS dates are on the PSP episode).
    permit_ends_on: date | None = Field(default=None)
    income_sources: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)  # IncomeSource values
    consent_on: date = Field(nullable=False)
    consent_processing: bool = Field(default=True, nullable=False)
    consent_partner_sharing: bool = Field(default=False, nullable=False)
    consent_statistics: bool = Field(default=True, nullable=False)
    referent_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    last_contact_on: date | None = Field(default=None)
    closed_on: date | None = Field(default=None)
    closed_reason: str | None = Field(default=None, sa_type=EncryptedText)
    # Kept by anonymisation instead of birth year and nationality, when enough anonymised files share
    # them (services/persons/retention.py): the first age of the 5-year band of the age at intake
    # (25 = 25–29), and the UN M49 sub-region of the nationality (e.g. "011", Western Africa).
    age_band: int | None = Field(default=None)
    nationality_region: str | None = Field(default=None, max_length=3)
    # Retention (CNIL): flagged after 2 years without contact, then anonymised.
    retention_flagged_on: date | None = Field(default=None)
    anonymised_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PersonAliasToken(SQLModel, table=True):
    """The blind index of the aliases (services/persons/alias_index.py): keyed HMAC tokens, never text.

    Keyed on (token, person_id), without rowid on SQLite: the rows are stored in token order, not in the
    order they were written (which would say which token is a short prefix and which a long one). No
    site: the scope is the file's (joined in the query), and a transfer keeps the tokens."""

    __tablename__ = "person_alias_token"
    __table_args__ = (sa.Index("ix_person_alias_token_person_id", "person_id"), {"sqlite_with_rowid": False})

    token: bytes = Field(sa_type=sa.LargeBinary(32), primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)


class PersonNote(Timestamped, table=True):
    __tablename__ = "person_note"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    noted_on: date = Field(nullable=False)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    body_encrypted: str = Field(sa_type=sa.Text, nullable=False)


class PersonStatusChange(Timestamped, table=True):
    """History of closings and reopenings of a file, with their reason (cleared on anonymisation)."""

    __tablename__ = "person_status_change"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    changed_on: date = Field(nullable=False)
    from_status: PersonStatus = Field(sa_type=enum_type(PersonStatus), nullable=False)
    to_status: PersonStatus = Field(sa_type=enum_type(PersonStatus), nullable=False)
    reason: str | None = Field(default=None, sa_type=EncryptedText)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")


class ConsentScope(StrEnum):
    """The consents that may change after intake (processing is the condition of the file itself)."""

    STATISTICS = "statistics"
    PARTNER_SHARING = "partner_sharing"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.STATISTICS: N_("Statistiques anonymes"),
            cls.PARTNER_SHARING: N_("Partage avec les partenaires"),
        }


class ConsentChange(Timestamped, table=True):
    """One change of a person's consent in a scope: withdrawn (`given` false) or given again, from
    `effective_on` on. A refusal at intake is a row with `at_intake`, which applies to every day.

    The history is the one source of truth for « was this person counted on day D »
    (services.persons.consent.counted); Person.consent_statistics / consent_partner_sharing hold the current
    state, written in the same unit of work. Rows are only added, each effective on or after the previous
    one of its person and scope, so the latest row (by id) on or before a day is the state of that day."""

    __tablename__ = "consent_change"
    __table_args__ = (sa.Index("ix_consent_change_person_scope_day", "person_id", "scope", "effective_on"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", nullable=False)
    site_id: int = site_fk()
    scope: ConsentScope = Field(sa_type=enum_type(ConsentScope), nullable=False)
    given: bool = Field(nullable=False)
    effective_on: date = Field(nullable=False)
    at_intake: bool = Field(default=False, nullable=False)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")


class PersonCorrection(Timestamped, table=True):
    """One field of a file corrected (GDPR art. 16): which field, its old and new values and the reason,
    all three encrypted (an old birth year or nationality is as personal as the new one), who and when.
    Written by services.persons.corrections; deleted by anonymisation like every free text."""

    __tablename__ = "person_correction"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk()
    field_name: str = Field(max_length=40, nullable=False)  # a column of `person` (CORRECTABLE_FIELDS)
    old_value: str | None = Field(default=None, sa_type=EncryptedText)  # as text: ISO day, code, JSON list
    new_value: str | None = Field(default=None, sa_type=EncryptedText)
    reason: str | None = Field(default=None, sa_type=EncryptedText)
    # The correction moved figures of a finished (published) quarter, knowingly (services.persons.corrections).
    moves_published: bool = Field(default=False, nullable=False)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
