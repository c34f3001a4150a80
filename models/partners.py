"""Partner organisations, referrals to them and the outcomes (sorties) of a pathway."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from i18n import N_
from models.base import Versioned, site_fk
from models.types import EncryptedText, enum_type


class PartnerKind(StrEnum):
    FRANCE_TRAVAIL = "france_travail"
    CIDFF = "cidff"
    MISSION_LOCALE = "mission_locale"
    DREETS = "dreets"
    SIAE = "siae"
    CONSEIL_REGIONAL = "conseil_regional"
    HEALTH = "health"
    HOUSING = "housing"
    TRAINING = "training"
    CAF = "caf"
    CPAM = "cpam"
    PREFECTURE = "prefecture"
    JUSTICE = "justice"  # tribunal, SPIP, police or gendarmerie
    LAWYER = "lawyer"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.FRANCE_TRAVAIL: N_("France Travail"),
            cls.CIDFF: N_("CIDFF"),
            cls.MISSION_LOCALE: N_("Mission locale"),
            cls.DREETS: N_("DREETS"),
            cls.SIAE: N_("SIAE"),
            cls.CONSEIL_REGIONAL: N_("Conseil régional"),
            cls.HEALTH: N_("Services de santé"),
            cls.HOUSING: N_("Logement / hébergement"),
            cls.TRAINING: N_("Organisme de formation"),
            cls.CAF: N_("CAF"),
            cls.CPAM: N_("CPAM"),
            cls.PREFECTURE: N_("Préfecture"),
            cls.JUSTICE: N_("Justice (tribunal, SPIP, police, gendarmerie)"),
            cls.LAWYER: N_("Avocat·e"),
            cls.OTHER: N_("Autre"),
        }


class ReferralResult(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    REFUSED = "refused"
    NO_SHOW = "no_show"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PENDING: N_("En attente"),
            cls.ACCEPTED: N_("Acceptée"),
            cls.COMPLETED: N_("Réalisée"),
            cls.REFUSED: N_("Refusée"),
            cls.NO_SHOW: N_("Non présenté·e"),
        }


class OutcomeCategory(StrEnum):
    """IAE 'sorties dynamiques', adapted; then the outcomes of an exit pathway beyond employment and
    training (housing, health care, regularisation, return to the country of origin, lost contact)."""

    DURABLE_EMPLOYMENT = "durable_employment"
    TRANSITION_EMPLOYMENT = "transition_employment"
    POSITIVE_EXIT = "positive_exit"
    HOUSING = "housing"
    HEALTH_CARE = "health_care"
    REGULARISATION = "regularisation"
    VOLUNTARY_RETURN = "voluntary_return"
    LOST_CONTACT = "lost_contact"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.DURABLE_EMPLOYMENT: N_("Emploi durable"),
            cls.TRANSITION_EMPLOYMENT: N_("Emploi de transition"),
            cls.POSITIVE_EXIT: N_("Sortie positive"),
            cls.HOUSING: N_("Logement"),
            cls.HEALTH_CARE: N_("Accès aux soins"),
            cls.REGULARISATION: N_("Régularisation"),
            cls.VOLUNTARY_RETURN: N_("Retour au pays d'origine"),
            cls.LOST_CONTACT: N_("Perte de contact"),
            cls.OTHER: N_("Autre sortie"),
        }


class OutcomeType(StrEnum):
    CDI = "cdi"
    FIXED_TERM_OVER_6_MONTHS = "fixed_term_over_6_months"  # CDD ou intérim > 6 mois
    CIVIL_SERVICE = "civil_service"
    BUSINESS_CREATION = "business_creation"
    FIXED_TERM_UNDER_6_MONTHS = "fixed_term_under_6_months"
    SUBSIDISED_CONTRACT = "subsidised_contract"
    QUALIFYING_TRAINING = "qualifying_training"
    SIAE_HIRING = "siae_hiring"
    OWN_TENANCY = "own_tenancy"  # logement autonome, social or private
    STABLE_HOUSING = "stable_housing"  # CHRS, résidence sociale, pension de famille
    HEALTH_RIGHTS = "health_rights"  # PUMa, complémentaire santé solidaire, AME
    CARE_PATHWAY = "care_pathway"
    RESIDENCE_PERMIT = "residence_permit"
    VOLUNTARY_RETURN = "voluntary_return"  # aide au retour (OFII)
    LOST_CONTACT = "lost_contact"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.CDI: N_("CDI"),
            cls.FIXED_TERM_OVER_6_MONTHS: N_("CDD ou intérim de plus de 6 mois"),
            cls.CIVIL_SERVICE: N_("Fonction publique"),
            cls.BUSINESS_CREATION: N_("Création d'entreprise"),
            cls.FIXED_TERM_UNDER_6_MONTHS: N_("CDD ou intérim de moins de 6 mois"),
            cls.SUBSIDISED_CONTRACT: N_("Contrat aidé"),
            cls.QUALIFYING_TRAINING: N_("Formation qualifiante"),
            cls.SIAE_HIRING: N_("Embauche en SIAE"),
            cls.OWN_TENANCY: N_("Accès à un logement autonome"),
            cls.STABLE_HOUSING: N_("Hébergement stable (CHRS, résidence sociale, pension de famille)"),
            cls.HEALTH_RIGHTS: N_("Ouverture de droits santé (PUMa, CSS, AME)"),
            cls.CARE_PATHWAY: N_("Entrée dans un parcours de soins"),
            cls.RESIDENCE_PERMIT: N_("Titre de séjour obtenu"),
            cls.VOLUNTARY_RETURN: N_("Retour volontaire au pays d'origine"),
            cls.LOST_CONTACT: N_("Perte de contact"),
            cls.OTHER: N_("Autre"),
        }


OUTCOME_CATEGORY_OF_TYPE: dict[OutcomeType, OutcomeCategory] = {
    OutcomeType.CDI: OutcomeCategory.DURABLE_EMPLOYMENT,
    OutcomeType.FIXED_TERM_OVER_6_MONTHS: OutcomeCategory.DURABLE_EMPLOYMENT,
    OutcomeType.CIVIL_SERVICE: OutcomeCategory.DURABLE_EMPLOYMENT,
    OutcomeType.BUSINESS_CREATION: OutcomeCategory.DURABLE_EMPLOYMENT,
    OutcomeType.FIXED_TERM_UNDER_6_MONTHS: OutcomeCategory.TRANSITION_EMPLOYMENT,
    OutcomeType.SUBSIDISED_CONTRACT: OutcomeCategory.TRANSITION_EMPLOYMENT,
    OutcomeType.QUALIFYING_TRAINING: OutcomeCategory.POSITIVE_EXIT,
    OutcomeType.SIAE_HIRING: OutcomeCategory.POSITIVE_EXIT,
    OutcomeType.OWN_TENANCY: OutcomeCategory.HOUSING,
    OutcomeType.STABLE_HOUSING: OutcomeCategory.HOUSING,
    OutcomeType.HEALTH_RIGHTS: OutcomeCategory.HEALTH_CARE,
    OutcomeType.CARE_PATHWAY: OutcomeCategory.HEALTH_CARE,
    OutcomeType.RESIDENCE_PERMIT: OutcomeCategory.REGULARISATION,
    OutcomeType.VOLUNTARY_RETURN: OutcomeCategory.VOLUNTARY_RETURN,
    OutcomeType.LOST_CONTACT: OutcomeCategory.LOST_CONTACT,
    OutcomeType.OTHER: OutcomeCategory.OTHER,
}


class Partner(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = site_fk()
    name: str = Field(max_length=160, nullable=False)
    kind: PartnerKind = Field(sa_type=enum_type(PartnerKind), nullable=False)
    contact: str | None = Field(default=None, max_length=200)  # an organisation's desk, not a person file
    is_active: bool = Field(default=True, nullable=False)


class Referral(Versioned, table=True):
    __table_args__ = (
        sa.Index("ix_referral_site_date", "site_id", "referred_on"),
        sa.Index("ix_referral_site_result_date", "site_id", "result", "referred_on"),  # « À faire »: no result
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk(index=False)
    partner_id: int = Field(foreign_key="partner.id", index=True, nullable=False)
    referred_on: date = Field(nullable=False)
    reason: str | None = Field(default=None, sa_type=EncryptedText)  # free text: encrypted at rest
    result: ReferralResult = Field(default=ReferralResult.PENDING, sa_type=enum_type(ReferralResult), nullable=False)
    result_on: date | None = Field(default=None)


class Outcome(Versioned, table=True):
    __table_args__ = (sa.Index("ix_outcome_site_date", "site_id", "outcome_on"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, nullable=False)
    site_id: int = site_fk(index=False)
    outcome_on: date = Field(nullable=False)
    category: OutcomeCategory = Field(sa_type=enum_type(OutcomeCategory), nullable=False)
    outcome_type: OutcomeType = Field(sa_type=enum_type(OutcomeType), nullable=False)
    employer_sector: str | None = Field(default=None, sa_type=EncryptedText)  # free text: encrypted at rest
    closes_file: bool = Field(default=False, nullable=False)
