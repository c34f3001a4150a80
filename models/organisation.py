"""The association, its sites and strands, users, the login throttle and enrolment codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from i18n import N_
from models.base import Timestamped, Versioned
from models.types import UtcDateTime, enum_type


class Role(StrEnum):
    ADMIN = "admin"
    DIRECTION = "direction"
    CHEF_SERVICE = "chef_service"
    INTERVENANT = "intervenant"
    FORMATEUR = "formateur"
    GESTION = "gestion"
    FINANCEUR = "financeur"
    # National project officer (chargé·e de mission nationale): capitalises field practice into guides,
    # every site, never a person (services/capitalisation).
    CHARGE_MISSION = "charge_mission"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.ADMIN: N_("Administration"),
            cls.DIRECTION: N_("Direction"),
            cls.CHEF_SERVICE: N_("Chef·fe de service"),
            cls.INTERVENANT: N_("Intervenant·e"),
            cls.FORMATEUR: N_("Formateur·rice"),
            cls.GESTION: N_("Gestion financière"),
            cls.FINANCEUR: N_("Financeur"),
            cls.CHARGE_MISSION: N_("Chargé·e de mission nationale"),
        }


class Site(Timestamped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True, nullable=False)  # prefix of person codes, e.g. LYO
    name: str = Field(max_length=120, nullable=False)
    city: str = Field(max_length=120, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    # « À faire » lists an open file after this many days without contact (services/worklist.py).
    no_contact_days: int = Field(default=45, nullable=False, sa_column_kwargs={"server_default": "45"})


class User(Versioned, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, nullable=False)  # stored lower-case
    display_name: str = Field(max_length=120, nullable=False)
    password_hash: str = Field(max_length=120, nullable=False)
    role: Role = Field(sa_type=enum_type(Role), nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    # Demo accounts share a published password; production refuses to start with any.
    is_demo: bool = Field(default=False, nullable=False)
    # Only for role financeur: the funder whose grants this account may see.
    funder_id: int | None = Field(default=None, foreign_key="funder.id")
    failed_login_count: int = Field(default=0, nullable=False)
    last_failed_login_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Any session or cookie issued before this instant is refused (logout, password
    # change, deactivation).
    sessions_revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    password_changed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Last request of any session, written at most once a minute: the idle timeout of
    # a cookie re-login is measured from it.
    last_seen_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The single sign-on identity its holder linked with an enrolment code ("<issuer> <subject>"), if any.
    sso_identity: str | None = Field(default=None, max_length=255, unique=True)
    # The interface language its holder last chose (i18n.LANGUAGES); None: never chosen, French.
    language: str | None = Field(default=None, max_length=8)


class UserSite(SQLModel, table=True):
    """The sites a user works on; their services are scoped to these."""

    __tablename__ = "user_site"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="site.id", primary_key=True, index=True)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per typed username, known or not, so a lockout reveals nothing."""

    __tablename__ = "login_throttle"

    username_key: str = Field(max_length=64, primary_key=True)
    failure_count: int = Field(default=0, nullable=False)
    window_started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class EnrolmentReason(StrEnum):
    """Why a holder was given an enrolment code (stored as its value; never delete one)."""

    CREATED = "created"
    REACTIVATED = "reactivated"
    RESET = "reset"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.CREATED: N_("Création du compte"),
            cls.REACTIVATED: N_("Réactivation du compte"),
            cls.RESET: N_("Nouveau mot de passe"),
        }


class AccountEnrolment(SQLModel, table=True):
    """A single-use code with which an account's holder sets its password (services.accounts.enrolment).

    Only the SHA-256 digest of the code is kept: the code itself is shown once, when it is issued."""

    __tablename__ = "account_enrolment"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, nullable=False, ondelete="CASCADE")
    code_digest: str = Field(max_length=64, unique=True, nullable=False)
    reason: EnrolmentReason = Field(sa_type=enum_type(EnrolmentReason), nullable=False)
    issued_by: str = Field(max_length=64, nullable=False)  # the actor's username ("system": the command line)
    issued_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Set when a newer code replaces this one, or the account is deactivated: the code no longer works.
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


ASSOCIATION_ROW_ID = 1


class Association(Timestamped, table=True):
    """The association that runs this install: one row (id 1), written by the demo seed or the first admin.

    `holds_demo_data` is the demo marker: only the demo seed sets it. The demo banner and the demo accounts
    show only on such a database; production refuses to serve it, and demo mode refuses any other database
    that holds data."""

    __table_args__ = (sa.CheckConstraint(f"id = {ASSOCIATION_ROW_ID}", name="ck_association_single_row"),)

    id: int = Field(default=ASSOCIATION_ROW_ID, primary_key=True)
    name: str | None = Field(default=None, max_length=160)
    holds_demo_data: bool = Field(default=False, nullable=False)


class OrganisationStrand(Timestamped, table=True):
    """A strand (volet) the association runs, e.g. "Aller-vers": offered to every new grant."""

    __tablename__ = "organisation_strand"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
